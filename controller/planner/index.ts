// plan(desired, observed, now) → Plan: pure and deterministic (docs/design.md section 1). The gather step
// builds one input per device; each component then goes through a chain of small checks (one file
// per family of rules, reason codes in ./reasons.ts). The first check that decides wins; then the
// target is chosen, and the bounds push its start until nothing moves it (windows last).
// Adding a rule means adding a check to one of these lists, with a table of cases.
import type { DesiredState } from '../api/desired.ts';
import { COMPONENTS, type Component, type ObservedState } from '../api/types.ts';
import { EMPTY_HISTORY, compile, cmp, deviceInput, historyOf, manualFor, type ComponentInput, type Decision, type DeviceInput, type PlanContext } from './gather.ts';
import { autoUpdateDisabled, assignGroup, groupSuspended } from './groups.ts';
import { heldAfterFailures, heldAfterRollback, inFlight, retryBackoff } from './failures.ts';
import { unhealthyAfterUpdate } from './health.ts';
import { catchUpAvailability, isUnsupported, reportUnsupported } from './lifecycle.ts';
import { forcedReach, manualUpdate } from './manual.ts';
import { phaseAvailability } from './phases.ts';
import { Finding, Reason } from './reasons.ts';
import { census, releasePlans, ringFailures, UpdatePaths, type StageFailures } from './releases.ts';
import { computeRingPauses, releasePaused, ringAvailability } from './rings.ts';
import { cloudManualOnly, componentManualOnly, tenantPause } from './tenant.ts';
import type { ComponentPlan, DevicePlan, Plan, PlannedOperation } from './types.ts';
import { UP_TO_DATE, chooseTarget, newestVerified, unknownVersion, type Choice } from './versions.ts';
import { activityHold, noWindow, windowEnd, windowMissedWait } from './windows.ts';
import { oneUpdateAtATime } from './sequence.ts';

type Gate = (ci: ComponentInput, ctx: PlanContext) => Decision | null;
type TargetCheck = (ci: ComponentInput, choice: Choice, ctx: PlanContext) => Decision | null;
type Bound = (ci: ComponentInput, choice: Choice, t: number, ctx: PlanContext) => { at: number; reason: Reason } | null;

/** Decide before any target is chosen: in flight, a manual update, then what rules out automatic updates. */
const GATES: Gate[] = [inFlight, manualUpdate];
const AUTO_GATES: Gate[] = [componentManualOnly, unhealthyAfterUpdate, cloudManualOnly, groupSuspended, autoUpdateDisabled, unknownVersion, noWindow];
/** Decide once the target is known. */
const TARGET_CHECKS: TargetCheck[] = [heldAfterRollback, heldAfterFailures, releasePaused];
/** Push the start later; applied until nothing moves, then aligned to the maintenance window. */
const BOUNDS: Bound[] = [retryBackoff, tenantPause];

function decide(ci: ComponentInput, ctx: PlanContext, unsupported: boolean): Decision {
  for (const gate of GATES) {
    const d = gate(ci, ctx);
    if (d) return d;
  }
  for (const gate of AUTO_GATES) {
    const d = gate(ci, ctx);
    if (d) return d.target !== null || d.reason === Reason.UnknownVersion ? d : withNewest(ci, d);
  }
  const ring = ci.d.stage.kind === 'ring';
  const catchUp = unsupported && ring;
  const avail = catchUp ? catchUpAvailability : ring ? ringAvailability : phaseAvailability;
  const choice = chooseTarget(ci, ctx, avail, ring && !catchUp);
  if (!('release' in choice)) return choice;
  for (const check of TARGET_CHECKS) {
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

function schedule(ci: ComponentInput, choice: Choice, ctx: PlanContext): Decision {
  const now = ctx.now;
  const failing = ci.history.failures.has(choice.release.version);
  let t = Math.max(choice.at, now);
  let reason: Reason | null = choice.at > now ? choice.waitReason : null;
  for (let round = 0; round < 8; round++) {
    let moved = false;
    for (const bound of BOUNDS) {
      const b = bound(ci, choice, t, ctx);
      if (b && b.at > t) { t = b.at; reason = b.reason; moved = true; }
    }
    const w = ci.d.calendar.nextStart(t);
    if (Number.isNaN(w)) return { state: 'Blocked', reason: Reason.NoWindow, target: choice.release.version, notBefore: null };
    if (w > t) { t = w; reason ??= Reason.OutsideWindow; moved = true; }
    if (!moved) break;
  }
  let state: Decision['state'] = 'Due';
  if (t > now) { state = failing ? 'Failed' : 'Scheduled'; reason ??= Reason.OutsideWindow; }
  else {
    const hold = activityHold(ci.d, false);
    if (hold) { state = 'Scheduled'; reason = hold; }
    else reason = failing ? Reason.RetryAfterFailure : choice.dueReason;
  }
  const out: Decision = { state, reason: reason!, target: choice.release.version, notBefore: t, stageStart: choice.stageStart, stageName: choice.stageName };
  if (state === 'Due') out.windowEnd = windowEnd(ci, now);
  else {
    const missed = windowMissedWait(ci, out);
    if (missed) return missed;
  }
  return out;
}

export function plan(desired: DesiredState, observed: ObservedState, now: Date, opts: { revision?: string } = {}): Plan {
  const ctx = compile(desired, observed, now);
  const fleet = [...observed.devices].sort((a, b) => cmp(a.id, b.id));

  // 1. gather, and count every device into the census (ring failure thresholds need it first).
  const inputs: DeviceInput[] = new Array(fleet.length);
  const failures: StageFailures = new Map();
  for (let i = 0; i < fleet.length; i++) {
    const device = fleet[i]!;
    const d = deviceInput(ctx, device, assignGroup(ctx, device));
    census(ctx, d, d.row, failures);
    inputs[i] = d;
  }
  computeRingPauses(ctx, ringFailures(ctx, failures));
  // How many devices each forced `schedule: now` update reaches, before any is decided (its blast radius).
  ctx.forcedReach = forcedReach(ctx, inputs);

  // 2. decide, device by device, component by component.
  const isoCache = new Map<number, string>();
  const iso = (t: number | null): string | null => {
    if (t === null) return null;
    let s = isoCache.get(t);
    if (s === undefined) isoCache.set(t, (s = new Date(t).toISOString()));
    return s;
  };
  const operations: PlannedOperation[] = [];
  const paths = new UpdatePaths();
  const devices: DevicePlan[] = new Array(inputs.length);
  const hasManual = ctx.manualByDevice.size > 0 || ctx.manualByGroup.size > 0;
  // Each device's components are collected here and copied out at their exact size: an array grown
  // by push keeps room for 17, which at 100k devices is megabytes the collector copies for nothing.
  const scratch: ComponentPlan[] = [];
  const dueNow: PlannedOperation[] = [];
  const ci: ComponentInput = { d: inputs[0]!, component: 'firmware', current: null, entry: undefined, currentRelease: undefined, history: EMPTY_HISTORY, manual: null };
  for (let i = 0; i < inputs.length; i++) {
    const d = inputs[i]!;
    const device = d.device;
    const row = d.row;
    scratch.length = 0;
    dueNow.length = 0;
    for (let c = 0; c < COMPONENTS.length; c++) {
      const component: Component = COMPONENTS[c]!;
      const current = device.software?.[component] ?? null;
      const manual = hasManual ? manualFor(ctx, d, component) : null;
      if (current === null && !manual) continue;
      const entry = row[c];
      // One input object, refilled per component: checks never keep it.
      ci.d = d; ci.component = component; ci.current = current; ci.entry = entry;
      ci.currentRelease = current === null ? undefined : entry?.versions.get(current);
      ci.history = historyOf(ctx, d, component);
      ci.manual = manual;
      const unsupported = isUnsupported(ci, ctx);
      if (unsupported) reportUnsupported(ci, ctx);
      const dec = decide(ci, ctx, unsupported);
      // Built with its message in the literal (most decisions have one): adding it afterwards costs a
      // second allocation per component at 100k devices.
      const notBefore = iso(dec.notBefore);
      const cp: ComponentPlan = dec.message
        ? { component, currentVersion: current, targetVersion: dec.target, state: dec.state, reason: dec.reason, notBefore, message: dec.message }
        : { component, currentVersion: current, targetVersion: dec.target, state: dec.state, reason: dec.reason, notBefore };
      if (unsupported) cp.unsupported = true;
      // In flight is decided before the manual path: the SoftwareUpdate still owns the component (its status counts it).
      const su = dec.softwareUpdate ?? (manual && dec.state === 'InProgress' ? manual.name : undefined);
      if (su !== undefined) cp.softwareUpdate = su;
      scratch.push(cp);
      if (dec.state === 'Due' && dec.target !== null) {
        const op: PlannedOperation = { deviceId: device.id, component, fromVersion: current, toVersion: dec.target, reason: dec.reason };
        if (dec.forced) op.forced = true;
        if (dec.softwareUpdate) op.softwareUpdate = dec.softwareUpdate;
        if (dec.windowEnd !== undefined) op.windowEndsAt = iso(dec.windowEnd)!;
        dueNow.push(op);
        if (dec.forced) ctx.findings.add(Finding.ForcedUpdate, `SoftwareUpdate ${dec.softwareUpdate} forces {count} operation{s} now (recorded on each operation)`, [`SoftwareUpdate/${dec.softwareUpdate}`]);
      }
      if (!dec.softwareUpdate) paths.add(d, entry, current, dec, ctx.now);
    }
    const issue = oneUpdateAtATime(scratch, dueNow);
    if (issue) operations.push(issue);
    devices[i] = {
      id: device.id,
      group: d.group?.name ?? null,
      phase: d.stage.kind === 'phase' ? d.stage.name : null,
      ring: d.stage.kind === 'ring' ? d.stage.name : null,
      maintenanceWindow: d.window.name,
      components: scratch.slice(),
    };
  }

  const pausing = ctx.policy.pauseUntil > ctx.now && ctx.policy.pauseFrom !== Infinity;
  if (pausing) {
    ctx.findings.add(Finding.TenantPaused, `automatic updates are paused from ${iso(ctx.policy.pauseFrom)} until ${iso(ctx.policy.pauseUntil)} (15 days; remove autoUpdates.pausedAt to resume earlier)`, ['FleetPolicy/default']);
  }

  return {
    at: now.toISOString(),
    revision: opts.revision ?? null,
    operations,
    devices,
    releases: releasePlans(ctx, failures, inputs, devices),
    updatePaths: paths.list(),
    ...(pausing ? { autoUpdatesPause: { pausedAt: wholeSeconds(ctx.policy.pauseFrom), resumeAt: wholeSeconds(ctx.policy.pauseUntil) } } : {}),
    findings: ctx.findings.list(),
  };
}

/** `2026-12-08T12:00:00Z`: instants an admin typed read back as typed, without `.000`. */
function wholeSeconds(t: number): string {
  return new Date(t).toISOString().replace('.000Z', 'Z');
}
