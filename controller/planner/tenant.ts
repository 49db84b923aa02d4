// Tenant-wide rules (seed 000 "Pause automatic updates", GCC High / DoD note, FAQ "Which software
// components are automatically updated?"; seed 002 GCC-High): a pause lifts by itself 15 days after
// FleetPolicy.autoUpdates.pausedAt (or when the field is removed); gcch / dod tenants get no automatic
// updates; only firmware and teamsClient update automatically.
import { AUTO_UPDATE_COMPONENTS, COMPONENTS, type Cloud } from '../api/types.ts';
import type { ComponentInput, Decision, Hold, Notice, PlanContext, StartQuery } from './gather.ts';
import { Finding, Reason } from './reasons.ts';

// Decisions without a target are shared (index.ts copies them when it adds one): built once, not per device.
const MANUAL_ONLY = new Map(COMPONENTS.map((c) => [c, Object.freeze<Decision>({
  state: 'Blocked', reason: Reason.ManualOnlyComponent, target: null, notBefore: null, message: `${c} updates only through a SoftwareUpdate`,
})]));
const CLOUD_ONLY = { gcch: 0, dod: 0 } as const;
const CLOUD = new Map((Object.keys(CLOUD_ONLY) as Cloud[]).map((c) => [c, Object.freeze<Decision>({
  state: 'Blocked', reason: Reason.CloudManualOnly, target: null, notBefore: null, message: `automatic updates are not available in ${c}; update manually`,
})]));

export function componentManualOnly(ci: ComponentInput): Decision | null {
  if ((AUTO_UPDATE_COMPONENTS as readonly string[]).includes(ci.component)) return null;
  return MANUAL_ONLY.get(ci.component)!;
}

export function cloudManualOnly(_ci: ComponentInput, ctx: PlanContext): Decision | null {
  return CLOUD.get(ctx.policy.cloud) ?? null;
}

/** Does a pause ([from, until), api/builtins.ts autoUpdatesPause) hold at `t`? The one test of it: planner and `fleetward pause` ask here. */
export function pauseHolds(pause: { from: number; until: number } | null, t: number): pause is { from: number; until: number } {
  return pause !== null && t >= pause.from && t < pause.until;
}

const tenantPauseOf = (ctx: PlanContext) => ({ from: ctx.policy.pauseFrom, until: ctx.policy.pauseUntil });

/** Bound: an automatic operation may not start while the tenant is paused; it moves to the resume instant. Manual updates run. */
export function tenantPause(q: StartQuery, t: number, ctx: PlanContext): Hold | null {
  if (q.manual || !pauseHolds(tenantPauseOf(ctx), t)) return null;
  return { at: ctx.policy.pauseUntil, reason: Reason.TenantPaused };
}

/** The pause in force or ahead at `now` (the plan's `autoUpdatesPause`), or null. */
export function tenantPauseAhead(ctx: PlanContext): { from: number; until: number } | null {
  return ctx.policy.pauseUntil > ctx.now && ctx.policy.pauseFrom !== Infinity ? tenantPauseOf(ctx) : null;
}

/** Notice: the plan's finding and the forecast's note while a pause is in force or ahead. */
export function tenantPauseNotice(ctx: PlanContext): Notice | null {
  const p = tenantPauseAhead(ctx);
  if (!p) return null;
  return {
    code: Finding.TenantPaused,
    message: `automatic updates are paused from ${new Date(p.from).toISOString()} until ${new Date(p.until).toISOString()} (15 days; remove autoUpdates.pausedAt to resume earlier)`,
    objects: ['FleetPolicy/default'],
  };
}
