// Remote provisioning over HTTP, shaped like the simulator's Graph `teamwork` API (docs/design.md section 1):
// route handlers the simulator server mounts, and the ProvisioningDriver the graph driver uses to speak them.
//
//   GET    /beta/teamwork/provisioning/devices                      → { value: BackendProvisioningRecord[] }
//   PUT    /beta/teamwork/provisioning/devices/{mac}                { location?, codeHash, codeExpiresAt } → 200 record
//   DELETE /beta/teamwork/provisioning/devices/{mac}                → 204
//   POST   /beta/teamwork/provisioning/devices/{mac}/signIn         { user } → 200 record | 409 NotAwaitingSignIn | 404
//   POST   /beta/teamwork/provisioning/devices/{mac}/activate       { code } → 200 | 400 WrongCode | 410 CodeExpired
//                                                                   | 429 LockedOut (Retry-After) | 409 | 412 FirmwareTooOld
//   POST   /beta/fleetward/provisioning/devices/{mac}/powerOn       not Graph, simulator only: { model, manufacturer?, firmwareVersion } → 204
//   POST   /beta/fleetward/provisioning/devices/{mac}/firmware      not Graph, simulator only: { firmwareVersion } → 204
//
// `activate` is the device's side: it carries a plaintext code, so neither side ever logs a request body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DriverError } from '../drivers/driver.ts';
import { HttpClient, type HttpClientOptions } from '../drivers/graph/http.ts';
import { normalizeMac } from '../api/mac.ts';
import type { BackendProvisioningRecord, ProvisioningDriver, RegisterProvisioningRequest, SignInResult } from './driver.ts';
import type { ActivationResult, SimulatedProvisioningBackend } from './simulated-backend.ts';

export const PROVISIONING_PATH = '/beta/teamwork/provisioning/devices';
export const SIMULATOR_PROVISIONING_PATH = '/beta/fleetward/provisioning/devices';

export interface RouteRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Parsed JSON body (undefined when none or not JSON). */
  body?: unknown;
}
export interface RouteResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

const graphError = (status: number, code: string, message: string, headers?: Record<string, string>): RouteResponse => ({
  status, body: { error: { code, message } }, ...(headers ? { headers } : {}),
});
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optString = (v: unknown): boolean => v === undefined || typeof v === 'string';

/** Answers a provisioning request, or undefined when the path is not a provisioning route. */
export async function handleProvisioningRoute(backend: SimulatedProvisioningBackend, req: RouteRequest, now: () => Date): Promise<RouteResponse | undefined> {
  const sim = req.path.startsWith(SIMULATOR_PROVISIONING_PATH);
  const base = sim ? SIMULATOR_PROVISIONING_PATH : PROVISIONING_PATH;
  if (req.path !== base && !req.path.startsWith(base + '/')) return undefined;
  const parts = req.path.slice(base.length).split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length > 2) return undefined;
  const [macText, action] = parts;

  if (!sim && macText === undefined) {
    if (req.method !== 'GET') return graphError(405, 'MethodNotAllowed', `${req.method} is not allowed here`);
    return { status: 200, body: { value: await backend.list() } };
  }
  if (macText === undefined) return undefined;
  const mac = normalizeMac(macText);
  if (!mac) return graphError(400, 'BadRequest', 'the path must name a MAC address (AA-BB-CC-DD-EE-FF)');
  const body = req.body;

  if (sim) {
    if (req.method !== 'POST' || !isObject(body)) return graphError(400, 'BadRequest', 'POST a JSON object');
    if (action === 'powerOn') {
      if (typeof body.model !== 'string' || typeof body.firmwareVersion !== 'string' || !optString(body.manufacturer)) {
        return graphError(400, 'BadRequest', 'powerOn needs { model, firmwareVersion, manufacturer? } strings');
      }
      backend.powerOn(mac, { model: body.model, firmwareVersion: body.firmwareVersion, ...(typeof body.manufacturer === 'string' ? { manufacturer: body.manufacturer } : {}) });
      return { status: 204 };
    }
    if (action === 'firmware') {
      if (typeof body.firmwareVersion !== 'string') return graphError(400, 'BadRequest', 'firmware needs { firmwareVersion }');
      try {
        backend.setFirmware(mac, body.firmwareVersion);
      } catch (err) {
        return graphError(404, 'NotFound', (err as Error).message);
      }
      return { status: 204 };
    }
    return undefined;
  }

  if (action === undefined) {
    if (req.method === 'DELETE') {
      await backend.unregister(mac);
      return { status: 204 };
    }
    if (req.method === 'GET') {
      const rec = await backend.get(mac);
      return rec ? { status: 200, body: rec } : graphError(404, 'NotFound', `${mac} is not registered for provisioning`);
    }
    if (req.method !== 'PUT') return graphError(405, 'MethodNotAllowed', `${req.method} is not allowed here`);
    if (!isObject(body) || typeof body.codeHash !== 'string' || typeof body.codeExpiresAt !== 'string' || !optString(body.location)) {
      return graphError(400, 'BadRequest', 'PUT needs { codeHash, codeExpiresAt, location? } strings');
    }
    try {
      const rec = await backend.register({
        macAddress: mac, codeHash: body.codeHash, codeExpiresAt: body.codeExpiresAt,
        ...(typeof body.location === 'string' ? { location: body.location } : {}),
      });
      return { status: 200, body: rec };
    } catch (err) {
      return graphError(400, 'BadRequest', (err as Error).message);
    }
  }

  if (req.method !== 'POST') return graphError(405, 'MethodNotAllowed', `${req.method} is not allowed here`);
  if (action === 'signIn') {
    if (!isObject(body) || typeof body.user !== 'string' || body.user === '') return graphError(400, 'BadRequest', 'signIn needs { user }');
    const res = await backend.signIn(mac, body.user);
    if (res.accepted) return { status: 200, body: res.record };
    if (res.reason === 'UnknownDevice') return graphError(404, 'NotFound', `${mac} is not registered for provisioning`);
    return graphError(409, 'NotAwaitingSignIn', `${mac} is ${res.record?.state ?? 'not awaiting sign-in'}`);
  }
  if (action === 'activate') {
    if (!isObject(body) || typeof body.code !== 'string') return graphError(400, 'BadRequest', 'activate needs { code }');
    const res = await backend.activate(mac, body.code);
    return activationResponse(res, now());
  }
  return undefined;
}

function activationResponse(res: ActivationResult, now: Date): RouteResponse {
  if (res.activated) return { status: 200, body: res.record };
  switch (res.reason) {
    case 'WrongCode': return graphError(400, 'WrongCode', 'the verification code is not valid for this device');
    case 'CodeExpired': return graphError(410, 'CodeExpired', 'the verification code has expired; ask for a new one');
    case 'LockedOut': {
      const retry = Math.max(1, Math.ceil((Date.parse(res.retryAt!) - now.getTime()) / 1000));
      return graphError(429, 'LockedOut', `too many attempts; try again after ${res.retryAt}`, { 'Retry-After': String(retry) });
    }
    case 'AlreadyActivated': return graphError(409, 'AlreadyActivated', 'the device is already activated');
    case 'FirmwareTooOld': return graphError(412, 'FirmwareTooOld', `update the firmware to ${res.requiredFirmware} or newer first`);
    case 'NotPoweredOn': return graphError(409, 'NotPoweredOn', 'the device has not reached the back end');
    case 'UnknownDevice': return graphError(404, 'NotFound', 'unknown device');
  }
}

/** Maps an HTTP activation answer back to the in-process result shape (for the device side of tests). */
export function activationResultFrom(status: number, body: unknown, headers: Headers): ActivationResult {
  if (status === 200) return { activated: true, record: body as BackendProvisioningRecord };
  const code = (body as { error?: { code?: string } })?.error?.code;
  const reasons = ['WrongCode', 'CodeExpired', 'LockedOut', 'AlreadyActivated', 'FirmwareTooOld', 'NotPoweredOn'] as const;
  const reason = reasons.find((r) => r === code) ?? 'UnknownDevice';
  const retry = headers.get('retry-after');
  return { activated: false, reason, ...(reason === 'LockedOut' && retry ? { retryAt: retry } : {}) };
}

// ---- the client: a ProvisioningDriver over that API ----------------------------------------------

/** The graph driver's HTTP client (controller/drivers/graph/http.ts) fits: bearer auth, retries, Retry-After. */
export interface ProvisioningTransport {
  request(method: string, path: string, options?: { body?: unknown; clientRequestId?: string }): Promise<{ status: number; json?: unknown; text: string }>;
}

const API = PROVISIONING_PATH.slice(1);

export class HttpProvisioningDriver implements ProvisioningDriver {
  readonly #http: ProvisioningTransport;

  constructor(http: ProvisioningTransport) {
    this.#http = http;
  }

  /** Over a fresh graph HTTP client, for callers that have only a URL and a token. */
  static fromUrl(baseUrl: string, token: string, options: Partial<HttpClientOptions> = {}): HttpProvisioningDriver {
    return new HttpProvisioningDriver(new HttpClient({ ...options, baseUrl: baseUrl.replace(/\/beta\/?$/, ''), token }));
  }

  async register(req: RegisterProvisioningRequest): Promise<BackendProvisioningRecord> {
    const { macAddress, ...rest } = req;
    const r = await this.#http.request('PUT', `${API}/${encodeURIComponent(macAddress)}`, { body: rest });
    if (r.status !== 200) throw failure(r, `register ${macAddress} for provisioning`);
    return r.json as BackendProvisioningRecord;
  }

  async list(): Promise<BackendProvisioningRecord[]> {
    const r = await this.#http.request('GET', API);
    const value = (r.json as { value?: unknown })?.value;
    if (r.status !== 200 || !Array.isArray(value)) throw failure(r, 'list provisioning devices');
    return value as BackendProvisioningRecord[];
  }

  async signIn(macAddress: string, user: string): Promise<SignInResult> {
    const r = await this.#http.request('POST', `${API}/${encodeURIComponent(macAddress)}/signIn`, { body: { user } });
    if (r.status === 200) return { accepted: true, record: r.json as BackendProvisioningRecord };
    if (r.status === 404) return { accepted: false, reason: 'UnknownDevice' };
    if (r.status === 409) return { accepted: false, reason: 'NotAwaitingSignIn' };
    throw failure(r, `sign in ${macAddress}`);
  }

  async unregister(macAddress: string): Promise<void> {
    const r = await this.#http.request('DELETE', `${API}/${encodeURIComponent(macAddress)}`);
    if (r.status !== 204 && r.status !== 404) throw failure(r, `remove ${macAddress} from provisioning`);
  }
}

function failure(r: { status: number; json?: unknown; text: string }, what: string): DriverError {
  const e = (r.json as { error?: { code?: string; message?: string } })?.error;
  const message = `${what}: ${r.status}${e?.code ? ` ${e.code}` : ''}${e?.message ? `: ${e.message}` : ''}`;
  if (r.status === 400 || r.status === 422) return new DriverError('InvalidRequest', message);
  if (r.status === 401 || r.status === 403) return new DriverError('Unauthorized', message);
  return new DriverError('Unavailable', message);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// ---- a node:http adapter, for servers without a router of their own ------------------------------


const MAX_BODY = 64 * 1024;

/** Reads a JSON body (at most 64 KiB); undefined when empty or not JSON. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? safeJson(text) : undefined;
}

export function writeRouteResponse(res: ServerResponse, r: RouteResponse): void {
  const headers: Record<string, string> = { ...(r.headers ?? {}) };
  if (r.body !== undefined) headers['content-type'] = 'application/json';
  res.writeHead(r.status, headers);
  res.end(r.body !== undefined ? JSON.stringify(r.body) : undefined);
}

/**
 * `(req, res) => handled?`: serves the provisioning routes with bearer-token auth, and leaves any other
 * path to the caller. Never logs: an activation body holds a plaintext code.
 */
export function provisioningNodeHandler(backend: SimulatedProvisioningBackend, opts: { token?: string; now: () => Date }) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (!path.startsWith(PROVISIONING_PATH) && !path.startsWith(SIMULATOR_PROVISIONING_PATH)) return false;
    if (opts.token !== undefined && req.headers.authorization !== `Bearer ${opts.token}`) {
      writeRouteResponse(res, graphError(401, 'Unauthorized', 'a bearer token is required'));
      return true;
    }
    let body: unknown;
    try {
      body = await readJsonBody(req);
    } catch {
      writeRouteResponse(res, graphError(413, 'PayloadTooLarge', 'request body too large'));
      return true;
    }
    const r = await handleProvisioningRoute(backend, { method: req.method ?? 'GET', path, body }, opts.now);
    if (!r) return false;
    writeRouteResponse(res, r);
    return true;
  };
}
