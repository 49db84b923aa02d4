// Manual updates (seed 000 "Manually update remote devices"; seed 002 deferral cap; seed 001 force):
// a SoftwareUpdate names a version (or `latest`: the newest verified release) for a group or devices.
//  - `schedule: now` starts at once, outside any window; `nextMaintenanceWindow` waits for the
//    device's next window; `{at, timeZone}` waits for that local time (the device's zone by default);
//  - for firmware on a phase device, a date later than the phase's deferral cap is pulled back to the
//    cap (seed 002: "la date et l'heure prévues sont ignorées");
//  - manual updates work for unknown versions, preview releases, gcch / dod tenants, paused tenants and
//    held devices (a person acted); they still go step-wise through minimumVersion, never to a
//    blocked release, and never downgrade;
//  - a busy device is not interrupted unless the update is `force` with `schedule: now`; every forced
//    operation carries `forced: true` (seed 001: every force is recorded);
//  - blast radius: a forced `schedule: now` update that would force more devices at once than FleetPolicy
//    `maxForcedDevices` (default 20) is held until its `acknowledgeForcedDevices` covers that many, or its
//    target is narrowed. The acknowledgement is a ceiling on the count, not a yes: a group that grew past
//    it is held again (forcedUpdateHold).
import { cmpV } from './slots.ts';
import { COMPONENTS, type Component } from '../api/types.ts';
import { historyOf, manualFor, scheduledAt, type CompiledManual, type CompiledRelease, type ComponentInput, type Decision, type DeviceInput, type PlanContext } from './gather.ts';
import { inFlight, manualRolledBack, retryAfterFailures } from './failures.ts';
import { phaseStart } from './phases.ts';
import { Finding, Reason } from './reasons.ts';
import { meetsMinimum } from './versions.ts';

const atCache = new Map<string, number>();
function localAt(text: string, zone: string): number {
  const key = `${text}\u0000${zone}`;
  let t = atCache.get(key);
  if (t === undefined) {
    if (atCache.size > 10_000) atCache.clear();
    atCache.set(key, (t = scheduledAt(text, zone)));
  }
  return t;
}

function requestedRelease(ci: ComponentInput): CompiledRelease | undefined {
  const list = ci.entry?.releases;
  if (!list) return undefined;
  if (ci.manual!.version !== 'latest') return ci.entry!.versions.get(ci.manual!.version);
  for (let i = list.length - 1; i >= 0; i--) if (list[i]!.verified && !list[i]!.blocked) return list[i];
  return undefined;
}

/** The hop toward `requested`: itself when its minimum is met, else the newest release below it whose minimum is. */
function hopToward(ci: ComponentInput, requested: CompiledRelease): CompiledRelease | undefined {
  if (meetsMinimum(ci.current, requested)) return requested;
  const list = ci.entry!.releases;
  for (let i = list.indexOf(requested) - 1; i >= 0; i--) {
    const r = list[i]!;
    if (ci.current !== null && cmpV(r.version, ci.current) <= 0) return undefined;
    if (!r.blocked && r.verified && meetsMinimum(ci.current, r)) return r;
  }
  return undefined;
}

export function manualUpdate(ci: ComponentInput, ctx: PlanContext): Decision | ManualStart | null {
  const m = ci.manual;
  if (!m) return null;
  const base = { softwareUpdate: m.name };
  const requested = requestedRelease(ci);
  if (!requested) {
    return { ...base, state: 'Blocked', reason: Reason.ManualVersionUnknown, target: m.version === 'latest' ? null : m.version, notBefore: null,
      message: `SoftwareUpdate ${m.name}: no ${m.version} release of ${ci.component} for ${ci.d.device.manufacturer} ${ci.d.device.model}` };
  }
  if (requested.blocked) {
    return { ...base, state: 'Blocked', reason: Reason.ReleaseBlocked, target: requested.version, notBefore: null, message: `${requested.version} is blocked: ${requested.blocked}` };
  }
  if (ci.current !== null && cmpV(ci.current, requested.version) >= 0) {
    return { ...base, state: 'UpToDate', reason: Reason.ManualApplied, target: null, notBefore: null };
  }
  const target = hopToward(ci, requested);
  if (!target) {
    return { ...base, state: 'Blocked', reason: Reason.NoUpdatePath, target: requested.version, notBefore: null,
      message: `${requested.version} needs at least ${requested.minimumVersion} and no release in between is available` };
  }
  if (m.force && m.schedule === 'now' && ctx.forcedReach) {
    const hold = forcedUpdateHold(m.name, { forced: ctx.forcedReach.get(m.name) ?? 0, limit: ctx.policy.maxForcedDevices, acknowledged: m.acknowledged });
    if (hold) return { ...base, state: 'Held', reason: hold.reason, target: target.version, notBefore: null, message: hold.message };
  }
  const rolledBack = manualRolledBack(ci, target.version, m.createdAt);
  if (rolledBack) return { ...rolledBack, ...base };
  const retry = retryAfterFailures(ci, target.version, ctx, true);
  if (retry && 'state' in retry) return { ...retry, ...base };

  // When the SoftwareUpdate asks to start; chain.ts applies the shared time bounds (retry backoff, freezes)
  // and, for nextMaintenanceWindow only, the window.
  const d = ci.d;
  const s = m.schedule;
  let at = ctx.now;
  let reason: Reason = m.force ? Reason.ForcedUpdate : Reason.ManualUpdate;
  if (s === 'nextMaintenanceWindow') {
    at = d.calendar.nextStart(ctx.now);
  } else if (typeof s === 'object') {
    at = localAt(s.at, s.timeZone ?? d.zone);
    if (Number.isNaN(at)) {
      return { ...base, state: 'Blocked', reason: Reason.InvalidSchedule, target: target.version, notBefore: null,
        message: `SoftwareUpdate ${m.name}: schedule.at ${JSON.stringify(s.at)} in ${s.timeZone ?? d.zone} is not a local date-time` };
    }
    reason = Reason.ManualScheduled;
    const phase = d.stage.phase;
    if (ci.component === 'firmware' && phase) {
      const cap = phaseStart(phase, target);
      if (at > cap) { at = cap; reason = Reason.ManualScheduleCapped; }
    }
    at = Math.max(at, ctx.now);
  }
  return { manual: m, target: target.version, at, reason, inWindow: s === 'nextMaintenanceWindow', failing: retry !== null };
}

/** A SoftwareUpdate that passed its checks: when it asks to start. chain.ts schedules it. */
export interface ManualStart {
  manual: CompiledManual;
  target: string;
  /** The requested start (now, its `at` pulled back to a cap, or the next window opening); NaN when the window never opens. */
  at: number;
  reason: Reason;
  /** `nextMaintenanceWindow`: bound to the device's window (and its end as a start deadline). */
  inWindow: boolean;
  /** Earlier attempts of this update failed: a start now is a retry. */
  failing: boolean;
}

// ---- blast radius of forced updates ------------------------------------------------------------------

/** How far one forced `schedule: now` SoftwareUpdate reaches, and what allows it. */
export interface ForcedReach {
  /** Devices it would force now (their decisions, the hold aside). */
  forced: number;
  /** FleetPolicy maxForcedDevices. */
  limit: number;
  /** spec.acknowledgeForcedDevices, or null. */
  acknowledged: number | null;
}

/** Null when the update may go ahead; else why it is held, in words a person can act on. */
export function forcedUpdateHold(name: string, r: ForcedReach): { reason: Reason; message: string } | null {
  if (r.forced <= r.limit) return null;
  if (r.acknowledged !== null && r.forced <= r.acknowledged) return null;
  const stale = r.acknowledged === null ? '' : `; spec.acknowledgeForcedDevices is ${r.acknowledged}, fewer than it reaches now (the target grew)`;
  return {
    reason: Reason.ForcedUpdateNotAcknowledged,
    message: `SoftwareUpdate ${name} would force ${r.forced} devices at once (interrupting meetings), more than FleetPolicy maxForcedDevices (${r.limit})${stale}: held until spec.acknowledgeForcedDevices is at least ${r.forced}, or the target is narrowed`,
  };
}

const forcedNow = (m: CompiledManual): boolean => m.force && m.schedule === 'now';

/**
 * Per forced `schedule: now` SoftwareUpdate, the devices it would force this pass: the same manualUpdate
 * decision each device gets, counted before any device is decided (ctx.forcedReach is null meanwhile, so
 * the hold does not count itself). Devices with the update already in flight or done are not counted.
 * Each held update gives one finding naming it.
 */
export function forcedReach(ctx: PlanContext, inputs: readonly DeviceInput[]): Map<string, number> {
  const reach = new Map<string, number>();
  const updates = new Map<string, CompiledManual>();
  for (const l of [...ctx.manualByDevice.values(), ...ctx.manualByGroup.values()]) for (const m of l) if (forcedNow(m)) updates.set(m.name, m);
  if (!updates.size) return reach;
  const components = new Set<Component>([...updates.values()].map((m) => m.component));
  for (const d of inputs) {
    for (const component of components) {
      const manual = manualFor(ctx, d, component);
      if (!manual || !forcedNow(manual)) continue;
      const current = d.device.software?.[component] ?? null;
      const entry = d.row[COMPONENTS.indexOf(component)];
      const ci: ComponentInput = {
        d, component, current, entry, currentRelease: current === null ? undefined : entry?.versions.get(current),
        history: historyOf(ctx, d, component), manual,
      };
      if (inFlight(ci)) continue;
      const start = manualUpdate(ci, ctx);
      if (start && 'manual' in start) reach.set(manual.name, (reach.get(manual.name) ?? 0) + 1);
    }
  }
  for (const m of updates.values()) {
    const hold = forcedUpdateHold(m.name, { forced: reach.get(m.name) ?? 0, limit: ctx.policy.maxForcedDevices, acknowledged: m.acknowledged });
    if (hold) ctx.findings.add(Finding.ForcedUpdateHeld, hold.message, [`SoftwareUpdate/${m.name}`]);
  }
  return reach;
}
