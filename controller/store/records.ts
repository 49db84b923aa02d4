// What the state store keeps (docs/run.md "State"): the loop's own status, the last good revision, per-object
// status and, per device, the planned components and the operation history. These shapes are the same
// whichever store holds them (controller/store/store.ts); the stores only decide how they are laid out.
import type {
  CommonStatus, Condition, DeviceOperation, FleetDevice, FleetwardObject, Instant, Kind, OperationStatus, Revision, SoftwareReleaseSpec,
} from '../api/types.ts';
import type { ComponentPlan, ReleasePlan } from '../planner/types.ts';
import type { OutcomeCounts } from '../planner/outcomes.ts';

export interface RunStatus {
  /** Where revisions come from, e.g. `dir:/srv/config` or `git:https://…#main:fleet`. */
  source: string;
  driver: string;
  lastAppliedRevision?: string;
  /** The newest revision the source offered; differs from lastAppliedRevision when it was rejected. */
  lastAttemptedRevision?: string;
  /** Why the last attempted revision was rejected (`file:line: path: message` lines). */
  revisionErrors?: string[];
  conditions: Condition[];
  lastReconcileAt?: Instant;
  summary?: ProgressSummary;
  /** Each release's state across the fleet, from the last pass (reconciler/release-status.ts). */
  releases?: ReleaseStatus[];
  /**
   * The driver's release catalog as the last successful pass observed it: with each device's `observed`
   * inventory, what `fleetward plan --state` plans against (docs/plan.md "Plans against the live fleet").
   */
  catalog?: SoftwareReleaseSpec[];
  /** Devices whose stored record could not be read in the last pass (quarantined: nothing started for them). */
  quarantined?: { id: string; reason: string }[];
  /** Devices whose history was lost (see DeviceRecord.historyLost), as of the last pass. */
  historyLost?: { id: string; at: Instant; reason: string }[];
}

/**
 * A release's state across the fleet as a person reads it (seed 001 "Updates"): the planner's ReleasePlan
 * with its device lists capped (controller/reconciler/release-status.ts builds it). Kept here, with the
 * other shapes the store holds, so that the store needs nothing from the reconciler above it.
 */
export interface ReleaseStatus extends Omit<ReleasePlan, 'failedDevices' | 'heldDevices' | 'rolledBackDevices' | 'pause'> {
  failed: number;
  held: number;
  rolledBack: number;
  /** At most LISTED_DEVICES (reconciler/release-status.ts) of each, sorted. */
  failedDevices?: string[];
  heldDevices?: string[];
  rolledBackDevices?: string[];
  pause?: { ring: string; threshold: number; targeted: number; failed: number; failedDevices: string[] };
  /** Set when a list above was cut: where every device is. */
  details?: string;
}

/** Per phase / ring counts a person can follow (the live demo prints these). */
export interface ProgressSummary {
  at: Instant;
  devices: number;
  stages: StageProgress[];
  operationsIssued: number;
  operationsInFlight: number;
  /** While FleetPolicy autoUpdates.pausedAt pauses automatic updates (seed 000): when they resume by themselves. */
  autoUpdatesPausedUntil?: Instant;
}
/** Devices per outcome (planner/outcomes.ts): every device in exactly one. */
export interface StageProgress extends OutcomeCounts {
  kind: 'phase' | 'ring' | 'none';
  name: string;
  devices: number;
}

export interface ObjectStatus extends CommonStatus {
  kind: Kind;
  name: string;
  /** Extra figures some kinds carry (DeviceGroup: devices, upToDate, …). */
  [extra: string]: unknown;
}

/** One operation as the device's history keeps it: the driver's record, plus why and by whom it was issued. */
export interface HistoryEntry extends Omit<DeviceOperation, 'id' | 'deviceId'> {
  operationId: string;
  /** Why it was issued (the planner's reason code); absent for operations Fleetward did not issue. */
  reason?: string;
  softwareUpdate?: string;
  /** The revision in force when Fleetward issued it. */
  revision?: string;
  /** `fleetward` when this loop issued it, `backend` when it was first seen in the driver's list. */
  issuedBy: 'fleetward' | 'backend';
  /** Seed 000 FAQ: the diagnostics run after a failed update, with its logs. */
  diagnostics?: { operationId: string; status: OperationStatus; logsUrl?: string };
  /** The update succeeded, then the device reported an older version again (planner reason RolledBack). */
  rolledBack?: { detectedAt: Instant; reportedVersion: string };
  /**
   * The back end refused to start it (a version not released for the model, blocked, a downgrade): it has
   * no operation there; this entry is Fleetward's record of the failed attempt (controller/reconciler/refusals.ts).
   */
  refused?: boolean;
  /** It started after `startBy`, the end of its window: the back end could not cancel it (controller/reconciler/window-misses.ts). */
  windowOverrun?: boolean;
}

export interface DeviceRecord {
  id: string;
  group?: string | null;
  phase?: string | null;
  ring?: string | null;
  maintenanceWindow?: string;
  components?: ComponentPlan[];
  /**
   * Updates Fleetward is about to start: written (and made durable) before the driver is called, so an
   * operation that shows up in the driver's list after a crash is still known as Fleetward's, and why.
   */
  pending?: PendingIntent[];
  /**
   * The device as the driver last reported it (type, model, zone, labels, software versions, online,
   * activity): `fleetward plan --state` plans the live fleet from it and the history. Every store keeps it.
   */
  observed?: FleetDevice;
  /**
   * The device's history was lost (its record was missing while the back end listed earlier updates, or
   * `fleetward state repair` dropped an unreadable one): said in status, never silently rebuilt.
   */
  historyLost?: { at: Instant; reason: string };
  /** Oldest first. */
  history: HistoryEntry[];
}

export interface PendingIntent {
  component: ComponentPlan['component'];
  toVersion: string;
  reason: string;
  revision: string;
  forced?: boolean;
  softwareUpdate?: string;
  /** The start deadline sent with it (the end of its maintenance window). */
  startBy?: Instant;
}

/** The last good revision as every store keeps it: its id and objects, not the loader's provisioning lists. */
export function revisionState(rev: Revision): Pick<Revision, 'id' | 'objects'> {
  return { id: rev.id, objects: rev.objects };
}

/** Per-object status as stored: keys in order, so the same statuses always serialise to the same text. */
export function sortedObjects(objects: Record<string, ObjectStatus>): Record<string, ObjectStatus> {
  const sorted: Record<string, ObjectStatus> = {};
  for (const key of Object.keys(objects).sort()) sorted[key] = objects[key]!;
  return sorted;
}

export function objectKey(o: Pick<FleetwardObject, 'kind' | 'metadata'>): string {
  return `${o.kind}/${o.metadata.name}`;
}

/** Merges what the driver reports about an operation into a history entry, keeping what Fleetward knew. */
export function mergeOperation(entry: HistoryEntry | undefined, op: DeviceOperation, extra: Partial<HistoryEntry> = {}): HistoryEntry {
  const merged: HistoryEntry = {
    ...(entry ?? { issuedBy: 'backend' as const }),
    ...extra,
    operationId: op.id,
    operationType: op.operationType,
    status: op.status,
    createdAt: op.createdAt,
  } as HistoryEntry;
  if (op.component !== undefined) merged.component = op.component;
  if (op.fromVersion !== undefined) merged.fromVersion = op.fromVersion;
  if (op.toVersion !== undefined) merged.toVersion = op.toVersion;
  if (op.startedAt !== undefined) merged.startedAt = op.startedAt;
  if (op.completedAt !== undefined) merged.completedAt = op.completedAt;
  if (op.error !== undefined) merged.error = op.error;
  if (op.forced !== undefined) merged.forced = op.forced;
  if (op.startBy !== undefined) merged.startBy = op.startBy;
  if (op.logsUrl !== undefined) merged.logsUrl = op.logsUrl;
  return merged;
}

/** How long history is kept by default (docs/run.md "History retention"): a little over a year of releases. */
export const DEFAULT_HISTORY_RETENTION_DAYS = 400;

/**
 * Whether a history entry is still kept at `cutoff` (now minus the retention): anything in flight is, and
 * anything that finished (or, without a completion time, was created) after the cutoff.
 */
export function withinRetention(h: Pick<HistoryEntry, 'status' | 'createdAt' | 'completedAt'>, cutoff: string): boolean {
  if (h.status === 'queued' || h.status === 'scheduled' || h.status === 'inProgress') return true;
  return (h.completedAt ?? h.createdAt) >= cutoff;
}

// ---- Notifications (controller/notify/, docs/notifications.md "Delivery") ----------------------------

export type NotificationSeverity = 'info' | 'warning' | 'error';

/** What a message says about an event: the same for every provider; each provider formats it its own way. */
export interface NotificationContent {
  /** Stable across passes and restarts: the event's identity, and a ticket's dedup key. */
  key: string;
  /** NotificationReason (api/types.ts NOTIFICATION_REASONS). */
  reason: string;
  severity: NotificationSeverity;
  /** `Kind/name` of the object it is about (`SoftwareRelease/rooms-5-2`, `FleetPolicy/default`). */
  object: string;
  title: string;
  message: string;
  /** At most NOTIFY_DEVICES_LISTED device ids (or MACs); `deviceCount` says how many there are in all. */
  devices: string[];
  deviceCount: number;
  /** The config revision it concerns (RevisionStatus: the commit whose status is set). */
  revision?: string;
  /** RevisionStatus: pending, success or failure. */
  state?: 'pending' | 'success' | 'failure';
  /** Validation errors (InvalidRevision), at most a few. */
  errors?: string[];
}

/** An event being tracked: what the receivers were last told, and when, so nothing is said twice. */
export interface NotificationEventRecord extends NotificationContent {
  /** open: the pass derives it now; resolved: it did, and no longer does. */
  status: 'open' | 'resolved';
  firstSeenAt: Instant;
  resolvedAt?: Instant;
  /** The last message enqueued about it (none yet: still in its group wait, or inside a cool-down). */
  announced?: 'open' | 'resolved';
  announcedAt?: Instant;
  /** What the last message said, in short (devices, state): a change after the cool-down sends an update. */
  announcedFingerprint?: string;
  /** The providers told it began (its end goes to them; a provider added later is told once). */
  announcedTo?: string[];
}

/** One message to one provider, kept until it is delivered or given up (dead-lettered). */
export interface DeliveryRecord {
  /** Stable: the receiver's idempotency key (`X-Fleetward-Delivery`), the same on every retry. */
  id: string;
  /** NotificationProvider name. */
  provider: string;
  action: 'open' | 'update' | 'resolve';
  content: NotificationContent;
  createdAt: Instant;
  attempts: number;
  nextAttemptAt: Instant;
  lastError?: string;
  /** Set when it was given up after its attempts: counted, kept a while for `fleetward status`, never sent again. */
  deadLetteredAt?: Instant;
}

export interface NotificationRecords {
  events: Record<string, NotificationEventRecord>;
  deliveries: Record<string, DeliveryRecord>;
}
/** By key: a record to write, or null to drop it. */
export interface NotificationChanges {
  events?: Record<string, NotificationEventRecord | null>;
  deliveries?: Record<string, DeliveryRecord | null>;
}

// ---- provisioning (seed 004; controller/provisioning/status.ts) ------------------------------------------

export const PROVISIONING_STATES = [
  'AwaitingActivation', 'AwaitingSignIn', 'SignedIn', 'Expired', 'FirmwareTooOld', 'LockedOut',
] as const;
export type ProvisioningState = (typeof PROVISIONING_STATES)[number];

export interface ProvisioningDeviceStatus {
  macAddress: string;
  state: ProvisioningState;
  location?: string;
  /** The user to sign in remotely, when declared. */
  user?: string;
  /** Where the device was declared: `inline` or `file.csv:LINE`. */
  source?: string;
  /** Verifier of the current code (./codes.ts); absent once the device has activated. */
  codeHash?: string;
  codeIssuedAt?: Instant;
  codeExpiresAt?: Instant;
  /** The `regenerate.provisioning.fleetward.dev/<MAC>` annotation value already honoured. */
  regenerateToken?: string;
  /** Codes issued for this device so far. */
  codesIssued?: number;
  manufacturer?: string;
  model?: string;
  firmwareVersion?: string;
  /** FirmwareTooOld: the version seed 004's table requires for this model. */
  requiredFirmware?: string;
  lockedUntil?: Instant;
  signInRequestedAt?: Instant;
  /** Why the device is where it is, for a person. */
  message?: string;
}

/** One batch's provisioning status: the store keeps the batch's fields and one row per device. */
export interface ProvisioningBatchStatus {
  batch: string;
  counts: Record<ProvisioningState, number>;
  devices: ProvisioningDeviceStatus[];
  /** The `spec.regenerateCodes` value already honoured. */
  regenerateCodes?: string;
  lastReconciledAt?: Instant;
}
