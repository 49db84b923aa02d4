// Failures (seed 000 FAQ "updates are automatically retried"; seed 001 "Retry all failed"): derived
// from the observed operation history, never from memory —
//  - an operation queued / scheduled / in progress is in flight: the component is InProgress and
//    nothing is planned for it (the driver would answer 409, seed 003);
//  - an operation in progress longer than FleetPolicy.operationTimeout counts as failed at that
//    instant (a hanging device must not stall a rollout);
//  - a failed hop is retried after a backoff that doubles per failed attempt (retry.backoff, capped by
//    retry.maxBackoff), up to retry.maxAttempts attempts;
//  - after maxAttempts failures of the same hop an automatic update is Held, and reported, until a
//    person acts: a SoftwareUpdate for it, or a newer release (a different hop);
//  - a device that reports an older version after an update to V succeeded rolled back: that counts as a
//    failure of V (its ring's threshold, releases.ts census) and V is Held (RolledBack) for it until a
//    person acts, the same way.
import type { DeviceOperation } from '../api/types.ts';
import type { ComponentHistory, ComponentInput, Decision, Hold, HopFailures, PlanContext, StartQuery } from './gather.ts';
import { Finding, Reason } from './reasons.ts';
import { cmpV } from './slots.ts';
import type { Choice } from './versions.ts';

export function inFlight(ci: ComponentInput): Decision | null {
  const op = ci.history.inFlight;
  if (!op) return null;
  return {
    state: 'InProgress', reason: Reason.OperationInFlight, target: op.toVersion ?? null, notBefore: null,
    message: `operation ${op.id} is ${op.status}`,
  };
}

/** Backoff before attempt n+1 after n failed attempts: backoff × 2^(n-1), at most maxBackoff. */
export function backoffMs(ctx: PlanContext, failedAttempts: number): number {
  const b = ctx.policy.backoffMs * 2 ** Math.max(0, failedAttempts - 1);
  return Math.min(b, ctx.policy.maxBackoffMs);
}

export type RetryBound = Hold;

/** Failed attempts of the hop to `version` that count against this update (a manual one gets its own budget). */
export function failuresOf(ci: ComponentInput, version: string, ctx: PlanContext, manual: boolean): HopFailures | undefined {
  const f = ci.history.failures.get(version);
  if (!f || !manual) return f;
  const times = ci.history.failureTimes.get(version) ?? [];
  const m = ci.manual;
  let counted: number[];
  if (m?.createdAt != null) counted = times.filter((t) => t >= m.createdAt!);
  // Without a creation time, the attempts that led to the hold are not the manual update's.
  else counted = f.count >= ctx.policy.maxAttempts ? times.slice(ctx.policy.maxAttempts) : times;
  if (!counted.length) return undefined;
  return { count: counted.length, lastAt: Math.max(...counted), timedOut: f.timedOut };
}

/**
 * After failures of the hop to `version`: Held / Failed once maxAttempts is reached, otherwise the
 * instant the retry may start (state Failed until then).
 */
export function retryAfterFailures(ci: ComponentInput, version: string, ctx: PlanContext, manual: boolean): Decision | RetryBound | null {
  const f = failuresOf(ci, version, ctx, manual);
  if (!f) return null;
  if (f.count >= ctx.policy.maxAttempts) {
    if (manual) {
      return { state: 'Failed', reason: Reason.RetriesExhausted, target: version, notBefore: null, message: `${f.count} attempts failed` };
    }
    const d = ci.d.device;
    ctx.findings.add(Finding.DevicesHeld,
      `${ci.component} ${ci.current ?? '(none)'} → ${version} (${d.manufacturer} ${d.model}) failed ${f.count} times: {count} device{s} held until a person acts (a SoftwareUpdate or a newer release)`);
    return {
      state: 'Held', reason: Reason.FailureHold, target: version, notBefore: null,
      message: `${f.count} attempts of ${version} failed; held until a person acts`,
    };
  }
  return { at: f.lastAt + backoffMs(ctx, f.count), reason: f.timedOut ? Reason.OperationTimedOut : Reason.RetryBackoff };
}

/** Target check: Held after maxAttempts failures of the hop. */
export function heldAfterFailures(ci: ComponentInput, choice: Choice, ctx: PlanContext): Decision | null {
  const r = retryAfterFailures(ci, choice.release.version, ctx, false);
  return r && 'state' in r ? r : null;
}

/** Bound: a retry waits for its backoff (a SoftwareUpdate counts its own attempts). */
export function retryBackoff(q: StartQuery, _t: number, ctx: PlanContext): Hold | null {
  if (!q.ci || q.version === null) return null;
  const r = retryAfterFailures(q.ci, q.version, ctx, q.manual);
  return r && !('state' in r) ? r : null;
}

/** The successful update the device undid: it now reports an older version than that update installed. */
export function rollbackOf(current: string | null, history: ComponentHistory): DeviceOperation | null {
  const op = history.lastSuccess;
  if (!op?.toVersion || current === null) return null;
  return cmpV(current, op.toVersion) < 0 ? op : null;
}

/**
 * A SoftwareUpdate is the person acting after a rollback: it is issued once more. If the device rolls its
 * operation back too, it is not issued again (Held, RolledBack): the rolled-back operation started after
 * the SoftwareUpdate was created or, without a creation time (a config directory), the version was rolled
 * back before as well.
 */
export function manualRolledBack(ci: ComponentInput, version: string, createdAt: number | null): Decision | null {
  const op = rollbackOf(ci.current, ci.history);
  if (!op || op.toVersion !== version) return null;
  const times = (ci.history.rollbacks.get(version) ?? 0) + (op.rolledBackAt ? 0 : 1);
  const own = createdAt !== null ? Date.parse(op.createdAt) >= createdAt : times >= 2;
  if (!own) return null;
  return {
    state: 'Held', reason: Reason.RolledBack, target: version, notBefore: null,
    message: `the device rolled ${version} back again after this SoftwareUpdate's operation ${op.id} succeeded (reports ${ci.current}); not issued again`,
  };
}

/** Target check: a version the device rolled back is not sent to it again automatically. */
export function heldAfterRollback(ci: ComponentInput, choice: Choice, ctx: PlanContext): Decision | null {
  const op = rollbackOf(ci.current, ci.history);
  const version = choice.release.version;
  if (!op || op.toVersion !== version) return null;
  const d = ci.d.device;
  ctx.findings.add(Finding.DevicesRolledBack,
    `${ci.component} ${version} (${d.manufacturer} ${d.model}): {count} device{s} rolled back after the update succeeded; held until a person acts (a SoftwareUpdate or a newer release)`);
  return {
    state: 'Held', reason: Reason.RolledBack, target: version, notBefore: null,
    message: `the update to ${version} succeeded (operation ${op.id}, ${op.completedAt ?? op.createdAt}) but the device reports ${ci.current}: rolled back; not issued again until a person acts (a SoftwareUpdate, or a newer release)`,
  };
}
