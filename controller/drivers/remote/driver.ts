// The remote driver: Fleetward's client of the out-of-process driver protocol (docs/driver-protocol.openapi.yaml,
// docs/drivers.md "Writing a driver"), so a back end written in any language — a phone maker's portal, an
// in-house CMDB — plugs in over HTTP/JSON. The HTTP client is the graph driver's (bearer token re-read from
// its file on a 401, bounded concurrency, per-attempt timeouts, 429/Retry-After, 5xx retried with backoff,
// one Client-Request-Id for a request and its retries, the token never in an error).
import { readFileSync } from 'node:fs';
import { COMPONENTS, type DeviceOperation, type FleetDevice, type SoftwareReleaseSpec } from '../../api/types.ts';
import { DriverError, VERSION_REFUSALS, type CancelResult, type Driver, type StartOperationRequest, type StartOperationResult, type VersionRefusal } from '../driver.ts';
import { HttpClient, errorMessage, type HttpResponse, type HttpStats } from '../graph/http.ts';
import type { BackendProvisioningRecord, ProvisioningDriver, RegisterProvisioningRequest, SignInResult } from '../provisioning.ts';
import { registerSecret } from '../../util/redact.ts';

/** The protocol version this client speaks (`GET /v1/driver` → `protocol`). */
export const DRIVER_PROTOCOL = 'fleetward.dev/driver/v1';

export interface RemoteDriverOptions {
  /** Base URL of the driver; the protocol's paths (`/v1/…`) are resolved against it. */
  url: string;
  /** The bearer token, as a value … */
  token?: string;
  /** … or a file holding it (a mounted Secret), re-read when the driver answers 401. */
  tokenFile?: string;
  /** Per attempt. Default 10 000 ms. */
  timeoutMs?: number;
  /** Requests in flight at once. Default 16. */
  concurrency?: number;
  /** Retries of 429, 5xx, timeouts and network errors. Default 6. */
  maxRetries?: number;
  /** First backoff step (ms). Default 200. */
  backoffMs?: number;
  /** Items asked per page. Default 500. */
  pageSize?: number;
}

export interface DriverInfo {
  protocol: string;
  name: string;
  capabilities: { cancel: boolean; startDeadline: boolean; provisioning: boolean; test: boolean };
}

const MAX_PAGES = 100_000;

export class RemoteDriver implements Driver {
  readonly name = 'remote';
  readonly http: HttpClient;
  readonly #pageSize: number;
  readonly provisioning: ProvisioningDriver;

  constructor(o: RemoteDriverOptions) {
    let url: URL;
    try {
      url = new URL(o.url);
    } catch {
      throw new DriverError('InvalidRequest', `the remote driver URL ${JSON.stringify(o.url)} is not a URL such as http://127.0.0.1:8090`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new DriverError('InvalidRequest', `the remote driver URL ${o.url} must be http:// or https://`);
    let token = o.token;
    if (!token && o.tokenFile) {
      try {
        token = readFileSync(o.tokenFile, 'utf8').trim();
      } catch (err) {
        throw new DriverError('Unauthorized', `cannot read the remote driver's token file ${o.tokenFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    }
    if (!token) throw new DriverError('Unauthorized', `the remote driver has no token${o.tokenFile ? ` (${o.tokenFile} is empty)` : ''}: every request carries a bearer token (docs/drivers.md)`);
    registerSecret(token);
    this.http = new HttpClient({
      baseUrl: url.href,
      token,
      ...(o.tokenFile ? { tokenFile: o.tokenFile } : {}),
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
      ...(o.maxRetries !== undefined ? { maxRetries: o.maxRetries } : {}),
      ...(o.backoffMs !== undefined ? { backoffMs: o.backoffMs } : {}),
    });
    this.#pageSize = o.pageSize ?? 500;
    this.provisioning = new RemoteProvisioning(this);
  }

  /** Request counters (requests, retries, throttled, serverErrors, timeouts). */
  get stats(): HttpStats {
    return { ...this.http.stats };
  }

  /** `GET /v1/driver`: the driver's name, protocol version and capabilities; refuses what is not a Fleetward driver. */
  async describe(): Promise<DriverInfo> {
    const res = await this.http.request('GET', 'v1/driver');
    if (res.status !== 200) throw this.failure(res, 'describe the driver');
    const info = res.json as Partial<DriverInfo> | undefined;
    if (!info || typeof info.protocol !== 'string' || typeof info.name !== 'string' || typeof info.capabilities !== 'object' || info.capabilities === null) {
      throw new DriverError('Unavailable', `GET /v1/driver: not a Fleetward driver (expected {protocol, name, capabilities}; got ${res.text.slice(0, 120).replace(/\s+/g, ' ')})`);
    }
    if (info.protocol !== DRIVER_PROTOCOL) throw new DriverError('Unavailable', `GET /v1/driver: the driver speaks ${info.protocol}; this Fleetward speaks ${DRIVER_PROTOCOL}`);
    const c = info.capabilities as Partial<DriverInfo['capabilities']>;
    return { protocol: info.protocol, name: info.name, capabilities: { cancel: c.cancel === true, startDeadline: c.startDeadline === true, provisioning: c.provisioning === true, test: c.test === true } };
  }

  async inventory(): Promise<FleetDevice[]> {
    return this.list<FleetDevice>('v1/devices', 'devices', 'list devices', isDevice, 'Device');
  }

  async catalog(): Promise<SoftwareReleaseSpec[]> {
    const res = await this.http.request('GET', 'v1/releases');
    if (res.status !== 200) throw this.failure(res, 'list releases');
    const releases = (res.json as { releases?: unknown } | undefined)?.releases;
    if (!Array.isArray(releases) || !releases.every(isRelease)) throw malformed('GET /v1/releases', 'releases[] of {component, version, releasedAt, label}', res);
    return releases;
  }

  async operations(deviceId?: string): Promise<DeviceOperation[]> {
    const query = deviceId === undefined ? '' : `deviceId=${encodeURIComponent(deviceId)}`;
    return this.list<DeviceOperation>(`v1/operations${query ? `?${query}` : ''}`, 'operations', deviceId === undefined ? 'list operations' : `list operations of ${deviceId}`, isOperation, 'Operation');
  }

  async startUpdate(req: StartOperationRequest): Promise<StartOperationResult> {
    const what = `update ${req.component} on ${req.deviceId}`;
    const res = await this.http.request('POST', `${device(req.deviceId)}/updates`, {
      body: { component: req.component, version: req.version, ...(req.forced ? { forced: true } : {}), ...(req.startBy ? { startBy: req.startBy } : {}) },
      // One id for the request and all its retries: the driver answers a repeat without acting twice.
      clientRequestId: crypto.randomUUID(),
    });
    if (res.status === 409) {
      const op = (res.json as { operation?: unknown } | undefined)?.operation;
      return { accepted: false, reason: 'AlreadyInFlight', ...(isOperation(op) ? { operation: op } : {}) };
    }
    if (res.status !== 202 && res.status !== 200 && res.status !== 201) throw this.failure(res, what);
    if (!isOperation(res.json)) throw malformed(`POST /v1/devices/${req.deviceId}/updates`, 'the accepted Operation', res);
    return { accepted: true, operation: res.json };
  }

  async operation(deviceId: string, operationId: string): Promise<DeviceOperation | undefined> {
    const res = await this.http.request('GET', `${device(deviceId)}/operations/${encodeURIComponent(operationId)}`);
    if (res.status === 404 && errorCode(res) === 'OperationNotFound') return undefined;
    if (res.status !== 200) throw this.failure(res, `get operation ${operationId} of ${deviceId}`);
    if (!isOperation(res.json)) throw malformed(`GET /v1/devices/${deviceId}/operations/${operationId}`, 'an Operation', res);
    return res.json;
  }

  async cancel(deviceId: string, operationId: string): Promise<CancelResult | undefined> {
    const what = `cancel operation ${operationId} of ${deviceId}`;
    const res = await this.http.request('POST', `${device(deviceId)}/operations/${encodeURIComponent(operationId)}/cancel`, { clientRequestId: crypto.randomUUID() });
    if (res.status === 404 && errorCode(res) === 'OperationNotFound') return undefined;
    if (res.status === 409) {
      const op = (res.json as { operation?: unknown } | undefined)?.operation;
      if (!isOperation(op)) throw malformed(what, 'a 409 NotCancellable with the operation', res);
      return { cancelled: false, reason: 'AlreadyStarted', operation: op };
    }
    if (res.status === 501) throw new DriverError('InvalidRequest', `${what}: the driver cannot cancel (${this.http.redact(errorMessage(res))})`);
    if (res.status !== 200) throw this.failure(res, what);
    if (!isOperation(res.json)) throw malformed(what, 'the cancelled Operation', res);
    return { cancelled: true, operation: res.json };
  }

  async runDiagnostics(deviceId: string): Promise<DeviceOperation> {
    const what = `run diagnostics on ${deviceId}`;
    const res = await this.http.request('POST', `${device(deviceId)}/diagnostics`, { clientRequestId: crypto.randomUUID() });
    if (res.status !== 202 && res.status !== 200 && res.status !== 201) throw this.failure(res, what);
    if (!isOperation(res.json)) throw malformed(`POST /v1/devices/${deviceId}/diagnostics`, 'the diagnostics Operation', res);
    return res.json;
  }

  async readLogs(operation: DeviceOperation): Promise<string | undefined> {
    if (!operation.logsUrl) return undefined;
    let url: URL;
    try {
      url = this.http.resolve(operation.logsUrl);
    } catch {
      return undefined; // elsewhere: not ours to fetch with this token
    }
    const res = await this.http.request('GET', url.href, { accept: 'text/plain' });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw this.failure(res, `read logs of ${operation.id}`);
    return res.text;
  }

  async close(): Promise<void> {
    this.http.close();
  }

  // ---- shared with RemoteProvisioning ---------------------------------------------------------

  /** Every item of a paged collection (`{<key>: [...], nextPageToken}`), each checked by `valid`. */
  async list<T>(path: string, key: string, what: string, valid: (v: unknown) => v is T, shape: string): Promise<T[]> {
    const out: T[] = [];
    const seen = new Set<string>();
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const sep = path.includes('?') ? '&' : '?';
      const url = `${path}${sep}pageSize=${this.#pageSize}${token !== undefined ? `&pageToken=${encodeURIComponent(token)}` : ''}`;
      const res: HttpResponse = await this.http.request('GET', url);
      if (res.status !== 200) throw this.failure(res, what);
      const body = res.json as Record<string, unknown> | undefined;
      const items = body?.[key];
      if (!Array.isArray(items)) throw malformed(`GET /${path.split('?')[0]}`, `{${key}: [...], nextPageToken?}`, res);
      const bad = items.findIndex((i) => !valid(i));
      if (bad >= 0) throw malformed(`GET /${path.split('?')[0]}`, `${key}[${bad}] to be a ${shape} (docs/driver-protocol.openapi.yaml)`, res);
      out.push(...(items as T[]));
      const next = body?.nextPageToken;
      if (next === undefined || next === null || next === '') return out;
      if (typeof next !== 'string') throw malformed(`GET /${path.split('?')[0]}`, 'nextPageToken to be a string', res);
      if (seen.has(next)) throw new DriverError('Unavailable', `${what}: the driver sent pageToken ${JSON.stringify(next)} twice; paging would never end`);
      seen.add(next);
      token = next;
    }
    throw new DriverError('Unavailable', `${what}: more than ${MAX_PAGES} pages`);
  }

  /** The DriverError for a final non-2xx answer (a version refusal keeps its refusal code). */
  failure(res: HttpResponse, what: string): DriverError {
    const code = errorCode(res);
    if (res.status === 400 && VERSION_REFUSALS.includes(code as VersionRefusal)) {
      return new DriverError('VersionRefused', `${what}: refused: ${this.http.redact(errorMessage(res))}`, { refusal: code as VersionRefusal });
    }
    return this.http.failure(res, what);
  }
}

/** Seed 004's provisioning over the protocol's /v1/provisioning routes. */
class RemoteProvisioning implements ProvisioningDriver {
  readonly #driver: RemoteDriver;
  constructor(driver: RemoteDriver) {
    this.#driver = driver;
  }

  async register(req: RegisterProvisioningRequest): Promise<BackendProvisioningRecord> {
    const what = `register ${req.macAddress} for provisioning`;
    const res = await this.#driver.http.request('PUT', mac(req.macAddress), {
      body: { codeHash: req.codeHash, codeExpiresAt: req.codeExpiresAt, ...(req.location !== undefined ? { location: req.location } : {}) },
    });
    if (res.status !== 200 && res.status !== 201) throw this.#driver.failure(res, what);
    if (!isRecord(res.json)) throw malformed(what, 'a ProvisioningRecord', res);
    return res.json;
  }

  list(): Promise<BackendProvisioningRecord[]> {
    return this.#driver.list<BackendProvisioningRecord>('v1/provisioning/devices', 'devices', 'list provisioning records', isRecord, 'ProvisioningRecord');
  }

  async signIn(macAddress: string, user: string): Promise<SignInResult> {
    const what = `sign ${user} in on ${macAddress}`;
    const res = await this.#driver.http.request('POST', `${mac(macAddress)}/signIn`, { body: { user }, clientRequestId: crypto.randomUUID() });
    if (res.status === 409) {
      const code = errorCode(res);
      const record = (res.json as { record?: unknown } | undefined)?.record;
      if (code !== 'NotAwaitingSignIn' && code !== 'UnknownDevice') throw malformed(what, 'a 409 with error.code NotAwaitingSignIn or UnknownDevice', res);
      return { accepted: false, reason: code, ...(isRecord(record) ? { record } : {}) };
    }
    if (res.status !== 200) throw this.#driver.failure(res, what);
    if (!isRecord(res.json)) throw malformed(what, 'a ProvisioningRecord', res);
    return { accepted: true, record: res.json };
  }

  async unregister(macAddress: string): Promise<void> {
    const res = await this.#driver.http.request('DELETE', mac(macAddress));
    if (res.status !== 204 && res.status !== 200 && res.status !== 404) throw this.#driver.failure(res, `unregister ${macAddress}`);
  }
}

// ---- the protocol's shapes, checked on the way in ---------------------------------------------------

const device = (id: string) => `v1/devices/${encodeURIComponent(id)}`;
const mac = (address: string) => `v1/provisioning/devices/${encodeURIComponent(address)}`;

function errorCode(res: HttpResponse): string | undefined {
  return (res.json as { error?: { code?: unknown } } | undefined)?.error?.code as string | undefined;
}

/** A 2xx answer the protocol does not allow: the driver is broken, which is transient for Fleetward. */
function malformed(what: string, expected: string, res: HttpResponse): DriverError {
  return new DriverError('Unavailable', `${what}: the driver's answer does not follow the protocol: expected ${expected}; got ${res.status} ${res.text.slice(0, 160).replace(/\s+/g, ' ')}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';

function isDevice(v: unknown): v is FleetDevice {
  return isObject(v) && isString(v.id) && isString(v.deviceType) && isString(v.manufacturer) && isString(v.model) && isString(v.timeZone) && isObject(v.software);
}

function isRelease(v: unknown): v is SoftwareReleaseSpec {
  return isObject(v) && (COMPONENTS as readonly unknown[]).includes(v.component) && isString(v.version) && isString(v.releasedAt) && isString(v.label);
}

function isOperation(v: unknown): v is DeviceOperation {
  return isObject(v) && isString(v.id) && isString(v.deviceId) && isString(v.operationType) && isString(v.status) && isString(v.createdAt);
}

function isRecord(v: unknown): v is BackendProvisioningRecord {
  return isObject(v) && isString(v.macAddress) && isString(v.state);
}
