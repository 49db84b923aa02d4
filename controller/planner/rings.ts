// Rings (seed 001 "Rings", "Specifying rollout timeline", "Scheduling"): a release enters the first
// ring on the first of its startDays (default Wednesday) on or after releasedAt — at once when it is
// critical; ring k starts `deferment` after ring k-1 finished its rollout duration and test period;
// inside a ring devices are spread over its rollout duration. Failures beyond the ring's
// failureThreshold (percent of the ring's targeted devices; FleetPolicy default) pause the release in
// that ring and every later one.
import { cmpV } from './slots.ts';
import { cmp, type CompiledRelease, type ComponentInput, type Decision, type PlanContext } from './gather.ts';
import { Finding, Reason } from './reasons.ts';
import { slotStart } from './slots.ts';
import type { Availability, Choice } from './versions.ts';

const DAY = 86_400_000;

/** The first instant at or after `t` that falls on one of `days` (UTC calendar; luxon weekday index). */
export function firstStartDay(t: number, days: readonly boolean[]): number {
  if (!days.some(Boolean)) return t;
  const js = new Date(t).getUTCDay();
  if (days[js === 0 ? 7 : js]) return t;
  const midnight = Math.floor(t / DAY) * DAY;
  for (let i = 1; i <= 7; i++) {
    const wd = ((js + i) % 7) || 7;
    if (days[wd]) return midnight + i * DAY;
  }
  return t;
}

/** Start of every ring for a release (index = ring index), computed once per release. */
export function ringStarts(ctx: PlanContext, r: CompiledRelease): number[] {
  let starts = ctx.ringStarts[r.id];
  if (starts) return starts;
  starts = [];
  const first = ctx.rings[0];
  let t = first && !r.critical ? firstStartDay(r.releasedAt, first.startDays) : r.releasedAt;
  for (const ring of ctx.rings) {
    const start = t + ring.defermentMs;
    starts.push(start);
    t = start + ring.rolloutMs + ring.testMs;
  }
  ctx.ringStarts[r.id] = starts;
  return starts;
}

export function ringStart(ctx: PlanContext, r: CompiledRelease, ringIndex: number): number {
  return ringStarts(ctx, r)[ringIndex] ?? r.releasedAt;
}

/** Seed 001 "Completion time": the ring's rollout duration plus its test period. */
export function ringEnd(ctx: PlanContext, r: CompiledRelease, ringIndex: number): number {
  const ring = ctx.rings[ringIndex]!;
  return ringStart(ctx, r, ringIndex) + ring.rolloutMs + ring.testMs;
}

export function ringAvailability(ci: ComponentInput, r: CompiledRelease, ctx: PlanContext): Availability {
  const ring = ci.d.stage.ring!;
  const stageStart = ringStart(ctx, r, ring.index);
  return {
    release: r,
    at: slotStart(stageStart, ring.rolloutMs, ci.d.device.id, r.version),
    stageStart,
    stageName: ring.name,
    waitReason: ctx.now < stageStart ? Reason.RingNotStarted : Reason.RolloutSlot,
    dueReason: Reason.RingRollout,
  };
}

// ---- failure threshold ------------------------------------------------------------------------------

/** Failed devices per release and ring, gathered by the census (releases.ts). */
export type RingFailures = Map<number, Map<number, string[]>>;

/**
 * Decides which releases are paused, and from which ring: failed devices of a ring over the devices
 * the release targets there (those on an older or the same version), above the ring's threshold.
 * Only rings the release has already reached count.
 */
export function computeRingPauses(ctx: PlanContext, failures: RingFailures): void {
  for (const [releaseId, byRing] of failures) {
    const r = ctx.releases[releaseId]!;
    const rings = [...byRing.keys()].sort((a, b) => a - b);
    for (const k of rings) {
      const ring = ctx.rings[k]!;
      if (ringStart(ctx, r, k) > ctx.now) continue;
      const failed = byRing.get(k)!;
      let targeted = 0;
      const stage = ctx.stages.find((s) => s.ring === ring)!;
      for (const e of ctx.catalog.entries()) {
        if (e.versions.get(r.version) !== r) continue;
        for (const [v, n] of e.census[stage.index]!) if (v !== '' && cmpV(v, r.version) <= 0) targeted += n;
      }
      targeted = Math.max(targeted, failed.length);
      if (targeted > 0 && (failed.length * 100) / targeted > ring.failureThreshold) {
        ctx.ringPausedFrom.set(r.id, { ring: k, failed: [...failed].sort(cmp), targeted });
        ctx.findings.add(Finding.ReleasePaused,
          `${r.component} ${r.version} is paused in ring ${ring.name}: ${failed.length} of ${targeted} targeted devices failed (threshold ${ring.failureThreshold}%)`,
          [`Ring/${ring.name}`]);
        break;
      }
    }
  }
}

/** A release paused in this device's ring (or an earlier one) is not deployed to it. */
export function releasePaused(ci: ComponentInput, choice: Choice, ctx: PlanContext): Decision | null {
  const ring = ci.d.stage.ring;
  if (!ring) return null;
  const p = ctx.ringPausedFrom.get(choice.release.id);
  if (!p || p.ring > ring.index) return null;
  // A device that failed this release itself is one of the failures that paused it: Failed, not merely held back.
  const own = ci.history.failures.has(choice.release.version);
  return {
    state: own ? 'Failed' : 'Blocked', reason: Reason.ReleasePaused, target: choice.release.version, notBefore: null,
    message: `${choice.release.version} is paused in ring ${ctx.rings[p.ring]!.name}: ${p.failed.length} of ${p.targeted} targeted devices failed (threshold ${ctx.rings[p.ring]!.failureThreshold}%)${own ? '; this device is one of them' : ''}`,
  };
}
