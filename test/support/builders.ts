// Small builders for planner (and other) tests: a fixed clock, devices, releases, config objects and
// operations, each with defaults a test overrides only where it matters (docs/style.md "Tests").
//   aPhone({ timeZone: 'Europe/Paris' }), aRoom(), aRelease('firmware', '58.15.0.124', { daysAgo: 40 }),
//   aGroup('lab', { updatePhase: 'Validation', selector: { devices: ['phone-1'] } }), fleet(...), config(...)
import { API_VERSION } from '../../controller/api/types.ts';
import type {
  Component, DeviceGroupSpec, DeviceOperation, FleetDevice, FleetPolicySpec, FleetwardObject, MaintenanceWindowSpec,
  ObservedState, RingSpec, SoftwareReleaseSpec, SoftwareUpdateSpec, UpdatePhaseSpec, DeviceGroup, UpdatePhase, Ring,
  MaintenanceWindow, FleetPolicy, SoftwareUpdate, SoftwareRelease,
} from '../../controller/api/types.ts';
import { desiredState, type DesiredState } from '../../controller/api/desired.ts';

export const DAY = 86_400_000;
export const HOUR = 3_600_000;
/** The fixed clock of planner tests: Wednesday 18 November 2026, 12:00 UTC. */
export const NOW = new Date('2026-11-18T12:00:00Z');
export const daysAgo = (n: number, from: Date = NOW): string => new Date(from.getTime() - n * DAY).toISOString();
export const hoursAgo = (n: number, from: Date = NOW): string => new Date(from.getTime() - n * HOUR).toISOString();

let seq = 0;
const nextId = (prefix: string) => `${prefix}-${String(++seq).padStart(4, '0')}`;

export function aPhone(over: Partial<FleetDevice> = {}): FleetDevice {
  return {
    id: over.id ?? nextId('phone'),
    deviceType: 'ipPhone',
    manufacturer: 'Yealink',
    model: 'MP56',
    timeZone: 'UTC',
    online: true,
    activityState: 'idle',
    healthStatus: 'healthy',
    ...over,
    software: over.software ?? { firmware: '1.0.0.1', teamsClient: '1449.0.0.1' },
  };
}

export function aRoom(over: Partial<FleetDevice> = {}): FleetDevice {
  return {
    id: over.id ?? nextId('room'),
    deviceType: 'teamsRoom',
    manufacturer: 'Logitech',
    model: 'RallyBar',
    timeZone: 'UTC',
    online: true,
    activityState: 'idle',
    healthStatus: 'healthy',
    ...over,
    software: over.software ?? { firmware: '1.0.0.1', teamsClient: '5.0.0.1' },
  };
}

export interface ReleaseOptions extends Partial<Omit<SoftwareReleaseSpec, 'component' | 'version'>> {
  /** releasedAt = NOW − daysAgo days (default 100: released, still supported). */
  daysAgo?: number;
  /** Or an explicit instant. */
  at?: string;
}
export function aRelease(component: Component, version: string, o: ReleaseOptions = {}): SoftwareReleaseSpec {
  const { daysAgo: ago, at, ...rest } = o;
  return { component, version, releasedAt: at ?? daysAgo(ago ?? 100), label: 'verified', ...rest };
}

const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, ...extra });
export function aGroup(name: string, spec: Partial<DeviceGroupSpec> = {}): DeviceGroup {
  return { apiVersion: API_VERSION, kind: 'DeviceGroup', metadata: meta(name), spec: { selector: {}, ...spec } };
}
export function aPhase(name: string, spec: UpdatePhaseSpec = {}): UpdatePhase {
  return { apiVersion: API_VERSION, kind: 'UpdatePhase', metadata: meta(name), spec };
}
export function aRing(name: string, spec: Partial<RingSpec> & { order: number }): Ring {
  return { apiVersion: API_VERSION, kind: 'Ring', metadata: meta(name), spec };
}
export function aWindow(name: string, spec: MaintenanceWindowSpec): MaintenanceWindow {
  return { apiVersion: API_VERSION, kind: 'MaintenanceWindow', metadata: meta(name), spec };
}
export function aPolicy(spec: FleetPolicySpec = {}): FleetPolicy {
  return { apiVersion: API_VERSION, kind: 'FleetPolicy', metadata: meta('default'), spec };
}
export function aSoftwareUpdate(name: string, spec: Partial<SoftwareUpdateSpec> & Pick<SoftwareUpdateSpec, 'component' | 'version'>, creationTimestamp?: string): SoftwareUpdate {
  return {
    apiVersion: API_VERSION, kind: 'SoftwareUpdate',
    metadata: creationTimestamp ? meta(name, { creationTimestamp }) : meta(name),
    spec: { target: {}, ...spec },
  };
}
export function aCommittedRelease(name: string, spec: SoftwareReleaseSpec): SoftwareRelease {
  return { apiVersion: API_VERSION, kind: 'SoftwareRelease', metadata: meta(name), spec };
}

export function anOperation(deviceId: string, component: Component, toVersion: string, o: Partial<DeviceOperation> = {}): DeviceOperation {
  const createdAt = o.createdAt ?? hoursAgo(1);
  return {
    id: o.id ?? nextId('op'),
    deviceId, operationType: 'softwareUpdate', component, toVersion,
    status: 'failed',
    createdAt,
    ...(o.status === 'failed' || o.status === undefined ? { completedAt: o.completedAt ?? createdAt } : {}),
    ...o,
  };
}

/** The config: any objects, split by kind. */
export function config(...objects: FleetwardObject[]): DesiredState {
  return desiredState(objects);
}

/** The observed world: devices, the release catalog, operations. */
export function fleet(devices: FleetDevice[], releases: SoftwareReleaseSpec[] = [], operations: DeviceOperation[] = []): ObservedState {
  return { devices, releases, operations };
}

// ---- planner helpers --------------------------------------------------------------------------------
import { plan } from '../../controller/planner/index.ts';
import type { ComponentPlan, Plan } from '../../controller/planner/types.ts';
import { WEEKDAYS } from '../../controller/api/types.ts';

/** A window open around the clock, every day (for tests about something other than windows). */
export const alwaysOpen = (name = 'always', timeZone?: string): MaintenanceWindow =>
  aWindow(name, { start: '00:00', end: '00:00', days: [...WEEKDAYS], ...(timeZone ? { timeZone } : {}) });

/** Runs the planner at `now` (default NOW). */
export function planAt(desired: DesiredState, observed: ObservedState, now: Date | string = NOW): Plan {
  return plan(desired, observed, typeof now === 'string' ? new Date(now) : now);
}

/** One component of one device in a plan; throws when absent so a test fails loudly. */
export function componentOf(p: Plan, deviceId: string, component: Component): ComponentPlan {
  const d = p.devices.find((x) => x.id === deviceId);
  const c = d?.components.find((x) => x.component === component);
  if (!c) throw new Error(`no ${component} for ${deviceId} in the plan`);
  return c;
}
