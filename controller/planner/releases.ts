// Fleet-wide reports: the stage census (devices per stage, model and current version), each
// release's seed-001 state with its stages, and seed 000's "Software auto-updates" widget (update
// paths). Counting works on histograms, never by walking the fleet once per release.
import { AUTO_UPDATE_COMPONENTS, COMPONENTS } from '../api/types.ts';
import { cmpV } from './slots.ts';
import type { DevicePlan, ReleasePlan, ReleaseState, UpdatePath } from './types.ts';
import { cmp, type CatalogEntry, type CompiledRelease, type Decision, type DeviceInput, type PlanContext, historyOf } from './gather.ts';
import { fleetHold } from './chain.ts';
import { rollbackOf } from './failures.ts';
import { unhealthyAfter } from './health.ts';
import { componentOutcome } from './outcomes.ts';
import { phaseEnd, phaseStart } from './phases.ts';
import { ringEnd, ringStart } from './rings.ts';
import { Reason } from './reasons.ts';

/** release id → stage index → device ids whose last attempts of that release failed. */
export type StageFailures = Map<number, Map<number, string[]>>;

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

function addFailure(failures: StageFailures, r: CompiledRelease, stage: number, id: string): void {
  let byStage = failures.get(r.id);
  if (!byStage) failures.set(r.id, (byStage = new Map()));
  let ids = byStage.get(stage);
  if (!ids) byStage.set(stage, (ids = []));
  if (ids[ids.length - 1] !== id) ids.push(id);
}

/**
 * Counts one device into the census, and into `failures` the releases it failed: hops whose last attempts
 * failed, a release it rolled back, and the release after which it went unhealthy in its test period.
 */
export function census(ctx: PlanContext, d: DeviceInput, row: (CatalogEntry | undefined)[], failures: StageFailures): void {
  const sw = d.device.software ?? {};
  for (let i = 0; i < COMPONENTS.length; i++) {
    const entry = row[i];
    if (!entry) continue;
    const c = COMPONENTS[i]!;
    const v = sw[c];
    if (v === undefined) continue;
    const m = entry.census[d.stage.index]!;
    m.set(v, (m.get(v) ?? 0) + 1);
    if (!d.ops) continue;
    const h = historyOf(ctx, d, c);
    for (const [to] of h.failures) {
      const r = entry.versions.get(to);
      if (!r || cmpV(v, to) >= 0) continue;
      addFailure(failures, r, d.stage.index, d.device.id);
    }
    const back = rollbackOf(v, h);
    const rb = back ? entry.versions.get(back.toVersion!) : undefined;
    if (rb && !h.failures.has(rb.version)) addFailure(failures, rb, d.stage.index, d.device.id);
    const ru = unhealthyAfter(d, v, h, ctx) ? entry.versions.get(v) : undefined;
    if (ru) addFailure(failures, ru, d.stage.index, d.device.id);
  }
}

/** Ring failures only (stage index = ring index, since rings come first in ctx.stages). */
export function ringFailures(ctx: PlanContext, failures: StageFailures): StageFailures {
  const out: StageFailures = new Map();
  for (const [id, byStage] of failures) {
    for (const [s, ids] of byStage) {
      if (ctx.stages[s]!.kind !== 'ring') continue;
      let m = out.get(id);
      if (!m) out.set(id, (m = new Map()));
      m.set(ctx.stages[s]!.ring!.index, ids);
    }
  }
  return out;
}

type Stages = ReleasePlan['stages'];

export function stageTimes(ctx: PlanContext, r: CompiledRelease, stageIndex: number): { start: number | null; end: number | null } {
  if (!(AUTO_UPDATE_COMPONENTS as readonly string[]).includes(r.component)) return { start: null, end: null };
  const s = ctx.stages[stageIndex]!;
  if (s.ring) return { start: ringStart(ctx, r, s.ring.index), end: ringEnd(ctx, r, s.ring.index) };
  return { start: phaseStart(s.phase!, r), end: phaseEnd(s.phase!, r) };
}

interface StageTally { inProgress: number; held: string[]; rolledBack: string[] }

/** Per release and stage, the devices whose outcome for it (planner/outcomes.ts) is in progress, held or rolled back. */
function tallyOutcomes(inputs: readonly DeviceInput[], devices: readonly DevicePlan[]): Map<number, Map<number, StageTally>> {
  const out = new Map<number, Map<number, StageTally>>();
  for (let i = 0; i < devices.length; i++) {
    const d = inputs[i]!;
    for (const cp of devices[i]!.components) {
      if (cp.targetVersion === null) continue;
      const o = componentOutcome(cp);
      if (o !== 'inProgress' && o !== 'held' && o !== 'rolledBack') continue;
      const r = d.row[COMPONENTS.indexOf(cp.component)]?.versions.get(cp.targetVersion);
      if (!r) continue;
      let byStage = out.get(r.id);
      if (!byStage) out.set(r.id, (byStage = new Map()));
      let t = byStage.get(d.stage.index);
      if (!t) byStage.set(d.stage.index, (t = { inProgress: 0, held: [], rolledBack: [] }));
      if (o === 'inProgress') t.inProgress++;
      else t[o].push(d.device.id);
    }
  }
  return out;
}

/**
 * Each release's seed-001 state across the fleet, with its stages, from the census and the operation
 * history the plan was given: the one function behind `fleetward plan`, `fleetward status` and the
 * SoftwareRelease status.
 */
export function releasePlans(ctx: PlanContext, failures: StageFailures, inputs: readonly DeviceInput[] = [], devices: readonly DevicePlan[] = []): ReleasePlan[] {
  const tallies = tallyOutcomes(inputs, devices);
  const entriesOf = new Map<number, CatalogEntry[]>();
  for (const e of ctx.catalog.entries()) {
    for (const r of e.releases) {
      let l = entriesOf.get(r.id);
      if (!l) entriesOf.set(r.id, (l = []));
      l.push(e);
    }
  }
  const now = ctx.now;
  // What holds every automatic start now (a tenant pause, a fleet-wide freeze): the chain's bounds, asked without a device.
  const hold = fleetHold(ctx, now);
  const out: ReleasePlan[] = [];
  const releases = [...ctx.releases].sort((a, b) =>
    COMPONENTS.indexOf(a.component) - COMPONENTS.indexOf(b.component) || cmpV(a.version, b.version) || a.id - b.id);
  for (const r of releases) {
    const entries = entriesOf.get(r.id) ?? [];
    const paused = ctx.ringPausedFrom.get(r.id);
    const perStage = ctx.stages.map((s) => {
      let devices = 0, updated = 0;
      for (const e of entries) {
        for (const [v, n] of e.census[s.index]!) {
          devices += n;
          if (cmpV(v, r.version) >= 0) updated += n;
        }
      }
      const failedIds = failures.get(r.id)?.get(s.index) ?? [];
      const t = tallies.get(r.id)?.get(s.index) ?? { inProgress: 0, held: [], rolledBack: [] };
      return { s, devices, updated, failed: failedIds.length, failedIds, t };
    });
    const kinds = new Set(perStage.filter((x) => x.devices > 0).map((x) => x.s.kind));
    const stages: Stages = [];
    let needing = 0, failed = 0, devices = 0, started = false, allEnded = true;
    const failedDevices: string[] = [];
    const heldDevices: string[] = [];
    const rolledBackDevices: string[] = [];
    let first: number | null = null, last: number | null = null;
    for (const x of perStage) {
      if (!kinds.has(x.s.kind)) continue;
      const { start, end } = stageTimes(ctx, r, x.s.index);
      let state: ReleaseState;
      const isPaused = paused !== undefined && x.s.ring !== null && x.s.ring.index >= paused.ring;
      if (x.devices === 0 || start === null || !r.verified || r.blocked) state = 'NotRequired';
      else if (isPaused) state = 'Paused';
      else if (now < start) state = 'NotRequired';
      else if (x.devices === x.updated && x.failed === 0) state = 'Completed';
      else if (end !== null && now >= end) state = x.failed > 0 ? 'CompletedWithFailures' : 'InProgress';
      else state = x.updated === 0 && x.failed === 0 ? 'Scheduled' : 'InProgress';
      if (start !== null && now >= start && x.devices > 0) started = true;
      if (end === null || now < end) allEnded = false;
      needing += x.devices - x.updated;
      failed += x.failed;
      devices += x.devices;
      failedDevices.push(...x.failedIds);
      heldDevices.push(...x.t.held);
      rolledBackDevices.push(...x.t.rolledBack);
      if (start !== null && (first === null || start < first)) first = start;
      if (end !== null && (last === null || end > last)) last = end;
      stages.push({
        name: x.s.name, kind: x.s.kind, startsAt: iso(start), endsAt: iso(end), state, devices: x.devices, updated: x.updated, failed: x.failed,
        inProgress: x.t.inProgress, held: x.t.held.length, rolledBack: x.t.rolledBack.length,
      });
    }
    stages.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'ring' ? -1 : 1) || cmp(a.startsAt ?? '', b.startsAt ?? '') || cmp(a.name, b.name));
    const superseded = entries.length > 0 && entries.every((e) => e.releases.some((o) => o !== r && o.verified && !o.blocked && cmpV(o.version, r.version) > 0));
    let state: ReleaseState;
    let reason: string | undefined;
    let message: string | undefined;
    if (r.blocked) { state = 'Paused'; reason = Reason.ReleaseBlocked; }
    else if (devices === 0) state = 'NotRequired';
    else if (needing === 0 && failed === 0) state = 'Completed';
    // Seed 001: a superseded release is no longer deployed through the rings; phases (seed 000) still step through it.
    else if (superseded && !kinds.has('phase')) state = 'Deprecated';
    else if (!(AUTO_UPDATE_COMPONENTS as readonly string[]).includes(r.component)) { state = 'NotRequired'; reason = Reason.ManualOnlyComponent; }
    else if (!r.verified) { state = 'NotRequired'; reason = Reason.PreviewManualOnly; }
    else if (paused) { state = 'Paused'; reason = Reason.ReleasePaused; }
    else if (hold) { state = 'Paused'; reason = hold.reason; message = hold.message; }
    else if (!started) state = 'Scheduled';
    else if (allEnded && failed > 0) state = 'CompletedWithFailures';
    else state = 'InProgress';
    const plan: ReleasePlan = { component: r.component, version: r.version, state, startsAt: iso(first), endsAt: iso(last), stages };
    if (reason) plan.reason = reason;
    if (message) plan.message = message;
    if (failedDevices.length) plan.failedDevices = [...new Set(failedDevices)].sort(cmp);
    if (heldDevices.length) plan.heldDevices = [...new Set(heldDevices)].sort(cmp);
    if (rolledBackDevices.length) plan.rolledBackDevices = [...new Set(rolledBackDevices)].sort(cmp);
    if (paused) {
      const ring = ctx.rings[paused.ring]!;
      plan.pause = { ring: ring.name, threshold: ring.failureThreshold, targeted: paused.targeted, failedDevices: paused.failed };
    }
    out.push(plan);
  }
  return out;
}

/** Seed 000's widget: devices ready to be updated (their stage has opened), per model and current → new version. */
export class UpdatePaths {
  // entry (component × model) → current version → target version → path: no string keys per device.
  readonly #paths = new Map<CatalogEntry, Map<string, Map<string, UpdatePath & { stageStart: number }>>>();
  add(d: DeviceInput, entry: CatalogEntry | undefined, current: string | null, dec: Decision, now: number): void {
    if (dec.stageStart === undefined || dec.stageStart > now || dec.target === null || current === null || !entry) return;
    if (dec.state !== 'Due' && dec.state !== 'Scheduled' && dec.state !== 'Failed') return;
    let byCurrent = this.#paths.get(entry);
    if (!byCurrent) this.#paths.set(entry, (byCurrent = new Map()));
    let byTarget = byCurrent.get(current);
    if (!byTarget) byCurrent.set(current, (byTarget = new Map()));
    const p = byTarget.get(dec.target);
    if (p) {
      p.eligibleDevices++;
      if (dec.stageStart > p.stageStart || (dec.stageStart === p.stageStart && cmp(dec.stageName ?? '', p.activeStage ?? '') > 0)) {
        p.stageStart = dec.stageStart;
        p.activeStage = dec.stageName ?? null;
      }
    } else {
      const dev = d.device;
      byTarget.set(dec.target, {
        manufacturer: dev.manufacturer, model: dev.model, component: entry.component, currentVersion: current, newVersion: dec.target,
        eligibleDevices: 1, activeStage: dec.stageName ?? null, stageStart: dec.stageStart,
      });
    }
  }
  list(): UpdatePath[] {
    const out: UpdatePath[] = [];
    for (const byCurrent of this.#paths.values()) {
      for (const byTarget of byCurrent.values()) for (const { stageStart: _, ...p } of byTarget.values()) out.push(p);
    }
    return out.sort((a, b) => cmp(a.manufacturer, b.manufacturer) || cmp(a.model, b.model)
      || COMPONENTS.indexOf(a.component) - COMPONENTS.indexOf(b.component)
      || cmpV(a.currentVersion, b.currentVersion) || cmpV(a.newVersion, b.newVersion));
  }
}
