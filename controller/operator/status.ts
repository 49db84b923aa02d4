// The operator's status sink: per-object status goes to the Kubernetes status subresource, and only when it
// changed; the loop's own state, per-device plan and history go to the state store it wraps (PostgreSQL with
// several replicas, so a new leader carries on with the full history; controller/store/).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { KIND_NAMES } from '../api/schemas.ts';
import { API_GROUP, API_VERSION_NAME, type Kind } from '../api/types.ts';
import type { DeviceRecord, HistoryEntry, ObjectStatus, RunStatus } from '../store/records.ts';
import type { StateStore } from '../store/store.ts';
import type { Revision } from '../api/types.ts';
import type { KubeClient } from './kube.ts';
import type { KubernetesSource, ObjectRef } from './source.ts';
import type { EventRecorder } from './events.ts';
import { summarize } from '../status/conditions.ts';
import { InvalidRevision } from '../reconciler/reasons.ts';
import type { Clock } from '../util/clock.ts';

export interface KubernetesStatusStoreOptions {
  /** Where everything but per-object status goes. */
  store: StateStore;
  client: KubeClient;
  source: KubernetesSource;
  /** The objects as the informers hold them now (their current status seeds conditions after a handover). */
  objects: () => KubernetesObject[];
  events: EventRecorder;
  clock: Clock;
  logger: Logger;
  fieldManager?: string;
}

export class KubernetesStatusStore implements StateStore {
  readonly #k: KubernetesStatusStoreOptions;
  readonly #inner: StateStore;
  /** Kind/name → the status body last sent (or found on the server): a write happens only when it differs. */
  readonly #sent = new Map<string, string>();
  #pending: Promise<void>[] = [];
  #queued: (() => Promise<void>)[] = [];
  #inPass = false;
  /** Status writes that reached the API server, for tests and metrics. */
  writes = 0;
  /** Operations whose forced-update Event was already emitted by this process. */
  readonly #forcedSeen = new Set<string>();
  /** Forced-update Events of the pass under way: forgotten if the pass is aborted, so the next one sends them. */
  #forcedThisPass: string[] = [];

  constructor(opts: KubernetesStatusStoreOptions) {
    this.#k = opts;
    this.#inner = opts.store;
  }

  get description(): string { return this.#inner.description; }
  get dir(): string { return this.#inner.dir; }
  readRun(): RunStatus | undefined { return this.#inner.readRun(); }
  writeRun(run: RunStatus): boolean { return this.#inner.writeRun(run); }
  readLastGoodRevision(): Revision | undefined { return this.#inner.readLastGoodRevision(); }
  writeLastGoodRevision(rev: Revision): boolean { return this.#inner.writeLastGoodRevision(rev); }
  readDevice(id: string): DeviceRecord | undefined { return this.#inner.readDevice(id); }
  listDeviceIds(): string[] { return this.#inner.listDeviceIds(); }
  // Status patches and Events of a pass go out only once the store committed it: a pass the database refused
  // leaves no trace on the objects either (nothing half-written).
  async beginPass(): Promise<void> {
    await this.#inner.beginPass();
    this.#inPass = true;
  }
  checkpoint(): Promise<void> { return this.#inner.checkpoint(); }
  async commitPass(): Promise<void> {
    this.#inPass = false;
    const queued = this.#queued;
    const forced = this.#forcedThisPass;
    this.#queued = [];
    this.#forcedThisPass = [];
    try {
      await this.#inner.commitPass();
    } catch (err) {
      for (const id of forced) this.#forcedSeen.delete(id);
      throw err;
    }
    for (const send of queued) this.#pending.push(send());
  }
  async abortPass(): Promise<void> {
    this.#inPass = false;
    this.#queued = [];
    for (const id of this.#forcedThisPass) this.#forcedSeen.delete(id);
    this.#forcedThisPass = [];
    await this.#inner.abortPass();
  }
  /** Sends now outside a pass (a provisioning run finishing), else once the pass is committed. */
  #send(send: () => Promise<void>): void {
    if (this.#inPass) this.#queued.push(send);
    else this.#pending.push(send());
  }
  close(): Promise<void> { return this.#inner.close(); }

  /** The status each owned object carries on the server now: conditions keep their lastTransitionTime across leaders. */
  readObjects(): Record<string, ObjectStatus> {
    const out: Record<string, ObjectStatus> = {};
    for (const o of this.#k.objects()) {
      const kind = o.kind as Kind;
      const name = o.metadata?.name ?? '';
      const status = (o as { status?: Record<string, unknown> }).status;
      if (status) out[`${kind}/${name}`] = { ...status, kind, name } as ObjectStatus;
    }
    return out;
  }

  writeObjects(computed: Record<string, ObjectStatus>): boolean {
    let wrote = false;
    const objects = this.#withInvalid(computed);
    for (const [key, status] of Object.entries(objects)) {
      const where = this.#k.source.lookup(status.kind, status.name);
      if (!where?.owns) continue;
      const { kind: _k, name: _n, ...body } = status;
      if (where.requestedAt !== undefined) body.lastHandledReconcileAt = where.requestedAt;
      const text = JSON.stringify(body);
      const previous = this.#sent.get(key) ?? this.#serverStatus(where.ref);
      if (previous === text) continue;
      wrote = true;
      this.#send(() => this.#patch(key, where.ref, body, previous, text));
    }
    return wrote;
  }

  /**
   * An invalid revision is not applied (the last good one stays in force), and the objects that made it
   * invalid say so: Ready False and Stalled True with reason InvalidRevision and the errors, until fixed.
   */
  #withInvalid(objects: Record<string, ObjectStatus>): Record<string, ObjectStatus> {
    const invalid = this.#k.source.invalidObjects();
    if (invalid.size === 0) return objects;
    const out = { ...objects };
    const at = this.#k.clock.now().toISOString();
    for (const [key, errors] of invalid) {
      const [kind, name] = key.split('/') as [Kind, string];
      const prev = out[key] ?? this.readObjects()[key] ?? { kind, name, conditions: [] };
      const message = `not applied: ${errors.slice(0, 3).join('; ')}${errors.length > 3 ? ` (and ${errors.length - 3} more)` : ''}. The last valid revision stays in force.`;
      out[key] = { ...prev, conditions: summarize(prev.conditions, { ready: false, reason: InvalidRevision, message, stalled: true }, at, prev.observedGeneration) };
    }
    return out;
  }

  writeDevice(rec: DeviceRecord): boolean {
    this.#forcedEvents(rec);
    return this.#inner.writeDevice(rec);
  }
  writeDevices(recs: Iterable<DeviceRecord>): number {
    const all = [...recs];
    for (const rec of all) this.#forcedEvents(rec);
    return this.#inner.writeDevices(all);
  }

  #forcedEvents(rec: DeviceRecord): void {
    for (const h of rec.history) if (h.forced && h.issuedBy === 'fleetward') this.#forced(rec.id, h);
  }

  /** Waits for the status writes and Events of the pass. */
  async flush(): Promise<void> {
    const pending = this.#pending;
    this.#pending = [];
    await Promise.all(pending);
  }

  #serverStatus(ref: ObjectRef): string | undefined {
    const o = this.#k.objects().find((x) => x.kind === ref.kind && x.metadata?.name === ref.name && (x.metadata?.namespace ?? undefined) === ref.namespace);
    const status = (o as { status?: unknown } | undefined)?.status;
    return status === undefined ? undefined : JSON.stringify(status);
  }

  async #patch(key: string, ref: ObjectRef, body: Record<string, unknown>, previous: string | undefined, text: string): Promise<void> {
    // A merge patch keeps fields it does not mention: fields that disappeared are sent as null.
    const patch: Record<string, unknown> = { ...body };
    if (previous) for (const k of Object.keys(JSON.parse(previous) as object)) if (!(k in patch)) patch[k] = null;
    try {
      await this.#k.client.patchStatus(ref, { status: patch }, this.#k.fieldManager ?? 'fleetward-operator');
      this.#sent.set(key, text);
      this.writes++;
      this.#k.logger.debug({ object: key }, 'status written');
    } catch (err) {
      const code = (err as { code?: number }).code;
      // 404: deleted meanwhile. Anything else: the next pass tries again (nothing is recorded as sent).
      if (code !== 404) this.#k.logger.warn({ object: key, err: (err as Error).message }, 'status write failed');
    }
  }

  #forced(deviceId: string, h: HistoryEntry): void {
    if (this.#forcedSeen.has(h.operationId)) return;
    this.#forcedSeen.add(h.operationId);
    if (this.#inPass) this.#forcedThisPass.push(h.operationId);
    const su = h.softwareUpdate ? this.#k.source.lookup('SoftwareUpdate', h.softwareUpdate) : undefined;
    if (!su?.owns) return;
    this.#send(() => this.#k.events.emit(su.ref, {
      type: 'Normal',
      reason: 'ForcedUpdate',
      message: `forced ${h.component ?? 'update'} update of ${deviceId} ${h.fromVersion ?? '?'} → ${h.toVersion ?? '?'} (operation ${h.operationId}, revision ${h.revision ?? 'unknown'})`,
      // One Event per operation, whichever replica issued it: the name is derived from the operation.
      dedupKey: `forced/${h.operationId}`,
    }));
  }
}

/** The REST path of one object of a Fleetward kind. */
export function objectPath(ref: ObjectRef): string {
  const plural = KIND_NAMES[ref.kind].plural;
  const ns = ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
  return `/apis/${API_GROUP}/${API_VERSION_NAME}${ns}/${plural}/${encodeURIComponent(ref.name)}`;
}
