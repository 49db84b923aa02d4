// The graph driver's HTTP client: bearer auth, bounded concurrency, timeouts, retries with exponential
// backoff and full jitter, Retry-After honoured (and shared: one 429 slows every request down), and
// errors that never carry the token. node:http(s) with a keep-alive agent, one socket per permitted request.
import { redactSecrets, registerSecret } from '../../util/redact.ts';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { DriverError } from '../driver.ts';
import type { TokenSource } from './auth.ts';

export interface HttpClientOptions {
  /** Origin (and optional path prefix) every request goes to; links elsewhere are refused. */
  baseUrl: string;
  token?: string;
  /** Read at start and again when the back end answers 401 (a rotated secret). */
  tokenFile?: string;
  /** Tokens from an identity provider (OAuth client credentials, graph/auth.ts), instead of `token`/`tokenFile`. */
  tokenSource?: TokenSource;
  /** Extra CA certificates (PEM) trusted for https, besides the system's roots (a TLS-inspecting proxy, a test CA). */
  ca?: string;
  /** Requests in flight at once. Default 16. */
  concurrency?: number;
  /** Per attempt. Default 10 000 ms. */
  timeoutMs?: number;
  /** Retries after the first attempt, for 429, 5xx, timeouts and network errors. Default 6. */
  maxRetries?: number;
  /** First backoff step. Default 200 ms. */
  backoffMs?: number;
  /** Longest backoff step (and longest Retry-After honoured). Default 30 000 ms. */
  maxBackoffMs?: number;
  /** Source of jitter in [0, 1). Default Math.random. */
  random?: () => number;
  /** How the client waits between attempts (wall time). */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Told of every attempt sent (retries included) and its answer: the HTTP status, or `timeout` /
   * `network_error`. The metrics registry counts them (`fleetward_driver_requests_total`).
   */
  onAttempt?: (method: string, url: URL, code: string) => void;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body, when the body is JSON. */
  json?: unknown;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as `client-request-id`, the same on every retry, so the back end can recognise a repeat. */
  clientRequestId?: string;
  accept?: string;
  /** Extra request headers (never the authorization header). */
  headers?: Record<string, string>;
}

/** Counters for the benchmark and tests. */
export interface HttpStats {
  requests: number;
  retries: number;
  throttled: number;
  serverErrors: number;
  timeouts: number;
}

class Semaphore {
  #free: number;
  #waiting: (() => void)[] = [];
  constructor(n: number) {
    this.#free = Math.max(1, n);
  }
  async acquire(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    };
  }
}

const sleepReal = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

export class HttpClient {
  readonly base: URL;
  readonly stats: HttpStats = { requests: 0, retries: 0, throttled: 0, serverErrors: 0, timeouts: 0 };
  #token: string;
  readonly #tokenFile: string | undefined;
  readonly #tokenSource: TokenSource | undefined;
  readonly #ca: string | undefined;
  readonly #sem: Semaphore;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #onAttempt: ((method: string, url: URL, code: string) => void) | undefined;
  /** Wall-clock ms before which no request is sent (set by a 429's Retry-After). */
  #pausedUntil = 0;
  readonly #maxSockets: number;
  #httpAgent: HttpAgent | undefined;
  #httpsAgent: HttpsAgent | undefined;

  constructor(o: HttpClientOptions) {
    this.base = new URL(o.baseUrl.endsWith('/') ? o.baseUrl : `${o.baseUrl}/`);
    this.#tokenFile = o.tokenFile;
    this.#tokenSource = o.tokenSource;
    this.#ca = o.ca;
    this.#token = o.token ?? '';
    if (!this.#token && this.#tokenFile) this.#token = this.#readTokenFile();
    registerSecret(this.#token);
    if (!this.#token && !this.#tokenSource) {
      throw new DriverError('Unauthorized', 'the graph driver has no credentials: a token (FLEETWARD_GRAPH_TOKEN or FLEETWARD_GRAPH_TOKEN_FILE) or client credentials (FLEETWARD_GRAPH_TENANT_ID, _CLIENT_ID and _CLIENT_SECRET_FILE or _CERTIFICATE_FILE + _PRIVATE_KEY_FILE)');
    }
    this.#sem = new Semaphore(o.concurrency ?? 16);
    this.#maxSockets = o.concurrency ?? 16;
    this.#timeoutMs = o.timeoutMs ?? 10_000;
    this.#maxRetries = o.maxRetries ?? 6;
    this.#backoffMs = o.backoffMs ?? 200;
    this.#maxBackoffMs = o.maxBackoffMs ?? 30_000;
    this.#random = o.random ?? Math.random;
    this.#sleep = o.sleep ?? sleepReal;
    this.#onAttempt = o.onAttempt;
  }

  #readTokenFile(): string {
    try {
      return readFileSync(this.#tokenFile!, 'utf8').trim();
    } catch (err) {
      throw new DriverError('Unauthorized', `cannot read the graph token file ${this.#tokenFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }

  /** Replaces the token, and any 8+ character fragment of it or of another known secret, in a text (error bodies may echo headers). */
  redact(text: string): string {
    return redactSecrets(text);
  }

  /** Resolves a path (relative to the base) or an absolute link, refusing links to another origin. */
  resolve(pathOrUrl: string): URL {
    const url = new URL(pathOrUrl.replace(/^\//, ''), this.base);
    if (url.origin !== this.base.origin) throw new DriverError('Unavailable', `refusing to follow a link to another origin (${url.origin}); the token is only sent to ${this.base.origin}`);
    return url;
  }

  #backoff(attempt: number): number {
    return Math.floor(this.#random() * Math.min(this.#maxBackoffMs, this.#backoffMs * 2 ** attempt));
  }

  #retryAfter(headers: Headers): number | undefined {
    const value = headers.get('retry-after');
    if (!value) return undefined;
    const seconds = Number(value);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
    return Number.isFinite(ms) ? Math.min(Math.max(0, ms), this.#maxBackoffMs) : undefined;
  }

  /** Retries after the first attempt (429, 5xx, timeouts, network errors). */
  get maxRetries(): number {
    return this.#maxRetries;
  }

  /**
   * Waits before retry `attempt` of something that came back throttled or failing inside another answer
   * (a sub-request of a `$batch`): its Retry-After when it has one, else the backoff. A throttled one holds
   * every other request back too, as a 429 on a request does.
   */
  async backOff(attempt: number, retryAfter: string | null | undefined, throttled: boolean): Promise<void> {
    this.stats.retries++;
    const headers = new Headers(retryAfter ? { 'retry-after': retryAfter } : {});
    const wait = this.#retryAfter(headers) ?? this.#backoff(attempt);
    if (throttled) {
      this.stats.throttled++;
      this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + wait);
      const pause = this.#pausedUntil - Date.now();
      if (pause > 0) await this.#sleep(pause);
    } else {
      this.stats.serverErrors++;
      await this.#sleep(wait);
    }
  }

  /** Sends one logical request, retrying what is transient. Answers any final status (callers map 4xx). */
  async request(method: string, pathOrUrl: string, options: RequestOptions = {}): Promise<HttpResponse> {
    const url = this.resolve(pathOrUrl);
    const what = `${method} ${url.pathname}`;
    const clientRequestId = options.clientRequestId ?? randomUUID();
    let refreshedToken = false;
    let lastProblem = '';
    for (let attempt = 0; attempt <= this.#maxRetries; attempt++) {
      if (attempt > 0) this.stats.retries++;
      const pause = this.#pausedUntil - Date.now();
      if (pause > 0) await this.#sleep(pause);
      // Outside the semaphore: a token fetch is one request however many wait for it (auth.ts shares it).
      const token = this.#tokenSource ? await this.#tokenSource.token() : this.#token;
      const release = await this.#sem.acquire();
      let res: HttpResponse | undefined;
      try {
        this.stats.requests++;
        const r = await this.#send(url, method, {
          ...options.headers,
          authorization: `Bearer ${token}`,
          accept: options.accept ?? 'application/json',
          'client-request-id': clientRequestId,
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        }, options.body !== undefined ? JSON.stringify(options.body) : undefined);
        const text = r.text;
        let json: unknown;
        if ((r.headers.get('content-type') ?? '').includes('json') && text) {
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
        }
        res = { status: r.status, headers: r.headers, text, ...(json !== undefined ? { json } : {}) };
      } catch (err) {
        const name = (err as Error)?.name;
        if (name === 'TimeoutError' || name === 'AbortError') {
          this.stats.timeouts++;
          this.#onAttempt?.(method, url, 'timeout');
          lastProblem = `timed out after ${this.#timeoutMs} ms`;
        } else {
          this.#onAttempt?.(method, url, 'network_error');
          lastProblem = `network error: ${this.redact(String((err as Error)?.cause ?? (err as Error)?.message ?? err))}`;
        }
      } finally {
        release();
      }
      if (res) {
        this.#onAttempt?.(method, url, String(res.status));
        if (res.status === 429) {
          this.stats.throttled++;
          const wait = this.#retryAfter(res.headers) ?? this.#backoff(attempt);
          this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + wait);
          lastProblem = `429 throttled (Retry-After ${res.headers.get('retry-after') ?? 'none'})`;
          continue;
        }
        if (res.status >= 500) {
          this.stats.serverErrors++;
          lastProblem = `${res.status} ${this.redact(errorMessage(res))}`;
          const wait = this.#retryAfter(res.headers) ?? this.#backoff(attempt);
          if (attempt < this.#maxRetries) await this.#sleep(wait);
          continue;
        }
        if (res.status === 401 && this.#tokenSource && !refreshedToken) {
          // Refused before its expiry (revoked, or the tenant's keys rolled over): one fresh token, then the answer stands.
          refreshedToken = true;
          await this.#tokenSource.refresh();
          attempt--;
          continue;
        }
        if (res.status === 401 && this.#tokenFile && !refreshedToken) {
          refreshedToken = true;
          const fresh = this.#readTokenFile();
          if (fresh !== this.#token) {
            this.#token = registerSecret(fresh);
            attempt--;
            continue;
          }
        }
        return res;
      }
      if (attempt < this.#maxRetries) await this.#sleep(this.#backoff(attempt));
    }
    throw new DriverError('Unavailable', `${what}: gave up after ${this.#maxRetries + 1} attempts; last: ${lastProblem}`);
  }

  /**
   * One HTTP exchange over node:http(s) with a keep-alive agent (a fraction of fetch's CPU per request,
   * which is what bounds operations per second on loopback). Rejects on network errors and timeouts.
   */
  #send(url: URL, method: string, headers: Record<string, string>, body: string | undefined): Promise<{ status: number; headers: Headers; text: string }> {
    const secure = url.protocol === 'https:';
    const agent = secure ? (this.#httpsAgent ??= new HttpsAgent({ keepAlive: true, maxSockets: this.#maxSockets, ...(this.#ca ? { ca: [...rootCertificates, this.#ca] } : {}) })) : (this.#httpAgent ??= new HttpAgent({ keepAlive: true, maxSockets: this.#maxSockets }));
    const send = secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        method,
        agent,
        headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
        signal: AbortSignal.timeout(this.#timeoutMs),
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (Array.isArray(v)) for (const x of v) h.append(k, x);
            else if (v !== undefined) h.set(k, v);
          }
          resolve({ status: res.statusCode ?? 0, headers: h, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.#httpAgent?.destroy();
    this.#httpsAgent?.destroy();
  }

  /** A DriverError for a final non-2xx answer. */
  failure(res: HttpResponse, what: string): DriverError {
    const message = `${what}: ${res.status} ${this.redact(errorMessage(res))}`;
    if (res.status === 400 || res.status === 422) return new DriverError('InvalidRequest', message);
    if (res.status === 401 || res.status === 403) return new DriverError('Unauthorized', message);
    if (res.status === 404) return new DriverError('DeviceNotFound', message);
    return new DriverError('Unavailable', message);
  }
}

/** Graph's `{error:{code,message}}`, or the start of the body. */
export function errorMessage(res: HttpResponse): string {
  const e = (res.json as { error?: { code?: string; message?: string } } | undefined)?.error;
  if (e && (e.code || e.message)) return `${e.code ?? 'Error'}: ${e.message ?? ''}`.trim();
  return res.text.slice(0, 200).replace(/\s+/g, ' ');
}
