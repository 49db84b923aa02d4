// Per phase / ring counts a person can follow, one outcome per device (planner/outcomes.ts): updated, in
// progress, waiting, failed, held, rolled back, window missed. The live demo prints them, `fleetward
// status` shows them, and run.json keeps the last ones.
import { IN_FLIGHT_STATUSES, type DeviceOperation } from '../api/types.ts';
import { deviceOutcome, emptyCounts, formatCounts } from '../planner/outcomes.ts';
import type { DevicePlan, Plan } from '../planner/types.ts';
import type { ProgressSummary, StageProgress } from '../store/records.ts';

/** Something is still planned for the device: a due operation or a future start. */
function pending(d: DevicePlan): boolean {
  return d.components.some((c) => c.notBefore !== null && c.state !== 'UpToDate');
}

export function inFlightDevices(operations: readonly DeviceOperation[]): Set<string> {
  const ids = new Set<string>();
  for (const op of operations) {
    if (op.operationType === 'softwareUpdate' && IN_FLIGHT_STATUSES.includes(op.status)) ids.add(op.deviceId);
  }
  return ids;
}

/** `startedNow`: devices this pass just sent an operation (not yet in the observed list). */
export function summarizeProgress(plan: Plan, operations: readonly DeviceOperation[], operationsIssued: number, startedNow: Iterable<string> = []): ProgressSummary {
  const inFlight = inFlightDevices(operations);
  for (const id of startedNow) inFlight.add(id);
  const stages = new Map<string, StageProgress>();
  for (const d of plan.devices) {
    const kind = d.ring ? 'ring' : d.phase ? 'phase' : 'none';
    const name = d.ring ?? d.phase ?? '(none)';
    const key = `${kind}/${name}`;
    let s = stages.get(key);
    if (!s) stages.set(key, (s = { kind, name, devices: 0, ...emptyCounts() }));
    s.devices++;
    s[deviceOutcome(d, inFlight.has(d.id))]++;
  }
  return {
    at: plan.at,
    devices: plan.devices.length,
    stages: [...stages.values()].sort((a, b) => (a.kind === b.kind ? (a.name < b.name ? -1 : 1) : a.kind < b.kind ? 1 : -1)),
    operationsIssued,
    operationsInFlight: inFlight.size,
    ...(pausedUntil(plan) ? { autoUpdatesPausedUntil: pausedUntil(plan)! } : {}),
  };
}

/** The instant a tenant pause in force at the plan's instant lifts; undefined when none is. */
function pausedUntil(plan: Plan): string | undefined {
  const p = plan.autoUpdatesPause;
  return p && Date.parse(plan.at) >= Date.parse(p.pausedAt) ? p.resumeAt : undefined;
}

/**
 * Nothing left to do: no operation due or running, and no future start planned. Devices held for good
 * (unknown version, pinned) and failed ones past their retries do not keep a rollout open.
 */
export function rolloutComplete(plan: Plan, operations: readonly DeviceOperation[]): boolean {
  if (plan.operations.length > 0) return false;
  if (inFlightDevices(operations).size > 0) return false;
  return !plan.devices.some(pending);
}

/** The earliest future instant at which something is planned to start, or null. */
export function nextStart(plan: Plan, now: Date): Date | null {
  let best: number | null = null;
  for (const d of plan.devices) {
    for (const c of d.components) {
      if (!c.notBefore) continue;
      const t = Date.parse(c.notBefore);
      if (Number.isFinite(t) && t > now.getTime() && (best === null || t < best)) best = t;
    }
  }
  return best === null ? null : new Date(best);
}

/** One line per stage, e.g. `ring General      12 devices: 5 updated, 2 in progress, 4 waiting, 1 failed, 0 held`. */
export function formatProgress(p: ProgressSummary): string[] {
  const width = Math.max(8, ...p.stages.map((s) => s.name.length));
  const lines = p.stages.map((s) =>
    `  ${s.kind.padEnd(5)} ${s.name.padEnd(width)} ${String(s.devices).padStart(4)} devices: ${formatCounts(withDefaults(s))}`);
  // The tenant pause first: it explains why every stage stands still.
  if (p.autoUpdatesPausedUntil) lines.unshift(`  automatic updates paused until ${p.autoUpdatesPausedUntil} (FleetPolicy/default; fleetward resume lifts it sooner)`);
  return lines;
}

/** A summary written by an older version (`done`, no held) still reads. */
function withDefaults(s: StageProgress): StageProgress {
  const old = s as StageProgress & { done?: number };
  return { ...emptyCounts(), ...(old.done !== undefined && s.updated === undefined ? { updated: old.done } : {}), ...s };
}

/** Why the devices still waiting are waiting: reason code → devices, most frequent first. */
export function waitingReasons(plan: Plan, operations: readonly DeviceOperation[]): [string, number][] {
  const inFlight = inFlightDevices(operations);
  const counts = new Map<string, number>();
  for (const d of plan.devices) {
    const o = deviceOutcome(d, inFlight.has(d.id));
    if (o !== 'waiting' && o !== 'windowMissed') continue;
    const reasons = new Set(d.components.filter((c) => c.state !== 'UpToDate' && c.notBefore !== null).map((c) => c.reason));
    for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}
