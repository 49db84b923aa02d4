// The operator's Source: every Fleetward object the informers hold, as one revision validated as a whole
// (the same checks `fleetward validate` runs on a directory). An invalid revision is never applied in part.
//
// Revision id: `k8s-` + a hash of each object's kind, namespace, name and generation. Status writes and
// annotation changes do not move it (they do not bump generation), so writing status does not make a new
// revision; a spec change does.
import { createHash } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { FleetwardObject, Kind, Revision } from '../api/types.ts';
import { formatConfigError } from '../sources/load.ts';
import { validateObjectsBounded } from '../sources/bounded.ts';
import type { Source, SourceResult } from '../sources/source.ts';

export const SHARD_LABEL = 'fleetward.dev/shard';
/** Flux's convention: changing this annotation asks for a reconcile now. */
export const REQUESTED_AT_ANNOTATION = 'reconcile.fleetward.dev/requestedAt';

export interface ObjectRef { kind: Kind; namespace?: string; name: string }

/**
 * Sharding (docs/kubernetes.md). Without a shard an operator manages the whole fleet: every device, every
 * object. With `--shard X` it manages the devices labelled `fleetward.dev/shard=X`, reads the unlabelled
 * objects (the shared config) and those labelled X, and writes status only on those labelled X. Either one
 * operator runs without a shard, or every operator has one.
 */
export function inShard(obj: KubernetesObject, shard: string | undefined): { reads: boolean; owns: boolean } {
  if (shard === undefined) return { reads: true, owns: true };
  const label = obj.metadata?.labels?.[SHARD_LABEL];
  return { reads: label === undefined || label === shard, owns: label === shard };
}

/** The object as Fleetward reads it: no status, no server-managed metadata. */
export function toFleetwardObject(o: KubernetesObject & { spec?: unknown }): FleetwardObject {
  const m = o.metadata ?? {};
  const metadata: Record<string, unknown> = { name: m.name };
  if (m.namespace) metadata.namespace = m.namespace;
  if (m.labels) metadata.labels = m.labels;
  if (m.annotations) {
    const kept = Object.fromEntries(Object.entries(m.annotations).filter(([k]) => k !== 'kubectl.kubernetes.io/last-applied-configuration'));
    if (Object.keys(kept).length) metadata.annotations = kept;
  }
  if (m.generation !== undefined) metadata.generation = m.generation;
  if (m.uid) metadata.uid = m.uid;
  return { apiVersion: o.apiVersion, kind: o.kind, metadata, spec: o.spec ?? {} } as unknown as FleetwardObject;
}

export interface KubernetesSourceOptions {
  /** Every cached object, of every kind. */
  objects: () => KubernetesObject[];
  /** False until every informer has listed once: until then no revision is offered. */
  synced: () => boolean;
  shard?: string;
  description: string;
}

export class KubernetesSource implements Source {
  readonly description: string;
  readonly #o: KubernetesSourceOptions;
  #kick: (() => void) | undefined;
  /** Where each object of the last loaded revision lives (status writes need the namespace). */
  #index = new Map<string, { ref: ObjectRef; owns: boolean; requestedAt?: string }>();
  /** `Kind/name` → what is wrong with it, from the last load (empty when the revision was valid). */
  #invalid = new Map<string, string[]>();

  constructor(opts: KubernetesSourceOptions) {
    this.#o = opts;
    this.description = opts.description;
  }

  async load(): Promise<SourceResult> {
    if (!this.#o.synced()) return { ok: false, reason: 'unavailable', message: 'the Kubernetes caches have not synced yet' };
    const raw = this.#o.objects();
    const index = new Map<string, { ref: ObjectRef; owns: boolean; requestedAt?: string }>();
    const objects: FleetwardObject[] = [];
    const errors: string[] = [];
    const invalid = new Map<string, string[]>();
    const blame = (key: string, message: string) => { invalid.set(key, [...(invalid.get(key) ?? []), message]); };
    const seen = new Map<string, string>();
    for (const o of raw) {
      const scope = inShard(o, this.#o.shard);
      if (!scope.reads) continue;
      const obj = toFleetwardObject(o as KubernetesObject & { spec?: unknown });
      const key = `${obj.kind}/${obj.metadata.name}`;
      const where = obj.metadata.namespace ?? '(cluster)';
      const other = seen.get(key);
      if (other !== undefined) {
        // The config is one fleet: references between objects are by name, so a name must be unique per kind.
        const message = `${key}: declared in namespace ${other} and in namespace ${where}; names must be unique per kind across the namespaces one operator watches`;
        errors.push(message);
        blame(key, message);
        continue;
      }
      seen.set(key, where);
      objects.push(obj);
      const requestedAt = o.metadata?.annotations?.[REQUESTED_AT_ANNOTATION];
      index.set(key, {
        ref: { kind: obj.kind, name: obj.metadata.name, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}) },
        owns: scope.owns,
        ...(requestedAt !== undefined ? { requestedAt } : {}),
      });
    }
    objects.sort((a, b) => (a.kind + '/' + a.metadata.name < b.kind + '/' + b.metadata.name ? -1 : 1));
    const id = revisionId(objects);
    // In the load worker, within the time and memory budgets, so /healthz and leader election keep answering.
    for (const e of await validateObjectsBounded(objects)) {
      const line = formatConfigError(e);
      errors.push(line);
      if (e.kind && e.name !== undefined) blame(`${e.kind}/${e.name}`, line);
    }
    this.#index = index;
    this.#invalid = invalid;
    if (errors.length) return { ok: false, reason: 'invalid', revisionId: id, errors };
    return { ok: true, revision: { id, objects } };
  }

  /** The namespace and ownership of an object of the last loaded revision. */
  lookup(kind: string, name: string): { ref: ObjectRef; owns: boolean; requestedAt?: string } | undefined {
    return this.#index.get(`${kind}/${name}`);
  }

  /** The objects the last load found invalid, with their errors (they hold back the whole revision). */
  invalidObjects(): ReadonlyMap<string, readonly string[]> {
    return this.#invalid;
  }

  watch(kick: () => void): void {
    this.#kick = kick;
  }

  /** Called by the informers on every change. */
  changed(): void {
    this.#kick?.();
  }

  async close(): Promise<void> {
    this.#kick = undefined;
  }
}

export function revisionId(objects: readonly FleetwardObject[]): string {
  const h = createHash('sha256');
  for (const o of objects) h.update(`${o.kind}\0${o.metadata.namespace ?? ''}\0${o.metadata.name}\0${o.metadata.uid ?? ''}\0${o.metadata.generation ?? 0}\n`);
  return `k8s-${h.digest('hex').slice(0, 12)}`;
}
