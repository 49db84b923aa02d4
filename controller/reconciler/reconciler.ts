// The reconcile pass (DESIGN.md section 1; STYLE.md "The reconciler", after Flux's kustomize-controller):
//
//   load → validate → observe → plan → act → record
//
// Level-triggered: each pass re-derives everything from the revision in force and what the driver reports
// now; nothing is carried from one pass to the next except what the state directory holds, so a restart
// (even after SIGKILL) or a missed event changes nothing. The driver's operation list is observed state:
// a device with a software update in flight is never sent another, and AlreadyInFlight is a normal answer.
// The loop holds no rule of the domain: those are the planner's.
import type { Logger } from 'pino';
import type { DeviceOperation, ObservedState, Revision } from '../api/types.ts';
import { desiredState, type DesiredState } from '../api/desired.ts';
import type { Driver } from '../drivers/driver.ts';
import type { Plan, PlannedOperation } from '../planner/types.ts';
import type { Clock } from '../util/clock.ts';
import { runStandaloneProvisioning, type StandaloneProvisioningInput } from '../provisioning/standalone.ts';
import { RESOURCE_STATUS_FIELDS, toResourceStatus, type ProvisioningBatchStatus } from '../provisioning/status.ts';
import { Finding, Reason as PlannerReason } from '../planner/reasons.ts';
import type { Source } from '../sources/source.ts';
import type { Metrics } from '../server/metrics.ts';
import {
  mergeOperation, objectKey, type DeviceRecord, type HistoryEntry, type ObjectStatus, type PendingIntent, type ProgressSummary,
  type RunStatus,
} from '../store/records.ts';
import { StoreUnavailable, type StateStore } from '../store/store.ts';
import { summarize } from '../status/conditions.ts';
import { inFlightDevices, nextStart, rolloutComplete, summarizeProgress } from './progress.ts';
import * as R from './reasons.ts';
import { isUpToDate } from '../planner/outcomes.ts';

export type PlanFn = (desired: DesiredState, observed: ObservedState, now: Date, opts?: { revision?: string }) => Plan;

export interface ReconcilerOptions {
  source: Source;
  driver: Driver;
  store: StateStore;
  clock: Clock;
  plan: PlanFn;
  logger: Logger;
  metrics?: Metrics;
  /** Rate limit: at most this many update operations started per pass; the rest are still due next pass. Default 50. */
  maxOperationsPerPass?: number;
  /** Driver calls in flight at once while acting. Default 8. */
  concurrency?: number;
  /**
   * Where the provisioning step keeps verification codes and batch statuses instead of the state directory
   * (the Kubernetes operator: codes in a Secret, never in status).
   */
  provisioningStores?: Pick<StandaloneProvisioningInput, 'secrets' | 'store'>;
}

export interface PassResult {
  at: string;
  /** The revision in force during the pass (null when none was ever valid). */
  revision: string | null;
  /** The reason written on the loop's Ready condition. */
  reason: string;
  /** What went wrong, when the pass could not even be recorded (StoreUnavailable). */
  message?: string;
  ok: boolean;
  issued: number;
  plan?: Plan;
  observed?: ObservedState;
  /** Per phase / ring counts after this pass. */
  summary?: ProgressSummary;
  /** Nothing due, running or planned any more. */
  complete: boolean;
  /** Earliest planned start after now, for the loop to wake up at. */
  nextStartAt: Date | null;
}

type Loaded = { revision: Revision | undefined; problem?: { reason: string; message: string; errors?: string[]; attempted?: string } };

export class Reconciler {
  readonly #o: Required<Omit<ReconcilerOptions, 'metrics' | 'provisioningStores'>> & Pick<ReconcilerOptions, 'metrics' | 'provisioningStores'>;
  #run: RunStatus;
  #inForce: Revision | undefined;
  #provisioning: Promise<void> | undefined;
  /** Batch statuses from the last provisioning run that finished (undefined: none yet in this process). */
  #provisioned: Map<string, ProvisioningBatchStatus> | undefined;
  /** The per-object statuses last recorded, to merge a provisioning run's result into when it finishes. */
  #recorded: Record<string, ObjectStatus> | undefined;
  /** Successful starts since this process began (the demo prints it). */
  issuedTotal = 0;
  /** Set after the first pass that observed the driver with a revision in force (/readyz). */
  ready = false;

  constructor(opts: ReconcilerOptions) {
    this.#o = { maxOperationsPerPass: 50, concurrency: 8, ...opts };
    const stored = opts.store.readRun();
    this.#run = { conditions: [], ...stored, source: opts.source.description, driver: opts.driver.name };
    this.#inForce = opts.store.readLastGoodRevision();
  }

  get revisionInForce(): string | null {
    return this.#inForce?.id ?? null;
  }

  async reconcile(): Promise<PassResult> {
    const started = performance.now();
    const now = this.#o.clock.now();
    const at = now.toISOString();
    const log = this.#o.logger;
    const store = this.#o.store;
    // One transaction per pass: a reader sees the previous pass or this one, never half of it.
    let result: PassResult;
    try {
      await store.beginPass();
      result = await this.#pass(now).catch(async (err: unknown): Promise<PassResult> => {
        if (err instanceof StoreUnavailable) throw err;
        // A bug, not a condition of the world: keep the stack in the log, report it, try again next pass.
        log.error({ err }, 'reconcile pass failed');
        await store.abortPass();
        this.#setRun({ ready: false, reason: R.PlanFailed, message: `internal error: ${(err as Error)?.message ?? String(err)}` }, at);
        return { at, revision: this.revisionInForce, reason: R.PlanFailed, ok: false, issued: 0, complete: false, nextStartAt: null };
      });
      await store.commitPass();
    } catch (err) {
      // The store itself failed (database unreachable): nothing of the pass is recorded; the loop tries again.
      const message = `state store ${store.description}: ${(err as Error)?.message ?? String(err)}`;
      log.warn({ reason: R.StoreUnavailable, err: (err as Error)?.message }, 'pass not recorded');
      await store.abortPass().catch(() => undefined);
      this.ready = false;
      result = { at, revision: this.revisionInForce, reason: R.StoreUnavailable, ok: false, issued: 0, complete: false, nextStartAt: null, message };
    }
    this.#o.metrics?.reconcileDuration.observe({ result: result.ok ? 'success' : result.reason }, (performance.now() - started) / 1000);
    return result;
  }

  async #pass(now: Date): Promise<PassResult> {
    const at = now.toISOString();
    const log = this.#o.logger;

    const t0 = performance.now();
    const ms: Record<string, number> = {};
    const lap = (stage: string) => { ms[stage] = Math.round(performance.now() - t0 - Object.values(ms).reduce((a, b) => a + b, 0)); };
    // load + validate
    const loaded = await this.loadRevision();
    lap('load');
    const revision = loaded.revision;
    if (!revision) {
      const p = loaded.problem ?? { reason: R.NoValidRevision, message: 'no valid revision yet' };
      this.#setRun({ ready: false, reason: p.reason, message: p.message, stalled: p.reason === R.InvalidRevision }, at, p);
      return { at, revision: null, reason: p.reason, ok: false, issued: 0, complete: false, nextStartAt: null };
    }

    // observe
    let observed: ObservedState;
    try {
      observed = await this.observe();
    } catch (err) {
      const message = `driver ${this.#o.driver.name}: ${(err as Error)?.message ?? String(err)}`;
      log.warn({ reason: R.DriverUnavailable, err: (err as Error)?.message }, 'observe failed');
      this.ready = false;
      this.#setRun({ ready: false, reason: R.DriverUnavailable, message, reconciling: true }, at, loaded.problem);
      return { at, revision: revision.id, reason: R.DriverUnavailable, ok: false, issued: 0, complete: false, nextStartAt: null };
    }

    lap('observe');
    // plan
    const desired = desiredState(revision.objects);
    const plan = this.#o.plan(desired, observed, now, { revision: revision.id });
    lap('plan');

    // act
    const history = this.#loadHistories(observed);
    const acted = await this.act(plan, observed, revision, history);
    await this.diagnose(observed, history);
    lap('act');
    this.provision(revision);

    // record
    this.record(plan, observed, revision, history, at);
    lap('record');
    const summary = summarizeProgress(plan, observed.operations, this.issuedTotal, acted.started);
    const failedStarts = acted.errors.length;
    const base = loaded.problem
      ? { ready: false, reason: loaded.problem.reason, message: loaded.problem.message, stalled: loaded.problem.reason === R.InvalidRevision }
      : failedStarts
        ? { ready: false, reason: R.OperationsFailed, message: `${failedStarts} operation(s) could not be started: ${acted.errors.slice(0, 3).join('; ')}`, reconciling: true }
        : { ready: true, reason: R.ReconciliationSucceeded, message: `Applied revision ${revision.id}` };
    this.#run.lastAppliedRevision = revision.id;
    this.#run.summary = summary;
    this.#setRun(base, at, loaded.problem);
    this.#o.metrics?.setDevices(plan);
    this.#o.metrics?.setRevision(revision.id, this.#o.source.description);
    this.ready = true;
    log.info({ revision: revision.id, issued: acted.issued, due: plan.operations.length, inFlight: summary.operationsInFlight, ms }, 'reconciled');
    return {
      at, revision: revision.id, reason: base.reason, ok: !loaded.problem && !failedStarts, issued: acted.issued, plan, observed, summary,
      complete: rolloutComplete(plan, observed.operations), nextStartAt: nextStart(plan, now),
    };
  }

  /** load + validate: the newest valid revision, or the last good one with the reason the newest was refused. */
  async loadRevision(): Promise<Loaded> {
    const res = await this.#o.source.load();
    const last = this.#inForce;
    if (res.ok) {
      if (last?.id !== res.revision.id) {
        this.#o.logger.info({ revision: res.revision.id, previous: last?.id ?? null }, 'new revision');
        this.#o.store.writeLastGoodRevision(res.revision);
      }
      this.#inForce = res.revision;
      this.#run.lastAttemptedRevision = res.revision.id;
      delete this.#run.revisionErrors;
      return { revision: res.revision };
    }
    const keep = last ? `revision ${last.id} stays in force` : 'nothing is applied';
    if (res.reason === 'unavailable') {
      this.#o.logger.warn({ reason: R.SourceUnavailable, message: res.message }, 'source unavailable');
      return { revision: last, problem: { reason: R.SourceUnavailable, message: `${res.message}; ${keep}` } };
    }
    const which = res.revisionId ? `revision ${res.revisionId}` : `the config in ${this.#o.source.description}`;
    const first = res.errors[0] ?? 'invalid';
    const more = res.errors.length > 1 ? ` (and ${res.errors.length - 1} more)` : '';
    this.#o.logger.warn({ reason: R.InvalidRevision, revision: res.revisionId ?? null, errors: res.errors.length }, 'revision rejected');
    return {
      revision: last,
      problem: {
        reason: R.InvalidRevision, message: `${which} rejected: ${first}${more}; ${keep}`, errors: res.errors,
        ...(res.revisionId ? { attempted: res.revisionId } : {}),
      },
    };
  }

  /** observe: inventory, catalog and every operation, fresh from the driver. */
  async observe(): Promise<ObservedState> {
    const d = this.#o.driver;
    // The planner adds the revision's committed SoftwareRelease objects to the driver's catalog.
    // Operations are read before the inventory, never beside it: an update that finishes between the two
    // reads then shows either as in flight or as the new version. Read the other way round (or at once),
    // the inventory can still show the old version while the operation list already shows the update as
    // finished, and the update would be issued a second time.
    const operations = await d.operations();
    const [devices, releases] = await Promise.all([d.inventory(), d.catalog()]);
    return { devices, releases, operations };
  }

  /** act: start the planned operations the driver does not already have in flight, within the rate limit. */
  async act(plan: Plan, observed: ObservedState, revision: Revision, history: Map<string, DeviceRecord>): Promise<{ issued: number; errors: string[]; started: string[] }> {
    const busy = inFlightDevices(observed.operations);
    const known = new Set(observed.devices.map((d) => d.id));
    const todo: PlannedOperation[] = [];
    const seen = new Set<string>();
    for (const op of plan.operations) {
      // One software update per device at a time (seed 003: a second one is a 409).
      if (busy.has(op.deviceId) || seen.has(op.deviceId) || !known.has(op.deviceId)) continue;
      seen.add(op.deviceId);
      todo.push(op);
    }
    const batch = todo.slice(0, this.#o.maxOperationsPerPass);
    if (todo.length > batch.length) {
      this.#o.logger.info({ due: todo.length, started: batch.length }, 'rate limit: the rest stay due for the next pass');
    }
    let issued = 0;
    const errors: string[] = [];
    const started: string[] = [];
    // The intents are made durable before any call: if the process dies before an answer is recorded, the
    // next pass finds the operation in the driver's list and still knows Fleetward issued it, and why.
    for (const op of batch) {
      const rec = history.get(op.deviceId) ?? { id: op.deviceId, history: [] };
      history.set(op.deviceId, rec);
      const intent: PendingIntent = {
        component: op.component, toVersion: op.toVersion, reason: op.reason, revision: revision.id,
        ...(op.forced ? { forced: true } : {}), ...(op.softwareUpdate ? { softwareUpdate: op.softwareUpdate } : {}),
      };
      setIntent(rec, intent);
      this.#o.store.writeDevice(rec);
    }
    if (batch.length) await this.#o.store.checkpoint();
    await eachLimited(batch, this.#o.concurrency, async (op) => {
      const rec = history.get(op.deviceId)!;
      try {
        const res = await this.#o.driver.startUpdate({ deviceId: op.deviceId, component: op.component, version: op.toVersion, ...(op.forced ? { forced: true } : {}) });
        if (res.accepted) {
          issued++;
          this.issuedTotal++;
          started.push(op.deviceId);
          this.#o.metrics?.operations.inc({ component: op.component, result: 'accepted' });
          recordOperation(rec, res.operation);
          this.#o.logger.info({ device: op.deviceId, component: op.component, from: op.fromVersion, to: op.toVersion, reason: op.reason, operation: res.operation.id }, 'operation started');
        } else {
          this.#o.metrics?.operations.inc({ component: op.component, result: 'already_in_flight' });
          clearIntent(rec, op.component);
          if (res.operation) recordOperation(rec, res.operation);
        }
      } catch (err) {
        clearIntent(rec, op.component);
        this.#o.metrics?.operations.inc({ component: op.component, result: 'error' });
        const message = `${op.deviceId} ${op.component} → ${op.toVersion}: ${(err as Error)?.message ?? String(err)}`;
        errors.push(message);
        this.#o.logger.warn({ device: op.deviceId, component: op.component, err: (err as Error)?.message }, 'operation not started');
      }
      this.#o.store.writeDevice(rec);
    });
    return { issued, errors, started };
  }

  /**
   * Seed 000 FAQ: device logs are linked to the diagnostics operation run with a failed software update.
   * A failed update without linked diagnostics gets the diagnostics the driver ran after it (found in its
   * operation list, so a restart does not run them twice), or a new run.
   */
  async diagnose(observed: ObservedState, history: Map<string, DeviceRecord>): Promise<void> {
    const byDevice = new Map<string, DeviceOperation[]>();
    for (const op of observed.operations) {
      if (op.operationType !== 'deviceDiagnostics') continue;
      const list = byDevice.get(op.deviceId) ?? [];
      list.push(op);
      byDevice.set(op.deviceId, list);
    }
    let budget = this.#o.maxOperationsPerPass;
    for (const rec of history.values()) {
      const linked = new Set(rec.history.map((h) => h.diagnostics?.operationId).filter(Boolean));
      for (const entry of rec.history) {
        // Only updates Fleetward issued: failures the back end ran on its own are its business.
        if (entry.operationType !== 'softwareUpdate' || entry.status !== 'failed' || entry.issuedBy !== 'fleetward') continue;
        const diags = byDevice.get(rec.id) ?? [];
        if (entry.diagnostics) {
          const op = diags.find((o) => o.id === entry.diagnostics!.operationId);
          if (op) entry.diagnostics = diagnosticsRef(op);
          continue;
        }
        const since = entry.completedAt ?? entry.createdAt;
        const found = diags.find((o) => !linked.has(o.id) && o.createdAt >= since);
        if (found) {
          entry.diagnostics = diagnosticsRef(found);
          linked.add(found.id);
          continue;
        }
        if (budget <= 0) continue;
        budget--;
        try {
          const op = await this.#o.driver.runDiagnostics(rec.id);
          this.#o.metrics?.operations.inc({ component: 'diagnostics', result: 'accepted' });
          entry.diagnostics = diagnosticsRef(op);
          linked.add(op.id);
          recordOperation(rec, op);
          this.#o.logger.info({ device: rec.id, failedOperation: entry.operationId, diagnostics: op.id }, 'diagnostics started after a failed update');
        } catch (err) {
          this.#o.metrics?.operations.inc({ component: 'diagnostics', result: 'error' });
          this.#o.logger.warn({ device: rec.id, err: (err as Error)?.message }, 'diagnostics not started');
        }
        this.#o.store.writeDevice(rec);
      }
    }
  }

  /**
   * Remote provisioning (seed 004) is its own track with its own status (controller/provisioning): started
   * with the revision in force, not awaited by the pass (hashing codes takes a while), never two at once.
   * It re-derives everything itself each time, like the pass. A failure there does not stop software updates.
   */
  provision(revision: Revision): void {
    if (this.#provisioning) return;
    this.#provisioning = runStandaloneProvisioning({
      revision, driver: this.#o.driver.provisioning, stateDir: this.#o.store.dir, clock: this.#o.clock, log: this.#o.logger,
      ...this.#o.provisioningStores,
    }).then(
      (r) => {
        this.#provisioned = new Map(r.batches.map((b) => [b.batch, b]));
        this.#recordProvisioning();
      },
      (err: unknown) => { this.#o.logger.warn({ err: (err as Error)?.message }, 'provisioning step failed'); },
    ).finally(() => { this.#provisioning = undefined; });
  }

  /** Waits for a provisioning run still under way (before exit). */
  async settle(): Promise<void> {
    await this.#provisioning;
  }

  /** record: per-device plan and history, per-object status, all written only when changed. */
  record(plan: Plan, observed: ObservedState, revision: Revision, history: Map<string, DeviceRecord>, at: string): void {
    const plans = new Map(plan.devices.map((d) => [d.id, d]));
    const records: DeviceRecord[] = [];
    for (const device of observed.devices) {
      const rec = history.get(device.id) ?? { id: device.id, history: [] };
      const dp = plans.get(device.id);
      if (dp) {
        rec.group = dp.group;
        rec.phase = dp.phase;
        rec.ring = dp.ring;
        rec.maintenanceWindow = dp.maintenanceWindow;
        rec.components = dp.components;
      }
      records.push(orderRecord(rec));
    }
    this.#o.store.writeDevices(records);
    const previous = this.#o.store.readObjects();
    const objects = objectStatuses(previous, plan, revision, at);
    for (const [key, status] of Object.entries(objects)) {
      if (status.kind === 'ProvisioningBatch') objects[key] = this.#withProvisioning(status, previous[key]);
    }
    this.#recorded = objects;
    this.#o.store.writeObjects(objects);
  }

  /**
   * A ProvisioningBatch's status carries its provisioning status (counts per state, per device state,
   * location and code expiry; a code's hash at most) from the last provisioning run; until one has finished
   * in this process (a restart, a new leader), what the object already carried is kept.
   */
  #withProvisioning(status: ObjectStatus, previous: ObjectStatus | undefined): ObjectStatus {
    const out: ObjectStatus = { ...status };
    for (const k of RESOURCE_STATUS_FIELDS) delete out[k];
    if (this.#provisioned) {
      const batch = this.#provisioned.get(status.name);
      if (batch) Object.assign(out, toResourceStatus(batch));
    } else if (previous) {
      for (const k of RESOURCE_STATUS_FIELDS) if (previous[k] !== undefined) out[k] = previous[k];
    }
    return out;
  }

  /** A provisioning run finished: its statuses go into the recorded batch statuses now, not a pass later. */
  #recordProvisioning(): void {
    const recorded = this.#recorded;
    if (!recorded) return;
    const objects = { ...recorded };
    for (const [key, status] of Object.entries(objects)) {
      if (status.kind === 'ProvisioningBatch') objects[key] = this.#withProvisioning(status, undefined);
    }
    this.#recorded = objects;
    this.#o.store.writeObjects(objects);
  }

  /** Each device's stored history, merged with what the driver reports now. */
  #loadHistories(observed: ObservedState): Map<string, DeviceRecord> {
    const records = new Map<string, DeviceRecord>();
    const get = (id: string): DeviceRecord => {
      let rec = records.get(id);
      if (!rec) {
        rec = this.#o.store.readDevice(id) ?? { id, history: [] };
        records.set(id, rec);
      }
      return rec;
    };
    for (const d of observed.devices) get(d.id);
    for (const op of observed.operations) recordOperation(get(op.deviceId), op);
    return records;
  }

  #setRun(s: { ready: boolean; reason: string; message: string; reconciling?: boolean; stalled?: boolean }, at: string, problem?: Loaded['problem']): void {
    if (problem?.attempted) this.#run.lastAttemptedRevision = problem.attempted;
    if (problem?.errors) this.#run.revisionErrors = problem.errors;
    this.#run.conditions = summarize(this.#run.conditions, s, at);
    this.#run.lastReconcileAt = at;
    this.#o.store.writeRun(this.#run);
  }
}

// ---- history bookkeeping ------------------------------------------------------------------------


function setIntent(rec: DeviceRecord, intent: PendingIntent): void {
  rec.pending = [...(rec.pending ?? []).filter((p) => p.component !== intent.component), intent];
}
function clearIntent(rec: DeviceRecord, component: string): void {
  if (!rec.pending) return;
  rec.pending = rec.pending.filter((p) => p.component !== component);
  if (rec.pending.length === 0) delete rec.pending;
}

/** Merge one driver operation into the device's history; an intent for it marks it as Fleetward's. */
function recordOperation(rec: DeviceRecord, op: DeviceOperation): void {
  const i = rec.history.findIndex((h) => h.operationId === op.id);
  const prev = i >= 0 ? rec.history[i] : undefined;
  let extra: Partial<HistoryEntry> = {};
  if (!prev && op.operationType === 'softwareUpdate') {
    const intent = rec.pending?.find((p) => p.component === op.component && p.toVersion === op.toVersion);
    if (intent) {
      const { component: _c, toVersion: _v, ...rest } = intent;
      extra = { ...rest, issuedBy: 'fleetward' };
      clearIntent(rec, intent.component);
    }
  }
  const merged = mergeOperation(prev, op, extra);
  if (i >= 0) rec.history[i] = merged;
  else rec.history.push(merged);
}

function orderRecord(rec: DeviceRecord): DeviceRecord {
  rec.history.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.operationId < b.operationId ? -1 : 1));
  const { id, group, phase, ring, maintenanceWindow, components, pending, history } = rec;
  return {
    id, ...(group !== undefined ? { group } : {}), ...(phase !== undefined ? { phase } : {}), ...(ring !== undefined ? { ring } : {}),
    ...(maintenanceWindow !== undefined ? { maintenanceWindow } : {}), ...(components ? { components } : {}),
    ...(pending ? { pending } : {}), history,
  };
}

function diagnosticsRef(op: DeviceOperation): NonNullable<HistoryEntry['diagnostics']> {
  return { operationId: op.id, status: op.status, ...(op.logsUrl ? { logsUrl: op.logsUrl } : {}) };
}

// ---- per-object status --------------------------------------------------------------------------

function objectStatuses(previous: Record<string, ObjectStatus>, plan: Plan, revision: Revision, at: string): Record<string, ObjectStatus> {
  const out: Record<string, ObjectStatus> = {};
  const inFlight = new Set(plan.devices.filter((d) => d.components.some((c) => c.state === 'InProgress')).map((d) => d.id));
  for (const obj of revision.objects) {
    const key = objectKey(obj);
    const prev = previous[key];
    const gen = obj.metadata.generation;
    const base: ObjectStatus = { kind: obj.kind, name: obj.metadata.name, conditions: prev?.conditions ?? [] };
    let s: { ready: boolean; reason: string; message: string; reconciling?: boolean; stalled?: boolean } = {
      ready: true, reason: R.ReconciliationSucceeded, message: `Applied revision ${revision.id}`,
    };
    if (obj.kind === 'DeviceGroup') {
      const members = plan.devices.filter((d) => d.group === obj.metadata.name);
      const count = (pred: (d: typeof members[number]) => boolean) => members.filter(pred).length;
      const upToDate = count(isUpToDate);
      const failedIds = members.filter((d) => d.components.some((c) => c.state === 'Failed')).map((d) => d.id);
      const progressing = count((d) => inFlight.has(d.id) || d.components.some((c) => c.state === 'Due'));
      const pausedIds = members.filter((d) => d.components.some((c) => c.reason === PlannerReason.ReleasePaused)).map((d) => d.id);
      Object.assign(base, { devices: members.length, upToDate, progressing, failed: failedIds.length, paused: pausedIds.length });
      if (obj.spec.suspend) s = { ready: false, reason: R.Suspended, message: 'spec.suspend is true: no automatic operation is started' };
      else if (pausedIds.length) s = { ready: false, reason: R.ReleasePaused, message: `${pausedIds.length} device(s) held by a paused release: ${pausedIds.slice(0, 5).join(', ')}${pausedIds.length > 5 ? ', …' : ''}; see the SoftwareRelease status`, stalled: true };
      else if (failedIds.length) s = { ready: false, reason: R.UpdatesFailed, message: `${failedIds.length} device(s) failed their last update: ${failedIds.slice(0, 5).join(', ')}${failedIds.length > 5 ? ', …' : ''}`, reconciling: progressing > 0 };
      else if (progressing) s = { ready: false, reason: R.Progressing, message: `${progressing} of ${members.length} device(s) being updated; ${upToDate} up to date`, reconciling: true };
      else s = { ready: true, reason: upToDate === members.length ? R.UpToDate : R.ReconciliationSucceeded, message: `${upToDate} of ${members.length} device(s) up to date, none being updated` };
    } else if (obj.kind === 'SoftwareRelease') {
      const rel = plan.releases.find((r) => r.component === obj.spec.component && r.version === obj.spec.version);
      if (rel) {
        Object.assign(base, { state: rel.state });
        if (rel.state === 'Paused') {
          const failed = rel.failedDevices?.length ? ` Failed devices: ${rel.failedDevices.slice(0, 5).join(', ')}.` : '';
          s = { ready: false, reason: R.ReleasePaused, message: `${rel.reason ?? 'paused'}.${failed} Retry or force it with a declared change.`, stalled: true };
        } else if (rel.state === 'InProgress') {
          s = { ready: false, reason: R.Progressing, message: `release ${rel.version} in progress`, reconciling: true };
        } else {
          s = { ready: true, reason: R.ReconciliationSucceeded, message: `release ${rel.version}: ${rel.state}` };
        }
      }
    } else if ('suspend' in obj.spec && obj.spec.suspend) {
      s = { ready: false, reason: R.Suspended, message: 'spec.suspend is true' };
    } else if (obj.kind === 'SoftwareUpdate') {
      // The planner's blast-radius hold (planner/manual.ts) names the update in a finding: a person must act.
      const held = plan.findings.find((f) => f.code === Finding.ForcedUpdateHeld && f.objects?.includes(key));
      if (held) s = { ready: false, reason: R.ForcedUpdateHeld, message: held.message, stalled: true };
    }
    base.conditions = summarize(base.conditions, s, at, gen);
    base.lastAppliedRevision = revision.id;
    if (gen !== undefined) base.observedGeneration = gen;
    out[key] = base;
  }
  return out;
}

async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}
