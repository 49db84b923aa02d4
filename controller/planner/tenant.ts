// Tenant-wide rules (seed 000 "Pause automatic updates", GCC High / DoD note, FAQ "Which software
// components are automatically updated?"; seed 002 GCC-High): a pause lifts by itself 15 days after
// FleetPolicy.autoUpdates.pausedAt (or when the field is removed); gcch / dod tenants get no automatic
// updates; only firmware and teamsClient update automatically.
import { AUTO_UPDATE_COMPONENTS, COMPONENTS, type Cloud } from '../api/types.ts';
import type { ComponentInput, Decision, PlanContext } from './gather.ts';
import { Reason } from './reasons.ts';

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

/** An automatic operation may not start while the tenant is paused: move it to the resume instant. */
export function tenantPause(_ci: ComponentInput, _choice: unknown, t: number, ctx: PlanContext): { at: number; reason: Reason } | null {
  const p = ctx.policy;
  if (t < p.pauseFrom || t >= p.pauseUntil) return null;
  return { at: p.pauseUntil, reason: Reason.TenantPaused };
}
