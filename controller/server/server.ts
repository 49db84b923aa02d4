// The loop's HTTP endpoints: /healthz (the process answers), /readyz (a revision is in force and the
// driver answered the last pass), /metrics (Prometheus), and POST /hooks/git (a signed push notification
// that makes the git source fetch now). Nothing here changes state except asking for a fetch.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.ts';
import { SIGNATURE_HEADER, verifySignature } from './webhook.ts';

export interface ServerOptions {
  metrics: Metrics;
  logger: Logger;
  /** /readyz answers 200 when this returns true. */
  ready: () => boolean;
  /** Called for a correctly signed POST /hooks/git; absent when the source is not git. */
  onGitHook?: () => void;
  /** The shared secret for /hooks/git; without one every delivery is refused. Never logged. */
  webhookSecret?: string;
  /** Largest webhook body accepted. Default 1 MiB. */
  maxBodyBytes?: number;
}

export interface RunningServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function startServer(port: number, host: string, o: ServerOptions): Promise<RunningServer> {
  const server = createServer((req, res) => {
    handle(req, res, o).catch((err: unknown) => {
      o.logger.error({ err }, 'http handler failed');
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    server, port: actual,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, o: ServerOptions): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) return send(res, 200, 'ok\n');
  if (path === '/readyz' && (req.method === 'GET' || req.method === 'HEAD')) {
    return o.ready() ? send(res, 200, 'ready\n') : send(res, 503, 'not ready: no revision applied yet, or the driver did not answer\n');
  }
  if (path === '/metrics' && req.method === 'GET') {
    const body = await o.metrics.registry.metrics();
    res.writeHead(200, { 'content-type': o.metrics.registry.contentType });
    res.end(body);
    return;
  }
  if (path === '/hooks/git') {
    if (req.method !== 'POST') return send(res, 405, 'POST only\n', { allow: 'POST' });
    if (!o.onGitHook) { req.resume(); return send(res, 404, 'no git source\n'); }
    const body = await readBody(req, o.maxBodyBytes ?? 1024 * 1024);
    if (body === undefined) {
      o.metrics.webhooks.inc({ result: 'too_large' });
      return send(res, 413, 'body too large\n');
    }
    if (!o.webhookSecret) {
      o.metrics.webhooks.inc({ result: 'no_secret' });
      o.logger.warn('webhook refused: no webhook secret configured (--webhook-secret-file or FLEETWARD_WEBHOOK_SECRET)');
      return send(res, 403, 'webhooks are disabled: no secret configured\n');
    }
    if (!verifySignature(o.webhookSecret, body, req.headers[SIGNATURE_HEADER])) {
      o.metrics.webhooks.inc({ result: 'bad_signature' });
      o.logger.warn({ remote: req.socket.remoteAddress }, 'webhook refused: bad or missing X-Hub-Signature-256');
      return send(res, 401, 'bad signature\n');
    }
    o.metrics.webhooks.inc({ result: 'accepted' });
    o.logger.info('webhook accepted: fetching');
    o.onGitHook();
    return send(res, 202, 'fetch scheduled\n');
  }
  req.resume();
  send(res, 404, 'not found\n');
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
