// The planner's one chain (docs/planner.md "How a decision is made"; after cert-manager's policy chains):
// every rule is a small pure check in the file of its family, listed once in CHAIN below. `plan`, `forecast`,
// manual updates (SoftwareUpdate) and the release states all decide through this file, so a rule can never
// disagree with itself. Adding a rule means writing its check and adding it to one list here.
//
//   gates          decide before any target is chosen (in flight, then the manual path, then what rules out
//                  automatic updates); the first that returns a decision wins;
//   targetChecks   decide once the automatic target is known (held, paused);
//   bounds         push the earliest start later ("not before T because R"); applied until nothing moves,
//                  each time followed by the maintenance window when the start is bound to one. The same
//                  bounds answer for a SoftwareUpdate (`manual: true`) and, without a device, for a release;
//   notices        fleet-wide facts a person should know (plan findings, forecast notes).
import { Reason } from './reasons.ts';
import type { CompiledRelease, ComponentInput, Decision, Hold, Notice, PlanContext, StartQuery } from './gather.ts';
import { autoUpdateDisabled, groupSuspended } from './groups.ts';
import { heldAfterFailures, heldAfterRollback, inFlight, retryBackoff } from './failures.ts';
import { freezeNotices, frozen } from './freeze.ts';
import { unhealthyAfterUpdate } from './health.ts';
import { catchUpAvailability } from './lifecycle.ts';
import { manualUpdate, type ManualStart } from './manual.ts';
import { phaseAvailability } from './phases.ts';
import { releasePaused, ringAvailability } from './rings.ts';
import { cloudManualOnly, componentManualOnly, tenantPause, tenantPauseNotice } from './tenant.ts';
import { UP_TO_DATE, chooseTarget, newestVerified, targetRelease, unknownVersion, type Choice } from './versions.ts';
import { activityHold, noWindow, windowEnd, windowMissedWait, type WindowCalendar } from './windows.ts';

export type Gate = (ci: ComponentInput, ctx: PlanContext) => Decision | null;
export type TargetCheck = (ci: ComponentInput, choice: Choice, ctx: PlanContext) => Decision | null;
export type Bound = (q: StartQuery, t: number, ctx: PlanContext) => Hold | null;

/** The table: every check of the planner, in the order it is asked. */
export const CHAIN = {
  /** What rules out automatic updates (after in flight and the manual path). */
  autoGates: [componentManualOnly, unhealthyAfterUpdate, cloudManualOnly, groupSuspended, autoUpdateDisabled, unknownVersion, noWindow] as Gate[],
  targetChecks: [heldAfterRollback, heldAfterFailures, releasePaused] as TargetCheck[],
  bounds: [retryBackoff, tenantPause, frozen] as Bound[],
  notices: [tenantPauseNotice, freezeNotices] as ((ctx: PlanContext) => Notice | Notice[] | null)[],
} as const;

/** The reasons a retry's backoff gives: a start it moved is a failed update waiting (state Failed). */
const RETRY_REASONS = new Set<Reason>([Reason.RetryBackoff, Reason.OperationTimedOut]);

export interface Settled {
  /** The earliest start; NaN when the window never opens. */
  at: number;
  /** The last bound that moved the start, if any. */
  hold: Hold | null;
  /** The window moved it. */
  windowMoved: boolean;
}

/**
 * The earliest start at or after `t`: every bound in turn, then the window (when `calendar` is given: an
 * automatic update, or a SoftwareUpdate for the next window), until nothing moves.
 */
export function settle(q: StartQuery, t: number, ctx: PlanContext, calendar: WindowCalendar | null): Settled {
  const out: Settled = { at: t, hold: null, windowMoved: false };
  if (Number.isNaN(t)) return out;
  for (let round = 0; round < 8; round++) {
    let moved = false;
    for (const bound of CHAIN.bounds) {
      const b = bound(q, t, ctx);
      if (b && b.at > t) { t = b.at; out.hold = b; moved = true; }
    }
    if (calendar) {
      const w = calendar.nextStart(t);
      if (Number.isNaN(w)) { out.at = NaN; return out; }
      if (w > t) { t = w; out.windowMoved = true; moved = true; }
    }
    if (!moved) break;
  }
  out.at = t;
  return out;
}

const FLEET_WIDE: StartQuery = { ci: null, version: null, manual: false };

/** What holds every automatic start of the fleet at `t` (a release's state: Paused, with the bound's reason), or null. */
export function fleetHold(ctx: PlanContext, t: number): Hold | null {
  const s = settle(FLEET_WIDE, t, ctx, null);
  return s.at > t ? s.hold : null;
}

/** The fleet-wide notices, in table order. */
export function notices(ctx: PlanContext): Notice[] {
  return CHAIN.notices.flatMap((n) => n(ctx) ?? []);
}

/**
 * One component's decision. `only`: decide about this release instead of the next hop the rules choose (the
 * forecast asks about one release); every other check is the same.
 */
export function decide(ci: ComponentInput, ctx: PlanContext, unsupported: boolean, only?: CompiledRelease): Decision {
  const busy = inFlight(ci);
  if (busy) return busy;
  const manual = manualUpdate(ci, ctx);
  if (manual) return 'manual' in manual ? scheduleManual(ci, manual, ctx) : manual;
  for (const gate of CHAIN.autoGates) {
    const d = gate(ci, ctx);
    if (d) return d.target !== null || d.reason === Reason.UnknownVersion ? d : withNewest(ci, d);
  }
  const ring = ci.d.stage.kind === 'ring';
  const catchUp = unsupported && ring;
  const avail = catchUp ? catchUpAvailability : ring ? ringAvailability : phaseAvailability;
  const choice = only ? targetRelease(ci, ctx, avail, only) : chooseTarget(ci, ctx, avail, ring && !catchUp);
  if (!('release' in choice)) return choice;
  for (const check of CHAIN.targetChecks) {
    const d = check(ci, choice, ctx);
    if (d) return d;
  }
  return schedule(ci, choice, ctx);
}

/**
 * An automatic update ruled out: report what it would have installed, or UpToDate when nothing is newer.
 * Gate decisions are shared and never mutated, so the result is shared too, per (decision, model, version).
 */
const withNewestCache = new WeakMap<Decision, WeakMap<object, Map<string | null, Decision>>>();
function withNewest(ci: ComponentInput, d: Decision): Decision {
  const owner = ci.entry ?? ci.d.row;
  let byOwner = withNewestCache.get(d);
  if (!byOwner) withNewestCache.set(d, (byOwner = new WeakMap()));
  let byVersion = byOwner.get(owner);
  if (!byVersion) byOwner.set(owner, (byVersion = new Map()));
  let out = byVersion.get(ci.current);
  if (out) return out;
  const newest = newestVerified(ci);
  if (!newest) out = UP_TO_DATE;
  else {
    out = { state: d.state, reason: d.reason, target: newest.version, notBefore: null };
    if (d.message) out.message = d.message;
  }
  byVersion.set(ci.current, out);
  return out;
}

// One query object for automatic starts, refilled per component (bounds never keep it).
const automatic: StartQuery = { ci: null, version: null, manual: false };

/** The automatic target's start: bounds and window, then what keeps a due update from starting now. */
function schedule(ci: ComponentInput, choice: Choice, ctx: PlanContext): Decision {
  const now = ctx.now;
  const version = choice.release.version;
  const failing = ci.history.failures.has(version);
  automatic.ci = ci;
  automatic.version = version;
  const s = settle(automatic, Math.max(choice.at, now), ctx, ci.d.calendar);
  automatic.ci = null;
  if (Number.isNaN(s.at)) return { state: 'Blocked', reason: Reason.NoWindow, target: version, notBefore: null };
  const t = s.at;
  let reason: Reason | null = s.hold?.reason ?? (choice.at > now ? choice.waitReason : s.windowMoved ? Reason.OutsideWindow : null);
  let state: Decision['state'] = 'Due';
  if (t > now) { state = failing ? 'Failed' : 'Scheduled'; reason ??= Reason.OutsideWindow; }
  else {
    const hold = activityHold(ci.d, false);
    if (hold) { state = 'Scheduled'; reason = hold; }
    else reason = failing ? Reason.RetryAfterFailure : choice.dueReason;
  }
  const out: Decision = { state, reason: reason!, target: version, notBefore: t, stageStart: choice.stageStart, stageName: choice.stageName };
  if (t > now && s.hold?.message && reason === s.hold.reason) out.message = s.hold.message;
  if (state === 'Due') out.windowEnd = windowEnd(ci, now);
  else {
    const missed = windowMissedWait(ci, out);
    if (missed) return missed;
  }
  return out;
}

/** A SoftwareUpdate's start: the same bounds (its own retry budget, a freeze that holds manual updates), its window only for nextMaintenanceWindow. */
function scheduleManual(ci: ComponentInput, m: ManualStart, ctx: PlanContext): Decision {
  const now = ctx.now;
  const su = m.manual;
  const s = settle({ ci, version: m.target, manual: true }, m.at, ctx, m.inWindow ? ci.d.calendar : null);
  if (Number.isNaN(s.at)) return { softwareUpdate: su.name, state: 'Blocked', reason: Reason.NoWindow, target: m.target, notBefore: null };
  const base = su.force ? { softwareUpdate: su.name, forced: true } : { softwareUpdate: su.name };
  const t = s.at;
  if (t > now) {
    const reason = s.hold?.reason ?? m.reason;
    const out: Decision = { ...base, state: RETRY_REASONS.has(reason) ? 'Failed' : 'Scheduled', reason, target: m.target, notBefore: t };
    if (s.hold?.message) out.message = s.hold.message;
    return out;
  }
  const hold = activityHold(ci.d, su.force && su.schedule === 'now');
  if (hold) return { ...base, state: 'Scheduled', reason: hold, target: m.target, notBefore: now };
  const due = su.force ? Reason.ForcedUpdate : m.failing ? Reason.RetryAfterFailure : m.reason === Reason.ManualScheduleCapped ? m.reason : Reason.ManualUpdate;
  // Only `nextMaintenanceWindow` binds the update to a window, and so to its end as a start deadline.
  const end = m.inWindow ? windowEnd(ci, now) : undefined;
  return { ...base, state: 'Due', reason: due, target: m.target, notBefore: now, ...(end !== undefined ? { windowEnd: end } : {}) };
}
