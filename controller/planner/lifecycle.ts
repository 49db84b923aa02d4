// Lifecycle (seed 001 "update lifecycle policy"): support ends twelve months after a version's
// release or once MORE than two newer releases exist (FleetPolicy.lifecycle.supportPeriod and
// maxNewerReleases). Such devices are reported; a device in a ring also gets a "catch-up" update
// outside the ring order ("even with ring validation, attempts are made to ensure that rooms are not
// past due", seed 001): the next hop as soon as the release has entered the first ring, without a slot.
// Phones keep their phase schedule (seed 000: step-wise updates need no intervention).
import type { CompiledRelease, ComponentInput, PlanContext } from './gather.ts';
import { Finding, Reason } from './reasons.ts';
import { ringStart } from './rings.ts';
import { componentOwner } from './slots.ts';
import type { Availability } from './versions.ts';

export function isUnsupported(ci: ComponentInput, ctx: PlanContext): boolean {
  const r = ci.currentRelease;
  if (!r || !ci.entry) return false;
  if (r.releasedAt + ctx.policy.supportMs <= ctx.now) return true;
  return (ci.entry.newerVerified.get(r.version) ?? 0) > ctx.policy.maxNewerReleases;
}

export function reportUnsupported(ci: ComponentInput, ctx: PlanContext): void {
  const component = ci.component;
  const current = ci.current!;
  const owner = componentOwner(component);
  if (ctx.findings.bump(Finding.UnsupportedVersion, owner, current)) return;
  const max = ctx.policy.maxNewerReleases;
  ctx.findings.tally(Finding.UnsupportedVersion, owner, current, () =>
    `${component} ${current} is past its support (12 months, or more than ${max} newer releases): {count} device{s}`);
}

/** Catch-up (ring devices): available as soon as the release has entered the first ring; no slot. */
export function catchUpAvailability(ci: ComponentInput, r: CompiledRelease, ctx: PlanContext): Availability {
  const stageStart = ci.d.stage.kind === 'ring' ? ringStart(ctx, r, 0) : r.releasedAt;
  return {
    release: r, at: stageStart, stageStart, stageName: ci.d.stage.name,
    waitReason: Reason.CatchUpUnsupported, dueReason: Reason.CatchUpUnsupported,
  };
}
