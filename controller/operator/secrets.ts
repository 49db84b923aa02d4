// Secrets in the operator's own namespace (the chart's Role grants nothing wider):
//   - driver credentials, read once at start (`--credentials-secret`);
//   - provisioning verification codes (seed 004), written by the provisioning step through CodeSecretStore.
//     Codes never reach status, logs or git: status holds only their hash (controller/provisioning);
//   - provisioning batch statuses (per device state, code hash and expiry), through ProvisioningStatusStore,
//     so that a new leader carries on with the codes already handed out instead of issuing new ones.
import { registerSecret } from '../util/redact.ts';
import type { V1Secret } from '@kubernetes/client-node';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { BatchCodes, CodeSecretStore } from '../provisioning/secrets.ts';
import type { ProvisioningBatchStatus, ProvisioningStatusStore } from '../provisioning/status.ts';
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

/**
 * Provisioning codes in one Secret: one data key per batch (its name), holding that batch's codes as JSON.
 * One Secret with a fixed name keeps the operator's RBAC to that name. A Secret holds at most 1 MiB: about
 * 7 000 devices awaiting activation at once.
 */
export class KubernetesCodeSecretStore implements CodeSecretStore {
  readonly #client: KubeClient;
  readonly #namespace: string;
  readonly #name: string;

  constructor(client: KubeClient, namespace: string, name: string) {
    this.#client = client;
    this.#namespace = namespace;
    this.#name = name;
  }

  async load(batch: string): Promise<BatchCodes> {
    const secret = await this.#client.readSecret(this.#namespace, this.#name);
    const raw = secret?.data?.[batch];
    return raw ? JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as BatchCodes : {};
  }

  async save(batch: string, codes: BatchCodes): Promise<void> {
    const value = Object.keys(codes).length === 0 ? undefined : Buffer.from(JSON.stringify(codes));
    await setSecretKey(this.#client, this.#namespace, this.#name, batch, value, 'provisioning codes');
  }

  async batches(): Promise<string[]> {
    const secret = await this.#client.readSecret(this.#namespace, this.#name);
    return Object.keys(secret?.data ?? {}).sort();
  }
}

/**
 * Provisioning batch statuses in one Secret beside the codes' (the pod's disk dies with the leader; a new
 * leader that found no status would issue every code again, invalidating those already handed out). One
 * data key per batch, its status as gzipped JSON: no code in it, only its hash and expiry, but a Secret keeps
 * the operator's RBAC to two fixed Secret names. Gzipped, a status takes about 65 bytes per device (measured
 * on 2 000 devices awaiting activation, the code hashes being what does not compress): a Secret's 1 MiB holds
 * some 12 000 devices.
 */
export class KubernetesProvisioningStatusStore implements ProvisioningStatusStore {
  readonly #client: KubeClient;
  readonly #namespace: string;
  readonly #name: string;

  constructor(client: KubeClient, namespace: string, name: string) {
    this.#client = client;
    this.#namespace = namespace;
    this.#name = name;
  }

  async loadAll(): Promise<ProvisioningBatchStatus[]> {
    const secret = await this.#client.readSecret(this.#namespace, this.#name);
    const data = secret?.data ?? {};
    return Object.keys(data).sort().map((batch) => {
      try {
        return JSON.parse(gunzipSync(Buffer.from(data[batch]!, 'base64')).toString('utf8')) as ProvisioningBatchStatus;
      } catch (err) {
        // Failing the step beats starting afresh: a batch without status would have all its codes issued again.
        throw new Error(`provisioning status: Secret ${this.#namespace}/${this.#name} key "${batch}" is unreadable: ${(err as Error).message}`);
      }
    });
  }

  async save(status: ProvisioningBatchStatus): Promise<void> {
    await setSecretKey(this.#client, this.#namespace, this.#name, status.batch, gzipSync(JSON.stringify(status)), 'provisioning status');
  }

  async remove(batch: string): Promise<void> {
    await setSecretKey(this.#client, this.#namespace, this.#name, batch, undefined, 'provisioning status');
  }
}

/**
 * Sets one data key of a Secret (undefined: deletes it), creating the Secret when missing. Read-modify-write
 * with the resourceVersion: a concurrent writer makes the write fail with 409, and it is tried again.
 */
async function setSecretKey(client: KubeClient, namespace: string, name: string, key: string, value: Buffer | undefined, what: string): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const secret = await client.readSecret(namespace, name);
    if (!secret && value === undefined) return;
    const data = { ...(secret?.data ?? {}) };
    if (value === undefined) delete data[key];
    else data[key] = value.toString('base64');
    const body: V1Secret = {
      metadata: { name, namespace, ...(secret?.metadata?.resourceVersion ? { resourceVersion: secret.metadata.resourceVersion } : {}), labels: { 'app.kubernetes.io/managed-by': 'fleetward' } },
      type: 'Opaque',
      data,
    };
    try {
      if (secret) await client.replaceSecret(namespace, body);
      else await client.createSecret(namespace, body);
      return;
    } catch (err) {
      if (statusCode(err) !== 409) throw err;
    }
  }
  throw new Error(`${what}: Secret ${namespace}/${name} kept changing; not saved`);
}
