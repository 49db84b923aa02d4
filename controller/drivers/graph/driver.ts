// The graph driver: speaks Microsoft Graph beta `teamwork/devices` (seed 003) — or the simulator's copy
// of it — over HTTP. Credentials come from the environment or a secret file and are never logged.
// A 409 on updateSoftware means "already in flight" (docs/design.md section 1), not an error.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { registerSecret } from '../../util/redact.ts';
import type { DeviceOperation, FleetDevice, ObservedState, SoftwareReleaseSpec } from '../../api/types.ts';
import { IN_FLIGHT_STATUSES } from '../../api/types.ts';
import {
  DriverError, VERSION_REFUSALS, type Driver, type DriverRequestObserver, type StartOperationRequest, type StartOperationResult, type VersionRefusal,
} from '../driver.ts';
import { HttpClient, errorMessage, type HttpClientOptions, type HttpResponse, type HttpStats } from './http.ts';
import { HttpProvisioningDriver } from './provisioning.ts';
import { StringPool } from '../../util/intern.ts';
import { START_BY_HEADER, slimGraphDevice, fromGraphDevice, fromGraphOperation, type GraphDevice, type GraphDeviceHealth, type GraphOperation } from './shapes.ts';
import { batchGet, graphEndpoint, type BatchAnswer } from './requests.ts';
import { FirstSeen, catalogFromHealth } from './catalog.ts';
import { MsalTokenSource, type ClientCredentials } from './auth.ts';

export interface GraphDriverOptions extends HttpClientOptions {
  /** Devices per page asked with `$top`. Default 100. */
  pageSize?: number;
  /** Time zone of devices the back end gives none for (real Graph never does). Default UTC. */
  defaultTimeZone?: string;
  /**
   * Told of every request sent (and of every sub-request of a `$batch`), for the metrics registry:
   * `Metrics.driverRequestObserver('graph')`.
   */
  onRequest?: DriverRequestObserver;
  /**
   * Where the catalog built from device health keeps when it first saw each version (its `releasedAt`), so a
   * restart does not start deferrals again. Without it, first sight is kept in memory only.
   */
  catalogFile?: string;
  /** The instant a version is first seen at. Default the wall clock. */
  now?: () => Date;
  /**
   * OAuth 2.0 client credentials (an app registration's secret or certificate) instead of a static token:
   * tokens for `<base URL origin>/.default` come from the identity provider and are renewed before expiry.
   */
  clientCredentials?: ClientCredentials;
}

const DEVICES = 'beta/teamwork/devices';
/** The largest page the fleet-wide operations list is asked for (the simulator's, and a protocol driver's, maximum). */
const OPERATIONS_PAGE = 999;

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
    ...(env.FLEETWARD_GRAPH_CA_FILE ? { ca: readCredentialFile('FLEETWARD_GRAPH_CA_FILE', env.FLEETWARD_GRAPH_CA_FILE, false) } : {}),
  };
}

/**
 * Client credentials from an environment, or undefined when it names no client id: FLEETWARD_GRAPH_TENANT_ID,
 * FLEETWARD_GRAPH_CLIENT_ID, and FLEETWARD_GRAPH_CLIENT_SECRET(_FILE) or FLEETWARD_GRAPH_CERTIFICATE_FILE +
 * FLEETWARD_GRAPH_PRIVATE_KEY_FILE (PEM), optionally FLEETWARD_GRAPH_AUTHORITY_HOST. Files are read now and
 * their secrets registered with the redactor; what is missing is for credentialsProblem to name.
 */
export function clientCredentialsFromEnv(env: NodeJS.ProcessEnv): Partial<ClientCredentials> | undefined {
  if (!env.FLEETWARD_GRAPH_CLIENT_ID) return undefined;
  const secret = env.FLEETWARD_GRAPH_CLIENT_SECRET
    ?? (env.FLEETWARD_GRAPH_CLIENT_SECRET_FILE ? readCredentialFile('FLEETWARD_GRAPH_CLIENT_SECRET_FILE', env.FLEETWARD_GRAPH_CLIENT_SECRET_FILE, true) : undefined);
  return {
    clientId: env.FLEETWARD_GRAPH_CLIENT_ID,
    ...(env.FLEETWARD_GRAPH_TENANT_ID ? { tenantId: env.FLEETWARD_GRAPH_TENANT_ID } : {}),
    ...(secret ? { clientSecret: registerSecret(secret) } : {}),
    ...(env.FLEETWARD_GRAPH_CERTIFICATE_FILE ? { certificate: readCredentialFile('FLEETWARD_GRAPH_CERTIFICATE_FILE', env.FLEETWARD_GRAPH_CERTIFICATE_FILE, false) } : {}),
    ...(env.FLEETWARD_GRAPH_PRIVATE_KEY_FILE ? { privateKey: readCredentialFile('FLEETWARD_GRAPH_PRIVATE_KEY_FILE', env.FLEETWARD_GRAPH_PRIVATE_KEY_FILE, true) } : {}),
    ...(env.FLEETWARD_GRAPH_AUTHORITY_HOST ? { authorityHost: env.FLEETWARD_GRAPH_AUTHORITY_HOST } : {}),
  };
}

/** A credential file's text; a secret one is registered with the redactor as it is read. */
function readCredentialFile(variable: string, file: string, secret: boolean): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new DriverError('Unauthorized', `${variable} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return secret ? registerSecret(text) : text;
}

export class GraphDriver implements Driver {
  readonly name = 'graph';
  readonly #http: HttpClient;
  readonly #pageSize: number;
  readonly #defaultTimeZone: string;
  readonly #onRequest: DriverRequestObserver | undefined;
  readonly #firstSeen: FirstSeen;
  /** Versions, models, zones and labels repeat across the fleet: one copy each, kept across passes (util/intern.ts). */
  readonly #strings = new StringPool();
  /** Routes a real tenant does not have, remembered once answered 404 so no pass asks again. */
  #noFleetOperations = false;
  #noReleases = false;
  /** Remote provisioning (seed 004) over the same client: `beta/teamwork/provisioning/devices`. */
  readonly provisioning: HttpProvisioningDriver;

  constructor(options: GraphDriverOptions) {
    const onRequest = options.onRequest;
    // Paths carry the version (`beta/…`): accept a base URL given with or without it.
    const baseUrl = options.baseUrl.replace(/\/beta\/?$/, "");
    const tokenSource = options.clientCredentials
      ? new MsalTokenSource(options.clientCredentials, {
        scope: `${new URL(baseUrl).origin}/.default`,
        ...(options.ca ? { ca: options.ca } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}), ...(onRequest ? { onRequest } : {}),
      })
      : undefined;
    this.#http = new HttpClient({
      ...options, baseUrl, ...(tokenSource ? { tokenSource } : {}),
      ...(onRequest ? { onAttempt: (method: string, url: URL, code: string) => onRequest({ operation: graphEndpoint(method, url.pathname), code }) } : {}),
    });
    this.#onRequest = onRequest;
    this.provisioning = new HttpProvisioningDriver(this.#http);
    this.#pageSize = options.pageSize ?? 100;
    this.#defaultTimeZone = options.defaultTimeZone ?? 'UTC';
    this.#firstSeen = new FirstSeen({ ...(options.catalogFile ? { file: options.catalogFile } : {}), ...(options.now ? { now: options.now } : {}) });
  }

  /** A driver configured from the environment (graphOptionsFromEnv). */
  static fromEnv(env: NodeJS.ProcessEnv, overrides: Partial<GraphDriverOptions> = {}): GraphDriver {
    return new GraphDriver({ ...graphOptionsFromEnv(env), ...overrides });
  }

  /** Request counters (requests, retries, throttled, serverErrors, timeouts). */
  get stats(): HttpStats {
    return { ...this.#http.stats };
  }

  /**
   * One pass's reads, each once, in pages and batches (docs/drivers.md "Requests per pass"): operations
   * first (the fleet-wide list, or each device's through `$batch`), then the devices with their health
   * (expanded in the list, or through `$batch`), then the catalog (its route, or built from that health).
   */
  async observe(): Promise<ObservedState> {
    const fleetOps = await this.#fleetOperations();
    // Without a fleet-wide list the device ids come first; health is still read after the operations.
    const listed = fleetOps ? await this.#listDevices(true) : await this.#listDevices(false);
    const operations = fleetOps ?? (await this.#operationsOf(listed.map((d) => d.id)));
    const read = await this.#withHealth(listed);
    return { operations, devices: read.map((r) => r.device), releases: await this.#catalog(read) };
  }

  async inventory(): Promise<FleetDevice[]> {
    return (await this.#withHealth(await this.#listDevices(true))).map((r) => r.device);
  }

  async catalog(): Promise<SoftwareReleaseSpec[]> {
    const served = await this.#servedCatalog();
    return served ?? this.#catalog(await this.#withHealth(await this.#listDevices(true)));
  }

  async operations(deviceId?: string): Promise<DeviceOperation[]> {
    if (deviceId !== undefined) {
      const ops = await this.#list<GraphOperation>(`${this.#device(deviceId)}/operations?$top=${this.#pageSize}`, `list operations of ${deviceId}`);
      return ops.map((g) => fromGraphOperation(g, deviceId));
    }
    return (await this.#fleetOperations()) ?? this.#operationsOf((await this.#listDevices(false)).map((d) => d.id));
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

  async #listDevices(expandHealth: boolean): Promise<GraphDevice[]> {
    return this.#list<GraphDevice>(`${DEVICES}?$top=${this.#pageSize}${expandHealth ? '&$expand=health' : ''}`, 'list devices', (g) => slimGraphDevice(g, this.#strings));
  }

  /** Every device's operations from the back end's fleet-wide list, or undefined when it has none (a real tenant). */
  async #fleetOperations(): Promise<DeviceOperation[] | undefined> {
    if (this.#noFleetOperations) return undefined;
    try {
      const ops = await this.#list<GraphOperation>(`beta/fleetward/operations?$top=${OPERATIONS_PAGE}`, 'list operations');
      return ops.map((g) => fromGraphOperation(g, g.fleetward?.deviceId ?? ''));
    } catch (err) {
      if (!(err instanceof DriverError && err.code === 'DeviceNotFound')) throw err;
      this.#noFleetOperations = true;
      return undefined;
    }
  }

  /** Each device's operations, BATCH_LIMIT devices to a request, oldest first across the fleet. */
  async #operationsOf(ids: string[]): Promise<DeviceOperation[]> {
    const paths = ids.map((id) => `/teamwork/devices/${encodeURIComponent(id)}/operations?$top=${this.#pageSize}`);
    const answers = await batchGet(this.#http, paths, 'list operations', this.#onRequest);
    const perDevice = await Promise.all(answers.map(async (a, i) => {
      const id = ids[i]!;
      if (a.status === 404) return []; // removed since it was listed
      if (a.status !== 200) throw this.#batchFailure(a, `list operations of ${id}`);
      const body = a.body as { value?: GraphOperation[]; '@odata.nextLink'?: string } | undefined;
      const ops = [...(body?.value ?? [])];
      // A device with more operations than a page: the rest page by page, as any list.
      if (body?.['@odata.nextLink']) ops.push(...(await this.#list<GraphOperation>(body['@odata.nextLink'], `list operations of ${id}`)));
      return ops.map((g) => fromGraphOperation(g, id));
    }));
    return perDevice.flat().sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** A DriverError for a final non-2xx answer inside a batch, mapped as the same answer to a request of its own. */
  #batchFailure(a: BatchAnswer, what: string): DriverError {
    return this.#http.failure({ status: a.status, headers: new Headers(), text: JSON.stringify(a.body ?? ''), json: a.body }, what);
  }

  /** Devices with their health: as the list expanded it, else through `$batch` for those without. */
  async #withHealth(listed: GraphDevice[]): Promise<{ device: FleetDevice; health: GraphDeviceHealth | undefined }[]> {
    const missing = listed.filter((g) => !g.health);
    const fetched = new Map<string, GraphDeviceHealth>();
    if (missing.length > 0) {
      const answers = await batchGet(this.#http, missing.map((g) => `/teamwork/devices/${encodeURIComponent(g.id)}/health`), 'device health', this.#onRequest);
      answers.forEach((a, i) => {
        const id = missing[i]!.id;
        if (a.status === 404) return;
        if (a.status !== 200) throw this.#batchFailure(a, `health of ${id}`);
        fetched.set(id, a.body as GraphDeviceHealth);
      });
    }
    return listed.map((g) => {
      const health = g.health ?? fetched.get(g.id);
      return { device: fromGraphDevice(g, health, this.#defaultTimeZone), health };
    });
  }

  /** The back end's catalog route, or undefined when it has none (a real tenant). */
  async #servedCatalog(): Promise<SoftwareReleaseSpec[] | undefined> {
    if (this.#noReleases) return undefined;
    const res = await this.#http.request('GET', 'beta/fleetward/releases');
    if (res.status === 404) {
      this.#noReleases = true;
      return undefined;
    }
    if (res.status !== 200) throw this.#http.failure(res, 'list releases');
    return ((res.json as { value?: SoftwareReleaseSpec[] })?.value ?? []).map((r) => ({ ...r }));
  }

  async #catalog(read: { device: FleetDevice; health: GraphDeviceHealth | undefined }[]): Promise<SoftwareReleaseSpec[]> {
    return (await this.#servedCatalog()) ?? catalogFromHealth(read, this.#firstSeen);
  }

  /** Every item of a paged list; `keep` maps each item as its page arrives (the page's parsed answer is then garbage). */
  async #list<T>(first: string, what: string, keep: (item: T) => T = (item) => item): Promise<T[]> {
    const out: T[] = [];
    let next: string | undefined = first;
    for (let pages = 0; next; pages++) {
      if (pages > 100_000) throw new DriverError('Unavailable', `${what}: too many pages`);
      const res: HttpResponse = await this.#http.request('GET', next);
      if (res.status !== 200) throw this.#http.failure(res, what);
      const body = res.json as { value?: T[]; '@odata.nextLink'?: string } | undefined;
      if (!body || !Array.isArray(body.value)) throw new DriverError('Unavailable', `${what}: the answer has no value[]`);
      for (const item of body.value) out.push(keep(item));
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
