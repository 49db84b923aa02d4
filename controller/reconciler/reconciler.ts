// The reconcile pass (docs/design.md section 1; docs/style.md "The reconciler", after Flux's kustomize-controller):
//
//   load → validate → observe → plan → act → record
//
// Level-triggered: each pass re-derives everything from the revision in force and what the driver reports
// now; nothing is carried from one pass to the next except what the state directory holds, so a restart
// (even after SIGKILL) or a missed event changes nothing. The driver's operation list is observed state:
// a device with a software update in flight is never sent another, and AlreadyInFlight is a normal answer.
// The loop holds no rule of the domain: those are the planner's.
import { canonicalPhaseName, canonicalRingName } from '../api/builtins.ts';
import type { Logger } from 'pino';
import { IN_FLIGHT_STATUSES, type DeviceOperation, type ObservedState, type Revision } from '../api/types.ts';
import { desiredState, type DesiredState } from '../api/desired.ts';
import { observeFleet, type Driver } from '../drivers/driver.ts';
import { applyInventory } from '../api/inventory.ts';
import type { DevicePlan, Plan, PlannedOperation } from '../planner/types.ts';
import { pauseSentence, releaseStatus, STATUS_DETAILS } from './release-status.ts';
import type { Clock } from '../util/clock.ts';
import { runStandaloneProvisioning, type StandaloneProvisioningInput } from '../provisioning/standalone.ts';
import { RESOURCE_STATUS_FIELDS, toResourceStatus, type ProvisioningBatchStatus } from '../provisioning/status.ts';
import { Finding, Reason as PlannerReason } from '../planner/reasons.ts';
import type { Source } from '../sources/source.ts';
import type { Metrics } from '../server/metrics.ts';
import {
  DEFAULT_HISTORY_RETENTION_DAYS, mergeOperation, objectKey, withinRetention, type DeviceRecord, type HistoryEntry, type ObjectStatus, type PendingIntent, type ProgressSummary,
  type ReleaseStatus, type RunStatus,
} from '../store/records.ts';
import { StoreUnavailable, type StateStore } from '../store/store.ts';
import { FencedOut } from './fenced.ts';
import { DamagedRecord } from '../store/damage.ts';
import { summarize } from '../status/conditions.ts';
import { inFlightDevices, nextStart, rolloutComplete, summarizeProgress } from './progress.ts';
import { named, NAMED_IN_MESSAGE, softwareUpdateStatus } from './software-update-status.ts';
import * as R from './reasons.ts';
import { OUTCOME_WORDS, deviceOutcome, emptyCounts, formatCounts, type Outcome } from '../planner/outcomes.ts';
import { StartBudget } from './start-budget.ts';
import { startedLate, windowMiss, windowMissMessage, type WindowMiss } from './window-misses.ts';
import { isRefusal, refusedEntry } from './refusals.ts';


/** The tenant-wide FleetPolicy's status key (a singleton named `default`). */
const TENANT_POLICY = 'FleetPolicy/default';

export type PlanFn = (desired: DesiredState, observed: ObservedState, now: Date, opts?: { revision?: string }) => Plan;

export interface ReconcilerOptions {
  source: Source;
  driver: Driver;
  store: StateStore;
  clock: Clock;
  plan: PlanFn;
  logger: Logger;
  metrics?: Metrics;
  /** History older than this (ms) is dropped from the store (docs/run.md "History retention"). Default 400 days. */
  historyRetentionMs?: number;
  /** Rate limit: at most this many update operations started per pass; the rest are still due next pass. Default 50. */
  maxOperationsPerPass?: number;
  /** Rate limit: at most this many update operations started in any minute of the clock (start-budget.ts). Default: none. */
  maxOperationsPerMinute?: number;
  /** Driver calls in flight at once while acting. Default 8. */
  concurrency?: number;
  /**
   * Where the provisioning step keeps verification codes instead of the state directory (the Kubernetes
   * operator: Secrets, never status); batch statuses are in the state store either way.
   */
  provisioningStores?: Pick<StandaloneProvisioningInput, 'secrets' | 'store'>;
  /** The notify step and its delivery loop (controller/notify/); none: nothing is sent. */
  notifier?: NotifyStep;
}

/** What a pass computed, as the notify step reads it (controller/notify/events.ts derives events from it). */
export interface PassFacts {
  /** The pass's instant (ISO). */
  at: string;
  plan: Plan;
  /** The revision in force. */
  revision: Revision;
  /** Why the newest revision was not applied, when it was not. */
  problem?: { reason: string; message: string; errors?: string[]; attempted?: string };
  /** The per-object statuses this pass recorded (ProvisioningBatch statuses, FleetPolicy pause). */
  objects: Readonly<Record<string, ObjectStatus>>;
  /** Nothing due, running or planned any more (./progress.ts rolloutComplete). */
  complete: boolean;
}

/** A NotificationProvider's delivery counts, for its status (never a secret, never a receiver's answer). */
export interface ProviderStatus {
  pending: number;
  deadLettered: number;
  /** Waiting messages whose last attempt failed. */
  failing: number;
  lastError?: string;
}

/**
 * The notify step of the pass (controller/notify/notifier.ts implements it): an interface here so the
 * reconciler does not depend on how messages are sent.
 */
export interface NotifyStep {
  attach(store: StateStore, writeOutsidePass: (write: (store: StateStore) => void) => Promise<void>): void;
  /** Inside the pass's transaction: returns each declared provider's delivery counts. */
  step(facts: PassFacts): Record<string, ProviderStatus>;
  committed(): void;
  aborted(): void;
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
  /** Wall milliseconds per stage (load, observe, plan, act, record), as logged. */
  stages?: Record<string, number>;
  /** Nothing due, running or planned any more. */
  complete: boolean;
  /** Earliest planned start after now, for the loop to wake up at. */
  nextStartAt: Date | null;
}

type Loaded = { revision: Revision | undefined; problem?: { reason: string; message: string; errors?: string[]; attempted?: string } };

export class Reconciler {
  readonly #o: Required<Omit<ReconcilerOptions, 'metrics' | 'provisioningStores' | 'maxOperationsPerMinute' | 'notifier'>> & Pick<ReconcilerOptions, 'metrics' | 'provisioningStores' | 'notifier'>;
  readonly #budget: StartBudget;
  /** Passes and the notifier's own writes, one at a time (each is a transaction of the store). */
  #serial: Promise<unknown> = Promise.resolve();
  #run: RunStatus;
  #inForce: Revision | undefined;
  #provisioning: Promise<void> | undefined;
  /** Batch statuses from the last provisioning run that finished (undefined: none yet in this process). */
  #provisioned: Map<string, ProvisioningBatchStatus> | undefined;
  /** The per-object statuses last recorded, to merge a provisioning run's result into when it finishes. */
  #recorded: Record<string, ObjectStatus> | undefined;
  /** Per DeviceInventory, its entries that matched a device this pass and those that matched none. */
  #inventoryCounts = new Map<string, { matched: number; unmatched: number }>();
  /** Successful starts since this process began (the demo prints it). */
  issuedTotal = 0;
  /** Set after the first pass that observed the driver with a revision in force (/readyz). */
  ready = false;
  /** Devices whose stored record could not be read in the last pass: id → why. */
  #quarantined = new Map<string, string>();
  /** When the pass before this one ran (from the stored run status): older back-end updates should be in the store. */
  #previousPassAt: string | undefined;

  constructor(opts: ReconcilerOptions) {
    this.#o = { maxOperationsPerPass: 50, concurrency: 8, historyRetentionMs: DEFAULT_HISTORY_RETENTION_DAYS * 86_400_000, ...opts };
    this.#budget = new StartBudget({
      perPass: this.#o.maxOperationsPerPass,
      ...(opts.maxOperationsPerMinute !== undefined ? { perMinute: opts.maxOperationsPerMinute } : {}),
    });
    const stored = opts.store.readRun();
    this.#run = { conditions: [], ...stored, source: opts.source.description, driver: opts.driver.name };
    this.#inForce = opts.store.readLastGoodRevision();
    opts.notifier?.attach(opts.store, (write) => this.writeOutsidePass(write));
  }

  /** Runs `fn` after the pass or write under way, never beside it. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(fn, fn);
    this.#serial = run.catch(() => undefined);
    return run;
  }

  /**
   * A write of its own between passes (the notifier recording a delivery): one transaction, never inside a
   * pass, so a pass that is aborted cannot take it back.
   */
  writeOutsidePass(write: (store: StateStore) => void): Promise<void> {
    return this.#exclusive(async () => {
      const store = this.#o.store;
      await store.beginPass();
      try {
        write(store);
        await store.commitPass();
      } catch (err) {
        await store.abortPass().catch(() => undefined);
        throw err;
      }
    });
  }

  get revisionInForce(): string | null {
    return this.#inForce?.id ?? null;
  }

  reconcile(): Promise<PassResult> {
    return this.#exclusive(() => this.#reconcile());
  }

  async #reconcile(): Promise<PassResult> {
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
        if (err instanceof StoreUnavailable || err instanceof FencedOut) throw err;
        // A bug, not a condition of the world: keep the stack in the log, report it, try again next pass.
        log.error({ err }, 'reconcile pass failed');
        await store.abortPass();
        this.#o.notifier?.aborted();
        this.#setRun({ ready: false, reason: R.PlanFailed, message: `internal error: ${(err as Error)?.message ?? String(err)}` }, at);
        return { at, revision: this.revisionInForce, reason: R.PlanFailed, ok: false, issued: 0, complete: false, nextStartAt: null };
      });
      await store.commitPass();
      this.#o.notifier?.committed();
    } catch (err) {
      this.#o.notifier?.aborted();
      if (err instanceof FencedOut) {
        // Leadership lost mid-pass: nothing more is written, the pass is dropped whole (docs/kubernetes.md).
        log.warn({ reason: R.LeaseLost, err: err.message }, 'pass abandoned: leadership lost');
        await store.abortPass().catch(() => undefined);
        this.ready = false;
        result = { at, revision: this.revisionInForce, reason: R.LeaseLost, ok: false, issued: 0, complete: false, nextStartAt: null, message: err.message };
      } else {
        // The store itself failed (database unreachable): nothing of the pass is recorded; the loop tries again.
        const message = `state store ${store.description}: ${(err as Error)?.message ?? String(err)}`;
        log.warn({ reason: R.StoreUnavailable, err: (err as Error)?.message }, 'pass not recorded');
        await store.abortPass().catch(() => undefined);
        this.ready = false;
        result = { at, revision: this.revisionInForce, reason: R.StoreUnavailable, ok: false, issued: 0, complete: false, nextStartAt: null, message };
      }
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

    // The config repo's inventory overlay: time zones, sites and labels the back end does not report.
    const inventory = applyInventory(observed.devices, desiredState(revision.objects).deviceInventories);
    observed = { ...observed, devices: inventory.devices };
    this.#inventoryCounts = inventory.counts;
    lap('observe');
    // Each device's history, merged with what the driver reports. The planner reads the whole recorded
    // history (a back end lists recent operations only), refused starts included: the back end has no
    // operation for those, and the planner's retry and hold rules must count them.
    this.#previousPassAt = this.#run.summary?.at;
    const { records: history, windowMisses } = this.#loadHistories(observed, at);
    this.reportWindowMisses(windowMisses);

    // plan
    const desired = desiredState(revision.objects);
    const plan = this.#o.plan(desired, withHistory(observed, history), now, { revision: revision.id });
    lap('plan');
    // Between the long synchronous stages, let what waits on the event loop run (informers, /healthz, replies).
    await breathe();

    // act
    const acted = await this.act(plan, observed, revision, history);
    await this.diagnose(observed, history);
    lap('act');
    this.provision(revision);
    await breathe();

    // record, then say what changed for the worse (warn-level log lines a person alerts on)
    const before = this.#outcomesBefore(history);
    const objectsBefore = this.#o.store.readObjects();
    const pauseBefore = objectsBefore[TENANT_POLICY];
    const recorded = await this.record(plan, observed, revision, history, at, acted.started);
    this.#warnTransitions(plan, before);
    this.logTenantPause(pauseBefore, recorded[TENANT_POLICY], now);
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
    this.#run.releases = plan.releases.filter((r) => r.state !== 'NotRequired' || r.stages.some((st) => st.devices > 0)).map(releaseStatus);
    this.#run.catalog = observed.releases;
    const complete = rolloutComplete(plan, observed.operations);
    this.notify({ at, plan, revision, objects: recorded, complete, ...(loaded.problem ? { problem: loaded.problem } : {}) }, objectsBefore);
    this.#setRun(base, at, loaded.problem);
    this.#o.metrics?.setDevices(plan);
    this.#o.metrics?.setOutcomes(summary);
    this.#o.metrics?.setRevision(revision.id, this.#o.source.description);
    this.#o.metrics?.setReleases(plan.releases, recorded, revision.objects);
    this.ready = true;
    log.info({ revision: revision.id, issued: acted.issued, due: plan.operations.length, inFlight: summary.operationsInFlight, ms }, 'reconciled');
    return {
      at, revision: revision.id, reason: base.reason, ok: !loaded.problem && !failedStarts, issued: acted.issued, plan, observed, summary, stages: ms,
      complete, nextStartAt: this.#nextPass(plan, now, acted.held),
    };
  }

  /** The earliest planned start after now; with operations held back by a rate limit, no later than when more may start. */
  #nextPass(plan: Plan, now: Date, held: number): Date | null {
    const planned = nextStart(plan, now);
    if (!held) return planned;
    const more = this.#budget.nextAt(now.getTime());
    return planned && planned.getTime() < more ? planned : new Date(more);
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
    // The planner adds the revision's committed SoftwareRelease objects to the driver's catalog.
    // observeFleet reads operations before the inventory (why: its comment), each once per pass.
    return observeFleet(this.#o.driver);
  }

  /** act: start the planned operations the driver does not already have in flight, within the rate limit. */
  async act(plan: Plan, observed: ObservedState, revision: Revision, history: Map<string, DeviceRecord>): Promise<{ issued: number; errors: string[]; started: string[]; held: number }> {
    const busy = inFlightDevices(observed.operations);
    const known = new Set(observed.devices.map((d) => d.id));
    const todo: PlannedOperation[] = [];
    const seen = new Set<string>();
    for (const op of plan.operations) {
      // One software update per device at a time (seed 003: a second one is a 409).
      if (busy.has(op.deviceId) || seen.has(op.deviceId) || !known.has(op.deviceId) || this.#quarantined.has(op.deviceId)) continue;
      seen.add(op.deviceId);
      todo.push(op);
    }
    const nowMs = this.#o.clock.now().getTime();
    const batch = todo.slice(0, this.#budget.available(nowMs));
    this.#budget.spend(batch.length, nowMs);
    const held = todo.length - batch.length;
    if (held) {
      this.#o.logger.info({ due: todo.length, started: batch.length, nextAt: new Date(this.#budget.nextAt(nowMs)).toISOString() }, 'rate limit: the rest stay due for the next pass');
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
        ...(op.windowEndsAt ? { startBy: op.windowEndsAt } : {}),
      };
      setIntent(rec, intent);
      this.#o.store.writeDevice(rec);
    }
    if (batch.length) await this.#o.store.checkpoint();
    await eachLimited(batch, this.#o.concurrency, async (op) => {
      const rec = history.get(op.deviceId)!;
      try {
        // The window's end is the start deadline (seed 000): not started by then, the operation is cancelled.
        const res = await this.#o.driver.startUpdate({
          deviceId: op.deviceId, component: op.component, version: op.toVersion,
          ...(op.forced ? { forced: true } : {}), ...(op.windowEndsAt ? { startBy: op.windowEndsAt } : {}),
        });
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
        if (err instanceof FencedOut) throw err;
        clearIntent(rec, op.component);
        if (isRefusal(err)) {
          // Final for this request: recorded as a failed attempt (retried with backoff, then held), not a pass error.
          this.#o.metrics?.operations.inc({ component: op.component, result: 'refused' });
          rec.history.push(refusedEntry(op, err, this.#o.clock.now().toISOString(), revision.id));
          this.#o.logger.warn({ device: op.deviceId, component: op.component, to: op.toVersion, refusal: err.refusal ?? err.code, err: err.message }, 'operation refused by the back end');
          this.#o.store.writeDevice(rec);
          return;
        }
        this.#o.metrics?.operations.inc({ component: op.component, result: 'error' });
        const message = `${op.deviceId} ${op.component} → ${op.toVersion}: ${(err as Error)?.message ?? String(err)}`;
        errors.push(message);
        this.#o.logger.warn({ device: op.deviceId, component: op.component, err: (err as Error)?.message }, 'operation not started');
      }
      this.#o.store.writeDevice(rec);
    });
    return { issued, errors, started, held };
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
        // Only updates Fleetward issued: failures the back end ran on its own are its business. A refused
        // start never reached the device: there is nothing to diagnose.
        if (entry.operationType !== 'softwareUpdate' || entry.status !== 'failed' || entry.issuedBy !== 'fleetward' || entry.refused) continue;
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
          if (err instanceof FencedOut) throw err;
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
      revision, driver: this.#o.driver.provisioning, stateDir: this.#o.store.dir, stateStore: this.#o.store, clock: this.#o.clock, log: this.#o.logger,
      ...this.#o.provisioningStores,
    }).then((r) => {
      this.#provisioned = new Map(r.batches.map((b) => [b.batch, b]));
      this.#recordProvisioning();
    }).catch(
      // Recording its result can fail too (the store unreachable, the operator's lease lost): logged, never unhandled.
      (err: unknown) => { this.#o.logger.warn({ err: (err as Error)?.message }, 'provisioning step failed'); },
    ).finally(() => { this.#provisioning = undefined; });
  }

  /** Waits for a provisioning run still under way (before exit). */
  async settle(): Promise<void> {
    await this.#provisioning;
  }

  /** record: per-device plan and history, per-object status, all written only when changed. */
  async record(plan: Plan, observed: ObservedState, revision: Revision, history: Map<string, DeviceRecord>, at: string, started: readonly string[] = []): Promise<Record<string, ObjectStatus>> {
    const inFlight = inFlightDevices(observed.operations);
    for (const id of started) inFlight.add(id);
    const plans = new Map(plan.devices.map((d) => [d.id, d]));
    const records: DeviceRecord[] = [];
    const cutoff = this.#retentionCutoff(at);
    let seen = 0;
    for (const device of observed.devices) {
      // Tens of thousands of devices: in chunks, so that what waits on the event loop is not held up for seconds.
      if (++seen % RECORD_CHUNK === 0) await breathe();
      if (this.#quarantined.has(device.id)) continue;
      const rec = history.get(device.id) ?? { id: device.id, history: [] };
      const dp = plans.get(device.id);
      if (dp) {
        rec.group = dp.group;
        rec.phase = dp.phase;
        rec.ring = dp.ring;
        rec.maintenanceWindow = dp.maintenanceWindow;
        rec.components = dp.components;
        annotateHistory(rec, dp, at);
      }
      rec.observed = device;
      if (rec.history.some((h) => !withinRetention(h, cutoff))) rec.history = rec.history.filter((h) => withinRetention(h, cutoff));
      records.push(orderRecord(rec));
    }
    for (let i = 0; i < records.length; i += RECORD_CHUNK) {
      this.#o.store.writeDevices(records.slice(i, i + RECORD_CHUNK));
      await breathe();
    }
    const lost = records.filter((r) => r.historyLost).map((r) => ({ id: r.id, ...r.historyLost! }));
    if (lost.length) this.#run.historyLost = lost;
    else delete this.#run.historyLost;
    const previous = this.#o.store.readObjects();
    const objects = objectStatuses(previous, plan, revision, at, inFlight, this.#inventoryCounts);
    for (const [key, status] of Object.entries(objects)) {
      if (status.kind === 'ProvisioningBatch') objects[key] = this.#withProvisioning(status, previous[key]);
    }
    this.#recorded = objects;
    this.#o.store.writeObjects(objects);
    return objects;
  }

  /**
   * A warn line when the tenant pause starts or ends (seed 000 "Pause automatic updates"), read from the
   * FleetPolicy status recorded before and after the pass: level-triggered, so a restart does not repeat it.
   */
  logTenantPause(before: ObjectStatus | undefined, after: ObjectStatus | undefined, now: Date): void {
    const was = typeof before?.autoUpdatesResumeAt === 'string' ? before.autoUpdatesResumeAt : undefined;
    const is = typeof after?.autoUpdatesResumeAt === 'string' ? after.autoUpdatesResumeAt : undefined;
    if (is && is !== was) {
      this.#o.logger.warn({ reason: PlannerReason.TenantPaused, object: TENANT_POLICY, resumeAt: is }, `automatic updates paused until ${is}`);
    } else if (was && !is) {
      const why = now.getTime() >= Date.parse(was) ? 'the 15-day pause lifted by itself' : 'autoUpdates.pausedAt was removed';
      this.#o.logger.warn({ reason: R.AutoUpdatesResumed, object: TENANT_POLICY, pausedUntil: was }, `automatic updates resumed: ${why}`);
    }
  }

  /**
   * notify: the events worth a message, from what this pass computed, into the store with the pass
   * (controller/notify/); each NotificationProvider's status says what waits and what was given up.
   */
  notify(facts: PassFacts, previous: Readonly<Record<string, ObjectStatus>> = {}): void {
    const n = this.#o.notifier;
    if (!n) return;
    const providers = n.step(facts);
    if (!Object.keys(providers).length) return;
    const objects = { ...(this.#recorded ?? facts.objects) };
    for (const [name, s] of Object.entries(providers)) {
      const key = `NotificationProvider/${name}`;
      const o = objects[key];
      if (!o) continue;
      const { lastError: _e, ...rest } = o;
      const given = s.deadLettered ? `; ${s.deadLettered} given up after their last attempt (kept 7 days)` : '';
      const cond = s.failing || s.deadLettered
        ? { ready: false, reason: R.DeliveryFailing, message: `${s.pending} message(s) waiting${s.failing ? `, the last attempt failed: ${s.lastError ?? 'error'}` : ''}${given}`, reconciling: s.failing > 0 }
        : { ready: true, reason: R.ReconciliationSucceeded, message: s.pending ? `${s.pending} message(s) being delivered` : 'every message delivered' };
      // The conditions as the previous pass left them, so a provider that stays failing keeps its transition time.
      const gen = typeof o.observedGeneration === 'number' ? o.observedGeneration : undefined;
      objects[key] = {
        ...rest, pending: s.pending, deadLettered: s.deadLettered, ...(s.lastError ? { lastError: s.lastError } : {}),
        conditions: summarize(previous[key]?.conditions ?? [], cond, facts.at, gen),
      };
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

  /**
   * Seed 000: an operation that could not start in its window is cancelled (or, where the back end cannot
   * cancel, started late). One warn line each, when the pass first sees it.
   */
  reportWindowMisses(misses: WindowMiss[]): void {
    for (const m of misses) {
      this.#o.metrics?.operations.inc({ component: m.component ?? 'unknown', result: m.kind === 'cancelled' ? 'window_missed' : 'window_overrun' });
      this.#o.logger.warn({
        device: m.deviceId, component: m.component, to: m.toVersion, operation: m.operationId, windowEnd: m.startBy,
        reason: m.kind === 'cancelled' ? 'WindowMissed' : 'WindowOverrun', ...(m.startedAt ? { startedAt: m.startedAt } : {}),
      }, windowMissMessage(m, this.#o.driver.name));
    }
  }

  /** Each device's stored history, merged with what the driver reports now, and the windows just missed. */
  #loadHistories(observed: ObservedState, at: string): { records: Map<string, DeviceRecord>; windowMisses: WindowMiss[] } {
    const records = new Map<string, DeviceRecord>();
    const windowMisses: WindowMiss[] = [];
    const quarantined = new Map<string, string>();
    const fresh = new Set<string>();
    const get = (id: string): DeviceRecord | undefined => {
      let rec = records.get(id);
      if (!rec && !quarantined.has(id)) {
        try {
          rec = this.#o.store.readDevice(id);
        } catch (err) {
          // One unreadable record stops only its device (docs/run.md "Damaged state").
          if (!(err instanceof DamagedRecord)) throw err;
          quarantined.set(id, err.message);
          return undefined;
        }
        if (!rec) {
          rec = { id, history: [] };
          fresh.add(id);
        }
        records.set(id, rec);
      }
      return rec;
    };
    for (const d of observed.devices) get(d.id);
    const cutoff = this.#retentionCutoff(at);
    for (const op of observed.operations) {
      // What the back end still lists from beyond the retention is not taken back into the history.
      if (!withinRetention(op, cutoff)) continue;
      const rec = get(op.deviceId);
      if (!rec) continue;
      const { prev, merged } = recordOperation(rec, op);
      const miss = windowMiss(op.deviceId, prev, merged);
      if (miss) windowMisses.push(miss);
    }
    this.#quarantine(quarantined);
    // A device with no stored record but updates the back end ran before the last pass: its history was lost
    // (a deleted record, a repaired store) or it is new to Fleetward. Said once, and kept on the record.
    const lastPass = this.#previousPassAt;
    if (lastPass) {
      for (const id of fresh) {
        const rec = records.get(id)!;
        const earlier = rec.history.filter((h) => h.operationType === 'softwareUpdate' && h.createdAt < lastPass).length;
        if (!earlier) continue;
        rec.historyLost = { at, reason: `no stored record, but the back end lists ${earlier} earlier update(s): recorded as the back end's, without who issued them or why` };
        this.#o.logger.warn({ device: id, operations: earlier }, 'device history lost: its record is missing from the state store');
      }
    }
    return { records, windowMisses };
  }

  /** The oldest instant history is kept from (docs/run.md "History retention"). */
  #retentionCutoff(at: string): string {
    return new Date(Date.parse(at) - this.#o.historyRetentionMs).toISOString();
  }

  /** Devices whose stored record cannot be read: no operation is started for them and their record is left as it is. */
  #quarantine(now: Map<string, string>): void {
    for (const [id, reason] of now) {
      if (!this.#quarantined.has(id)) this.#o.logger.warn({ device: id, reason: R.RecordDamaged, err: reason }, 'device record damaged: device quarantined (fleetward state check)');
    }
    this.#quarantined = now;
    this.#o.metrics?.quarantined.set(now.size);
    if (now.size) this.#run.quarantined = [...now].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, reason]) => ({ id, reason }));
    else delete this.#run.quarantined;
  }

  /** Per device, the reasons of its components as last recorded (before this pass writes over them). */
  #outcomesBefore(history: ReadonlyMap<string, DeviceRecord>): Map<string, Map<string, string>> {
    const out = new Map<string, Map<string, string>>();
    for (const rec of history.values()) {
      if (rec.components) out.set(rec.id, new Map(rec.components.map((c) => [c.component, c.reason])));
    }
    return out;
  }

  /**
   * Warn-level log lines when something turns bad, once per transition (the state they compare with is
   * recorded, so a restart does not repeat them): a release paused by its failure threshold, a device held
   * after repeated failures, a rollback.
   */
  #warnTransitions(plan: Plan, before: Map<string, Map<string, string>>): void {
    const log = this.#o.logger;
    const was = new Map((this.#run.releases ?? []).map((r) => [`${r.component}/${r.version}`, r.state]));
    for (const r of plan.releases) {
      if (r.state !== 'Paused' || was.get(`${r.component}/${r.version}`) === 'Paused') continue;
      const p = r.pause;
      log.warn({
        release: `${r.component} ${r.version}`, reason: r.reason,
        ...(p ? { ring: p.ring, threshold: p.threshold, failed: p.failedDevices.length, targeted: p.targeted, devices: p.failedDevices.slice(0, NAMED_IN_MESSAGE) } : {}),
      }, p ? `release paused: ${r.component} ${r.version} in ring ${p.ring}, ${p.failedDevices.length} of ${p.targeted} devices failed (threshold ${p.threshold}%)` : `release paused: ${r.component} ${r.version} (${r.reason ?? 'paused'})`);
    }
    for (const d of plan.devices) {
      for (const c of d.components) {
        if (c.reason !== PlannerReason.FailureHold && c.reason !== PlannerReason.RolledBack) continue;
        if (before.get(d.id)?.get(c.component) === c.reason) continue;
        const what = c.reason === PlannerReason.RolledBack ? 'rollback' : 'device held';
        log.warn({ device: d.id, component: c.component, version: c.targetVersion, reported: c.currentVersion, reason: c.reason }, `${what}: ${d.id} ${c.component} ${c.message ?? ''}`.trimEnd());
      }
    }
  }

  #setRun(s: { ready: boolean; reason: string; message: string; reconciling?: boolean; stalled?: boolean }, at: string, problem?: Loaded['problem']): void {
    if (problem?.attempted) this.#run.lastAttemptedRevision = problem.attempted;
    if (problem?.errors) this.#run.revisionErrors = problem.errors;
    this.#run.conditions = summarize(this.#run.conditions, s, at);
    this.#run.lastReconcileAt = at;
    this.#o.store.writeRun(this.#run);
    this.#o.metrics?.setConditions(this.#recorded ?? {}, this.#inForce?.objects ?? [], this.#run.conditions);
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
function recordOperation(rec: DeviceRecord, op: DeviceOperation): { prev: HistoryEntry | undefined; merged: HistoryEntry } {
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
  if (startedLate(merged)) merged.windowOverrun = true;
  if (i >= 0) rec.history[i] = merged;
  else rec.history.push(merged);
  return { prev, merged };
}

/**
 * What the planner reads: the driver's operations, plus the finished ones only the recorded history still
 * holds (a back end lists recent operations; a restart of the simulator forgets none, Graph does), with
 * Fleetward's own observations about them (`unhealthyAfter`). In-flight operations come from the driver
 * alone: an entry the driver no longer lists is not in flight any more.
 */
export function withHistory(observed: ObservedState, history: ReadonlyMap<string, DeviceRecord>): ObservedState {
  const listed = new Set<string>();
  const operations: DeviceOperation[] = [];
  let changed = false;
  for (const op of observed.operations) {
    listed.add(op.id);
    const seen = op.operationType === 'softwareUpdate' ? history.get(op.deviceId)?.history.find((h) => h.operationId === op.id) : undefined;
    if (seen?.unhealthyAfter || seen?.rolledBack) {
      changed = true;
      operations.push({ ...op, ...observations(seen) });
    } else operations.push(op);
  }
  for (const rec of history.values()) {
    for (const h of rec.history) {
      if (listed.has(h.operationId) || h.operationType !== 'softwareUpdate' || IN_FLIGHT_STATUSES.includes(h.status)) continue;
      const { operationId, reason: _r, softwareUpdate: _s, revision: _v, issuedBy: _b, diagnostics: _d, rolledBack: _k, refused: _f, windowOverrun: _w, ...op } = h;
      operations.push({ ...op, id: operationId, deviceId: rec.id, ...observations(h) });
      changed = true;
    }
  }
  return changed ? { ...observed, operations } : observed;
}

/** Fleetward's observations about an update, from its history entry, as the planner reads them. */
function observations(h: HistoryEntry): Pick<DeviceOperation, 'unhealthyAfter' | 'rolledBackAt'> {
  return { ...(h.unhealthyAfter ? { unhealthyAfter: h.unhealthyAfter } : {}), ...(h.rolledBack ? { rolledBackAt: h.rolledBack.detectedAt } : {}) };
}

/**
 * Writes on the history what the plan found about an update that succeeded: the device rolled it back
 * (reports an older version), or went offline / unhealthy in its ring's test period after it.
 */
function annotateHistory(rec: DeviceRecord, dp: DevicePlan, at: string): void {
  for (const c of dp.components) {
    if (c.reason !== PlannerReason.RolledBack && c.reason !== PlannerReason.UnhealthyAfterUpdate) continue;
    let entry: HistoryEntry | undefined;
    for (const h of rec.history) if (h.operationType === 'softwareUpdate' && h.component === c.component && h.status !== 'cancelled') entry = h;
    if (!entry || entry.status !== 'successful' || entry.toVersion !== c.targetVersion) continue;
    if (c.reason === PlannerReason.RolledBack) entry.rolledBack ??= { detectedAt: at, reportedVersion: c.currentVersion ?? '' };
    else entry.unhealthyAfter ??= at;
  }
}

function orderRecord(rec: DeviceRecord): DeviceRecord {
  rec.history.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.operationId < b.operationId ? -1 : 1));
  const { id, group, phase, ring, maintenanceWindow, components, pending, observed, historyLost, history } = rec;
  return {
    id, ...(group !== undefined ? { group } : {}), ...(phase !== undefined ? { phase } : {}), ...(ring !== undefined ? { ring } : {}),
    ...(maintenanceWindow !== undefined ? { maintenanceWindow } : {}), ...(components ? { components } : {}),
    ...(pending ? { pending } : {}), ...(observed ? { observed } : {}), ...(historyLost ? { historyLost } : {}), history,
  };
}

function diagnosticsRef(op: DeviceOperation): NonNullable<HistoryEntry['diagnostics']> {
  return { operationId: op.id, status: op.status, ...(op.logsUrl ? { logsUrl: op.logsUrl } : {}) };
}

// ---- per-object status --------------------------------------------------------------------------

// Every kind's status is bounded whatever the fleet's size: counts, at most LISTED_IN_STATUS ids, NAMED_IN_MESSAGE in a
// condition (test/unit/status-bounds.test.ts checks each kind at 100,000 devices; docs/kubernetes.md "Limits").
export function objectStatuses(
  previous: Record<string, ObjectStatus>, plan: Plan, revision: Revision, at: string, inFlight: ReadonlySet<string>,
  inventoryCounts: ReadonlyMap<string, { matched: number; unmatched: number }> = new Map(),
): Record<string, ObjectStatus> {
  const out: Record<string, ObjectStatus> = {};
  const releaseObjects = new Map<string, string>();
  for (const o of revision.objects) if (o.kind === 'SoftwareRelease') releaseObjects.set(`${o.spec.component}/${o.spec.version}`, o.metadata.name);
  for (const obj of revision.objects) {
    const key = objectKey(obj);
    const prev = previous[key];
    const gen = obj.metadata.generation;
    const base: ObjectStatus = { kind: obj.kind, name: obj.metadata.name, conditions: prev?.conditions ?? [] };
    let s: { ready: boolean; reason: string; message: string; reconciling?: boolean; stalled?: boolean } = {
      ready: true, reason: R.ReconciliationSucceeded, message: `Applied revision ${revision.id}`,
    };
    if (obj.kind === 'DeviceGroup') {
      const g = groupStatus(plan, obj.metadata.name, inFlight, releaseObjects);
      Object.assign(base, g.fields);
      s = obj.spec.suspend ? { ready: false, reason: R.Suspended, message: 'spec.suspend is true: no automatic operation is started' } : g.condition;
    } else if (obj.kind === 'Ring' || obj.kind === 'UpdatePhase') {
      // The ring's (phase's) own devices, counted and judged like a group's: a release paused in the ring says so here.
      const name = obj.kind === 'Ring' ? canonicalRingName(obj.metadata.name) : canonicalPhaseName(obj.metadata.name);
      const g = outcomeStatus(plan, (d) => (obj.kind === 'Ring' ? d.ring : d.phase) === name, inFlight, releaseObjects);
      Object.assign(base, g.fields);
      s = g.condition;
    } else if (obj.kind === 'SoftwareRelease') {
      const rel = plan.releases.find((r) => r.component === obj.spec.component && r.version === obj.spec.version);
      if (rel) {
        const view = releaseStatus(rel);
        const { component: _c, version: _v, ...fields } = view;
        Object.assign(base, fields);
        s = releaseCondition(view);
        // Paused for the whole tenant: nothing for this release to retry, and it resumes by itself (seed 000).
        if (view.state === 'Paused' && view.reason === PlannerReason.TenantPaused && plan.autoUpdatesPause) {
          s = { ready: false, reason: PlannerReason.TenantPaused, message: `automatic updates are paused for the tenant until ${plan.autoUpdatesPause.resumeAt} (FleetPolicy/default); release ${view.version} resumes then, or when fleetward resume lifts the pause` };
        } else if (view.state === 'Paused' && rel.message && view.reason) {
          // Another fleet-wide hold of the planner's chain (a freeze): the same, in the hold's own words.
          s = { ready: false, reason: view.reason, message: `${rel.message}; release ${view.version} resumes then` };
        }
      }
    } else if (obj.kind === 'FleetPolicy') {
      // Seed 000: a tenant pause lifts by itself after 15 days; the status says when (docs/spec/fleetpolicies.md).
      const pause = plan.autoUpdatesPause;
      if (pause && Date.parse(plan.at) >= Date.parse(pause.pausedAt)) {
        base.autoUpdatesResumeAt = pause.resumeAt;
        s = { ready: true, reason: R.ReconciliationSucceeded, message: `automatic updates paused until ${pause.resumeAt} (fleetward resume lifts the pause sooner)` };
      } else if (pause) {
        s = { ready: true, reason: R.ReconciliationSucceeded, message: `automatic updates will pause from ${pause.pausedAt} until ${pause.resumeAt}` };
      }
    } else if (obj.kind === 'DeviceInventory') {
      // How many entries matched a reported device; the others are most often a typo in an id, serial or MAC.
      const c = inventoryCounts.get(obj.metadata.name) ?? { matched: 0, unmatched: 0 };
      Object.assign(base, { matched: c.matched, unmatched: c.unmatched });
      const matched = `${c.matched} of ${c.matched + c.unmatched} entries match a device the back end reports`;
      s = { ready: true, reason: R.ReconciliationSucceeded, message: c.unmatched === 0 ? matched : `${matched}; the other ${c.unmatched} match none (a typo in an id, serial number or MAC, or a device not enrolled yet)` };
    } else if ('suspend' in obj.spec && obj.spec.suspend) {
      s = { ready: false, reason: R.Suspended, message: 'spec.suspend is true' };
    } else if (obj.kind === 'SoftwareUpdate') {
      // The planner's blast-radius hold (planner/manual.ts) names the update in a finding: a person must act.
      const held = plan.findings.find((f) => f.code === Finding.ForcedUpdateHeld && f.objects?.includes(key));
      const u = softwareUpdateStatus(plan, obj.metadata.name, obj.spec.component, inFlight);
      Object.assign(base, u.fields);
      s = held ? { ready: false, reason: R.ForcedUpdateHeld, message: held.message, stalled: true } : u.condition;
    }
    base.conditions = summarize(base.conditions, s, at, gen);
    base.lastAppliedRevision = revision.id;
    if (gen !== undefined) base.observedGeneration = gen;
    out[key] = base;
  }
  return out;
}

/** Per paused release (component/version), the rings it is paused in: its pause ring and every later one. */
function pausedRings(plan: Plan): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of plan.releases) {
    if (!r.pause) continue;
    const rings = r.stages.filter((st) => st.kind === 'ring').map((st) => st.name);
    const from = rings.indexOf(r.pause.ring);
    out.set(`${r.component}/${r.version}`, new Set(from < 0 ? [r.pause.ring] : rings.slice(from)));
  }
  return out;
}

/** A SoftwareRelease's Ready condition from its state: a paused or failed release is never Ready. */
function releaseCondition(r: ReleaseStatus): { ready: boolean; reason: string; message: string; reconciling?: boolean; stalled?: boolean } {
  const failures = [r.failed ? `${r.failed} failed` : '', r.rolledBack ? `${r.rolledBack} rolled back` : '', r.held ? `${r.held} held` : ''].filter(Boolean).join(', ');
  const counts = r.stages.map((st) => `${st.kind} ${st.name} ${st.state}: ${st.updated} of ${st.devices} updated${st.failed ? `, ${st.failed} failed` : ''}`).join('; ');
  switch (r.state) {
    case 'Paused':
      return { ready: false, reason: R.ReleasePaused, message: `${pauseSentence(r)}. Retry the failed devices with a SoftwareUpdate, or force it with a declared change. ${counts}`.trimEnd(), stalled: true };
    case 'CompletedWithFailures':
      return { ready: false, reason: R.UpdatesFailed, message: `release ${r.version} went through every stage; ${failures || 'some devices failed'}. ${counts}`.trimEnd(), stalled: true };
    case 'InProgress':
      return { ready: false, reason: R.Progressing, message: `release ${r.version} in progress${failures ? ` (${failures})` : ''}. ${counts}`.trimEnd(), reconciling: true };
    default:
      return { ready: true, reason: R.ReconciliationSucceeded, message: `release ${r.version}: ${r.state}${counts ? `. ${counts}` : ''}` };
  }
}

/** Devices listed in a status field (the rest are counted). */
const LISTED_IN_STATUS = 100;

/**
 * A DeviceGroup's counts (one outcome per device, planner/outcomes.ts) and its Ready condition. A group
 * whose devices failed, rolled back or are held is never Ready: `UpdatesFailed` names them, Reconciling
 * stays True while retries or other devices are still under way, and Stalled is True once nothing is left
 * that the loop can do without a person (kstatus: the object cannot make progress on its own).
 */
export function groupStatus(plan: Plan, group: string, inFlight: ReadonlySet<string>, releaseObjects: ReadonlyMap<string, string> = new Map()): ReturnType<typeof outcomeStatus> {
  return outcomeStatus(plan, (d) => d.group === group, inFlight, releaseObjects);
}

/** The same for any set of devices: a group's, a ring's, a phase's. */
export function outcomeStatus(plan: Plan, member: (d: DevicePlan) => boolean, inFlight: ReadonlySet<string>, releaseObjects: ReadonlyMap<string, string> = new Map()): {
  fields: Record<string, unknown>;
  condition: { ready: boolean; reason: string; message: string; reconciling?: boolean; stalled?: boolean };
} {
  const counts = emptyCounts();
  const ids: Record<Outcome, string[]> = { updated: [], inProgress: [], waiting: [], failed: [], held: [], rolledBack: [], windowMissed: [] };
  const pausedIds: string[] = [];
  const paused = new Set<string>();
  const stopped = pausedRings(plan);
  let members = 0;
  for (const d of plan.devices) {
    if (!member(d)) continue;
    members++;
    const o = deviceOutcome(d, inFlight.has(d.id));
    counts[o]++;
    ids[o].push(d.id);
    // Held by a paused release: it aims for a release paused in its ring or an earlier one, whatever else
    // holds it too (its own failures, a rollback).
    const p = d.components.find((c) => c.reason === PlannerReason.ReleasePaused || (d.ring !== null && stopped.get(`${c.component}/${c.targetVersion}`)?.has(d.ring)));
    if (p && o !== 'updated') { pausedIds.push(d.id); paused.add(`${p.component}/${p.targetVersion}`); }
  }
  const attention = [...ids.rolledBack, ...ids.held, ...ids.failed].sort();
  const fields: Record<string, unknown> = {
    devices: members, upToDate: counts.updated, progressing: counts.inProgress, waiting: counts.waiting,
    failed: counts.failed, held: counts.held, rolledBack: counts.rolledBack, windowMissed: counts.windowMissed, paused: pausedIds.length,
  };
  if (attention.length) fields.failedDevices = attention.slice(0, LISTED_IN_STATUS);
  if (attention.length > LISTED_IN_STATUS) fields.details = STATUS_DETAILS;
  const moving = counts.inProgress + counts.waiting + counts.windowMissed + counts.failed;
  const tally = formatCounts(counts);
  if (pausedIds.length) {
    const where = [...paused].sort().map((k) => {
      const rel = plan.releases.find((r) => `${r.component}/${r.version}` === k);
      const obj = releaseObjects.get(k);
      const [component, version] = k.split('/') as [string, string];
      const sentence = rel ? pauseSentence(releaseStatus(rel)) : `${component} ${version} is paused`;
      return `${sentence}; ${obj ? `see SoftwareRelease/${obj} status` : 'see the releases in `fleetward status`'}`;
    });
    return { fields, condition: { ready: false, reason: R.ReleasePaused, message: `${pausedIds.length} device(s) held by a paused release: ${named(pausedIds)}. ${where.join('; ')}. Devices: ${tally}`, stalled: true } };
  }
  if (attention.length) {
    const parts = (['rolledBack', 'held', 'failed'] as const).filter((o) => ids[o].length).map((o) => `${ids[o].length} ${OUTCOME_WORDS[o]} (${named(ids[o])})`);
    const hint = counts.rolledBack || counts.held ? '; a SoftwareUpdate for them (or a newer release) lets them be tried again' : '; retried automatically after a backoff';
    return {
      fields,
      condition: { ready: false, reason: R.UpdatesFailed, message: `${parts.join(', ')} of ${members} device(s)${hint}. Devices: ${tally}`, reconciling: moving > 0, stalled: moving === 0 },
    };
  }
  if (counts.inProgress || counts.windowMissed) {
    return { fields, condition: { ready: false, reason: R.Progressing, message: `${counts.inProgress} of ${members} device(s) being updated; ${tally}`, reconciling: true } };
  }
  return { fields, condition: { ready: true, reason: counts.updated === members ? R.UpToDate : R.ReconciliationSucceeded, message: `${counts.updated} of ${members} device(s) up to date, none being updated${counts.updated === members ? '' : `; ${tally}`}` } };
}

/** Devices recorded between two yields to the event loop. */
const RECORD_CHUNK = 5_000;

function breathe(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}
