// The graph driver: speaks Microsoft Graph beta `teamwork/devices` (seed 003) — or the simulator's copy
// of it — over HTTP. Credentials come from the environment or a secret file and are never logged.
// A 409 on updateSoftware means "already in flight" (docs/design.md section 1), not an error.
import { randomUUID } from 'node:crypto';
import type { DeviceOperation, FleetDevice, SoftwareReleaseSpec } from '../../api/types.ts';
import { IN_FLIGHT_STATUSES } from '../../api/types.ts';
import { DriverError, VERSION_REFUSALS, type Driver, type StartOperationRequest, type StartOperationResult, type VersionRefusal } from '../driver.ts';
import { HttpClient, errorMessage, type HttpClientOptions, type HttpResponse, type HttpStats } from './http.ts';
import { HttpProvisioningDriver } from './provisioning.ts';
import { START_BY_HEADER, fromGraphDevice, fromGraphOperation, type GraphDevice, type GraphDeviceHealth, type GraphOperation } from './shapes.ts';

export interface GraphDriverOptions extends HttpClientOptions {
  /** Devices per page asked with `$top`. Default 100. */
  pageSize?: number;
  /** Time zone of devices the back end gives none for (real Graph never does). Default UTC. */
  defaultTimeZone?: string;
}

const DEVICES = 'beta/teamwork/devices';

/**
 * The graph driver's settings as values, read from an environment: FLEETWARD_GRAPH_URL (default
 * https://graph.microsoft.com), FLEETWARD_GRAPH_TOKEN or FLEETWARD_GRAPH_TOKEN_FILE (a mounted secret;
 * re-read when the back end answers 401), FLEETWARD_GRAPH_CONCURRENCY, FLEETWARD_GRAPH_TIMEOUT_MS,
 * FLEETWARD_GRAPH_DEFAULT_TIMEZONE. Only reads: the CLI wiring (controller/cli/driver-wiring.ts) calls it
 * once with process.env and hands the values to the driver registry.
 */
export function graphOptionsFromEnv(env: NodeJS.ProcessEnv): GraphDriverOptions {
  const num = (v: string | undefined) => (v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);
  return {
    baseUrl: env.FLEETWARD_GRAPH_URL || 'https://graph.microsoft.com',
    ...(env.FLEETWARD_GRAPH_TOKEN ? { token: env.FLEETWARD_GRAPH_TOKEN } : {}),
    ...(env.FLEETWARD_GRAPH_TOKEN_FILE ? { tokenFile: env.FLEETWARD_GRAPH_TOKEN_FILE } : {}),
    ...(num(env.FLEETWARD_GRAPH_CONCURRENCY) ? { concurrency: num(env.FLEETWARD_GRAPH_CONCURRENCY) } : {}),
    ...(num(env.FLEETWARD_GRAPH_TIMEOUT_MS) ? { timeoutMs: num(env.FLEETWARD_GRAPH_TIMEOUT_MS) } : {}),
    ...(env.FLEETWARD_GRAPH_DEFAULT_TIMEZONE ? { defaultTimeZone: env.FLEETWARD_GRAPH_DEFAULT_TIMEZONE } : {}),
  };
}

export class GraphDriver implements Driver {
  readonly name = 'graph';
  readonly #http: HttpClient;
  readonly #pageSize: number;
  readonly #defaultTimeZone: string;
  /** Remote provisioning (seed 004) over the same client: `beta/teamwork/provisioning/devices`. */
  readonly provisioning: HttpProvisioningDriver;

  constructor(options: GraphDriverOptions) {
    // Paths carry the version (`beta/…`): accept a base URL given with or without it.
    this.#http = new HttpClient({ ...options, baseUrl: options.baseUrl.replace(/\/beta\/?$/, "") });
    this.provisioning = new HttpProvisioningDriver(this.#http);
    this.#pageSize = options.pageSize ?? 100;
    this.#defaultTimeZone = options.defaultTimeZone ?? 'UTC';
  }

  /** A driver configured from the environment (graphOptionsFromEnv). */
  static fromEnv(env: NodeJS.ProcessEnv, overrides: Partial<GraphDriverOptions> = {}): GraphDriver {
    return new GraphDriver({ ...graphOptionsFromEnv(env), ...overrides });
  }

  /** Request counters (requests, retries, throttled, serverErrors, timeouts). */
  get stats(): HttpStats {
    return { ...this.#http.stats };
  }

  async inventory(): Promise<FleetDevice[]> {
    const devices = await this.#list<GraphDevice>(`${DEVICES}?$top=${this.#pageSize}&$expand=health`, 'list devices');
    return Promise.all(
      devices.map(async (g) => fromGraphDevice(g, g.health ?? (await this.#health(g.id)), this.#defaultTimeZone)),
    );
  }

  async catalog(): Promise<SoftwareReleaseSpec[]> {
    const res = await this.#http.request('GET', 'beta/fleetward/releases');
    if (res.status === 404) return []; // a real tenant has no catalog endpoint: releases are committed instead
    if (res.status !== 200) throw this.#http.failure(res, 'list releases');
    return ((res.json as { value?: SoftwareReleaseSpec[] })?.value ?? []).map((r) => ({ ...r }));
  }

  async operations(deviceId?: string): Promise<DeviceOperation[]> {
    if (deviceId !== undefined) {
      const ops = await this.#list<GraphOperation>(`${this.#device(deviceId)}/operations?$top=${this.#pageSize}`, `list operations of ${deviceId}`);
      return ops.map((g) => fromGraphOperation(g, deviceId));
    }
    try {
      const ops = await this.#list<GraphOperation>(`beta/fleetward/operations?$top=999`, 'list operations');
      return ops.map((g) => fromGraphOperation(g, g.fleetward?.deviceId ?? ''));
    } catch (err) {
      if (!(err instanceof DriverError && err.code === 'DeviceNotFound')) throw err;
    }
    // A real tenant has no fleet-wide list: ask each device.
    const ids = (await this.#list<GraphDevice>(`${DEVICES}?$top=${this.#pageSize}`, 'list devices')).map((d) => d.id);
    const perDevice = await Promise.all(ids.map((id) => this.operations(id)));
    return perDevice.flat().sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async startUpdate(req: StartOperationRequest): Promise<StartOperationResult> {
    const what = `update ${req.component} on ${req.deviceId}`;
    const res = await this.#http.request('POST', `${this.#device(req.deviceId)}/updateSoftware`, {
      body: { softwareType: req.component, softwareVersion: req.version, ...(req.forced ? { fleetwardForced: true } : {}) },
      // One id for the request and all its retries: a back end that recognises it never acts twice.
      clientRequestId: randomUUID(),
      // The simulator cancels an operation not started by then; Graph has no such field and no cancel
      // action, so a real tenant ignores the header (docs/drivers.md: the reconciler reports the overrun).
      ...(req.startBy ? { headers: { [START_BY_HEADER]: req.startBy } } : {}),
    });
    if (res.status === 400) {
      // A tenant refusing the version (not released for the model, blocked, a downgrade) is a permanent
      // answer for this request: an operation failure, not something to retry.
      const code = (res.json as { error?: { code?: string } } | undefined)?.error?.code;
      if (VERSION_REFUSALS.includes(code as VersionRefusal)) {
        throw new DriverError('VersionRefused', `${what}: refused: ${this.#http.redact(errorMessage(res))}`, { refusal: code as VersionRefusal });
      }
    }
    if (res.status === 409) {
      const inFlight = await this.#inFlightUpdate(req.deviceId);
      return { accepted: false, reason: 'AlreadyInFlight', ...(inFlight ? { operation: inFlight } : {}) };
    }
    if (res.status !== 202 && res.status !== 200 && res.status !== 201) throw this.#http.failure(res, what);
    const op = await this.#acceptedOperation(res, req.deviceId, what);
    return {
      accepted: true,
      operation: { component: req.component, toVersion: req.version, ...op, ...(req.forced ? { forced: true } : {}) },
    };
  }

  async operation(deviceId: string, operationId: string): Promise<DeviceOperation | undefined> {
    const res = await this.#http.request('GET', `${this.#device(deviceId)}/operations/${encodeURIComponent(operationId)}`);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw this.#http.failure(res, `get operation ${operationId}`);
    return fromGraphOperation(res.json as GraphOperation, deviceId);
  }

  async runDiagnostics(deviceId: string): Promise<DeviceOperation> {
    const what = `run diagnostics on ${deviceId}`;
    const res = await this.#http.request('POST', `${this.#device(deviceId)}/runDiagnostics`, { clientRequestId: randomUUID() });
    if (res.status !== 202 && res.status !== 200 && res.status !== 201) throw this.#http.failure(res, what);
    return this.#acceptedOperation(res, deviceId, what);
  }

  async readLogs(operation: DeviceOperation): Promise<string | undefined> {
    if (!operation.logsUrl) return undefined;
    let url: URL;
    try {
      url = this.#http.resolve(operation.logsUrl);
    } catch {
      return undefined; // elsewhere: not ours to fetch with this token
    }
    const res = await this.#http.request('GET', url.href, { accept: 'text/plain' });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw this.#http.failure(res, `read logs of ${operation.id}`);
    return res.text;
  }

  async close(): Promise<void> {
    this.#http.close();
  }

  // ---- helpers -------------------------------------------------------------------------------

  #device(id: string): string {
    return `${DEVICES}/${encodeURIComponent(id)}`;
  }

  async #health(id: string): Promise<GraphDeviceHealth | undefined> {
    const res = await this.#http.request('GET', `${this.#device(id)}/health`);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw this.#http.failure(res, `health of ${id}`);
    return res.json as GraphDeviceHealth;
  }

  /** Every item of a paged collection, following `@odata.nextLink` (same origin only). */
  async #list<T>(first: string, what: string): Promise<T[]> {
    const out: T[] = [];
    let next: string | undefined = first;
    for (let pages = 0; next; pages++) {
      if (pages > 100_000) throw new DriverError('Unavailable', `${what}: too many pages`);
      const res: HttpResponse = await this.#http.request('GET', next);
      if (res.status !== 200) throw this.#http.failure(res, what);
      const body = res.json as { value?: T[]; '@odata.nextLink'?: string } | undefined;
      if (!body || !Array.isArray(body.value)) throw new DriverError('Unavailable', `${what}: the answer has no value[]`);
      out.push(...body.value);
      next = body['@odata.nextLink'];
    }
    return out;
  }

  /** The operation a 202 describes: from its body when the back end sends one, else from its Location. */
  async #acceptedOperation(res: HttpResponse, deviceId: string, what: string): Promise<DeviceOperation> {
    const body = res.json as GraphOperation | undefined;
    if (body && typeof body.id === 'string' && typeof body.status === 'string') return fromGraphOperation(body, deviceId);
    const location = res.headers.get('location');
    if (!location) throw new DriverError('Unavailable', `${what}: accepted without a Location header`);
    // Graph's Location is relative to its version root (`/teamwork/devices/…`).
    const path = /^https?:/.test(location) ? location : `beta/${location.replace(/^\/?(beta\/)?/, '')}`;
    const got = await this.#http.request('GET', path);
    if (got.status !== 200) throw this.#http.failure(got, `${what}: read the accepted operation`);
    return fromGraphOperation(got.json as GraphOperation, deviceId);
  }

  /** Best effort: the update a 409 refers to. */
  async #inFlightUpdate(deviceId: string): Promise<DeviceOperation | undefined> {
    try {
      const ops = await this.operations(deviceId);
      return ops.findLast((o) => o.operationType === 'softwareUpdate' && IN_FLIGHT_STATUSES.includes(o.status));
    } catch {
      return undefined;
    }
  }
}
