// Tenant-wide rules (seed 000 "Pause automatic updates", GCC High / DoD note, FAQ "Which software
// components are automatically updated?"; seed 002 GCC-High): a pause lifts by itself 15 days after
// FleetPolicy.autoUpdates.pausedAt (or when the field is removed); gcch / dod tenants get no automatic
// updates; only firmware and teamsClient update automatically.
import { AUTO_UPDATE_COMPONENTS } from '../api/types.ts';
import type { ComponentInput, Decision, PlanContext } from './gather.ts';
import { Reason } from './reasons.ts';

export function componentManualOnly(ci: ComponentInput): Decision | null {
  if ((AUTO_UPDATE_COMPONENTS as readonly string[]).includes(ci.component)) return null;
  return { state: 'Blocked', reason: Reason.ManualOnlyComponent, target: null, notBefore: null, message: `${ci.component} updates only through a SoftwareUpdate` };
}

export function cloudManualOnly(ci: ComponentInput, ctx: PlanContext): Decision | null {
  const cloud = ctx.policy.cloud;
  if (cloud !== 'gcch' && cloud !== 'dod') return null;
  return { state: 'Blocked', reason: Reason.CloudManualOnly, target: null, notBefore: null, message: `automatic updates are not available in ${cloud}; update manually` };
}

/** An automatic operation may not start while the tenant is paused: move it to the resume instant. */
export function tenantPause(_ci: ComponentInput, t: number, ctx: PlanContext): { at: number; reason: Reason } | null {
  const p = ctx.policy;
  if (t < p.pauseFrom || t >= p.pauseUntil) return null;
  return { at: p.pauseUntil, reason: Reason.TenantPaused };
}
