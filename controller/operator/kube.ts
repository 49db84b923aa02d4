// The few Kubernetes API calls the operator makes, behind one small class so the rest reads as the domain.
import {
  CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions,
  type CoreV1Event, type KubernetesListObject, type KubernetesObject, type V1Lease, type V1Secret,
} from '@kubernetes/client-node';
import { KIND_NAMES } from '../api/schemas.ts';
import { API_GROUP, API_VERSION_NAME, KINDS, type Kind } from '../api/types.ts';
import type { ObjectRef } from './source.ts';
import type { WatchTarget } from './informers.ts';
import type { Fence } from './fence.ts';

/** HTTP status of a failed call (client-node's ApiException.code), or undefined for a network error. */
export function statusCode(err: unknown): number | undefined {
  const c = (err as { code?: unknown })?.code;
  return typeof c === 'number' ? c : undefined;
}

export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault(); // KUBECONFIG, ~/.kube/config, or the in-cluster service account
  return kc;
}

export class KubeClient {
  readonly kubeConfig: KubeConfig;
  readonly #custom: CustomObjectsApi;
  readonly #core: CoreV1Api;
  readonly #coordination: CoordinationV1Api;
  /** Called right before every write but the Lease's (fencing, controller/operator/fence.ts); throws to refuse it. */
  readonly #fence: Fence | undefined;

  constructor(kc: KubeConfig, fence?: Fence) {
    this.kubeConfig = kc;
    this.#fence = fence;
    this.#custom = kc.makeApiClient(CustomObjectsApi);
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#coordination = kc.makeApiClient(CoordinationV1Api);
  }

  /** The same API server, with every write (status, Events, Secrets) checked by `fence` right before it is sent. */
  fenced(fence: Fence): KubeClient {
    return new KubeClient(this.kubeConfig, fence);
  }

  /** One watch target per kind (and per namespace when the operator is limited to some). */
  watchTargets(namespaces: readonly string[], labelSelector?: string): WatchTarget[] {
    const targets: WatchTarget[] = [];
    for (const kind of KINDS) {
      const plural = KIND_NAMES[kind].plural;
      const scopes = namespaces.length ? namespaces : [undefined];
      for (const ns of scopes) {
        const path = `/apis/${API_GROUP}/${API_VERSION_NAME}${ns ? `/namespaces/${ns}` : ''}/${plural}`;
        const common = { group: API_GROUP, version: API_VERSION_NAME, plural, ...(labelSelector ? { labelSelector } : {}) };
        const list = async (): Promise<KubernetesListObject<KubernetesObject>> => {
          const res = (ns
            ? await this.#custom.listNamespacedCustomObject({ ...common, namespace: ns })
            : await this.#custom.listClusterCustomObject(common)) as KubernetesListObject<KubernetesObject>;
          // The list of a custom resource omits apiVersion/kind on items in some servers' responses; fill them in.
          for (const item of res.items) { item.apiVersion ??= `${API_GROUP}/${API_VERSION_NAME}`; item.kind ??= kind; }
          return res;
        };
        targets.push({ name: ns ? `${plural}@${ns}` : plural, path, list, ...(labelSelector ? { labelSelector } : {}) });
      }
    }
    return targets;
  }

  async patchStatus(ref: ObjectRef, body: object, fieldManager: string): Promise<void> {
    this.#fence?.check('status');
    const plural = KIND_NAMES[ref.kind as Kind].plural;
    const opts = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const common = { group: API_GROUP, version: API_VERSION_NAME, plural, name: ref.name, body, fieldManager };
    if (ref.namespace) await this.#custom.patchNamespacedCustomObjectStatus({ ...common, namespace: ref.namespace }, opts);
    else await this.#custom.patchClusterCustomObjectStatus(common, opts);
  }

  async createEvent(namespace: string, event: CoreV1Event): Promise<void> {
    this.#fence?.check('event');
    await this.#core.createNamespacedEvent({ namespace, body: event });
  }

  async readLease(namespace: string, name: string): Promise<V1Lease | undefined> {
    try {
      return await this.#coordination.readNamespacedLease({ namespace, name });
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  }
  async createLease(namespace: string, lease: V1Lease): Promise<V1Lease> {
    return this.#coordination.createNamespacedLease({ namespace, body: lease });
  }
  /** Optimistic: fails with 409 when the lease changed since it was read (metadata.resourceVersion). */
  async replaceLease(namespace: string, lease: V1Lease): Promise<V1Lease> {
    return this.#coordination.replaceNamespacedLease({ namespace, name: lease.metadata!.name!, body: lease });
  }

  async readSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    try {
      return await this.#core.readNamespacedSecret({ namespace, name });
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  }
  async createSecret(namespace: string, secret: V1Secret): Promise<V1Secret> {
    this.#fence?.check('secret');
    return this.#core.createNamespacedSecret({ namespace, body: secret });
  }
  async replaceSecret(namespace: string, secret: V1Secret): Promise<V1Secret> {
    this.#fence?.check('secret');
    return this.#core.replaceNamespacedSecret({ namespace, name: secret.metadata!.name!, body: secret });
  }
}
