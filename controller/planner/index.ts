// plan(desired, observed, now) → Plan: pure and deterministic (docs/design.md section 1). The gather step
// builds one input per device and counts the fleet (ring failure thresholds need every device first);
// then each component goes through the planner's one chain of checks (./chain.ts, reason codes in
// ./reasons.ts) — the same chain `forecast`, manual updates and the release states use.
import type { DesiredState } from '../api/desired.ts';
import { wholeSecondsIso } from '../api/instant.ts';
import { COMPONENTS, type Component, type ObservedState } from '../api/types.ts';
import { decide, notices } from './chain.ts';
import { EMPTY_HISTORY, compile, cmp, deviceInput, historyOf, manualFor, type ComponentInput, type DeviceInput, type PlanContext } from './gather.ts';
import { assignGroup } from './groups.ts';
import { isUnsupported, reportUnsupported } from './lifecycle.ts';
import { forcedReach } from './manual.ts';
import { Finding } from './reasons.ts';
import { census, releasePlans, ringFailures, UpdatePaths, type StageFailures } from './releases.ts';
import { computeRingPauses } from './rings.ts';
import { tenantPauseAhead } from './tenant.ts';
import type { ComponentPlan, DevicePlan, Plan, PlannedOperation } from './types.ts';
import { oneUpdateAtATime } from './sequence.ts';

/** The fleet gathered and counted: what every decision reads (plan and forecast both start here). */
export interface Gathered {
  ctx: PlanContext;
  /** One input per device, sorted by id. */
  inputs: DeviceInput[];
  failures: StageFailures;
}

/** Gather every device, count it into the census, decide ring pauses and the reach of forced updates. */
export function gatherFleet(desired: DesiredState, observed: ObservedState, now: Date): Gathered {
  const ctx = compile(desired, observed, now);
  const fleet = [...observed.devices].sort((a, b) => cmp(a.id, b.id));
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
  return { ctx, inputs, failures };
}

export function plan(desired: DesiredState, observed: ObservedState, now: Date, opts: { revision?: string } = {}): Plan {
  // 1. gather, and count every device into the census (ring failure thresholds need it first).
  const { ctx, inputs, failures } = gatherFleet(desired, observed, now);

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

  for (const n of notices(ctx)) ctx.findings.add(n.code, n.message, n.objects);
  const pause = tenantPauseAhead(ctx);

  return {
    at: now.toISOString(),
    revision: opts.revision ?? null,
    operations,
    devices,
    releases: releasePlans(ctx, failures, inputs, devices),
    updatePaths: paths.list(),
    ...(pause ? { autoUpdatesPause: { pausedAt: wholeSecondsIso(pause.from), resumeAt: wholeSecondsIso(pause.until) } } : {}),
    findings: ctx.findings.list(),
  };
}
