// The loop's HTTP endpoints: /healthz (the process answers), /readyz (a revision is in force and the
// driver answered the last pass), /metrics (Prometheus), and POST /hooks/git (a signed push notification
// that makes the git source fetch now), and the read-only admin console under /ui (controller/console/,
// docs/console.md). Nothing here changes state except asking for a fetch.
//
// The webhook is reachable by anyone who can reach the port: a verified delivery seen before (same delivery
// id or same signature, within 10 minutes) answers 200 and asks for nothing; refusals are counted in the
// metric and logged at a bounded rate (refusal-log.ts); the git source coalesces and rate-limits the
// fetches that accepted deliveries ask for (sources/git.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { CONSOLE_PATH, type Console } from '../console/http.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import type { Metrics } from './metrics.ts';
import { RefusalLog } from './refusal-log.ts';
import { deliveryKeys, RecentDeliveries, SIGNATURE_HEADER, verifySignature } from './webhook.ts';

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
  /** Time for the duplicate window and the refusal summaries (wall time by default). */
  clock?: Clock;
  /** The admin console, served under /ui; absent: /ui is not found. */
  console?: Console;
}

interface HookState {
  deliveries: RecentDeliveries;
  refusals: RefusalLog;
  clock: Clock;
}

export interface RunningServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function startServer(port: number, host: string, o: ServerOptions): Promise<RunningServer> {
  const clock = o.clock ?? systemClock;
  const hooks: HookState = { deliveries: new RecentDeliveries(), refusals: new RefusalLog(o.logger, clock), clock };
  const server = createServer((req, res) => {
    handle(req, res, o, hooks).catch((err: unknown) => {
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
    close: () => new Promise<void>((resolve) => { hooks.refusals.close(); server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, o: ServerOptions, hooks: HookState): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (o.console && (path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`))) {
    return o.console.handle(req, res, path, new URLSearchParams(q < 0 ? '' : url.slice(q + 1)));
  }
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
    const remote = req.socket.remoteAddress;
    if (body === undefined) {
      o.metrics.webhooks.inc({ result: 'too_large' });
      hooks.refusals.note('too_large', `webhook refused: body larger than ${o.maxBodyBytes ?? 1024 * 1024} bytes`, remote);
      return send(res, 413, 'body too large\n');
    }
    if (!o.webhookSecret) {
      o.metrics.webhooks.inc({ result: 'no_secret' });
      hooks.refusals.note('no_secret', 'webhook refused: no webhook secret configured (--webhook-secret-file or FLEETWARD_WEBHOOK_SECRET)', remote);
      return send(res, 403, 'webhooks are disabled: no secret configured\n');
    }
    const signature = req.headers[SIGNATURE_HEADER];
    if (!verifySignature(o.webhookSecret, body, signature)) {
      o.metrics.webhooks.inc({ result: 'bad_signature' });
      hooks.refusals.note('bad_signature', 'webhook refused: bad or missing X-Hub-Signature-256', remote);
      return send(res, 401, 'bad signature\n');
    }
    if (hooks.deliveries.check(deliveryKeys(req.headers, signature as string), hooks.clock.now().getTime())) {
      o.metrics.webhooks.inc({ result: 'duplicate' });
      return send(res, 200, 'duplicate delivery: already handled\n');
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

/**
 * The body, or undefined above `max`. Past `max` the rest is read and thrown away, so the sender gets its
 * 413 rather than a reset connection; past 16 × `max` the connection is cut (resolves undefined too), so
 * nobody can keep the server reading without end.
 */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
      else if (size > 16 * max) { req.destroy(); resolve(undefined); }
    });
    req.on('end', () => resolve(size > max ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
