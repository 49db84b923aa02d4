// Builders for hand-made Plans, for tests of what is done with a plan (formatting, diff) rather than
// of how it is made.
import type { Component } from '../../controller/api/types.ts';
import type { ComponentPlan, DevicePlan, Plan, PlannedOperation } from '../../controller/planner/types.ts';

export const AT = '2026-11-23T15:00:00.000Z';

export function aComponent(component: Component, over: Partial<ComponentPlan> = {}): ComponentPlan {
  return { component, currentVersion: '1.0.0', targetVersion: null, state: 'UpToDate', reason: 'UpToDate', notBefore: null, ...over };
}

/** A device planned to move `component` from `from` to `to`, not before `notBefore`. */
export function scheduled(component: Component, from: string, to: string, notBefore: string, reason = 'WaitingForWindow'): ComponentPlan {
  return aComponent(component, { currentVersion: from, targetVersion: to, state: 'Scheduled', reason, notBefore });
}

export function aDevice(id: string, over: Partial<DevicePlan> = {}, components: ComponentPlan[] = [aComponent('firmware'), aComponent('teamsClient')]): DevicePlan {
  return { id, group: null, phase: 'General', ring: null, maintenanceWindow: 'default', components, ...over };
}

export function anOperation(deviceId: string, component: Component, fromVersion: string | null, toVersion: string, over: Partial<PlannedOperation> = {}): PlannedOperation {
  return { deviceId, component, fromVersion, toVersion, reason: 'InWindow', ...over };
}

export function aPlan(over: Partial<Plan> = {}): Plan {
  return { at: AT, revision: 'abc123', operations: [], devices: [], releases: [], updatePaths: [], findings: [], ...over };
}
