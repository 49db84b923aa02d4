// The Fleetward resource model (docs/design.md section 3): API group fleetward.dev, version v1alpha1.
// The JSON Schemas in ./schemas.ts are the source of truth for validation and for crds/;
// these types mirror them for the compiler. Keep both in step (test/unit/api-schemas.test.ts checks examples against both).

export const API_GROUP = 'fleetward.dev';
export const API_VERSION_NAME = 'v1alpha1';
export const API_VERSION = `${API_GROUP}/${API_VERSION_NAME}` as const;

export const KINDS = [
  'DeviceGroup',
  'UpdatePhase',
  'Ring',
  'MaintenanceWindow',
  'ProvisioningBatch',
  'SoftwareUpdate',
  'FleetPolicy',
  'SoftwareRelease',
  'NotificationProvider',
  'NotificationRule',
  'DeviceInventory',
] as const;
export type Kind = (typeof KINDS)[number];

/** Graph `teamworkSoftwareType` values (seed 003). */
export const COMPONENTS = ['teamsClient', 'firmware', 'adminAgent', 'companyPortal', 'operatingSystem', 'partnerAgent'] as const;
export type Component = (typeof COMPONENTS)[number];
/** Only these two update automatically (seed 000); the rest only through a SoftwareUpdate. */
export const AUTO_UPDATE_COMPONENTS = ['firmware', 'teamsClient'] as const satisfies readonly Component[];
export type AutoUpdateComponent = (typeof AUTO_UPDATE_COMPONENTS)[number];

/** Graph `teamworkDeviceType` values. */
export const DEVICE_TYPES = [
  'ipPhone', 'lowCostPhone', 'teamsRoom', 'collaborationBar', 'teamsPanel', 'teamsDisplay', 'touchConsole', 'surfaceHub', 'sip',
] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;
/** Index + 1 is luxon's weekday number (Monday = 1). */
export type Weekday = (typeof WEEKDAYS)[number];

/** `30d`, `12h`, `90m`, `45s`, or combinations such as `1d12h`. See ./duration.ts. */
export type Duration = string;
/** ISO-8601 instant, UTC at every boundary (`2026-11-23T15:00:00Z`). */
export type Instant = string;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  generation?: number;
  resourceVersion?: string;
  uid?: string;
  creationTimestamp?: string;
}

export type ConditionType = 'Ready' | 'Reconciling' | 'Stalled';
export interface Condition {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: Instant;
}

export interface CommonStatus {
  conditions?: Condition[];
  observedGeneration?: number;
  lastAppliedRevision?: string;
  /** Operator mode: the `reconcile.fleetward.dev/requestedAt` annotation value last handled (Flux's convention). */
  lastHandledReconcileAt?: string;
}

export interface Resource<K extends Kind, Spec, Status extends CommonStatus = CommonStatus> {
  apiVersion: typeof API_VERSION;
  kind: K;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

// ---- DeviceGroup -------------------------------------------------------------------------

export interface DeviceSelector {
  deviceTypes?: DeviceType[];
  manufacturers?: string[];
  models?: string[];
  matchLabels?: Record<string, string>;
  /** Device ids or MAC addresses. */
  devices?: string[];
}

export interface DeviceGroupSpec {
  selector: DeviceSelector;
  /** Name of an UpdatePhase (built-in: Validation, General, Final). Exclusive with `ring`. */
  updatePhase?: string;
  /** Name of a Ring (built-in: Staging, General, Executive). Exclusive with `updatePhase`. */
  ring?: string;
  /** Name of a MaintenanceWindow; default Sunday 01:00–04:00 device-local. */
  maintenanceWindow?: string;
  autoUpdate?: { components?: AutoUpdateComponent[] };
  /** component → version: hold the group's devices on that version. */
  pin?: Partial<Record<Component, string>>;
  /** The highest priority wins when several groups claim a device (ties broken by name, and reported). */
  priority?: number;
  suspend?: boolean;
}
export interface DeviceGroupStatus extends CommonStatus {
  devices?: number;
}
export type DeviceGroup = Resource<'DeviceGroup', DeviceGroupSpec, DeviceGroupStatus>;

// ---- UpdatePhase -------------------------------------------------------------------------

export interface UpdatePhaseSpec {
  /** Per component, counted from the release's `releasedAt`. */
  deferrals?: Partial<Record<AutoUpdateComponent, Duration>>;
  /** Devices in the phase are spread over this (default 21d). */
  rolloutDuration?: Duration;
  /** 1 = stay one verified version behind the newest (seed 002, N-1). */
  lagVersions?: number;
}
export type UpdatePhase = Resource<'UpdatePhase', UpdatePhaseSpec>;

// ---- Ring --------------------------------------------------------------------------------

export interface RingSpec {
  /** 1 is first, 9 is last (seed 001). */
  order: number;
  deferment?: Duration;
  rolloutDuration?: Duration;
  testPeriod?: Duration;
  /** Days on which a release may enter this ring when it is first (default [Wednesday]). */
  startDays?: Weekday[];
  /** Percentage (0–100) of the ring's targeted devices that may fail before the release pauses. */
  failureThreshold?: number;
}
export type Ring = Resource<'Ring', RingSpec>;

// ---- MaintenanceWindow ---------------------------------------------------------------------

export interface MaintenanceWindowSpec {
  /** `HH:MM`, local to `timeZone`. */
  start: string;
  /** `HH:MM`; earlier than `start` means the window crosses midnight. */
  end: string;
  /** Days the window opens (the day `start` falls on). Default [Sunday]. */
  days?: Weekday[];
  /** `device` (the device's own zone, default) or an IANA zone name. */
  timeZone?: string;
}
export type MaintenanceWindow = Resource<'MaintenanceWindow', MaintenanceWindowSpec>;

// ---- ProvisioningBatch ---------------------------------------------------------------------

export interface ProvisioningDevice {
  macAddress: string;
  location?: string;
  signIn?: { user: string };
}
export interface ProvisioningBatchSpec {
  devices?: ProvisioningDevice[];
  /** CSV file relative to the config directory (columns: macAddress, location, user). */
  devicesFile?: string;
  /** Change this value to regenerate every code of the batch. */
  regenerateCodes?: string;
}
export type ProvisioningBatch = Resource<'ProvisioningBatch', ProvisioningBatchSpec>;

// ---- SoftwareUpdate --------------------------------------------------------------------------

export type UpdateSchedule = 'now' | 'nextMaintenanceWindow' | { at: string; timeZone?: string };
export interface SoftwareUpdateSpec {
  target: { group?: string; devices?: string[] };
  component: Component;
  /** A version string, or `latest` (the newest release the device may take). */
  version: string;
  schedule?: UpdateSchedule;
  /** Bypasses deferrals, rings, pauses and busy devices. Every forced update is recorded. */
  force?: boolean;
  /**
   * A forced `schedule: now` update reaching more devices than FleetPolicy `maxForcedDevices` is held until
   * this is at least the number of devices it would force (a ceiling: a group that grew past it holds again).
   */
  acknowledgeForcedDevices?: number;
  suspend?: boolean;
}
export type SoftwareUpdate = Resource<'SoftwareUpdate', SoftwareUpdateSpec>;

// ---- FleetPolicy -----------------------------------------------------------------------------

export type Cloud = 'commercial' | 'gcch' | 'dod';
export interface FleetPolicySpec {
  autoUpdates?: { pausedAt?: Instant };
  cloud?: Cloud;
  retry?: { maxAttempts?: number; backoff?: Duration; maxBackoff?: Duration };
  /** Default ring failure threshold, percent. */
  failureThreshold?: number;
  /** An operation running longer than this counts as failed (default 4h). */
  operationTimeout?: Duration;
  lifecycle?: { supportPeriod?: Duration; maxNewerReleases?: number };
  /** Most devices a forced `schedule: now` SoftwareUpdate may reach without `acknowledgeForcedDevices` (default 20). */
  maxForcedDevices?: number;
  /** Freeze periods: nothing automatic starts inside one (docs/spec/fleetpolicies.md). */
  freezes?: FreezePeriod[];
}

/** A dated range, local to `timeZone` (default UTC), in which nothing automatic starts. */
export interface FreezePeriod {
  name: string;
  /** Local date-time `YYYY-MM-DDTHH:MM`, inclusive. */
  start: string;
  /** Local date-time `YYYY-MM-DDTHH:MM`, exclusive; later than `start`. */
  end: string;
  /** An IANA zone for start and end (default UTC). */
  timeZone?: string;
  /** DeviceGroups it applies to (default: every device). */
  groups?: string[];
  /** `allowed` (default): SoftwareUpdates still run; `frozen`: they wait too. */
  manualUpdates?: 'allowed' | 'frozen';
  /** Why, shown in the plan's messages. */
  reason?: string;
}
export type FleetPolicy = Resource<'FleetPolicy', FleetPolicySpec>;

// ---- SoftwareRelease -------------------------------------------------------------------------

export type ReleaseLabel = 'verified' | 'preview';
export interface SoftwareReleaseSpec {
  component: Component;
  version: string;
  /** When empty, the release applies to every model (of `manufacturer`, if set). */
  manufacturer?: string;
  models?: string[];
  releasedAt: Instant;
  label: ReleaseLabel;
  /** A device must run at least this version to take the release (step-wise updates, seed 000). */
  minimumVersion?: string;
  /** Bypasses the ring start day (seed 001). */
  critical?: boolean;
  blocked?: { reason: string };
}
export type SoftwareRelease = Resource<'SoftwareRelease', SoftwareReleaseSpec>;

// ---- NotificationProvider / NotificationRule (docs/notifications.md) ----------------------------

/** Where messages go: a chat, a ticket system, a git forge's commit statuses, any JSON endpoint. */
export const PROVIDER_TYPES = ['generic', 'teams', 'slack', 'ticket', 'github', 'gitlab', 'gitea'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];
/** Provider types that set git commit statuses for the revision being applied. */
export const COMMIT_STATUS_TYPES: readonly ProviderType[] = ['github', 'gitlab', 'gitea'];
export const SEVERITIES = ['info', 'warning', 'error'] as const;
/**
 * The events Fleetward sends messages about (controller/notify/events.ts derives them from the pass; the
 * list with what each means is in docs/notifications.md "Events").
 */
export const NOTIFICATION_REASONS = [
  'ReleasePaused', 'DevicesHeld', 'DevicesRolledBack', 'OperationsTimedOut', 'WindowMissed', 'TenantPaused', 'TenantPauseEndingSoon',
  'InvalidRevision', 'CodesExpiring', 'FirmwareTooOld', 'LeaderLost', 'RevisionStatus',
] as const;
export type NotificationReason = (typeof NOTIFICATION_REASONS)[number];
export type Severity = (typeof SEVERITIES)[number];

/**
 * A secret by reference, never by value: exactly one of an environment variable (named FLEETWARD_NOTIFY_…),
 * a file under the notification secrets directory, or a Kubernetes Secret in the operator's namespace
 * labelled fleetward.dev/notification-secret=true (docs/notifications.md "Secrets").
 */
export interface SecretRef {
  env?: string;
  file?: string;
  secret?: { name: string; key: string };
}
export interface NotificationProviderSpec {
  type: ProviderType;
  /**
   * generic, ticket: the URL posted to. github / gitlab / gitea: the API base (GitHub and GitLab default to
   * their public hosts). teams, slack: not set — their webhook URL is itself a credential, so it comes from secretRef.
   */
  address?: string;
  /** generic: the HMAC-SHA256 key; teams / slack: the webhook URL; ticket: a bearer token; github / gitlab / gitea: an API token. */
  secretRef?: SecretRef;
  /** Commit status providers: `owner/name` (GitLab: the project path). */
  repository?: string;
  /** Slack: the channel to post in, when the webhook allows choosing. */
  channel?: string;
  /** Commit status providers: the status context (default fleetward/rollout). */
  context?: string;
  /** Per delivery attempt (default 10s). */
  timeout?: Duration;
  /** At most `messages` deliveries per `per` (default 20 per 1m); the rest wait their turn. */
  rateLimit?: { messages: number; per: Duration };
  suspend?: boolean;
}
export type NotificationProvider = Resource<'NotificationProvider', NotificationProviderSpec>;

export interface NotificationRuleSpec {
  /** The NotificationProvider that receives the messages. */
  providerRef: { name: string };
  /** Event reasons to send (default: every reason). */
  events?: NotificationReason[];
  /** The least severity sent (default info). */
  severity?: Severity;
  /** Only events about these objects (name `*`: every object of the kind). */
  objects?: { kind: string; name: string }[];
  /** CodesExpiring: codes that expire within this much time (default 6h). */
  codesExpiringWithin?: Duration;
  suspend?: boolean;
}
export type NotificationRule = Resource<'NotificationRule', NotificationRuleSpec>;
/**
 * What the config repo knows about devices that the back end does not report (docs/spec/deviceinventories.md):
 * Graph gives no time zone, site or labels. Each entry names one device by exactly one of id, serialNumber
 * or macAddress.
 */
export interface DeviceInventoryEntry {
  id?: string;
  serialNumber?: string;
  macAddress?: string;
  timeZone?: string;
  site?: string;
  labels?: Record<string, string>;
}
export interface DeviceInventorySpec {
  /** Applied to every entry of this object; an entry's own fields win. */
  defaults?: { timeZone?: string; site?: string; labels?: Record<string, string> };
  devices: DeviceInventoryEntry[];
}
export type DeviceInventory = Resource<'DeviceInventory', DeviceInventorySpec>;

export type FleetwardObject =
  | NotificationProvider
  | NotificationRule
  | DeviceGroup
  | UpdatePhase
  | Ring
  | MaintenanceWindow
  | ProvisioningBatch
  | SoftwareUpdate
  | FleetPolicy
  | SoftwareRelease
  | DeviceInventory;

// ---- Observed state (the fleet file, docs/design.md section 5, and what drivers report) ----------

export type ActivityState = 'idle' | 'busy' | 'offline' | 'unknown';
export type HealthStatus = 'healthy' | 'nonUrgent' | 'critical' | 'offline' | 'unknown';

export interface FleetDevice {
  id: string;
  macAddress?: string;
  deviceType: DeviceType;
  manufacturer: string;
  model: string;
  /** IANA zone, e.g. Europe/Paris. */
  timeZone: string;
  displayName?: string;
  serialNumber?: string;
  labels?: Record<string, string>;
  online?: boolean;
  activityState?: ActivityState;
  healthStatus?: HealthStatus;
  software: Partial<Record<Component, string>>;
}

export interface FleetFile {
  devices: FleetDevice[];
  releases: SoftwareReleaseSpec[];
}

/** Graph `teamworkDeviceOperation` status values. */
export type OperationStatus = 'queued' | 'scheduled' | 'inProgress' | 'successful' | 'cancelled' | 'failed';
export const IN_FLIGHT_STATUSES: readonly OperationStatus[] = ['queued', 'scheduled', 'inProgress'];

export interface DeviceOperation {
  id: string;
  deviceId: string;
  operationType: 'softwareUpdate' | 'deviceDiagnostics' | 'remoteSignIn' | 'other';
  component?: Component;
  fromVersion?: string;
  toVersion?: string;
  status: OperationStatus;
  createdAt: Instant;
  startedAt?: Instant;
  completedAt?: Instant;
  error?: { code: string; message: string };
  /** Set on operations Fleetward issued with `force` (seed 001: every force is recorded). */
  forced?: boolean;
  /** The start deadline it was issued with (end of its maintenance window), when the back end reports it. */
  startBy?: Instant;
  /** Link to logs, for diagnostics operations (seed 000 FAQ). */
  logsUrl?: string;
  /**
   * Fleetward's own observation, kept in the device's history (never set by a driver): when the device was
   * first seen offline or unhealthy within its ring's test period after this update (planner/health.ts).
   */
  unhealthyAfter?: Instant;
  /** Fleetward's own observation, likewise: when the device was seen back on an older version after this update succeeded. */
  rolledBackAt?: Instant;
}

/** Everything the planner is told about the world. */
export interface ObservedState {
  devices: FleetDevice[];
  /** The release catalog: the driver's, plus committed SoftwareRelease objects. */
  releases: SoftwareReleaseSpec[];
  /** History and in-flight operations, all devices. */
  operations: DeviceOperation[];
}

/** A validated revision of the config: every object at one commit / content hash. */
export interface Revision {
  /** Commit SHA, content hash or Kubernetes resourceVersion. */
  id: string;
  objects: FleetwardObject[];
  /**
   * Per ProvisioningBatch name, its devices from `spec.devices` and `spec.devicesFile` together, MACs normalised
   * (AA-BB-CC-DD-EE-FF) and unique across batches; `source` is `file:line` of the entry. Set by the loader.
   */
  provisioningDevices?: Record<string, { macAddress: string; location?: string; user?: string; source: string }[]>;
}
