// Forecast (issue 3 item 5): assuming every update succeeds, when each phase / ring starts and ends
// for one release, and what share of the eligible fleet runs it by each date. Computed event by event:
// each device's start is its slot in its stage, moved to the next window opening at or after it (and
// past a tenant pause) — never by ticking through hours. Uses the same rule files as plan().
import type { DesiredState } from '../api/desired.ts';
import { AUTO_UPDATE_COMPONENTS, COMPONENTS, type Component, type ObservedState } from '../api/types.ts';
import { EMPTY_HISTORY, cmp, compile, deviceInput, type CompiledRelease, type ComponentInput, type PlanContext } from './gather.ts';
import { assignGroup } from './groups.ts';
import { catchUpAvailability, isUnsupported } from './lifecycle.ts';
import { phaseAvailability } from './phases.ts';
import { stageTimes } from './releases.ts';
import { ringAvailability } from './rings.ts';
import { cmpV } from './slots.ts';
import { meetsMinimum } from './versions.ts';

export interface ForecastStage { name: string; kind: 'ring' | 'phase'; startsAt: string | null; endsAt: string | null; devices: number }
export interface Forecast {
  release: { component: Component; version: string };
  from: string;
  stages: ForecastStage[];
  adoption: { at: string; devices: number; share: number }[];
  eligibleDevices: number;
  notes: string[];
}

const DAY = 86_400_000;

/** Why a device the release applies to is left out of the forecast. */
const EXCLUDED = {
  unknown: 'left out, on a version the catalog does not know (manual updates only)',
  pinned: 'left out, pinned below it',
  suspended: 'left out, in a suspended group',
  disabled: 'left out, in a group that does not update this component automatically',
  hop: 'left out, they need an intermediate update first (minimumVersion) and take this one after it',
  lag: 'left out, in a phase with lagVersions (they take it once newer releases exist)',
} as const;
const devicesText = (n: number) => `${n} device${n === 1 ? '' : 's'}`;

function settle(ctx: PlanContext, ci: ComponentInput, t: number): number {
  const p = ctx.policy;
  for (let i = 0; i < 4; i++) {
    if (t >= p.pauseFrom && t < p.pauseUntil) t = p.pauseUntil;
    const w = ci.d.calendar.nextStart(t);
    if (Number.isNaN(w) || w === t) return w;
    t = w;
  }
  return t;
}

export function forecast(
  desired: DesiredState, observed: ObservedState, release: { component: Component; version: string }, from: Date,
  opts: { horizonDays?: number } = {},
): Forecast {
  const ctx = compile(desired, observed, from);
  const now = ctx.now;
  const known = ctx.releases.filter((r) => r.component === release.component && cmpV(r.version, release.version) === 0);
  if (!known.length) throw new Error(`no release ${release.component}@${release.version} in the catalog`);
  const notes: string[] = [];
  const auto = (AUTO_UPDATE_COMPONENTS as readonly string[]).includes(release.component);
  const rel0 = known[0]!;
  if (!auto) notes.push(`${release.component} is not updated automatically: only a SoftwareUpdate installs it`);
  if (!rel0.verified) notes.push(`${release.version} is a preview release: only a SoftwareUpdate installs it`);
  if (rel0.blocked) notes.push(`${release.version} is blocked: ${rel0.blocked}`);
  if (ctx.policy.cloud !== 'commercial') notes.push(`the tenant is ${ctx.policy.cloud}: no automatic updates`);
  const rollsOut = auto && rel0.verified && !rel0.blocked && ctx.policy.cloud === 'commercial';

  const ci = COMPONENTS.indexOf(release.component);
  const times: number[] = [];
  let already = 0;
  const excluded = new Map<keyof typeof EXCLUDED, number>();
  const perStage = new Map<number, number>();
  const usedStages = new Set<number>();
  const fleet = [...observed.devices].sort((a, b) => cmp(a.id, b.id));
  for (const device of fleet) {
    const row = ctx.catalog.forModel(device.manufacturer, device.model);
    const entry = row[ci];
    const r: CompiledRelease | undefined = entry?.versions.get(release.version) ?? known.find((k) => entry?.versions.get(k.version) === k);
    if (!entry || !r) continue;
    const d = deviceInput(ctx, device, assignGroup(ctx, device));
    usedStages.add(d.stage.index);
    const current = device.software?.[release.component] ?? null;
    if (current !== null && cmpV(current, r.version) >= 0) {
      already++;
      perStage.set(d.stage.index, (perStage.get(d.stage.index) ?? 0) + 1);
      continue;
    }
    if (!rollsOut) continue;
    const input: ComponentInput = {
      d, component: release.component, current, entry,
      currentRelease: current === null ? undefined : entry.versions.get(current),
      history: EMPTY_HISTORY, manual: null,
    };
    const pin = d.group?.pin[release.component];
    let why: keyof typeof EXCLUDED | null = null;
    if (current !== null && !input.currentRelease) why = 'unknown';
    else if (d.group?.suspend) why = 'suspended';
    else if (d.group?.autoComponents && !d.group.autoComponents.has(release.component)) why = 'disabled';
    else if (pin !== undefined && cmpV(r.version, pin) > 0) why = 'pinned';
    else if (!meetsMinimum(current, r)) why = 'hop';
    else if ((d.stage.phase?.lag ?? 0) > 0) why = 'lag';
    if (why) { excluded.set(why, (excluded.get(why) ?? 0) + 1); continue; }
    const avail = d.stage.kind === 'ring' ? (isUnsupported(input, ctx) ? catchUpAvailability : ringAvailability) : phaseAvailability;
    const t = settle(ctx, input, Math.max(avail(input, r, ctx).at, now));
    if (Number.isNaN(t)) continue;
    times.push(t);
    perStage.set(d.stage.index, (perStage.get(d.stage.index) ?? 0) + 1);
  }
  for (const [why, n] of [...excluded].sort(([a], [b]) => cmp(a, b))) notes.push(`${EXCLUDED[why]}: ${devicesText(n)}`);

  // Stages of the kinds in use, with their schedule for this release.
  const stages: (ForecastStage & { start: number; order: number })[] = [];
  const kinds = new Set([...usedStages].map((s) => ctx.stages[s]!.kind));
  for (const s of ctx.stages) {
    if (!kinds.has(s.kind)) continue;
    const { start, end } = stageTimes(ctx, rel0, s.index);
    stages.push({
      name: s.name, kind: s.kind, startsAt: start === null ? null : new Date(start).toISOString(), endsAt: end === null ? null : new Date(end).toISOString(),
      devices: perStage.get(s.index) ?? 0, start: start ?? Infinity, order: s.kind === 'ring' ? 0 : 1,
    });
  }
  stages.sort((a, b) => a.order - b.order || a.start - b.start || cmp(a.name, b.name));

  // Adoption, event by event: sorted start times merged with one point per UTC day.
  const sorted = Float64Array.from(times).sort();
  const eligible = already + sorted.length;
  const lastEnd = Math.max(now, ...stages.filter((s) => s.devices > 0 && s.endsAt).map((s) => Date.parse(s.endsAt!)), sorted.length ? sorted[sorted.length - 1]! : now);
  const horizonDays = opts.horizonDays ?? Math.min(400, Math.max(7, Math.ceil((lastEnd - now) / DAY) + 1));
  const end = now + horizonDays * DAY;
  const adoption: Forecast['adoption'] = [];
  let k = 0;
  const point = (t: number) => {
    while (k < sorted.length && sorted[k]! <= t) k++;
    const devices = already + k;
    adoption.push({ at: new Date(t).toISOString(), devices, share: eligible ? Math.round((devices / eligible) * 10_000) / 10_000 : 0 });
  };
  point(now);
  // One point at the end of each UTC day (23:59:59.999): the date of `at` is the day it closes.
  for (let t = (Math.floor(now / DAY) + 1) * DAY - 1; t <= end; t += DAY) if (t > now) point(t);
  const beyond = sorted.length - k;
  if (beyond > 0) notes.push(`after the horizon (${horizonDays} days): ${devicesText(beyond)}`);
  if (ctx.policy.pauseUntil > now && ctx.policy.pauseFrom !== Infinity) {
    notes.push(`automatic updates are paused until ${new Date(ctx.policy.pauseUntil).toISOString()}`);
  }
  return {
    release: { component: release.component, version: release.version },
    from: from.toISOString(),
    stages: stages.map(({ start: _s, order: _o, ...s }) => s),
    adoption,
    eligibleDevices: eligible,
    notes,
  };
}
