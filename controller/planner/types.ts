// The planner's output: what `fleetward plan -o json` prints and what the reconciler acts on (docs/design.md section 5).
// Field names here are a public contract; add fields, do not rename them.
import type { Component, Instant } from '../api/types.ts';

export type ComponentState = 'UpToDate' | 'Due' | 'Scheduled' | 'InProgress' | 'Held' | 'Failed' | 'Blocked';

/** Seed 001 release states. */
export type ReleaseState =
  | 'Scheduled' | 'InProgress' | 'CompletedWithFailures' | 'Completed' | 'Deprecated' | 'Paused' | 'NotRequired';

/** What would be issued now. */
export interface PlannedOperation {
  deviceId: string;
  component: Component;
  fromVersion: string | null;
  toVersion: string;
  reason: string;
  /** Set when a SoftwareUpdate with `force: true` caused it (seed 001: every force is recorded). */
  forced?: boolean;
  /** Name of the SoftwareUpdate behind a manual operation. */
  softwareUpdate?: string;
  /**
   * The end (ISO UTC) of the maintenance window it is due in: its start deadline (seed 000: an operation
   * that cannot start within its window is cancelled and rescheduled for the next one). Absent for
   * operations bound to no window (a SoftwareUpdate with `schedule: now` or `at`).
   */
  windowEndsAt?: Instant;
}

export interface ComponentPlan {
  component: Component;
  currentVersion: string | null;
  targetVersion: string | null;
  state: ComponentState;
  /** A code from ./reasons.ts. */
  reason: string;
  message?: string;
  /** The earliest instant (ISO UTC) an operation for it may start; null when none is planned. */
  notBefore: Instant | null;
  /** Seed 001 lifecycle: the current version is past its support. */
  unsupported?: boolean;
  /** The SoftwareUpdate that decides this component (also while its operation is in flight). */
  softwareUpdate?: string;
}

export interface DevicePlan {
  id: string;
  group: string | null;
  phase: string | null;
  ring: string | null;
  maintenanceWindow: string;
  components: ComponentPlan[];
}

export interface ReleasePlan {
  component: Component;
  version: string;
  state: ReleaseState;
  reason?: string;
  /** Paused by a fleet-wide hold of the chain that says more than its code (a freeze: `frozen until …`). */
  message?: string;
  /** When the first of its stages starts and the last ends (null for a release no automatic update deploys). */
  startsAt?: Instant | null;
  endsAt?: Instant | null;
  /**
   * Per ring (room systems) or phase (phones): when it starts and ends, and device counts. `failed` is what
   * the ring's failure threshold counts (failed attempts, rollbacks, poor health in the test period); `held`,
   * `rolledBack` and `inProgress` are devices whose outcome (planner/outcomes.ts) for this release is that.
   */
  stages: {
    name: string; kind: 'ring' | 'phase'; startsAt: Instant | null; endsAt: Instant | null; state: ReleaseState;
    devices: number; updated: number; failed: number; inProgress?: number; held?: number; rolledBack?: number;
  }[];
  /** Devices whose attempts of this release failed, that rolled it back, or went unhealthy after it. */
  failedDevices?: string[];
  /** Devices held for this release until a person acts (repeated failures, or its pause). */
  heldDevices?: string[];
  rolledBackDevices?: string[];
  /** Set when failures beyond a ring's failureThreshold paused it (seed 001 Paused): where, and which devices. */
  pause?: { ring: string; threshold: number; targeted: number; failedDevices: string[] };
}

/** Seed 000's "Software auto-updates" widget. */
export interface UpdatePath {
  manufacturer: string;
  model: string;
  component: Component;
  currentVersion: string;
  newVersion: string;
  eligibleDevices: number;
  activeStage: string | null;
}

export interface Plan {
  at: Instant;
  revision: string | null;
  operations: PlannedOperation[];
  devices: DevicePlan[];
  releases: ReleasePlan[];
  updatePaths: UpdatePath[];
  /**
   * FleetPolicy `autoUpdates.pausedAt` while it pauses or will pause automatic updates (seed 000): no automatic
   * update starts from `pausedAt` until `resumeAt`, 15 days later. Absent when no pause is in force or ahead.
   */
  autoUpdatesPause?: { pausedAt: Instant; resumeAt: Instant };
  /** Things a person should know that are not errors (priority ties, unsupported versions, …). */
  findings: { code: string; message: string; objects?: string[] }[];
}
