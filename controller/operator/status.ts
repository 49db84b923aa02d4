// Per-object status in the operator, in two plain parts (Flux kustomize-controller style: a store stores,
// publishing is a step of the pass):
//
//   OperatorStore    the state store the Reconciler is given: everything goes to the store it wraps
//                    (PostgreSQL with several replicas, controller/store/), per-object statuses included; the
//                    statuses of the last committed pass are kept for the publish step. Before this leader
//                    recorded any, the statuses read are those the objects carry on the cluster, so conditions
//                    keep their lastTransitionTime across leaders. No Kubernetes call is made here.
//   StatusPublisher  the publish step, run by the Operator after a pass is committed: PATCHes the status
//                    subresource of each owned object whose status changed (fenced: the client it is given
//                    checks the lease right before each request), and marks the objects that made the
//                    revision invalid (Ready False, Stalled True, InvalidRevision).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { KINDS, type Condition, type Kind, type Revision } from '../api/types.ts';
import type { DeviceRecord, NotificationChanges, NotificationRecords, ObjectStatus, ProvisioningBatchStatus, RunStatus } from '../store/records.ts';
import type { StateStore } from '../store/store.ts';
import { summarize } from '../status/conditions.ts';
import { InvalidRevision } from '../reconciler/reasons.ts';
import { FencedOut } from '../reconciler/fenced.ts';
import type { Clock } from '../util/clock.ts';
import { statusCode, type KubeClient } from './kube.ts';
import type { KubernetesSource, ObjectRef } from './source.ts';
import type { OperatorMetrics } from './metrics.ts';

/** An object's status as the cluster holds it (a plain JSON object), or undefined. */
export function clusterStatus(o: KubernetesObject): Record<string, unknown> | undefined {
  if (!('status' in o)) return undefined;
  const s = o.status;
  return typeof s === 'object' && s !== null && !Array.isArray(s) ? { ...s } : undefined;
}

function isKind(k: string | undefined): k is Kind {
  return (KINDS as readonly string[]).includes(k ?? '');
}

function conditionsOf(status: Record<string, unknown> | undefined): Condition[] {
  const c = status?.conditions;
  return Array.isArray(c) ? c.filter((x): x is Condition => typeof x === 'object' && x !== null && 'type' in x) : [];
}

/** Kind/name → the status each object carries on the cluster now. */
export function clusterStatuses(objects: readonly KubernetesObject[]): Record<string, ObjectStatus> {
  const out: Record<string, ObjectStatus> = {};
  for (const o of objects) {
    const status = clusterStatus(o);
    const name = o.metadata?.name;
    if (!status || !name || !isKind(o.kind)) continue;
    out[`${o.kind}/${name}`] = { ...status, conditions: conditionsOf(status), kind: o.kind, name };
  }
  return out;
}

export interface OperatorStoreOptions {
  /** Where everything is stored. */
  store: StateStore;
  /** The statuses the owned objects carry on the cluster now (read until this leader recorded its own). */
  clusterStatuses: () => Record<string, ObjectStatus>;
  /** Statuses were recorded outside a pass (a provisioning run finishing): the Operator publishes them then. */
  recordedOutsidePass?: () => void;
}

export class OperatorStore implements StateStore {
  readonly #o: OperatorStoreOptions;
  readonly #inner: StateStore;
  #inPass = false;
  /** Statuses written during the pass under way: kept for publishing once it is committed. */
  #staged: Record<string, ObjectStatus> | undefined;
  #committed: Record<string, ObjectStatus> | undefined;

  constructor(opts: OperatorStoreOptions) {
    this.#o = opts;
    this.#inner = opts.store;
  }

  get description(): string { return this.#inner.description; }
  get dir(): string { return this.#inner.dir; }
  readRun(): RunStatus | undefined { return this.#inner.readRun(); }
  writeRun(run: RunStatus): boolean { return this.#inner.writeRun(run); }
  readLastGoodRevision(): Revision | undefined { return this.#inner.readLastGoodRevision(); }
  writeLastGoodRevision(rev: Revision): boolean { return this.#inner.writeLastGoodRevision(rev); }
  readDevice(id: string): DeviceRecord | undefined { return this.#inner.readDevice(id); }
  writeDevice(rec: DeviceRecord): boolean { return this.#inner.writeDevice(rec); }
  writeDevices(recs: Iterable<DeviceRecord>): number { return this.#inner.writeDevices(recs); }
  listDeviceIds(): string[] { return this.#inner.listDeviceIds(); }
  // Per-device provisioning state lives in the store; the resource's status carries a bounded summary of it.
  readProvisioning(): ProvisioningBatchStatus[] { return this.#inner.readProvisioning(); }
  writeProvisioning(status: ProvisioningBatchStatus): boolean { return this.#inner.writeProvisioning(status); }
  removeProvisioning(batch: string): boolean { return this.#inner.removeProvisioning(batch); }

  readObjects(): Record<string, ObjectStatus> {
    if (this.#staged) return this.#staged;
    if (this.#committed) return this.#committed;
    const stored = this.#inner.readObjects();
    return Object.keys(stored).length ? stored : this.#o.clusterStatuses();
  }

  writeObjects(objects: Record<string, ObjectStatus>): boolean {
    const changed = this.#inner.writeObjects(objects);
    if (this.#inPass) {
      this.#staged = objects;
    } else {
      this.#committed = objects;
      this.#o.recordedOutsidePass?.();
    }
    return changed;
  }

  /** The statuses of the last committed pass (or recorded since), for the publish step. */
  committedObjects(): Record<string, ObjectStatus> | undefined {
    return this.#committed;
  }

  readNotifications(): NotificationRecords { return this.#inner.readNotifications(); }
  writeNotifications(changes: NotificationChanges): boolean { return this.#inner.writeNotifications(changes); }

  async beginPass(): Promise<void> {
    await this.#inner.beginPass();
    this.#inPass = true;
    this.#staged = undefined;
  }
  checkpoint(): Promise<void> { return this.#inner.checkpoint(); }
  async commitPass(): Promise<void> {
    this.#inPass = false;
    const staged = this.#staged;
    this.#staged = undefined;
    await this.#inner.commitPass();
    if (staged) this.#committed = staged;
  }
  async abortPass(): Promise<void> {
    this.#inPass = false;
    this.#staged = undefined;
    await this.#inner.abortPass();
  }
  close(): Promise<void> { return this.#inner.close(); }
}

/**
 * An invalid revision is not applied (the last good one stays in force), and the objects that made it
 * invalid say so: Ready False and Stalled True with reason InvalidRevision and the errors, until fixed. The
 * conditions build on what the object carries on the cluster, so an unchanged verdict is an unchanged status.
 */
export function withInvalidRevision(
  computed: Record<string, ObjectStatus>, invalid: ReadonlyMap<string, readonly string[]>, onCluster: Record<string, ObjectStatus>, at: string,
): Record<string, ObjectStatus> {
  if (invalid.size === 0) return computed;
  const out = { ...computed };
  for (const [key, errors] of invalid) {
    const [kind, name] = key.split('/');
    if (!isKind(kind) || name === undefined) continue;
    const base = out[key] ?? onCluster[key] ?? { kind, name, conditions: [] };
    const prev = onCluster[key] ?? base;
    const message = `not applied: ${errors.slice(0, 3).join('; ')}${errors.length > 3 ? ` (and ${errors.length - 3} more)` : ''}. The last valid revision stays in force.`;
    out[key] = { ...base, conditions: summarize(prev.conditions, { ready: false, reason: InvalidRevision, message, stalled: true }, at, base.observedGeneration) };
  }
  return out;
}

export interface StatusPublisherOptions {
  /** Fenced: each PATCH is checked against the lease right before it is sent. */
  client: KubeClient;
  source: KubernetesSource;
  /** The owned objects as the informers hold them now. */
  objects: () => KubernetesObject[];
  clock: Clock;
  logger: Logger;
  metrics?: OperatorMetrics;
  fieldManager?: string;
}

export class StatusPublisher {
  readonly #o: StatusPublisherOptions;
  /** Kind/name → the status body last sent: a PATCH happens only when it differs (from it, or from the cluster's). */
  readonly #sent = new Map<string, string>();

  constructor(opts: StatusPublisherOptions) {
    this.#o = opts;
  }

  /** PATCHes every owned object whose status changed; returns how many were written. FencedOut stops it. */
  async publish(computed: Record<string, ObjectStatus>): Promise<number> {
    const onCluster = clusterStatuses(this.#o.objects());
    const objects = withInvalidRevision(computed, this.#o.source.invalidObjects(), onCluster, this.#o.clock.now().toISOString());
    let written = 0;
    for (const [key, status] of Object.entries(objects)) {
      const where = this.#o.source.lookup(status.kind, status.name);
      if (!where?.owns) continue;
      const { kind: _k, name: _n, ...body } = status;
      if (where.requestedAt !== undefined) body.lastHandledReconcileAt = where.requestedAt;
      const text = JSON.stringify(body);
      const cluster = onCluster[key];
      const previous = this.#sent.get(key) ?? (cluster ? JSON.stringify(withoutKey(cluster)) : undefined);
      if (previous === text) continue;
      if (await this.#patch(key, where.ref, body, previous, text)) written++;
    }
    return written;
  }

  async #patch(key: string, ref: ObjectRef, body: Record<string, unknown>, previous: string | undefined, text: string): Promise<boolean> {
    // A merge patch keeps fields it does not mention: fields that disappeared are sent as null.
    const patch: Record<string, unknown> = { ...body };
    if (previous) for (const k of Object.keys(JSON.parse(previous) as object)) if (!(k in patch)) patch[k] = null;
    try {
      await this.#o.client.patchStatus(ref, { status: patch }, this.#o.fieldManager ?? 'fleetward-operator');
      this.#sent.set(key, text);
      this.#o.metrics?.statusWrites.inc({ result: 'written' });
      this.#o.logger.debug({ object: key }, 'status written');
      return true;
    } catch (err) {
      if (err instanceof FencedOut) throw err;
      const code = statusCode(err);
      this.#o.metrics?.statusWrites.inc({ result: code === 404 ? 'gone' : 'failed' });
      // 404: deleted meanwhile. Anything else: the next pass tries again (nothing is recorded as sent).
      if (code !== 404) this.#o.logger.warn({ object: key, err: (err as Error).message }, 'status write failed');
      return false;
    }
  }
}

/** A cluster status as a status body: without the kind/name keys clusterStatuses adds. */
function withoutKey(s: ObjectStatus): Record<string, unknown> {
  const { kind: _k, name: _n, ...body } = s;
  return body;
}
