// Device groups (docs/design.md section 3): which group claims a device, and the group-level switches.
// The highest `priority` wins; a tie is broken by name and reported. A device no group claims is in
// the General ring if it is a room system (seed 001) and in the General phase otherwise (seed 000).
import { normalizeMac } from '../api/mac.ts';
import type { FleetDevice } from '../api/types.ts';
import { AUTO_UPDATE_COMPONENTS } from '../api/types.ts';
import type { CompiledGroup, ComponentInput, Decision, PlanContext } from './gather.ts';
import { Finding, Reason } from './reasons.ts';

export function selects(g: CompiledGroup, d: FleetDevice): boolean {
  if (g.deviceTypes && !g.deviceTypes.has(d.deviceType)) return false;
  if (g.manufacturers && !g.manufacturers.has(String(d.manufacturer).toLowerCase())) return false;
  if (g.models && !g.models.has(d.model)) return false;
  if (g.labels) {
    const labels = d.labels;
    if (!labels) return false;
    for (const [k, v] of g.labels) if (labels[k] !== v) return false;
  }
  if (g.devices && !g.devices.has(d.id) && !(d.macAddress && g.devices.has(normalizeMac(d.macAddress) ?? d.macAddress))) return false;
  return true;
}

/** The group that claims the device: groups are sorted by priority (desc) then name, so the first match wins. */
export function assignGroup(ctx: PlanContext, d: FleetDevice): CompiledGroup | null {
  const groups = ctx.groups;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    if (!selects(g, d)) continue;
    for (let j = i + 1; j < groups.length && groups[j]!.priority === g.priority; j++) {
      const other = groups[j]!;
      if (selects(other, d)) {
        ctx.findings.add(Finding.GroupPriorityTie,
          `DeviceGroups ${g.name} and ${other.name} both claim devices at priority ${g.priority}, ${g.name} wins by name: {count} device{s}`,
          [`DeviceGroup/${g.name}`, `DeviceGroup/${other.name}`]);
      }
    }
    return g;
  }
  return null;
}

// ---- checks ------------------------------------------------------------------------------------------

/** A suspended group gets no automatic updates. */
// Decisions without a target are shared per group (index.ts adds the target on a copy).
const suspended = new WeakMap<CompiledGroup, Decision>();
const disabled = new WeakMap<CompiledGroup, Map<string, Decision>>();

export function groupSuspended(ci: ComponentInput): Decision | null {
  const g = ci.d.group;
  if (!g?.suspend) return null;
  let d = suspended.get(g);
  if (!d) suspended.set(g, (d = Object.freeze<Decision>({ state: 'Blocked', reason: Reason.GroupSuspended, target: null, notBefore: null, message: `DeviceGroup ${g.name} is suspended` })));
  return d;
}

/** `autoUpdate.components` narrows which components update automatically. */
export function autoUpdateDisabled(ci: ComponentInput): Decision | null {
  const allowed = ci.d.group?.autoComponents;
  if (!allowed || allowed.has(ci.component)) return null;
  if (!(AUTO_UPDATE_COMPONENTS as readonly string[]).includes(ci.component)) return null;
  const g = ci.d.group!;
  let byComponent = disabled.get(g);
  if (!byComponent) disabled.set(g, (byComponent = new Map()));
  let d = byComponent.get(ci.component);
  if (!d) {
    d = Object.freeze<Decision>({ state: 'Blocked', reason: Reason.AutoUpdateDisabled, target: null, notBefore: null, message: `DeviceGroup ${g.name} does not update ${ci.component} automatically` });
    byComponent.set(ci.component, d);
  }
  return d;
}
