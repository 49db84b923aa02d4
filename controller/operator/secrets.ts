// Secrets in the operator's own namespace (the chart's Role grants nothing wider):
//   - driver credentials, read once at start (`--credentials-secret`);
//   - provisioning verification codes (seed 004), written by the provisioning step through CodeSecretStore,
//     spread over a fixed set of Secrets (docs/adr/0007-provisioning-codes-in-split-secrets.md). Codes never
//     reach status, logs or git; the per-device provisioning state (verifier, expiry, state) lives in the
//     state store, and a new leader whose store is empty takes each device's code back from these Secrets.
import { registerSecret } from '../util/redact.ts';
import type { V1Secret } from '@kubernetes/client-node';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { BatchCodes, CodeSecretStore } from '../provisioning/secrets.ts';
import { statusCode, type KubeClient } from './kube.ts';

/**
 * The driver credentials Secret (`--credentials-secret`), every key decoded to a value: `token`, `url`, and
 * whatever else a driver takes (controller/cli/driver-wiring.ts maps keys to driver settings). Every value
 * but `url` is registered with the redactor as soon as it is read: no log line or status may carry a piece of it.
 */
export async function readCredentialsSecret(client: KubeClient, namespace: string, name: string): Promise<Record<string, string>> {
  const secret = await client.readSecret(namespace, name);
  if (!secret) throw new Error(`driver credentials: Secret ${namespace}/${name} not found`);
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret.data ?? {})) {
    values[key] = Buffer.from(value, 'base64').toString('utf8').trim();
    if (key !== 'url') registerSecret(values[key]);
  }
  return values;
}

/** Devices per data key: a part of a batch's codes, gzipped, is about 100 KiB (docs/provisioning.md "Limits"). */
export const CODES_PER_PART = 1_000;
/** What one Secret may carry, below the API server's 1 MiB with room for its metadata. */
export const SECRET_DATA_LIMIT = 900 * 1024;
/** Secrets the codes are spread over by default: `<name>`, `<name>-1` … `<name>-3`, the names the chart's Role grants. */
export const DEFAULT_CODE_SECRETS = 4;

/** The Secret names a codes store spreads over: the first is `name` itself, so one batch of a small install stays where it was. */
export function codeSecretNames(name: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i === 0 ? name : `${name}-${i}`));
}

const partKey = (batch: string, part: number): string => (part === 0 ? batch : `${batch}_${part}`);
/** The batch a data key belongs to: `paris` or `paris_2` (a batch name has no `_`: it is a DNS subdomain). */
const batchOfKey = (key: string): string => key.replace(/_\d+$/, '');

function encodePart(codes: BatchCodes): string {
  return gzipSync(JSON.stringify(codes)).toString('base64');
}
function decodePart(value: string): BatchCodes {
  const raw = Buffer.from(value, 'base64');
  // Plain JSON: written by a release before the codes were gzipped and split.
  const text = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  return JSON.parse(text) as BatchCodes;
}

/**
 * Provisioning codes spread over a fixed set of Secrets in the operator's namespace (fixed names keep the
 * operator's RBAC to those names). A batch's codes are cut into parts of CODES_PER_PART devices, gzipped
 * (about 96 bytes a device once gzipped and base64-encoded: the code, its expiry, the device's location and
 * the code's verifier, which does not compress), each part one data key (`<batch>`, `<batch>_1`, …) placed in
 * the Secret with the most room. Four Secrets hold some
 * 50,000 devices awaiting activation at once; more is refused with a message naming the setting to raise,
 * and nothing is half-written that a load would misread (a part written twice is read once).
 */
export class KubernetesCodeSecretStore implements CodeSecretStore {
  readonly #client: KubeClient;
  readonly #namespace: string;
  readonly #names: string[];

  constructor(client: KubeClient, namespace: string, name: string, opts: { secrets?: number } = {}) {
    this.#client = client;
    this.#namespace = namespace;
    this.#names = codeSecretNames(name, opts.secrets ?? DEFAULT_CODE_SECRETS);
  }

  async #readAll(): Promise<(V1Secret | undefined)[]> {
    return Promise.all(this.#names.map((n) => this.#client.readSecret(this.#namespace, n)));
  }

  async load(batch: string): Promise<BatchCodes> {
    const out: BatchCodes = {};
    for (const secret of await this.#readAll()) {
      for (const [key, value] of Object.entries(secret?.data ?? {})) {
        if (batchOfKey(key) === batch) Object.assign(out, decodePart(value));
      }
    }
    return out;
  }

  async save(batch: string, codes: BatchCodes): Promise<void> {
    const macs = Object.keys(codes).sort();
    const parts: [string, string][] = [];
    for (let i = 0; i * CODES_PER_PART < macs.length; i++) {
      const part: BatchCodes = {};
      for (const mac of macs.slice(i * CODES_PER_PART, (i + 1) * CODES_PER_PART)) part[mac] = codes[mac]!;
      parts.push([partKey(batch, i), encodePart(part)]);
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      const secrets = await this.#readAll();
      // The other batches' keys stay where they are; this batch's parts go where there is most room.
      const data = secrets.map((s) => Object.fromEntries(Object.entries(s?.data ?? {}).filter(([k]) => batchOfKey(k) !== batch)));
      const size = data.map((d) => Object.entries(d).reduce((n, [k, v]) => n + k.length + v.length, 0));
      for (const [key, value] of parts) {
        let best = -1;
        for (let i = 0; i < data.length; i++) if (size[i]! + key.length + value.length <= SECRET_DATA_LIMIT && (best < 0 || size[i]! < size[best]!)) best = i;
        if (best < 0) {
          throw new Error(`provisioning codes: the codes of ProvisioningBatch/${batch} (${macs.length} devices awaiting activation) do not fit in the ${this.#names.length} Secrets ${this.#names.join(', ')}; raise provisioning.codeSecrets (--code-secrets) or provision fewer devices at once`);
        }
        data[best]![key] = value;
        size[best]! += key.length + value.length;
      }
      // Secrets that gain a part first, then those that lose one: a crash between two writes leaves a part
      // twice (read once), never a part missing.
      const order = this.#names.map((_, i) => i).sort((a, b) => Object.keys(data[b]!).length - Object.keys(data[a]!).length);
      try {
        for (const i of order) {
          const before = secrets[i]?.data ?? {};
          if (JSON.stringify(before) === JSON.stringify(data[i])) continue;
          await writeSecret(this.#client, this.#namespace, this.#names[i]!, secrets[i], data[i]!);
        }
        return;
      } catch (err) {
        if (statusCode(err) !== 409) throw err;
      }
    }
    throw new Error(`provisioning codes: Secrets ${this.#names.join(', ')} kept changing; not saved`);
  }

  async batches(): Promise<string[]> {
    const names = new Set<string>();
    for (const secret of await this.#readAll()) for (const key of Object.keys(secret?.data ?? {})) names.add(batchOfKey(key));
    return [...names].sort();
  }
}

/** Replaces (or creates) a Secret with this data, at the resourceVersion read: a concurrent writer gets a 409. */
async function writeSecret(client: KubeClient, namespace: string, name: string, was: V1Secret | undefined, data: Record<string, string>): Promise<void> {
  const body: V1Secret = {
    metadata: { name, namespace, ...(was?.metadata?.resourceVersion ? { resourceVersion: was.metadata.resourceVersion } : {}), labels: { 'app.kubernetes.io/managed-by': 'fleetward' } },
    type: 'Opaque',
    data,
  };
  if (was) await client.replaceSecret(namespace, body);
  else await client.createSecret(namespace, body);
}

