// The admin console under /ui (docs/console.md): a read-only view of the store's last pass, served by the
// loop's own HTTP server (controller/server/server.ts) — pages, the bundle the build made
// (controller/console/web/, `npm run build`), and the JSON API they read (./api.ts). Nothing is fetched
// from anywhere else at run time: the Content-Security-Policy allows this origin only, no inline script.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import type { Logger } from 'pino';
import * as api from './api.ts';
import { ConsoleAuth, isLoopback, SESSION_COOKIE } from './auth.ts';
import { SnapshotCache, type ConsoleStore } from './snapshot.ts';

export const CONSOLE_PATH = '/ui';
/** Where `npm run build` (scripts/build-console.ts) puts the bundle. */
export const ASSET_DIR = join(import.meta.dirname, 'web', 'dist');

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

export interface ConsoleOptions {
  /** The store to read (a read-only view of the loop's). A function: the operator opens its store after the server. */
  store: () => ConsoleStore | undefined;
  /** The listen address: without a token, the console is served on a loopback address only. */
  host: string;
  /** The console token (from --console-token-file / a Secret); undefined = no authentication. */
  token?: string;
  logger?: Logger;
  /** Another asset folder (tests). */
  assetDir?: string;
  /**
   * Why this process cannot answer from a current store, if it cannot: an operator replica without the Lease
   * reads a store no pass of its own refreshes. Its API then answers 503 with this sentence.
   */
  unavailable?: () => string | undefined;
}

export class ConsoleConfigError extends Error {}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2',
};

export class Console {
  readonly #o: ConsoleOptions;
  readonly #auth: ConsoleAuth;
  readonly #assets = new Map<string, Buffer>();
  #cache: SnapshotCache | undefined;
  /** Whole-fleet answers (update paths, a release) for the current pass: computed once, then served. */
  #memo = new Map<string, unknown>();
  #memoKey = '';

  constructor(o: ConsoleOptions) {
    if (o.token === undefined && !isLoopback(o.host)) {
      throw new ConsoleConfigError(`the console on ${o.host} needs a token: give --console-token-file FILE (or FLEETWARD_CONSOLE_TOKEN), or --no-console; only a loopback address serves it without one`);
    }
    this.#o = o;
    this.#auth = new ConsoleAuth(o.token);
    const dir = o.assetDir ?? ASSET_DIR;
    if (existsSync(dir)) {
      for (const f of readdirSync(dir)) if (TYPES[extname(f)]) this.#assets.set(f, readFileSync(join(dir, f)));
    }
  }

  get built(): boolean { return this.#assets.has('app.js'); }
  get authRequired(): boolean { return this.#auth.required; }

  /** Handles a request under /ui; the caller routes only those here. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    if (path === CONSOLE_PATH) return redirect(res, `${CONSOLE_PATH}/`);
    const rest = path.slice(CONSOLE_PATH.length + 1);
    if (rest.startsWith('assets/')) return this.#asset(req, res, rest.slice('assets/'.length));
    if (rest === 'login') {
      if (method === 'POST') return this.#login(req, res);
      if (method !== 'GET' && method !== 'HEAD') return text(res, 405, 'GET or POST\n', { allow: 'GET, POST' });
      return html(res, 200, loginPage(''));
    }
    if (rest === 'logout' && method === 'POST') {
      req.resume();
      res.writeHead(303, { ...SECURITY_HEADERS, location: `${CONSOLE_PATH}/login`, 'set-cookie': `${SESSION_COOKIE}=; Path=${CONSOLE_PATH}; HttpOnly; SameSite=Strict; Max-Age=0` });
      return void res.end();
    }
    if (method !== 'GET' && method !== 'HEAD') { req.resume(); return text(res, 405, 'read-only: GET only\n', { allow: 'GET' }); }
    if (!this.#auth.allows(req)) {
      if (rest.startsWith('api/')) return json(res, 401, { error: 'authentication required: Authorization: Bearer TOKEN, or sign in at /ui/login' });
      return redirect(res, `${CONSOLE_PATH}/login`);
    }
    if (rest.startsWith('api/')) return this.#api(res, rest.slice(4), query);
    // Every other path is a page of the single-page app (it routes on the location hash).
    if (rest === '' || rest === 'index.html') {
      if (!this.built) return text(res, 503, 'the console is not built: run `npm run build` (npm install does it)\n');
      return html(res, 200, INDEX_HTML);
    }
    return text(res, 404, 'not found\n');
  }

  #store(): ConsoleStore | undefined { return this.#o.store(); }

  #snapshot() {
    const store = this.#store();
    if (!store) return undefined;
    this.#cache ??= new SnapshotCache(() => this.#store()!);
    const s = this.#cache.get();
    if (s.key !== this.#memoKey) { this.#memo.clear(); this.#memoKey = s.key; }
    return { store, s };
  }

  #memoized<T>(key: string, f: () => T): T {
    if (this.#memo.has(key)) return this.#memo.get(key) as T;
    const v = f();
    this.#memo.set(key, v);
    return v;
  }

  #api(res: ServerResponse, route: string, query: URLSearchParams): void {
    const why = this.#o.unavailable?.();
    if (why) return json(res, 503, { error: why });
    const got = this.#snapshot();
    if (!got) return json(res, 503, { error: 'the state store is not open yet' });
    const { store, s } = got;
    const parts = route.split('/').map((p) => { try { return decodeURIComponent(p); } catch { return '\u0000'; } });
    try {
      switch (parts[0]) {
        case 'overview': return json(res, 200, api.overview(s));
        case 'devices':
          if (parts.length === 1) return json(res, 200, api.deviceList(s, api.parseDeviceQuery(query)));
          if (parts.length === 2) return json(res, 200, api.device(store, s, parts[1]!));
          break;
        case 'releases':
          if (parts.length === 1) return json(res, 200, api.releases(s));
          if (parts.length === 3) return json(res, 200, this.#memoized(`release:${parts[1]}@${parts[2]}`, () => api.release(store, s, parts[1]!, parts[2]!)));
          break;
        case 'paths': return json(res, 200, this.#memoized('paths', () => api.updatePaths(store, s)));
        case 'provisioning': return json(res, 200, api.provisioning(s));
      }
      return json(res, 404, { error: `no API ${route}` });
    } catch (err) {
      if (err instanceof api.NotFound) return json(res, 404, { error: err.message });
      if (err instanceof api.BadQuery) return json(res, 400, { error: err.message });
      throw err;
    }
  }

  #asset(req: IncomingMessage, res: ServerResponse, name: string): void {
    const body = /^[\w.-]+$/.test(name) ? this.#assets.get(name) : undefined;
    if (!body) return text(res, 404, 'not found\n');
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': TYPES[extname(name)]!, 'content-length': body.length, 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  async #login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readForm(req, 8192);
    const token = body?.get('token') ?? '';
    if (!this.#auth.required) return redirect(res, `${CONSOLE_PATH}/`);
    if (!this.#auth.tokenMatches(token)) {
      this.#o.logger?.warn({ remote: req.socket.remoteAddress }, 'console sign-in refused: wrong token');
      return html(res, 401, loginPage('That token is not the console token.'));
    }
    const secure = req.headers['x-forwarded-proto'] === 'https' || (req.socket as { encrypted?: boolean }).encrypted ? '; Secure' : '';
    res.writeHead(303, {
      ...SECURITY_HEADERS, location: `${CONSOLE_PATH}/`,
      'set-cookie': `${SESSION_COOKIE}=${this.#auth.session}; Path=${CONSOLE_PATH}; HttpOnly; SameSite=Strict${secure}`,
    });
    res.end();
  }
}

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fleetward console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${CONSOLE_PATH}/assets/app.css">
<script type="module" src="${CONSOLE_PATH}/assets/app.js"></script>
</head>
<body>
<noscript>The Fleetward console needs JavaScript; <code>fleetward status</code> shows the same figures.</noscript>
<div id="app"></div>
</body>
</html>
`;

function loginPage(error: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Fleetward console</title><link rel="icon" href="data:,"><link rel="stylesheet" href="${CONSOLE_PATH}/assets/app.css"></head>
<body><main class="login">
<h1>Fleetward console</h1>
<form method="post" action="${CONSOLE_PATH}/login">
<label for="token">Console token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<button type="submit">Sign in</button>
</form>
<p class="hint">The token is in the file given to <code>--console-token-file</code> (on Kubernetes, the Secret named by the chart's <code>console.tokenSecret</code>).</p>
</main></body></html>
`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(data);
}

function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { ...SECURITY_HEADERS, location });
  res.end();
}

function readForm(req: IncomingMessage, max: number): Promise<URLSearchParams | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => { size += c.length; if (size <= max) chunks.push(c); else { req.destroy(); resolve(undefined); } });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}
