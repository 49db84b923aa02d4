// What both the terminal table and the markdown comment show of a Plan, computed once:
// the counts by state, and the devices grouped by group / phase or ring / window.
import { COMPONENTS } from '../../api/types.ts';
import type { Component } from '../../api/types.ts';
import type { AssignmentField, PlanDiff } from '../../planner/diff.ts';
import type { ComponentPlan, ComponentState, DevicePlan, Plan, ReleasePlan } from '../../planner/types.ts';
import { isQuiet, isUpToDate } from '../../planner/outcomes.ts';

export const STATES: readonly ComponentState[] = ['UpToDate', 'Due', 'Scheduled', 'InProgress', 'Held', 'Failed', 'Blocked'];

export interface StateCounts {
  /** Components present in the plan, in the canonical order. */
  components: Component[];
  /** state → component → number of devices. Only states with at least one device. */
  rows: { state: ComponentState; counts: number[]; total: number }[];
}

export function stateCounts(plan: Plan): StateCounts {
  const stateIndex = new Map<string, number>(STATES.map((st, i) => [st, i]));
  const componentIndex = new Map<string, number>(COMPONENTS.map((c, i) => [c, i]));
  const tally = new Int32Array(STATES.length * COMPONENTS.length);
  for (const d of plan.devices) {
    for (const c of d.components) {
      const si = stateIndex.get(c.state);
      const ci = componentIndex.get(c.component);
      if (si !== undefined && ci !== undefined) tally[si * COMPONENTS.length + ci]! += 1;
    }
  }
  const seen = COMPONENTS.map((_, ci) => STATES.some((_, si) => tally[si * COMPONENTS.length + ci]! > 0));
  const components = COMPONENTS.filter((_, ci) => seen[ci]);
  const rows = STATES.map((state, si) => {
    const counts = COMPONENTS.flatMap((_, ci) => (seen[ci] ? [tally[si * COMPONENTS.length + ci]!] : []));
    return { state, counts, total: counts.reduce((a, b) => a + b, 0) };
  }).filter((r) => r.total > 0);
  return { components, rows };
}

export interface DeviceSection {
  group: string | null;
  /** `ring General` or `phase Validation`, or null. */
  stage: string | null;
  maintenanceWindow: string;
  devices: DevicePlan[];
}

export function sectionTitle(s: DeviceSection): string {
  return [s.group === null ? 'no group' : `group ${s.group}`, s.stage, `window ${s.maintenanceWindow}`]
    .filter((x) => x !== null).join(' · ');
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Devices grouped by group, phase/ring and window; named groups first by name, then devices no group claims. */
export function deviceSections(plan: Plan): DeviceSection[] {
  const sections = new Map<string, DeviceSection>();
  for (const d of plan.devices) {
    const stage = d.ring !== null ? `ring ${d.ring}` : d.phase !== null ? `phase ${d.phase}` : null;
    const key = JSON.stringify([d.group, stage, d.maintenanceWindow]);
    let s = sections.get(key);
    if (!s) sections.set(key, (s = { group: d.group, stage, maintenanceWindow: d.maintenanceWindow, devices: [] }));
    s.devices.push(d);
  }
  const list = [...sections.values()];
  for (const s of list) s.devices.sort((a, b) => byString(a.id, b.id));
  return list.sort((a, b) =>
    (a.group === null ? 1 : 0) - (b.group === null ? 1 : 0)
    || byString(a.group ?? '', b.group ?? '')
    || byString(a.stage ?? '', b.stage ?? '')
    || byString(a.maintenanceWindow, b.maintenanceWindow));
}

/**
 * At most `limit` devices of a section, preferring those with something pending (a reader cares
 * about them more than about devices already up to date), shown in id order.
 */
export function pickDevices(devices: DevicePlan[], limit: number): { shown: DevicePlan[]; hidden: number; hiddenUpToDate: number } {
  if (devices.length <= limit) return { shown: devices, hidden: 0, hiddenUpToDate: 0 };
  const upToDate = devices.map(isUpToDate);
  const pendingCount = upToDate.reduce((n, u) => n + (u ? 0 : 1), 0);
  // Every pending device first (in id order), then devices up to date, until the limit.
  let pendingLeft = Math.min(limit, pendingCount);
  let upToDateLeft = limit - pendingLeft;
  const shown: DevicePlan[] = [];
  let hiddenUpToDate = 0;
  devices.forEach((d, i) => {
    if (!upToDate[i] && pendingLeft > 0) { shown.push(d); pendingLeft--; }
    else if (upToDate[i] && upToDateLeft > 0) { shown.push(d); upToDateLeft--; }
    else if (upToDate[i]) hiddenUpToDate++;
  });
  return { shown, hidden: devices.length - shown.length, hiddenUpToDate };
}

/** Components not updated automatically by design (planner/outcomes.ts): counted in the summary and present
 * in JSON, but not listed device by device, where they would bury what is actually pending. */
export function quietCount(plan: Plan): number {
  let n = 0;
  for (const d of plan.devices) for (const c of d.components) if (isQuiet(c)) n++;
  return n;
}
/** The components of a device worth a row: pending or blocked for a reason a person may act on. */
export function listedComponents(d: DevicePlan): ComponentPlan[] {
  return d.components.filter((c) => c.state !== 'UpToDate' && !isQuiet(c));
}

/** Releases still moving or stopped, the stopped ones first (Paused, CompletedWithFailures, InProgress, Scheduled); the rest are history. */
export function activeReleases(plan: Plan): ReleasePlan[] {
  const rank = (r: ReleasePlan): number => ['Paused', 'CompletedWithFailures', 'InProgress', 'Scheduled'].indexOf(r.state);
  return plan.releases.filter((r) => rank(r) >= 0)
    .map((r, i) => ({ r, i })).sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i).map((x) => x.r);
}
export function stagesText(r: ReleasePlan): string {
  const stages = r.stages.filter((s) => s.devices > 0)
    .map((s) => `${s.name} ${s.updated}/${s.devices}${s.failed ? ` (${s.failed} failed)` : ''}${s.held ? ` (${s.held} held)` : ''}`).join(', ') || '—';
  const p = r.pause;
  // Why it paused, as `fleetward status` and the SoftwareRelease status say it.
  return p ? `${stages}; paused in ring ${p.ring}: ${p.failedDevices.length} of ${p.targeted} failed, threshold ${p.threshold}%` : stages;
}

/** Findings by code, codes in first-seen order (the planner's), each with its findings in order. */
export function findingsByCode(plan: Plan): { code: string; findings: Plan['findings'] }[] {
  const m = new Map<string, Plan['findings']>();
  for (const f of plan.findings) {
    const list = m.get(f.code);
    if (list) list.push(f); else m.set(f.code, [f]);
  }
  return [...m].map(([code, findings]) => ({ code, findings }));
}

/** `11 UnknownVersion, 118 UnsupportedVersion`. */
export function findingsLine(plan: Plan): string {
  return findingsByCode(plan).map((g) => `${g.findings.length} ${g.code}`).join(', ');
}

/** Assignment changes of a diff collapsed by (field, from, to), largest first: "30 devices: window panels-saturday → rooms-nightly". */
export function assignmentMoves(diff: PlanDiff): { field: AssignmentField; from: string | null; to: string | null; deviceIds: string[] }[] {
  const m = new Map<string, { field: AssignmentField; from: string | null; to: string | null; deviceIds: string[] }>();
  for (const a of diff.assignments) {
    const key = JSON.stringify([a.field, a.from, a.to]);
    const e = m.get(key);
    if (e) e.deviceIds.push(a.deviceId); else m.set(key, { field: a.field, from: a.from, to: a.to, deviceIds: [a.deviceId] });
  }
  const order = (f: AssignmentField): number => ['group', 'phase', 'ring', 'maintenanceWindow'].indexOf(f);
  return [...m.values()].sort((x, y) => y.deviceIds.length - x.deviceIds.length || order(x.field) - order(y.field));
}

export const FIELD_LABEL: Record<AssignmentField, string> = { group: 'group', phase: 'phase', ring: 'ring', maintenanceWindow: 'window' };

/** `a, b, c and 27 more`. */
export function someIds(ids: string[], n = 3): string {
  return ids.length <= n ? ids.join(', ') : `${ids.slice(0, n).join(', ')} and ${ids.length - n} more`;
}
