// The simulator behind an HTTP API shaped like Microsoft Graph beta `teamwork/devices` (seed 003), so
// the graph driver is exercised over real HTTP. node:http only. Routes (all need `Authorization: Bearer`):
//
//   GET  /beta/teamwork/devices[?$top=N&$expand=health]     {value:[teamworkDevice], @odata.nextLink}
//   GET  /beta/teamwork/devices/{id}                         teamworkDevice
//   GET  /beta/teamwork/devices/{id}/health                  teamworkDeviceHealth
//   POST /beta/teamwork/devices/{id}/updateSoftware          {softwareType, softwareVersion} → 202 + Location
//                                                            (header Fleetward-Start-By: the start deadline;
//                                                            400 {error.code: VersionNotReleased | VersionBlocked |
//                                                            DowngradeRefused} when a tenant would refuse the version)
//   POST /beta/teamwork/devices/{id}/runDiagnostics          → 202 + Location (operation has fleetward.logsUrl)
//   GET  /beta/teamwork/devices/{id}/operations[?$top=N]     {value:[teamworkDeviceOperation]}
//   GET  /beta/teamwork/devices/{id}/operations/{opId}       teamworkDeviceOperation
//   POST /beta/$batch                                        Graph JSON batching: {requests:[{id, method: GET, url}]}, at
//                                                            most 20 → {responses:[{id, status, headers, body}]}
//   GET  /beta/fleetward/releases                            not Graph: the release catalog
//   GET  /beta/fleetward/operations[?$top=N]                 not Graph: every device's operations, paged
//   GET  /beta/fleetward/logs/{opId}                         not Graph: diagnostics log text
//   GET  /beta/fleetward/clock                               not Graph: {now} — the simulated instant
//
// Errors use Graph's `{error:{code,message}}`. A POST repeated with the same `client-request-id` header
// gets the first answer again (no second operation). Fault injection (429 + Retry-After, 5xx, slow
// answers) is seeded. More routes can be mounted (`routes` option, `server.mount`) — provisioning adds
// its activation and sign-in routes that way.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { timingSafeEqual } from 'node:crypto';
import { COMPONENTS, type Component } from '../../api/types.ts';
import { DriverError } from '../driver.ts';
import type { DeviceOperation, FleetDevice } from '../../api/types.ts';
import { START_BY_HEADER, toGraphDevice as graphDevice, toGraphHealth, toGraphOperation as graphOperation, type GraphError } from '../graph/shapes.ts';
import { SeededStream } from './random.ts';
import { BATCH_LIMIT } from '../graph/requests.ts';
import { identityEndpoint, type IdentityOptions } from './identity.ts';
import type { Simulator } from './simulator.ts';

export interface FaultOptions {
  /** Share of requests answered 429 with Retry-After (0–1). */
  rate429?: number;
  /** Seconds in the Retry-After header of injected 429s. Default 1. */
  retryAfterSeconds?: number;
  /** Share of requests answered 500/502/503/504 without being processed (0–1). */
  rate5xx?: number;
  /** Delay added to slow answers, after the request was processed (a client that times out has already changed state). */
  slowMs?: number;
  /** Share of requests that are slow (0–1). Default 1 when slowMs is set. */
  slowRate?: number;
  /** Seed of the fault draws. Default 7. */
  seed?: number;
}

export interface RouteContext {
  req: IncomingMessage;
  method: string;
  /** The URL path, without the query string. */
  path: string;
  /** Named segments of the route path (`:id` → params.id), URL-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body (POST/PUT/PATCH), or undefined. */
  body: unknown;
  simulator: Simulator;
  /** `http://127.0.0.1:PORT`, for absolute links. */
  baseUrl: string;
}

export interface RouteResult {
  status: number;
  /** Objects are sent as JSON; strings as text/plain. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteDefinition {
  /** `*` matches every method (the handler then answers 405 itself, or undefined). */
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | '*';
  /**
   * A path such as `/beta/teamwork/devices/:id/health` (`:name` is one segment, in `params`), or a
   * prefix ending in `/*` (`/beta/teamwork/provisioning/*` matches that folder and everything under it).
   */
  path: string;
  /** No bearer token needed (e.g. a device activating itself). Default false. */
  public?: boolean;
  /** Answers, or undefined to let the next matching route (then the built-in ones) answer. */
  handler(ctx: RouteContext): RouteResult | undefined | Promise<RouteResult | undefined>;
}

export interface SimulatorServerOptions {
  simulator: Simulator;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** The bearer token every request must carry. */
  token: string;
  faults?: FaultOptions;
  /** Extra routes, tried before the built-in ones. */
  routes?: RouteDefinition[];
  /**
   * Answer exactly as Graph documents it, without Fleetward's additions: no `fleetward` properties, no
   * `$expand`, no `/beta/fleetward/*` routes, and 202s with an empty body and a relative Location (seed 003).
   * Tests the graph driver's fallbacks for a real tenant.
   */
  strictGraph?: boolean;
  /** Serve over HTTPS with this certificate and key (PEM), e.g. signed by a CA a test generated. */
  tls?: { cert: string; key: string };
  /**
   * Also serve a Microsoft-identity-shaped token endpoint (identity.ts) for OAuth client credentials; the
   * tokens it issues are accepted beside `token`.
   */
  identity?: IdentityOptions;
}

export interface SimulatorServer {
  url: string;
  /** Access tokens the identity endpoint issued so far (0 without `identity`). */
  readonly tokensIssued: number;
  /** Revokes the identity endpoint's tokens before they expire. */
  revokeTokens(): void;
  /** Adds a route (tried before the built-in ones). */
  mount(route: RouteDefinition): void;
  close(): Promise<void>;
}

export function graphError(status: number, code: string, message: string, headers?: Record<string, string>): RouteResult {
  const body: GraphError = { error: { code, message } };
  return { status, body, ...(headers ? { headers } : {}) };
}

interface CompiledRoute extends RouteDefinition {
  re: RegExp;
  names: string[];
}

function compile(route: RouteDefinition): CompiledRoute {
  const names: string[] = [];
  if (route.path.endsWith('/*')) {
    const prefix = route.path.slice(0, -2).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return { ...route, re: new RegExp(`^${prefix}(?:/.*)?$`), names };
  }
  const pattern = route.path
    .split('/')
    .map((seg) => (seg.startsWith(':') ? (names.push(seg.slice(1)), '([^/]+)') : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return { ...route, re: new RegExp(`^${pattern}/?$`), names };
}

const PAGE_DEFAULT = 100;
/** Graph JSON batching (`POST /beta/$batch`). */
const BATCH_PATH = '/beta/$batch';
const PAGE_MAX = 999;
const BODY_LIMIT = 1 << 20;
/**
 * A body above BODY_LIMIT is read to its end and thrown away, so the client gets its 413 instead of a reset
 * connection (a client still sending when the socket closes sees only the reset). Past this much the
 * connection is cut after all: nobody may make the server read without end.
 */
const DISCARD_LIMIT = 64 << 20;

/**
 * `$top`/`$skiptoken` paging; nextLink keeps the other query parameters. `items` gives one slice and the
 * total, so a page of a 100k-device fleet costs one page.
 */
function page<T>(items: (offset: number, limit: number) => { items: T[]; total: number }, ctx: RouteContext, path: string): RouteResult {
  const top = ctx.query.has('$top') ? Number(ctx.query.get('$top')) : PAGE_DEFAULT;
  if (!Number.isInteger(top) || top < 1 || top > PAGE_MAX) return graphError(400, 'BadRequest', `$top must be an integer from 1 to ${PAGE_MAX}`);
  const skip = ctx.query.has('$skiptoken') ? Number(ctx.query.get('$skiptoken')) : 0;
  if (!Number.isInteger(skip) || skip < 0) return graphError(400, 'BadRequest', 'invalid $skiptoken');
  const { items: value, total } = items(skip, top);
  const body: Record<string, unknown> = { value };
  if (skip + top < total) {
    const next = new URLSearchParams(ctx.query);
    next.set('$top', String(top));
    next.set('$skiptoken', String(skip + top));
    body['@odata.nextLink'] = `${ctx.baseUrl}${path}?${next.toString()}`;
  }
  return { status: 200, body };
}

const slices = <T>(all: T[]) => (offset: number, limit: number) => ({ items: all.slice(offset, offset + limit), total: all.length });

function builtInRoutes(strict: boolean): RouteDefinition[] {
  const devices = '/beta/teamwork/devices';
  const opLocation = (ctx: RouteContext, deviceId: string, opId: string) =>
    `${strict ? '' : `${ctx.baseUrl}/beta`}/teamwork/devices/${encodeURIComponent(deviceId)}/operations/${encodeURIComponent(opId)}`;
  const withHealth = (ctx: RouteContext) => !strict && (ctx.query.get('$expand') ?? '').split(',').map((s) => s.trim()).includes('health');
  const toGraphDevice = (d: FleetDevice) => withoutExtension(graphDevice(d));
  const toGraphOperation = (op: DeviceOperation) => withoutExtension(graphOperation(op));
  function withoutExtension<T extends { fleetward?: unknown }>(value: T): T {
    if (!strict) return value;
    const { fleetward: _, ...rest } = value;
    return rest as T;
  }
  const accepted = (ctx: RouteContext, op: DeviceOperation): RouteResult =>
    ({ status: 202, headers: { location: opLocation(ctx, ctx.params.id!, op.id) }, ...(strict ? {} : { body: toGraphOperation(op) }) });
  const fleetwardRoutes: RouteDefinition[] = [
    {
      method: 'GET', path: '/beta/fleetward/releases',
      handler: (ctx) => ({ status: 200, body: { value: ctx.simulator.catalog() } }),
    },
    {
      method: 'GET', path: '/beta/fleetward/operations',
      handler: (ctx) => page((offset, limit) => {
        const { items, total } = ctx.simulator.operationsPage(offset, limit);
        return { items: items.map(toGraphOperation), total };
      }, ctx, '/beta/fleetward/operations'),
    },
    {
      method: 'GET', path: '/beta/fleetward/logs/:opId',
      handler(ctx) {
        const text = ctx.simulator.logs(ctx.params.opId!);
        if (text === undefined) return graphError(404, 'NotFound', `no diagnostics logs for operation ${ctx.params.opId}`);
        return { status: 200, body: text };
      },
    },
    {
      method: 'GET', path: '/beta/fleetward/clock',
      handler: (ctx) => ({ status: 200, body: { now: ctx.simulator.now().toISOString() } }),
    },
  ];
  return [
    {
      method: 'GET', path: devices,
      handler(ctx) {
        const sim = ctx.simulator;
        const now = sim.now().toISOString();
        const releases = sim.catalog();
        const expand = withHealth(ctx);
        return page((offset, limit) => {
          const { items, total } = sim.inventoryPage(offset, limit);
          return { items: items.map((d) => ({ ...toGraphDevice(d), ...(expand ? { health: toGraphHealth(d, releases, now) } : {}) })), total };
        }, ctx, devices);
      },
    },
    {
      method: 'GET', path: `${devices}/:id`,
      handler(ctx) {
        const d = ctx.simulator.device(ctx.params.id!);
        if (!d) return notFound(ctx.params.id!);
        return { status: 200, body: { ...toGraphDevice(d), ...(withHealth(ctx) ? { health: toGraphHealth(d, ctx.simulator.catalog(), ctx.simulator.now().toISOString()) } : {}) } };
      },
    },
    {
      method: 'GET', path: `${devices}/:id/health`,
      handler(ctx) {
        const d = ctx.simulator.device(ctx.params.id!);
        if (!d) return notFound(ctx.params.id!);
        return { status: 200, body: toGraphHealth(d, ctx.simulator.catalog(), ctx.simulator.now().toISOString()) };
      },
    },
    {
      method: 'POST', path: `${devices}/:id/updateSoftware`,
      async handler(ctx) {
        const body = ctx.body as { softwareType?: unknown; softwareVersion?: unknown; fleetwardForced?: unknown } | undefined;
        if (!body || typeof body !== 'object' || Array.isArray(body)) return graphError(400, 'BadRequest', 'the request body must be a JSON object {softwareType, softwareVersion}');
        if (typeof body.softwareType !== 'string' || !(COMPONENTS as readonly string[]).includes(body.softwareType)) {
          return graphError(400, 'BadRequest', `softwareType ${JSON.stringify(body.softwareType)} is not valid; valid types are: ${COMPONENTS.join(', ')}`);
        }
        if (typeof body.softwareVersion !== 'string' || body.softwareVersion === '') return graphError(400, 'BadRequest', 'softwareVersion must be a non-empty string');
        // Not Graph: the start deadline rides in a header, which a real tenant ignores (an unknown body
        // property would be a 400 there). In strict mode the simulator ignores it too, like Graph.
        const startBy = strict ? undefined : ctx.req.headers[START_BY_HEADER];
        const result = await ctx.simulator.startUpdate({
          deviceId: ctx.params.id!,
          component: body.softwareType as Component,
          version: body.softwareVersion,
          ...(body.fleetwardForced === true ? { forced: true } : {}),
          ...(typeof startBy === 'string' ? { startBy } : {}),
        });
        if (!result.accepted) {
          const e = graphError(409, 'Conflict', `an operation is already queued or in progress for device ${ctx.params.id}`);
          (e.body as GraphError).error.innerError = { operationId: result.operation?.id };
          return e;
        }
        return accepted(ctx, result.operation);
      },
    },
    {
      method: 'POST', path: `${devices}/:id/runDiagnostics`,
      async handler(ctx) {
        const op = await ctx.simulator.runDiagnostics(ctx.params.id!);
        return accepted(ctx, op);
      },
    },
    {
      method: 'GET', path: `${devices}/:id/operations`,
      handler(ctx) {
        return page(slices(ctx.simulator.operations(ctx.params.id!).map(toGraphOperation)), ctx, `${devices}/${encodeURIComponent(ctx.params.id!)}/operations`);
      },
    },
    {
      method: 'GET', path: `${devices}/:id/operations/:opId`,
      handler(ctx) {
        if (!ctx.simulator.device(ctx.params.id!)) return notFound(ctx.params.id!);
        const op = ctx.simulator.operation(ctx.params.id!, ctx.params.opId!);
        if (!op) return graphError(404, 'NotFound', `device ${ctx.params.id} has no operation ${ctx.params.opId}`);
        return { status: 200, body: toGraphOperation(op) };
      },
    },
    ...(strict ? [] : fleetwardRoutes),
  ];
}

function notFound(id: string): RouteResult {
  return graphError(404, 'NotFound', `no teamwork device ${JSON.stringify(id)}`);
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer (.+)$/i.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > DISCARD_LIMIT) req.destroy();
      else if (size <= BODY_LIMIT) chunks.push(c);
    });
    req.on('end', () => {
      if (size > BODY_LIMIT) reject(Object.assign(new Error('body too large'), { tooLarge: true }));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
    // Cut past DISCARD_LIMIT, or the client went away: no answer can be sent any more.
    req.on('close', () => { if (!req.complete) reject(Object.assign(new Error('request aborted'), { aborted: true })); });
  });
}

/**
 * Remembers the answers to POSTs by client-request-id, so a retried request does not act twice. The
 * answer is kept as a promise from the moment the first request starts, so a retry that arrives while
 * the first is still being recorded waits for that first answer instead of racing it.
 */
class ReplayCache {
  #map = new Map<string, Promise<RouteResult>>();
  readonly #max: number;
  constructor(max = 200_000) {
    this.#max = max;
  }
  get(key: string): Promise<RouteResult> | undefined {
    return this.#map.get(key);
  }
  set(key: string, value: Promise<RouteResult>): void {
    if (this.#map.size >= this.#max) this.#map.delete(this.#map.keys().next().value!);
    this.#map.set(key, value);
  }
  delete(key: string): void {
    this.#map.delete(key);
  }
}

export async function startSimulatorServer(options: SimulatorServerOptions): Promise<SimulatorServer> {
  if (!options.token) throw new Error('the simulator server needs a bearer token');
  const { simulator, token } = options;
  const faults = options.faults ?? {};
  const rng = new SeededStream(faults.seed ?? 7);
  const slowRate = faults.slowMs ? (faults.slowRate ?? 1) : 0;
  const identity = options.identity ? identityEndpoint(options.identity) : undefined;
  const extra: CompiledRoute[] = [...(options.routes ?? []), ...(identity?.routes ?? [])].map(compile);
  const authorised = (header: string | undefined) => {
    if (tokenMatches(header, token)) return true;
    const bearer = /^Bearer (.+)$/i.exec(header ?? '')?.[1];
    return bearer !== undefined && identity !== undefined && identity.accepts(bearer);
  };
  const builtIn = builtInRoutes(options.strictGraph ?? false).map(compile);
  const replays = new ReplayCache();
  let baseUrl = '';

  /** The routes that answer `method` on `pathname`, or the answer when none can (404, 405, bad encoding). */
  function match(method: string, pathname: string): { route: CompiledRoute; params: Record<string, string> }[] | RouteResult {
    const candidates: { route: CompiledRoute; params: Record<string, string> }[] = [];
    let pathKnown = false;
    for (const route of [...extra, ...builtIn]) {
      const m = route.re.exec(pathname);
      if (!m) continue;
      pathKnown = true;
      if (route.method !== method && route.method !== '*') continue;
      const params: Record<string, string> = {};
      try {
        route.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
      } catch {
        return graphError(400, 'BadRequest', `malformed percent-encoding in ${pathname}`);
      }
      candidates.push({ route, params });
    }
    if (candidates.length === 0) {
      return pathKnown ? graphError(405, 'MethodNotAllowed', `${method} is not supported on ${pathname}`) : graphError(404, 'NotFound', `no route ${pathname}`);
    }
    return candidates;
  }

  /** Injected faults, drawn per request (and per sub-request of a batch, as Graph throttles each on its own). */
  function fault(): RouteResult | undefined {
    if (faults.rate429 && rng.next() < faults.rate429) {
      return graphError(429, 'TooManyRequests', 'Too many requests (injected).', { 'retry-after': String(faults.retryAfterSeconds ?? 1) });
    }
    if (faults.rate5xx && rng.next() < faults.rate5xx) {
      const status = [500, 502, 503, 504][Math.floor(rng.next() * 4)]!;
      return graphError(status, status === 503 ? 'ServiceUnavailable' : 'InternalServerError', `Injected server error ${status}.`);
    }
    return undefined;
  }

  /**
   * Graph JSON batching: `{requests: [{id, method, url}]}` with `url` relative to the version root, at most
   * BATCH_LIMIT, answered `{responses: [{id, status, headers, body}]}`. GET sub-requests only (reads are what
   * a driver batches); each one is authorised by the batch's token and may draw its own injected fault.
   */
  async function batch(req: IncomingMessage, body: unknown): Promise<RouteResult> {
    const requests = (body as { requests?: unknown } | undefined)?.requests;
    if (!Array.isArray(requests) || requests.length === 0) return graphError(400, 'BadRequest', 'a batch needs requests: [{id, method, url}]');
    if (requests.length > BATCH_LIMIT) return graphError(400, 'BadRequest', `a batch holds at most ${BATCH_LIMIT} requests (got ${requests.length})`);
    const ids = new Set<string>();
    for (const r of requests as { id?: unknown; method?: unknown; url?: unknown }[]) {
      if (!r || typeof r.id !== 'string' || r.id === '' || typeof r.url !== 'string' || typeof r.method !== 'string') return graphError(400, 'BadRequest', 'every batch request needs a string id, method and url');
      if (ids.has(r.id)) return graphError(400, 'BadRequest', `batch request id ${JSON.stringify(r.id)} is used twice`);
      ids.add(r.id);
    }
    const responses = await Promise.all((requests as { id: string; method: string; url: string }[]).map(async (r) => {
      const answer = await (async (): Promise<RouteResult> => {
        if (r.method.toUpperCase() !== 'GET') return graphError(400, 'BadRequest', `the simulator batches GET requests only (got ${r.method})`);
        const url = new URL(`/beta/${r.url.replace(/^\//, '')}`, 'http://localhost');
        if (url.pathname === BATCH_PATH) return graphError(400, 'BadRequest', 'a batch cannot hold a batch');
        const matched = match('GET', url.pathname);
        if (!Array.isArray(matched)) return matched;
        return fault() ?? run(matched, { req, method: 'GET', path: url.pathname, query: url.searchParams, body: undefined, simulator, baseUrl });
      })();
      return { id: r.id, status: answer.status, headers: answer.headers ?? {}, ...(answer.body !== undefined ? { body: answer.body } : {}) };
    }));
    return { status: 200, body: { responses } };
  }

  async function handle(req: IncomingMessage): Promise<RouteResult> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const isBatch = url.pathname === BATCH_PATH;
    const matched = isBatch ? (method === 'POST' ? [] : graphError(405, 'MethodNotAllowed', `${method} is not supported on ${url.pathname}`)) : match(method, url.pathname);
    if (!Array.isArray(matched)) return matched;
    const candidates = matched;
    if (!(candidates[0]?.route.public ?? false) && !authorised(req.headers.authorization)) {
      return graphError(401, 'InvalidAuthenticationToken', 'Access token is empty or invalid.', { 'www-authenticate': 'Bearer' });
    }
    // Injected faults, before any processing.
    const injected = fault();
    if (injected) return injected;
    let body: unknown;
    if (method !== 'GET' && method !== 'DELETE' && method !== 'HEAD') {
      let text: string;
      try {
        text = await readBody(req);
      } catch (err) {
        if ((err as { tooLarge?: boolean }).tooLarge) return graphError(413, 'RequestEntityTooLarge', `the body is larger than ${BODY_LIMIT} bytes`);
        if ((err as { aborted?: boolean }).aborted) return graphError(400, 'BadRequest', 'the request was not received whole');
        throw err;
      }
      if (text.trim() !== '' && (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        // OAuth token requests are form-encoded (RFC 6749 section 4.4.2).
        body = Object.fromEntries(new URLSearchParams(text));
      } else if (text.trim() !== '') {
        try {
          body = JSON.parse(text);
        } catch (err) {
          return graphError(400, 'BadRequest', `malformed JSON body: ${(err as Error).message}`);
        }
      }
    }
    if (isBatch) return batch(req, body);
    const replayKey = method === 'POST' && typeof req.headers['client-request-id'] === 'string' ? `${url.pathname} ${req.headers['client-request-id']}` : undefined;
    const replay = replayKey ? replays.get(replayKey) : undefined;
    if (replay) return replay;
    const answer = run(candidates, { req, method, path: url.pathname, query: url.searchParams, body, simulator, baseUrl });
    if (replayKey) {
      replays.set(replayKey, answer);
      // Server errors are not remembered: the retry gets another chance.
      answer.then((r) => { if (r.status >= 500) replays.delete(replayKey); }, () => replays.delete(replayKey));
    }
    return answer;
  }

  async function run(candidates: { route: CompiledRoute; params: Record<string, string> }[], ctx: Omit<RouteContext, 'params'>): Promise<RouteResult> {
    for (const { route, params } of candidates) {
      let result: RouteResult | undefined;
      try {
        result = await route.handler({ ...ctx, params });
      } catch (err) {
        if (!(err instanceof DriverError)) throw err;
        if (err.code === 'DeviceNotFound') result = graphError(404, 'NotFound', err.message);
        else if (err.code === 'InvalidRequest') result = graphError(400, 'BadRequest', err.message);
        else if (err.code === 'VersionRefused') result = graphError(400, err.refusal ?? 'BadRequest', err.message);
        else if (err.code === 'Unauthorized') result = graphError(403, 'Forbidden', err.message);
        else result = graphError(503, 'ServiceUnavailable', err.message);
      }
      if (result) return result;
    }
    return graphError(404, 'NotFound', `no route ${ctx.method} ${ctx.path}`);
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    handle(req)
      .catch((err) => {
        process.stderr.write(`simulator server: ${req.method} ${req.url}: ${(err as Error)?.stack ?? err}\n`);
        return graphError(500, 'InternalServerError', 'the simulator failed on this request (see its log)');
      })
      .then(async (result) => {
        if (slowRate && rng.next() < slowRate) await new Promise((r) => setTimeout(r, faults.slowMs));
        const headers: Record<string, string> = { 'request-id': requestId, ...(result.headers ?? {}) };
        const clientRequestId = req.headers['client-request-id'];
        if (typeof clientRequestId === 'string') headers['client-request-id'] = clientRequestId;
        let payload = '';
        if (typeof result.body === 'string') {
          headers['content-type'] = 'text/plain; charset=utf-8';
          payload = result.body;
        } else if (result.body !== undefined) {
          headers['content-type'] = 'application/json';
          payload = JSON.stringify(result.body);
        }
        if (res.destroyed) return;
        res.writeHead(result.status, headers);
        res.end(payload);
      });
  };
  const server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener) : createServer(listener);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  baseUrl = `${options.tls ? 'https' : 'http'}://${host}:${addr.port}`;
  simulator.logsBaseUrl = `${baseUrl}/beta/fleetward/logs/`;
  return {
    url: baseUrl,
    get tokensIssued() {
      return identity?.issued ?? 0;
    },
    revokeTokens: () => identity?.revokeAll(),
    mount(route) {
      extra.push(compile(route));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
