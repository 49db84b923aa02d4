// Every reason code the planner gives, one line each, with the seed it comes from (docs/design.md lists the seeds).
// A ComponentPlan's `reason` and a PlannedOperation's `reason` are always one of these.

export const Reason = {
  // ---- up to date ----
  /** Nothing newer the device may take automatically. (000) */
  UpToDate: 'UpToDate',
  /** The group pins the component at (or below) the current version. (000 manual control; DESIGN 3) */
  Pinned: 'Pinned',
  /** `lagVersions` keeps the device N versions behind the newest verified release. (002 N-1) */
  LagVersions: 'LagVersions',
  /** Only preview releases are newer; those are reached by a manual update only. (000 Microsoft Preview) */
  PreviewManualOnly: 'PreviewManualOnly',
  /** A SoftwareUpdate asked for this version and the device runs it (or newer: no downgrade). (000 manual updates) */
  ManualApplied: 'ManualApplied',

  // ---- due now / scheduled: the rule that allows (or delays) the operation ----
  /** The device's slot in its phase's gradual rollout has come. (000 phases, gradual rollout) */
  PhaseRollout: 'PhaseRollout',
  /** The phase's deferral from releasedAt has not elapsed (30/15 d General, 90/45 d Final). (000) */
  PhaseDeferral: 'PhaseDeferral',
  /** The phase has started; this device's gradual-rollout slot comes later. (000 "updated gradually") */
  RolloutSlot: 'RolloutSlot',
  /** The device's slot in its ring's rollout has come. (001 rollout duration) */
  RingRollout: 'RingRollout',
  /** The release has not reached this device's ring yet (start day, deferment, earlier rings' rollout + test). (001) */
  RingNotStarted: 'RingNotStarted',
  /** The device runs an unsupported version and gets a catch-up update outside the ring order. (001 lifecycle, "catch up") */
  CatchUpUnsupported: 'CatchUpUnsupported',
  /** An operation may only start inside a maintenance window; the next one opens at notBefore. (000 maintenance window) */
  OutsideWindow: 'OutsideWindow',
  /** The device is in a meeting (`activityState: busy`); the update waits until it is idle. (001 "when next the room is available") */
  DeviceBusy: 'DeviceBusy',
  /** The device is offline; it gets the update when it is back, inside a window. (000 FAQ) */
  DeviceOffline: 'DeviceOffline',
  /** Automatic updates are paused for the tenant; they resume 15 days after the pause. (000 pause) */
  TenantPaused: 'TenantPaused',
  /**
   * A freeze period of FleetPolicy `freezes` is in force for the device: nothing automatic starts until it ends
   * (nor a SoftwareUpdate, when the freeze says `manualUpdates: frozen`). The message names the freeze and its
   * end. (000 "Pause automatic updates", planned ahead with dates of its own; docs/design.md section 7)
   */
  Frozen: 'Frozen',
  /** A previous attempt failed; the retry waits for its backoff. (000 FAQ "automatically retried") */
  RetryBackoff: 'RetryBackoff',
  /** The backoff after a failed attempt has passed: retry now. (000 FAQ) */
  RetryAfterFailure: 'RetryAfterFailure',
  /** A SoftwareUpdate asked for it. (000 manual updates) */
  ManualUpdate: 'ManualUpdate',
  /** A SoftwareUpdate with `schedule.at`: waits for that local time. (000 "schedule ... future date and time") */
  ManualScheduled: 'ManualScheduled',
  /** A firmware date later than the phase's deferral cap was pulled back to the cap. (002 "délai maximal") */
  ManualScheduleCapped: 'ManualScheduleCapped',
  /** A SoftwareUpdate with `force: true`; recorded on the operation. (001 force updates) */
  ForcedUpdate: 'ForcedUpdate',

  // ---- in flight ----
  /** The driver already has an operation queued / scheduled / in progress for it: never issued twice. (003 409 Conflict) */
  OperationInFlight: 'OperationInFlight',
  /** Another component of the device is in flight or goes first: one update per device at a time. (003 409 Conflict) */
  OneUpdateAtATime: 'OneUpdateAtATime',

  // ---- failures ----
  /** An operation ran past FleetPolicy.operationTimeout and counts as failed. (000 FAQ; devices that hang must not stall) */
  OperationTimedOut: 'OperationTimedOut',
  /** The same hop failed retry.maxAttempts times: held until a person acts (SoftwareUpdate or newer release). (000 FAQ, 001 retry all failed) */
  FailureHold: 'FailureHold',
  /** A manual update failed retry.maxAttempts times. (000 FAQ) */
  RetriesExhausted: 'RetriesExhausted',
  /**
   * The device reports an older version after an update to this one succeeded: it rolled back. Counts as a
   * failure of the release; not issued again automatically until a person acts (a SoftwareUpdate, or a newer
   * release). (001 "if you see an update causing issues"; 000 FAQ)
   */
  RolledBack: 'RolledBack',
  /**
   * The device went offline or unhealthy within its ring's test period after the update: counts as a failure
   * of the release in that ring, before the next ring starts. (001 test period)
   */
  UnhealthyAfterUpdate: 'UnhealthyAfterUpdate',
  /** The last operation could not start inside its window and was cancelled; planned for the next window. (000 maintenance window) */
  WindowMissed: 'WindowMissed',

  // ---- blocked ----
  /** The device runs a version the catalog does not know: no automatic update. (000 Unknown version) */
  UnknownVersion: 'UnknownVersion',
  /** Newer releases exist but none whose minimumVersion the device meets. (000 step-wise) */
  NoUpdatePath: 'NoUpdatePath',
  /** The newest release is blocked (SoftwareRelease.blocked). (DESIGN 3) */
  ReleaseBlocked: 'ReleaseBlocked',
  /** The release is paused in this ring: failures beyond failureThreshold. (001 Paused) */
  ReleasePaused: 'ReleasePaused',
  /** This component updates only through a SoftwareUpdate (only firmware and teamsClient are automatic). (000) */
  ManualOnlyComponent: 'ManualOnlyComponent',
  /** `cloud: gcch` / `dod`: no automatic updates. (000 note, 002 GCC-High) */
  CloudManualOnly: 'CloudManualOnly',
  /** The device's group is suspended. (DESIGN 3) */
  GroupSuspended: 'GroupSuspended',
  /** The group's `autoUpdate.components` leaves this component out. (DESIGN 3) */
  AutoUpdateDisabled: 'AutoUpdateDisabled',
  /** A SoftwareUpdate names a version the catalog does not have for this model. (000 "only tested versions") */
  ManualVersionUnknown: 'ManualVersionUnknown',
  /**
   * A forced `schedule: now` SoftwareUpdate would force more devices at once than FleetPolicy maxForcedDevices
   * and its acknowledgeForcedDevices does not cover them: held until acknowledged or narrowed. (001 force
   * updates: a force bypasses meetings, so its reach is confirmed first; issue 10)
   */
  ForcedUpdateNotAcknowledged: 'ForcedUpdateNotAcknowledged',
  /** A SoftwareUpdate's `schedule.at` or its zone cannot be read (validation should have refused it). */
  InvalidSchedule: 'InvalidSchedule',
  /** The device's maintenance window never opens (no days). (000) */
  NoWindow: 'NoWindow',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

/** Codes of Plan.findings. */
export const Finding = {
  /** Several groups claim a device at the same priority; the first by name wins. (DESIGN 3) */
  GroupPriorityTie: 'GroupPriorityTie',
  /** A group names a phase, ring or window that does not exist; the default is used. (DESIGN 3) */
  UnknownReference: 'UnknownReference',
  /** Devices run a version past its support (12 months, or more than two newer releases). (001 lifecycle) */
  UnsupportedVersion: 'UnsupportedVersion',
  /** Devices run a version the catalog does not know. (000 Unknown version) */
  UnknownVersion: 'UnknownVersion',
  /** Devices are held after repeated failures of the same hop until a person acts. (000 FAQ) */
  DevicesHeld: 'DevicesHeld',
  /** A release is paused in a ring: failures beyond its failureThreshold. (001 Paused) */
  ReleasePaused: 'ReleasePaused',
  /** Devices rolled back after an update that had succeeded; held until a person acts. (001, 000 FAQ) */
  DevicesRolledBack: 'DevicesRolledBack',
  /** Automatic updates are paused for the tenant until the given instant. (000 pause) */
  TenantPaused: 'TenantPaused',
  /** A freeze period of FleetPolicy `freezes` is in force or ahead: its dates, its groups, its name. */
  Frozen: 'Frozen',
  /** Several SoftwareUpdates target the same device and component; the first by name applies. */
  ManualUpdateConflict: 'ManualUpdateConflict',
  /** A device reports a time zone that is not an IANA zone; its windows use UTC. (000 "local timezone of the device") */
  UnknownTimeZone: 'UnknownTimeZone',
  /** A catalog release without a vendor version or a valid releasedAt is left out. */
  InvalidRelease: 'InvalidRelease',
  /** Forced operations planned now; every force is recorded. (001 force updates) */
  ForcedUpdate: 'ForcedUpdate',
  /** A forced SoftwareUpdate is held: it would force more devices than FleetPolicy maxForcedDevices without an acknowledgement. */
  ForcedUpdateHeld: 'ForcedUpdateHeld',
} as const;
export type Finding = (typeof Finding)[keyof typeof Finding];
