// The graph driver's ProvisioningDriver (controller/drivers/provisioning.ts): remote provisioning over HTTP,
// shaped like Graph's `teamwork` API (docs/design.md section 1; docs/provisioning.md "Back ends"). The
// simulator serves the same routes (controller/drivers/simulator/provisioning-routes.ts):
//
//   GET    /beta/teamwork/provisioning/devices                      → { value: BackendProvisioningRecord[] }
//   PUT    /beta/teamwork/provisioning/devices/{mac}                { location?, codeHash, codeExpiresAt } → 200 record
//   DELETE /beta/teamwork/provisioning/devices/{mac}                → 204
//   POST   /beta/teamwork/provisioning/devices/{mac}/signIn         { user } → 200 record | 409 NotAwaitingSignIn | 404
//   POST   /beta/teamwork/provisioning/devices/{mac}/activate       the device's side (never called by Fleetward)
//
// No request body is ever logged: `activate` carries a plaintext code.
import { DriverError } from '../driver.ts';
import { HttpClient, type HttpClientOptions } from './http.ts';
import type { BackendProvisioningRecord, ProvisioningDriver, RegisterProvisioningRequest, SignInResult } from '../provisioning.ts';

export const PROVISIONING_PATH = '/beta/teamwork/provisioning/devices';

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
