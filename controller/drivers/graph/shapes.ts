// The Microsoft Graph beta resources the graph driver speaks and the simulator serves (seed 003):
// teamworkDevice, teamworkDeviceHealth.softwareUpdateHealth and teamworkDeviceOperation, plus the
// mapping to and from Fleetward's own types.
//
// Graph has no device time zone, labels, or operation component/version. The simulator adds them in a
// `fleetward` property on devices and operations (clearly not Graph); against a real tenant they are
// absent and the driver falls back (time zone from its options, component unknown).
import type {
  ActivityState, Component, DeviceOperation, DeviceType, FleetDevice, HealthStatus, OperationStatus, SoftwareReleaseSpec,
} from '../../api/types.ts';
import { COMPONENTS } from '../../api/types.ts';
import type { StringPool } from '../../util/intern.ts';
import { compareVersions } from '../../api/version.ts';

export type GraphActivityState = 'unknown' | 'busy' | 'idle' | 'unavailable';
export type GraphOperationType =
  | 'deviceRestart' | 'configUpdate' | 'deviceDiagnostics' | 'softwareUpdate' | 'deviceManagementAgentConfigUpdate' | 'remoteLogin' | 'remoteLogout';

export interface GraphSoftwareUpdateStatus {
  currentVersion: string | null;
  availableVersion: string | null;
  softwareFreshness: 'unknown' | 'latest' | 'updateAvailable';
}

/** `<component>SoftwareUpdateStatus` for each teamworkSoftwareType. */
export type GraphSoftwareUpdateHealth = Partial<Record<`${Component}SoftwareUpdateStatus`, GraphSoftwareUpdateStatus>>;

export interface GraphDeviceHealth {
  id: string;
  connection: { connectionStatus: 'unknown' | 'connected' | 'disconnected'; lastModifiedDateTime: string };
  softwareUpdateHealth: GraphSoftwareUpdateHealth;
}

export interface GraphDevice {
  id: string;
  deviceType: DeviceType;
  hardwareDetail: { serialNumber: string | null; uniqueId: string | null; macAddresses: string[]; manufacturer: string; model: string };
  notes?: string | null;
  companyAssetTag?: string | null;
  healthStatus: HealthStatus;
  activityState: GraphActivityState;
  currentUser?: { displayName: string | null } | null;
  /** Present when requested with `$expand=health`. */
  health?: GraphDeviceHealth;
  /** Not Graph: what the simulator knows and Graph does not. */
  fleetward?: { timeZone?: string; labels?: Record<string, string>; displayName?: string };
}

export interface GraphOperation {
  id: string;
  operationType: GraphOperationType;
  status: OperationStatus;
  createdDateTime: string;
  startedDateTime: string | null;
  completedDateTime: string | null;
  lastActionDateTime: string;
  error: { code: string; message: string } | null;
  /** Not Graph: the simulator's record of what the operation is about. */
  fleetward?: {
    deviceId: string;
    softwareType?: Component;
    softwareVersion?: string;
    fromVersion?: string;
    forced?: boolean;
    /** The start deadline the operation was accepted with (the simulator cancels it then). */
    startBy?: string;
    logsUrl?: string;
  };
}

export interface GraphError {
  error: { code: string; message: string; innerError?: Record<string, unknown> };
}

/**
 * Not Graph: the request header carrying StartOperationRequest.startBy on updateSoftware (lower case, as
 * node:http gives headers). A header, not a body property: Graph refuses unknown action parameters with a
 * 400 but ignores unknown headers, so the same request works against a real tenant.
 */
export const START_BY_HEADER = 'fleetward-start-by';

export const statusKey = (c: Component) => `${c}SoftwareUpdateStatus` as const;

// ---- Fleetward → Graph (the simulator server) ---------------------------------------------------

/** The newest verified, unblocked release of `component` that applies to the device. */
export function newestRelease(device: FleetDevice, component: Component, releases: SoftwareReleaseSpec[]): SoftwareReleaseSpec | undefined {
  let best: SoftwareReleaseSpec | undefined;
  for (const r of releases) {
    if (r.component !== component || r.label !== 'verified' || r.blocked) continue;
    if (r.manufacturer && r.manufacturer.toLowerCase() !== device.manufacturer.toLowerCase()) continue;
    if (r.models && r.models.length > 0 && !r.models.includes(device.model)) continue;
    if (!best || compareVersions(r.version, best.version) > 0) best = r;
  }
  return best;
}

export function toGraphHealth(device: FleetDevice, releases: SoftwareReleaseSpec[], now: string): GraphDeviceHealth {
  const softwareUpdateHealth: GraphSoftwareUpdateHealth = {};
  for (const c of COMPONENTS) {
    const current = device.software[c];
    const newest = newestRelease(device, c, releases);
    if (current === undefined && !newest) continue;
    let softwareFreshness: GraphSoftwareUpdateStatus['softwareFreshness'] = 'unknown';
    if (current !== undefined && newest) softwareFreshness = compareVersions(current, newest.version) >= 0 ? 'latest' : 'updateAvailable';
    softwareUpdateHealth[statusKey(c)] = { currentVersion: current ?? null, availableVersion: newest?.version ?? null, softwareFreshness };
  }
  return {
    id: device.id,
    connection: { connectionStatus: device.online === false ? 'disconnected' : 'connected', lastModifiedDateTime: now },
    softwareUpdateHealth,
  };
}

export function toGraphDevice(device: FleetDevice): GraphDevice {
  const activity = device.activityState ?? 'unknown';
  return {
    id: device.id,
    deviceType: device.deviceType,
    hardwareDetail: {
      serialNumber: device.serialNumber ?? null,
      uniqueId: device.serialNumber ?? null,
      macAddresses: device.macAddress ? [device.macAddress] : [],
      manufacturer: device.manufacturer,
      model: device.model,
    },
    notes: null,
    companyAssetTag: null,
    healthStatus: device.healthStatus ?? 'unknown',
    activityState: activity === 'offline' ? 'unavailable' : activity,
    fleetward: {
      timeZone: device.timeZone,
      ...(device.labels ? { labels: device.labels } : {}),
      ...(device.displayName ? { displayName: device.displayName } : {}),
    },
  };
}

export function toGraphOperation(op: DeviceOperation): GraphOperation {
  const operationType: GraphOperationType =
    op.operationType === 'remoteSignIn' ? 'remoteLogin' : op.operationType === 'other' ? 'configUpdate' : op.operationType;
  return {
    id: op.id,
    operationType,
    status: op.status,
    createdDateTime: op.createdAt,
    startedDateTime: op.startedAt ?? null,
    completedDateTime: op.completedAt ?? null,
    lastActionDateTime: op.completedAt ?? op.startedAt ?? op.createdAt,
    error: op.error ?? null,
    fleetward: {
      deviceId: op.deviceId,
      ...(op.component ? { softwareType: op.component } : {}),
      ...(op.toVersion ? { softwareVersion: op.toVersion } : {}),
      ...(op.fromVersion ? { fromVersion: op.fromVersion } : {}),
      ...(op.forced ? { forced: true } : {}),
      ...(op.startBy ? { startBy: op.startBy } : {}),
      ...(op.logsUrl ? { logsUrl: op.logsUrl } : {}),
    },
  };
}

// ---- Graph → Fleetward (the graph driver) -------------------------------------------------------

const HEALTH: readonly HealthStatus[] = ['healthy', 'nonUrgent', 'critical', 'offline', 'unknown'];

/**
 * What of a listed device the driver keeps while it reads the rest of the fleet: the fields fromGraphDevice and
 * the catalog read (catalog.ts) and nothing else, with repeated strings pooled. A page's parsed answer (every
 * health field, hardware details, notes…) is then garbage as soon as the next page is asked for, instead of
 * 50,000 full Graph objects living until the last page is in.
 */
export function slimGraphDevice(g: GraphDevice, pool: StringPool): GraphDevice {
  const p = (v: string | null | undefined) => (typeof v === 'string' ? pool.get(v) : v);
  const hw = g.hardwareDetail;
  const mac = hw?.macAddresses?.[0];
  const slim = {
    id: g.id, deviceType: p(g.deviceType), healthStatus: p(g.healthStatus), activityState: p(g.activityState),
    hardwareDetail: { serialNumber: hw?.serialNumber ?? null, macAddresses: mac ? [mac] : [], manufacturer: p(hw?.manufacturer), model: p(hw?.model) },
  } as GraphDevice;
  const ext = g.fleetward;
  if (ext) {
    slim.fleetward = {
      ...(ext.timeZone ? { timeZone: pool.get(ext.timeZone) } : {}),
      ...(ext.displayName ? { displayName: ext.displayName } : {}),
      ...(ext.labels ? { labels: Object.fromEntries(Object.entries(ext.labels).map(([k, v]) => [pool.get(k), typeof v === 'string' ? pool.get(v) : v])) } : {}),
    };
  }
  const health = g.health;
  if (health) {
    const updates: Record<string, { currentVersion: string | null; availableVersion: string | null }> = {};
    for (const c of COMPONENTS) {
      const st = health.softwareUpdateHealth?.[statusKey(c)];
      if (st) updates[statusKey(c)] = { currentVersion: p(st.currentVersion) ?? null, availableVersion: p(st.availableVersion) ?? null };
    }
    const connection = health.connection?.connectionStatus;
    slim.health = { id: health.id, softwareUpdateHealth: updates, ...(connection ? { connection: { connectionStatus: p(connection) } } : {}) } as unknown as GraphDeviceHealth;
  }
  return slim;
}

export function fromGraphDevice(g: GraphDevice, health: GraphDeviceHealth | undefined, defaultTimeZone: string): FleetDevice {
  const software: Partial<Record<Component, string>> = {};
  for (const c of COMPONENTS) {
    const v = health?.softwareUpdateHealth?.[statusKey(c)]?.currentVersion;
    if (typeof v === 'string' && v !== '') software[c] = v;
  }
  const healthStatus: HealthStatus = HEALTH.includes(g.healthStatus) ? g.healthStatus : 'unknown';
  const connection = health?.connection?.connectionStatus;
  const online = connection ? connection === 'connected' : healthStatus !== 'offline';
  const activityState: ActivityState = !online || g.activityState === 'unavailable' ? 'offline' : g.activityState === 'busy' || g.activityState === 'idle' ? g.activityState : 'unknown';
  const mac = g.hardwareDetail?.macAddresses?.[0];
  const serial = g.hardwareDetail?.serialNumber;
  const ext = g.fleetward ?? {};
  return {
    id: g.id,
    ...(mac ? { macAddress: mac } : {}),
    deviceType: g.deviceType,
    manufacturer: g.hardwareDetail?.manufacturer ?? 'unknown',
    model: g.hardwareDetail?.model ?? 'unknown',
    timeZone: ext.timeZone ?? defaultTimeZone,
    ...(ext.displayName ? { displayName: ext.displayName } : {}),
    ...(serial ? { serialNumber: serial } : {}),
    ...(ext.labels ? { labels: ext.labels } : {}),
    online,
    activityState,
    healthStatus,
    software,
  };
}

export function fromGraphOperation(g: GraphOperation, deviceId: string): DeviceOperation {
  const ext = g.fleetward;
  const operationType: DeviceOperation['operationType'] =
    g.operationType === 'softwareUpdate' || g.operationType === 'deviceDiagnostics' ? g.operationType : g.operationType === 'remoteLogin' ? 'remoteSignIn' : 'other';
  return {
    id: g.id,
    deviceId: ext?.deviceId ?? deviceId,
    operationType,
    ...(ext?.softwareType ? { component: ext.softwareType } : {}),
    ...(ext?.fromVersion ? { fromVersion: ext.fromVersion } : {}),
    ...(ext?.softwareVersion ? { toVersion: ext.softwareVersion } : {}),
    status: g.status,
    createdAt: g.createdDateTime,
    ...(g.startedDateTime ? { startedAt: g.startedDateTime } : {}),
    ...(g.completedDateTime ? { completedAt: g.completedDateTime } : {}),
    ...(g.error ? { error: { code: g.error.code, message: g.error.message } } : {}),
    ...(ext?.forced ? { forced: true } : {}),
    ...(ext?.startBy ? { startBy: ext.startBy } : {}),
    ...(ext?.logsUrl ? { logsUrl: ext.logsUrl } : {}),
  };
}
