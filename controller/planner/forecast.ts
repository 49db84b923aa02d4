// Forecast (issue 3 item 5): assuming every update succeeds, when each phase / ring starts and ends
// for one release, and what share of the eligible fleet runs it by each date. It is not a second planner:
// the fleet is gathered and counted as plan() does it (index.ts gatherFleet) and every device is decided by
// the planner's own chain (chain.ts decide), asked about this release. The chain's bounds move each start
// through simulated time — past a retry's backoff, a tenant pause, a freeze, to the next window opening —
// event by event, never by ticking through hours; a device starts at the decision's `notBefore`.
import type { DesiredState } from '../api/desired.ts';
import { AUTO_UPDATE_COMPONENTS, COMPONENTS, type Component, type ObservedState } from '../api/types.ts';
import { decide, notices } from './chain.ts';
import { cmp, historyOf, manualFor, type CompiledRelease, type ComponentInput } from './gather.ts';
import { gatherFleet } from './index.ts';
import { isUnsupported } from './lifecycle.ts';
import { Reason } from './reasons.ts';
import { stageTimes } from './releases.ts';
import { cmpV } from './slots.ts';

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

/**
 * Why a device the release applies to is left out of the forecast, by the reason code the chain decided, in
 * the order the notes list them. Null: said once for the whole release by the notes above (manual-only
 * component, preview, blocked, cloud).
 */
const EXCLUDED: [Reason, string | null][] = [
  [Reason.AutoUpdateDisabled, 'left out, in a group that does not update this component automatically'],
  [Reason.NoUpdatePath, 'left out, they need an intermediate update first (minimumVersion) and take this one after it'],
  [Reason.LagVersions, 'left out, in a phase with lagVersions (they take it once newer releases exist)'],
  [Reason.Pinned, 'left out, pinned below it'],
  [Reason.GroupSuspended, 'left out, in a suspended group'],
  [Reason.UnknownVersion, 'left out, on a version the catalog does not know (manual updates only)'],
  [Reason.FailureHold, 'left out, held after repeated failures until a person acts'],
  [Reason.RolledBack, 'left out, they rolled it back (held until a person acts)'],
  [Reason.ReleasePaused, 'left out, the release is paused in their ring (failures beyond its threshold)'],
  [Reason.UnhealthyAfterUpdate, 'left out, unhealthy after their last update (counts against their ring)'],
  [Reason.NoWindow, 'left out, their maintenance window never opens'],
  [Reason.OperationInFlight, 'left out, another update of theirs is in flight'],
  [Reason.ManualOnlyComponent, null],
  [Reason.CloudManualOnly, null],
  [Reason.PreviewManualOnly, null],
  [Reason.ReleaseBlocked, null],
];
const OTHER = 'left out, a SoftwareUpdate or another rule decides them';
const EXCLUDED_ORDER = new Map<string, number>([...EXCLUDED.map(([, t], i) => [t ?? '', i] as const), [OTHER, EXCLUDED.length]]);
const EXCLUDED_TEXT = new Map<string, string | null>(EXCLUDED);
const devicesText = (n: number) => `${n} device${n === 1 ? '' : 's'}`;

export function forecast(
  desired: DesiredState, observed: ObservedState, release: { component: Component; version: string }, from: Date,
  opts: { horizonDays?: number } = {},
): Forecast {
  const { ctx, inputs } = gatherFleet(desired, observed, from);
  const now = ctx.now;
  const known = ctx.releases.filter((r) => r.component === release.component && cmpV(r.version, release.version) === 0);
  if (!known.length) throw new Error(`no release ${release.component}@${release.version} in the catalog`);
  const notes: string[] = [];
  const rel0 = known[0]!;
  if (!(AUTO_UPDATE_COMPONENTS as readonly string[]).includes(release.component)) notes.push(`${release.component} is not updated automatically: only a SoftwareUpdate installs it`);
  if (!rel0.verified) notes.push(`${release.version} is a preview release: only a SoftwareUpdate installs it`);
  if (rel0.blocked) notes.push(`${release.version} is blocked: ${rel0.blocked}`);
  if (ctx.policy.cloud !== 'commercial') notes.push(`the tenant is ${ctx.policy.cloud}: no automatic updates`);

  const c = COMPONENTS.indexOf(release.component);
  const times: number[] = [];
  let already = 0;
  const excluded = new Map<string, number>();
  const perStage = new Map<number, number>();
  const usedStages = new Set<number>();
  const hasManual = ctx.manualByDevice.size > 0 || ctx.manualByGroup.size > 0;
  for (const d of inputs) {
    const entry = d.row[c];
    const r: CompiledRelease | undefined = entry?.versions.get(release.version) ?? known.find((k) => entry?.versions.get(k.version) === k);
    if (!entry || !r) continue;
    usedStages.add(d.stage.index);
    const current = d.device.software?.[release.component] ?? null;
    if (current !== null && cmpV(current, r.version) >= 0) {
      already++;
      perStage.set(d.stage.index, (perStage.get(d.stage.index) ?? 0) + 1);
      continue;
    }
    const ci: ComponentInput = {
      d, component: release.component, current, entry,
      currentRelease: current === null ? undefined : entry.versions.get(current),
      history: historyOf(ctx, d, release.component), manual: hasManual ? manualFor(ctx, d, release.component) : null,
    };
    const dec = decide(ci, ctx, isUnsupported(ci, ctx), r);
    // Every update assumed to succeed: one in flight to this release, due, scheduled or retried lands at its start.
    const lands = dec.target !== null && cmpV(dec.target, r.version) === 0
      && (dec.state === 'InProgress' || ((dec.state === 'Due' || dec.state === 'Scheduled' || dec.state === 'Failed') && dec.notBefore !== null));
    if (!lands) {
      const why = EXCLUDED_TEXT.has(dec.reason) ? EXCLUDED_TEXT.get(dec.reason)! : OTHER;
      if (why !== null) excluded.set(why, (excluded.get(why) ?? 0) + 1);
      continue;
    }
    times.push(dec.notBefore ?? now);
    perStage.set(d.stage.index, (perStage.get(d.stage.index) ?? 0) + 1);
  }
  for (const [why, n] of [...excluded].sort(([a], [b]) => EXCLUDED_ORDER.get(a)! - EXCLUDED_ORDER.get(b)!)) notes.push(`${why}: ${devicesText(n)}`);

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
  for (const n of notices(ctx)) notes.push(n.message);
  return {
    release: { component: release.component, version: release.version },
    from: from.toISOString(),
    stages: stages.map(({ start: _s, order: _o, ...s }) => s),
    adoption,
    eligibleDevices: eligible,
    notes,
  };
}
