// `fleetward plan --device ID --group G --changed-only`: which devices a plan (or a plan diff) shows, so a
// pull-request comment about one site stays readable. The planner always plans the whole fleet — ring
// progress, failure thresholds and the stage census depend on every device — and the selection only narrows
// what is printed: the devices and their operations. Releases, update paths and findings stay fleet-wide.
import type { DevicePlan, Plan } from '../planner/types.ts';
import { componentOutcome, isUpToDate } from '../planner/outcomes.ts';
import { UsageError } from './errors.ts';

export interface PlanSelection {
  /** `--device`, repeatable: these devices. */
  deviceIds: string[];
  /** `--group`, repeatable: the devices of these DeviceGroups (in the plan before or after, with --compare). */
  groups: string[];
  /** `--changed-only`: only devices with something pending (plan) — a diff lists only changes anyway. */
  changedOnly: boolean;
}

/** What a narrowed plan says about itself in every output format (`selection` in JSON). */
export interface SelectionNote {
  shown: number;
  of: number;
  devices?: string[];
  groups?: string[];
  changedOnly?: true;
}

/** What a plan made from a running installation's store (`--state`) says about that fleet (`live` in JSON). */
export interface LiveNote {
  observedAt: string | null;
  devices: number;
  inFlight: number;
  failed: number;
  held: number;
}

export type ShownPlan = Plan & { selection?: SelectionNote; live?: LiveNote };

/**
 * The live note of a whole-fleet plan: components counted by their outcome (planner/outcomes.ts, the one
 * reading of a plan's states): in progress, failed, and held — a rolled-back component too (it is Held until a
 * person acts), and one Blocked by a paused release or an unknown version (it stays as it is until a person acts).
 */
export function liveNote(plan: Plan, observedAt: string | null): LiveNote {
  const n = { observedAt, devices: plan.devices.length, inFlight: 0, failed: 0, held: 0 };
  for (const d of plan.devices) {
    for (const c of d.components) {
      const o = componentOutcome(c);
      if (o === 'inProgress') n.inFlight++;
      else if (o === 'failed') n.failed++;
      else if (o === 'held' || o === 'rolledBack') n.held++;
    }
  }
  return n;
}

export function isNarrowed(sel: PlanSelection): boolean {
  return sel.deviceIds.length > 0 || sel.groups.length > 0 || sel.changedOnly;
}

/**
 * The device ids the selection picks from these plans (the same fleet planned under one or two configs),
 * or null for every device. An id or group that matches nothing is a usage error, not an empty comment.
 */
export function selectedIds(plans: readonly Plan[], sel: PlanSelection, knownGroups: readonly string[]): Set<string> | null {
  if (sel.deviceIds.length === 0 && sel.groups.length === 0) return null;
  const ids = new Set<string>();
  const present = new Set<string>();
  for (const p of plans) for (const d of p.devices) present.add(d.id);
  const missing = sel.deviceIds.filter((id) => !present.has(id));
  if (missing.length > 0) {
    throw new UsageError(`--device: no device ${missing.map((id) => JSON.stringify(id)).join(', ')} in the fleet (${present.size} devices)`);
  }
  for (const id of sel.deviceIds) ids.add(id);
  if (sel.groups.length > 0) {
    const wanted = new Set(sel.groups);
    const known = new Set(knownGroups);
    const unknown = sel.groups.filter((g) => !known.has(g));
    if (unknown.length > 0) {
      const list = [...known].sort();
      throw new UsageError(`--group: no DeviceGroup ${unknown.map((g) => JSON.stringify(g)).join(', ')} in the config${list.length ? ` (groups: ${list.slice(0, 10).join(', ')}${list.length > 10 ? ', …' : ''})` : ''}`);
    }
    for (const p of plans) for (const d of p.devices) if (d.group !== null && wanted.has(d.group)) ids.add(d.id);
  }
  return ids;
}

/** The plan with only the selected devices and their operations; a `selection` note says what was left out. */
export function narrowPlan(plan: Plan, ids: Set<string> | null, sel: PlanSelection): ShownPlan {
  if (!isNarrowed(sel)) return plan;
  const keep = (d: DevicePlan): boolean => (ids === null || ids.has(d.id)) && (!sel.changedOnly || !isUpToDate(d));
  const devices = plan.devices.filter(keep);
  const kept = new Set(devices.map((d) => d.id));
  const note: SelectionNote = { shown: devices.length, of: plan.devices.length };
  if (sel.deviceIds.length) note.devices = [...sel.deviceIds];
  if (sel.groups.length) note.groups = [...sel.groups];
  if (sel.changedOnly) note.changedOnly = true;
  return { ...plan, devices, operations: plan.operations.filter((o) => kept.has(o.deviceId)), selection: note };
}

/** The lines a table or markdown plan (or diff) prints under its title: where the fleet came from, what is shown. */
export function shownNotes(shown: object): string[] {
  const live = (shown as { live?: LiveNote }).live;
  const out: string[] = [];
  if (live) {
    const when = live.observedAt ? ` at ${live.observedAt.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC')}` : '';
    out.push(`Live fleet: ${live.devices} devices as the installation last observed them${when}; components: ${live.inFlight} in flight, ${live.failed} failed, ${live.held} held`);
  }
  const sel = selectionLine(shown);
  if (sel) out.push(sel);
  return out;
}

/** `Showing 12 of 100,000 devices (--group hq, --changed-only)`, or null when nothing was narrowed. */
export function selectionLine(shown: object): string | null {
  const s = (shown as { selection?: SelectionNote }).selection;
  if (!s) return null;
  const by = [
    ...(s.devices ?? []).map((d) => `--device ${d}`),
    ...(s.groups ?? []).map((g) => `--group ${g}`),
    ...(s.changedOnly ? ['--changed-only'] : []),
  ];
  return `Showing ${s.shown.toLocaleString('en-US')} of ${s.of.toLocaleString('en-US')} devices (${by.join(', ')}); releases, update paths and findings are for the whole fleet`;
}
