// Secrets in the operator's own namespace (the chart's Role grants nothing wider):
//   - driver credentials, read once at start (`--credentials-secret`);
//   - provisioning verification codes (seed 004), written by the provisioning step through CodeSecretStore.
//     Codes never reach status, logs or git: status holds only their hash (controller/provisioning).
import type { V1Secret } from '@kubernetes/client-node';
import type { BatchCodes, CodeSecretStore } from '../provisioning/secrets.ts';
import { statusCode, type KubeClient } from './kube.ts';

/** Secret keys → the environment the graph driver reads. */
const CREDENTIAL_KEYS: Record<string, string> = {
  token: 'FLEETWARD_GRAPH_TOKEN',
  url: 'FLEETWARD_GRAPH_URL',
};

export async function credentialsEnv(client: KubeClient, namespace: string, name: string): Promise<Record<string, string>> {
  const secret = await client.readSecret(namespace, name);
  if (!secret) throw new Error(`driver credentials: Secret ${namespace}/${name} not found`);
  const env: Record<string, string> = {};
  for (const [key, variable] of Object.entries(CREDENTIAL_KEYS)) {
    const value = secret.data?.[key];
    if (value !== undefined) env[variable] = Buffer.from(value, 'base64').toString('utf8').trim();
  }
  if (!env.FLEETWARD_GRAPH_TOKEN) throw new Error(`driver credentials: Secret ${namespace}/${name} has no key "token"`);
  return env;
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
    // Read-modify-write with the resourceVersion: a concurrent writer makes this fail with 409, and retry.
    for (let attempt = 0; attempt < 5; attempt++) {
      const secret = await this.#client.readSecret(this.#namespace, this.#name);
      const data = { ...(secret?.data ?? {}) };
      if (Object.keys(codes).length === 0) delete data[batch];
      else data[batch] = Buffer.from(JSON.stringify(codes)).toString('base64');
      const body: V1Secret = {
        metadata: { name: this.#name, namespace: this.#namespace, ...(secret?.metadata?.resourceVersion ? { resourceVersion: secret.metadata.resourceVersion } : {}), labels: { 'app.kubernetes.io/managed-by': 'fleetward' } },
        type: 'Opaque',
        data,
      };
      try {
        if (secret) await this.#client.replaceSecret(this.#namespace, body);
        else await this.#client.createSecret(this.#namespace, body);
        return;
      } catch (err) {
        if (statusCode(err) !== 409) throw err;
      }
    }
    throw new Error(`provisioning codes: Secret ${this.#namespace}/${this.#name} kept changing; not saved`);
  }

  async batches(): Promise<string[]> {
    const secret = await this.#client.readSecret(this.#namespace, this.#name);
    return Object.keys(secret?.data ?? {}).sort();
  }
}
