// The simulator's provisioning routes (seed 004): the Graph-shaped API the graph driver's provisioning client
// speaks (controller/drivers/graph/provisioning.ts lists it), served from the simulator's own provisioning
// back end (./provisioning.ts), plus two simulator-only routes that stand in for a device on site:
//
//   POST   /beta/teamwork/provisioning/devices/{mac}/activate       { code } → 200 | 400 WrongCode | 410 CodeExpired
//                                                                   | 429 LockedOut (Retry-After) | 409 | 412 FirmwareTooOld
//   POST   /beta/fleetward/provisioning/devices/{mac}/powerOn       not Graph, simulator only: { model, manufacturer?, firmwareVersion } → 204
//   POST   /beta/fleetward/provisioning/devices/{mac}/firmware      not Graph, simulator only: { firmwareVersion } → 204
//
// `activate` is the device's side: it carries a plaintext code, so no request body is ever logged.
import { normalizeMac } from '../../api/mac.ts';
import type { BackendProvisioningRecord } from '../provisioning.ts';
import { PROVISIONING_PATH } from '../graph/provisioning.ts';
import type { RouteDefinition, RouteResult } from './server.ts';
import type { ActivationResult, SimulatedProvisioningBackend } from './provisioning.ts';

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

/** The provisioning routes for the simulator server (`routes` option or `server.mount`). */
export function provisioningRoutes(backend: SimulatedProvisioningBackend): RouteDefinition[] {
  const handler = async (ctx: { req: { method?: string; url?: string }; body: unknown }): Promise<RouteResult> => {
    const path = new URL(ctx.req.url ?? '/', 'http://localhost').pathname;
    const res = await handleProvisioningRoute(backend, { method: ctx.req.method ?? 'GET', path, body: ctx.body }, () => backend.now());
    return res ?? { status: 404, body: { error: { code: 'NotFound', message: `no route ${path}` } } };
  };
  const one = `${PROVISIONING_PATH}/:mac`;
  return [
    { method: 'GET', path: PROVISIONING_PATH, handler },
    { method: 'GET', path: one, handler },
    { method: 'PUT', path: one, handler },
    { method: 'DELETE', path: one, handler },
    { method: 'POST', path: `${one}/signIn`, handler },
    // The device's side: a device being provisioned holds no admin token; the code and the rate limit guard it.
    { method: 'POST', path: `${one}/activate`, public: true, handler },
    { method: 'POST', path: `${SIMULATOR_PROVISIONING_PATH}/:mac/powerOn`, handler },
    { method: 'POST', path: `${SIMULATOR_PROVISIONING_PATH}/:mac/firmware`, handler },
  ];
}
