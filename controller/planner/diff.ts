// What a config change does to the fleet: the difference between the plan before and after it, at
// the same instant for the same fleet (issue 3, item 4). This is what a reviewer reads on a pull
// request, so the diff leads with one sentence (`summary`) and then lists every change.
// Pure: no I/O, no clock. Formatting lives in controller/cli/format/.
import { COMPONENTS } from '../api/types.ts';
import type { Component, Instant } from '../api/types.ts';
import type { ComponentPlan, ComponentState, DevicePlan, Plan, PlannedOperation } from './types.ts';

export const ASSIGNMENT_FIELDS = ['group', 'phase', 'ring', 'maintenanceWindow'] as const;
export type AssignmentField = (typeof ASSIGNMENT_FIELDS)[number];

/** A device changes group, phase, ring or maintenance window. */
export interface AssignmentChange {
  deviceId: string;
  field: AssignmentField;
  from: string | null;
  to: string | null;
}

/** One component's next update, as the plan sees it. */
export interface NextUpdate {
  targetVersion: string | null;
  state: ComponentState;
  reason: string;
  notBefore: Instant | null;
}

/** A device's next update of one component moves, changes target, or changes state. */
export interface UpdateChange {
  deviceId: string;
  component: Component;
  before: NextUpdate;
  after: NextUpdate;
  /** after.notBefore − before.notBefore in ms (negative: earlier); null unless both are set. */
  shiftMs: number | null;
}

/** An operation that would be issued now under one plan and not under the other. */
export interface OperationChange {
  change: 'added' | 'removed';
  deviceId: string;
  component: Component;
  fromVersion: string | null;
  toVersion: string;
  reason: string;
}

export interface PlanDiff {
  before: { at: Instant; revision: string | null };
  after: { at: Instant; revision: string | null };
  /** One sentence: what the change does to the fleet. */
  summary: string;
  /** Devices present in only one of the plans (the CLI plans one fleet, so these are normally empty). */
  devicesAdded: string[];
  devicesRemoved: string[];
  assignments: AssignmentChange[];
  updates: UpdateChange[];
  operations: OperationChange[];
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const componentRank = (c: Component): number => COMPONENTS.indexOf(c);

function nextUpdate(c: ComponentPlan): NextUpdate {
  return { targetVersion: c.targetVersion, state: c.state, reason: c.reason, notBefore: c.notBefore };
}

function sameUpdate(a: NextUpdate, b: NextUpdate): boolean {
  return a.targetVersion === b.targetVersion && a.state === b.state && a.notBefore === b.notBefore;
}

const NO_UPDATE: NextUpdate = { targetVersion: null, state: 'UpToDate', reason: 'NotPlanned', notBefore: null };

function operationKey(o: PlannedOperation): string {
  return `${o.deviceId}\u0000${o.component}\u0000${o.fromVersion ?? ''}\u0000${o.toVersion}`;
}

export function diffPlans(before: Plan, after: Plan): PlanDiff {
  // A merge walk over both device lists in id order (the planner already sorts them, so the sorts are linear).
  const byId = (x: DevicePlan, y: DevicePlan): number => byString(x.id, y.id);
  const bs = [...before.devices].sort(byId);
  const as = [...after.devices].sort(byId);
  const devicesAdded: string[] = [];
  const devicesRemoved: string[] = [];
  const assignments: AssignmentChange[] = [];
  const updates: UpdateChange[] = [];
  let i = 0;
  let j = 0;
  while (i < bs.length || j < as.length) {
    const b = bs[i];
    const a = as[j];
    if (a === undefined || (b !== undefined && b.id < a.id)) { devicesRemoved.push(b!.id); i++; continue; }
    if (b === undefined || a.id < b.id) { devicesAdded.push(a.id); j++; continue; }
    i++; j++;
    if (b.group !== a.group || b.phase !== a.phase || b.ring !== a.ring || b.maintenanceWindow !== a.maintenanceWindow) {
      assignments.push(...assignmentChanges(b, a));
    }
    const changed = updateChanges(b, a);
    if (changed.length) updates.push(...changed);
  }

  const beforeOps = new Map(before.operations.map((o) => [operationKey(o), o]));
  const afterOps = new Map(after.operations.map((o) => [operationKey(o), o]));
  const operations: OperationChange[] = [];
  for (const [key, o] of afterOps) if (!beforeOps.has(key)) operations.push(operationChange('added', o));
  for (const [key, o] of beforeOps) if (!afterOps.has(key)) operations.push(operationChange('removed', o));
  operations.sort((x, y) =>
    byString(x.deviceId, y.deviceId) || componentRank(x.component) - componentRank(y.component) || byString(x.change, y.change));

  const diff: Omit<PlanDiff, 'summary'> = {
    before: { at: before.at, revision: before.revision },
    after: { at: after.at, revision: after.revision },
    devicesAdded, devicesRemoved, assignments, updates, operations,
  };
  return { ...diff, summary: summarizeDiff(diff) };
}

function assignmentChanges(b: DevicePlan, a: DevicePlan): AssignmentChange[] {
  const out: AssignmentChange[] = [];
  for (const field of ASSIGNMENT_FIELDS) {
    const from = b[field] ?? null;
    const to = a[field] ?? null;
    if (from !== to) out.push({ deviceId: a.id, field, from, to });
  }
  return out;
}

function sameComponent(x: ComponentPlan, y: ComponentPlan): boolean {
  return x.component === y.component && x.targetVersion === y.targetVersion && x.state === y.state && x.notBefore === y.notBefore;
}

function updateChanges(b: DevicePlan, a: DevicePlan): UpdateChange[] {
  // Fast path (almost every device of a large fleet): the same components in the same order, unchanged.
  const bc = b.components;
  const ac = a.components;
  if (bc.length === ac.length) {
    let same = true;
    for (let i = 0; i < bc.length && same; i++) same = sameComponent(bc[i]!, ac[i]!);
    if (same) return [];
  }
  const components = [...new Set([...bc.map((c) => c.component), ...ac.map((c) => c.component)])]
    .sort((x, y) => componentRank(x) - componentRank(y));
  const out: UpdateChange[] = [];
  for (const component of components) {
    const bp = bc.find((c) => c.component === component);
    const ap = ac.find((c) => c.component === component);
    const before = bp ? nextUpdate(bp) : NO_UPDATE;
    const after = ap ? nextUpdate(ap) : NO_UPDATE;
    if (sameUpdate(before, after)) continue;
    const shiftMs = before.notBefore !== null && after.notBefore !== null
      ? Date.parse(after.notBefore) - Date.parse(before.notBefore)
      : null;
    out.push({ deviceId: a.id, component, before, after, shiftMs });
  }
  return out;
}

function operationChange(change: 'added' | 'removed', o: PlannedOperation): OperationChange {
  return { change, deviceId: o.deviceId, component: o.component, fromVersion: o.fromVersion, toVersion: o.toVersion, reason: o.reason };
}

// ---- The one-line summary ------------------------------------------------------------------

const SPAN_UNITS: [string, number][] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]];

/**
 * A duration for people, largest units first: `2d 3h`, `45m`. At most `maxUnits` units, the
 * smallest one rounded down; the sign is dropped (callers say "earlier" or "later").
 */
export function formatSpan(ms: number, maxUnits = 2): string {
  const abs = Math.abs(ms);
  const first = SPAN_UNITS.findIndex(([, size]) => abs >= size);
  if (first < 0) return '0s';
  let rest = abs;
  const parts: string[] = [];
  for (const [unit, size] of SPAN_UNITS.slice(first, first + maxUnits)) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join(' ');
}

/** `+2d 3h` / `-45m`, for tables. */
export function formatShift(ms: number): string {
  return (ms < 0 ? '-' : '+') + formatSpan(ms);
}

const FIELD_LABEL: Record<AssignmentField, string> = { group: 'group', phase: 'phase', ring: 'ring', maintenanceWindow: 'window' };

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
const devices = (n: number): string => plural(n, 'device', 'devices');

function spanRange(shifts: number[]): string {
  const abs = shifts.map(Math.abs);
  const lo = Math.min(...abs);
  const hi = Math.max(...abs);
  const a = formatSpan(lo);
  const b = formatSpan(hi);
  return a === b ? `by ${a}` : `by ${a} to ${b}`;
}

/** Counts by key, in first-seen order, with the items kept. */
function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    const list = m.get(k);
    if (list) list.push(t); else m.set(k, [t]);
  }
  return m;
}

export function summarizeDiff(diff: Omit<PlanDiff, 'summary'>): string {
  const clauses: string[] = [];

  // Assignments: "12 devices move to window rooms-nightly".
  const moves = groupBy(diff.assignments, (c) =>
    c.to !== null ? `${c.field}\u0000to\u0000${c.to}` : `${c.field}\u0000out\u0000${c.from ?? ''}`);
  const moveClauses = [...moves.values()].map((list) => {
    const c = list[0]!;
    const n = new Set(list.map((x) => x.deviceId)).size;
    const text = c.to !== null
      ? `${devices(n)} ${n === 1 ? 'moves' : 'move'} to ${FIELD_LABEL[c.field]} ${c.to}`
      : `${devices(n)} ${n === 1 ? 'leaves' : 'leave'} ${FIELD_LABEL[c.field]} ${c.from}`;
    return { n, text, order: ASSIGNMENT_FIELDS.indexOf(c.field) };
  });
  moveClauses.sort((x, y) => y.n - x.n || x.order - y.order || byString(x.text, y.text));
  clauses.push(...moveClauses.map((c) => c.text));

  // Next updates, per component: earlier / later / newly planned / no longer planned / new target / new state.
  // Clauses about more devices come first; ties keep the component order.
  const updateClauses: { n: number; text: string }[] = [];
  const say = (n: number, text: string): void => { updateClauses.push({ n, text }); };
  for (const component of COMPONENTS) {
    const list = diff.updates.filter((u) => u.component === component);
    if (list.length === 0) continue;
    const earlier = list.filter((u) => u.shiftMs !== null && u.shiftMs < 0);
    const later = list.filter((u) => u.shiftMs !== null && u.shiftMs > 0);
    const planned = list.filter((u) => u.before.notBefore === null && u.after.notBefore !== null);
    const unplanned = list.filter((u) => u.before.notBefore !== null && u.after.notBefore === null);
    const sameTime = list.filter((u) => u.before.notBefore === u.after.notBefore);
    const retargeted = sameTime.filter((u) => u.before.targetVersion !== u.after.targetVersion);
    const restated = sameTime.filter((u) => u.before.targetVersion === u.after.targetVersion);
    if (earlier.length) say(earlier.length, `next ${component} update for ${devices(earlier.length)} moves earlier ${spanRange(earlier.map((u) => u.shiftMs!))}`);
    if (later.length) say(later.length, `next ${component} update for ${devices(later.length)} moves later ${spanRange(later.map((u) => u.shiftMs!))}`);
    if (planned.length) say(planned.length, `${component} update newly planned for ${devices(planned.length)}`);
    if (unplanned.length) say(unplanned.length, `${component} update no longer planned for ${devices(unplanned.length)}`);
    if (retargeted.length) {
      const targets = [...new Set(retargeted.map((u) => u.after.targetVersion ?? 'none'))];
      say(retargeted.length, `${component} target changes for ${devices(retargeted.length)}` + (targets.length === 1 ? ` (now ${targets[0]})` : ''));
    }
    for (const [state, group] of groupBy(restated, (u) => u.after.state)) {
      say(group.length, `${component} becomes ${state} for ${devices(group.length)}`);
    }
  }
  updateClauses.sort((x, y) => y.n - x.n);
  clauses.push(...updateClauses.map((c) => c.text));

  const added = diff.operations.filter((o) => o.change === 'added').length;
  const removed = diff.operations.filter((o) => o.change === 'removed').length;
  if (added) clauses.push(`${added} more ${added === 1 ? 'operation starts' : 'operations start'} now`);
  if (removed) clauses.push(`${plural(removed, 'operation', 'operations')} no longer ${removed === 1 ? 'starts' : 'start'} now`);
  if (diff.devicesAdded.length) clauses.push(`${devices(diff.devicesAdded.length)} only in the new plan`);
  if (diff.devicesRemoved.length) clauses.push(`${devices(diff.devicesRemoved.length)} only in the old plan`);

  if (clauses.length === 0) return 'No change to the fleet\'s plan.';
  const text = clauses.join('; ');
  return text[0]!.toUpperCase() + text.slice(1) + '.';
}
