// OAuth 2.0 client credentials for the graph driver, through Microsoft's own identity library (@azure/msal-node;
// README "Dependencies, and why each"): an app registration's client secret, or its certificate (a signed
// client assertion, the credential Microsoft recommends for daemons). MSAL caches the access token and fetches
// a new one when less than five minutes of it remain, so a long pass never sends an expired token; a 401 from
// Graph (a token revoked early) asks for a fresh one once, skipping the cache.
//
// The identity provider is reached through our own node:https client: it trusts an extra CA when given one
// (a TLS-inspecting proxy, or the test CA of the simulator's token endpoint), counts its requests under the
// `token` endpoint, and never goes anywhere but the authority host. Every credential and every access token
// is registered with the redactor (util/redact.ts) the moment it is read or issued.
import { X509Certificate } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { ConfidentialClientApplication, type Configuration } from '@azure/msal-node';
import { registerSecret } from '../../util/redact.ts';
import { DriverError, type DriverRequestObserver } from '../driver.ts';

/** An app registration's credentials, as values (from a Secret, files or the environment). */
export interface ClientCredentials {
  /** The directory (tenant) id, or a verified domain. */
  tenantId: string;
  /** The application (client) id. */
  clientId: string;
  /** A client secret; or `certificate` + `privateKey`. */
  clientSecret?: string;
  /** The certificate registered with the app, PEM (its public part is sent as x5c). */
  certificate?: string;
  /** The certificate's private key, PEM. */
  privateKey?: string;
  /**
   * The identity provider. Default https://login.microsoftonline.com (commercial and GCC);
   * https://login.microsoftonline.us for GCC High and DoD.
   */
  authorityHost?: string;
}

/** Where a driver gets the bearer token it sends. */
export interface TokenSource {
  /** A token valid for a while yet (cached; fetched when missing or close to expiry). */
  token(): Promise<string>;
  /** A new token, whatever the cache holds (after the back end refused the cached one). */
  refresh(): Promise<string>;
}

/** The hosts MSAL knows as Microsoft clouds; any other host is declared a known authority (no instance discovery). */
const MICROSOFT_AUTHORITY_HOSTS = ['login.microsoftonline.com', 'login.microsoftonline.us', 'login.partner.microsoftonline.cn', 'login.microsoft.com'];

/** The credential's problem in one sentence, or undefined when it is usable. Never quotes a secret. */
export function credentialsProblem(c: Partial<ClientCredentials>): string | undefined {
  if (!c.tenantId) return 'a tenant id is needed with client credentials';
  if (!c.clientId) return 'a client id is needed with client credentials';
  const hasSecret = Boolean(c.clientSecret);
  const hasCert = Boolean(c.certificate || c.privateKey);
  if (hasSecret && hasCert) return 'give a client secret or a certificate, not both';
  if (!hasSecret && !hasCert) return 'a client secret, or a certificate and its private key, is needed';
  if (hasCert && !(c.certificate && c.privateKey)) return 'a certificate needs both the certificate (PEM) and its private key (PEM)';
  if (c.certificate) {
    try {
      new X509Certificate(c.certificate);
    } catch {
      return 'the certificate is not a PEM X.509 certificate';
    }
  }
  if (c.authorityHost) {
    let u: URL;
    try {
      u = new URL(c.authorityHost);
    } catch {
      return `the authority host ${JSON.stringify(c.authorityHost)} is not a URL`;
    }
    if (u.protocol !== 'https:') return `the authority host must be https (got ${u.protocol})`;
  }
  return undefined;
}

/** Tokens for `scope` from Microsoft Entra ID (or the simulator's token endpoint) with client credentials. */
export class MsalTokenSource implements TokenSource {
  readonly #app: ConfidentialClientApplication;
  readonly #scopes: string[];
  #inFlight: Promise<string> | undefined;

  constructor(credentials: ClientCredentials, o: { scope: string; ca?: string; timeoutMs?: number; onRequest?: DriverRequestObserver }) {
    const problem = credentialsProblem(credentials);
    if (problem) throw new DriverError('Unauthorized', `graph client credentials: ${problem}`);
    registerSecret(credentials.clientSecret);
    registerSecret(credentials.privateKey);
    const host = new URL(credentials.authorityHost ?? 'https://login.microsoftonline.com');
    const authority = `${host.origin}/${encodeURIComponent(credentials.tenantId)}`;
    const cert = credentials.certificate ? new X509Certificate(credentials.certificate) : undefined;
    const auth: Configuration['auth'] = {
      clientId: credentials.clientId,
      authority,
      ...(MICROSOFT_AUTHORITY_HOSTS.includes(host.hostname) ? {} : { knownAuthorities: [host.host] }),
      ...(credentials.clientSecret ? { clientSecret: credentials.clientSecret } : {}),
      ...(cert ? {
        clientCertificate: {
          thumbprintSha256: cert.fingerprint256.replace(/:/g, ''),
          privateKey: credentials.privateKey!,
          // Sending the certificate lets Entra ID roll it over by subject name and issuer (SNI).
          x5c: credentials.certificate!,
        },
      } : {}),
    };
    this.#app = new ConfidentialClientApplication({
      auth,
      system: { networkClient: identityNetwork(host.origin, { timeoutMs: o.timeoutMs ?? 10_000, ...(o.ca ? { ca: o.ca } : {}), ...(o.onRequest ? { onRequest: o.onRequest } : {}) }) },
    });
    this.#scopes = [o.scope];
  }

  token(): Promise<string> {
    return this.#acquire(false);
  }

  refresh(): Promise<string> {
    return this.#acquire(true);
  }

  /** One acquisition at a time: a pass's concurrent requests share it instead of each asking for a token. */
  #acquire(skipCache: boolean): Promise<string> {
    if (this.#inFlight && !skipCache) return this.#inFlight;
    const p = (async () => {
      try {
        const result = await this.#app.acquireTokenByClientCredential({ scopes: this.#scopes, ...(skipCache ? { skipCache: true } : {}) });
        if (!result?.accessToken) throw new DriverError('Unauthorized', 'the identity provider issued no access token');
        return registerSecret(result.accessToken);
      } catch (err) {
        if (err instanceof DriverError) throw err;
        throw tokenError(err);
      }
    })();
    this.#inFlight = p;
    const clear = () => { if (this.#inFlight === p) this.#inFlight = undefined; };
    p.then(clear, clear);
    return p;
  }
}

/**
 * A refused credential (`invalid_client`, `unauthorized_client`, …) is Unauthorized; an unreachable identity
 * provider is Unavailable. MSAL's message is kept to its error code and first line: no secret is in it, and the
 * redactor would hide one anyway.
 */
function tokenError(err: unknown): DriverError {
  const e = err as { errorCode?: string; errorMessage?: string; message?: string; name?: string };
  const code = e.errorCode ?? e.name ?? 'error';
  const message = (e.errorMessage ?? e.message ?? String(err)).split(/\r?\n/)[0]!.slice(0, 300);
  const refused = /invalid_client|unauthorized_client|invalid_request|invalid_grant|invalid_scope|AADSTS7000215|AADSTS700027/i.test(`${code} ${message}`);
  return new DriverError(refused ? 'Unauthorized' : 'Unavailable', `graph token: ${code}: ${message}`, { cause: err });
}

interface NetworkResponse<T> {
  headers: Record<string, string>;
  body: T;
  status: number;
}

/** MSAL's INetworkModule over node:https, to `origin` only, trusting `ca` as well as the system's roots. */
function identityNetwork(origin: string, o: { timeoutMs: number; ca?: string; onRequest?: DriverRequestObserver }) {
  const send = <T>(method: 'GET' | 'POST', url: string, options?: { headers?: Record<string, string>; body?: string }, timeout?: number): Promise<NetworkResponse<T>> => {
    const target = new URL(url);
    if (target.origin !== origin) return Promise.reject(new DriverError('Unauthorized', `graph token: refusing to send credentials to ${target.origin}; the authority is ${origin}`));
    return new Promise((resolve, reject) => {
      const req = httpsRequest(target, {
        method,
        headers: { ...(options?.headers ?? {}), ...(options?.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}) },
        signal: AbortSignal.timeout(timeout ?? o.timeoutMs),
        ...(o.ca ? { ca: [...rootCertificates, o.ca] } : {}),
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          o.onRequest?.({ operation: 'token', code: String(res.statusCode ?? 0) });
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : {};
          } catch {
            body = { error: 'invalid_response', error_description: `the identity provider answered ${res.statusCode} without JSON` };
          }
          resolve({ headers, body: body as T, status: res.statusCode ?? 0 });
        });
      });
      req.on('error', (err) => {
        o.onRequest?.({ operation: 'token', code: (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError' ? 'timeout' : 'network_error' });
        reject(err);
      });
      req.end(options?.body);
    });
  };
  return {
    sendGetRequestAsync: <T>(url: string, options?: { headers?: Record<string, string>; body?: string }, timeout?: number) => send<T>('GET', url, options, timeout),
    sendPostRequestAsync: <T>(url: string, options?: { headers?: Record<string, string>; body?: string }) => send<T>('POST', url, options),
  };
}
