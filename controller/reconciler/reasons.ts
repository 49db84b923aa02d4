// Condition reasons the reconcile loop writes (docs/style.md: one reason per failure, after Flux).
// The rules of the domain have their own reason codes in controller/planner/reasons.ts; these only say
// how the loop itself fared.

/** The revision was loaded, planned and acted on. */
export const ReconciliationSucceeded = 'ReconciliationSucceeded';
/** Operations are due, queued or running for the object's devices. */
export const Progressing = 'Progressing';
/** Every device the object covers runs its target versions. */
export const UpToDate = 'UpToDate';
/** The source could not be read (clone, fetch, directory missing). The last good revision stays in force. */
export const SourceUnavailable = 'SourceUnavailable';
/** The newest revision failed validation; the last good revision stays in force. */
export const InvalidRevision = 'InvalidRevision';
/** No valid revision has ever been loaded: nothing is applied. */
export const NoValidRevision = 'NoValidRevision';
/** The driver did not answer inventory, catalog or operations: nothing was planned this pass. */
export const DriverUnavailable = 'DriverUnavailable';
/** The planner threw: a bug, reported and retried next pass. */
export const PlanFailed = 'PlanFailed';
/** Some operations could not be started (the driver refused them with an error other than AlreadyInFlight). */
export const OperationsFailed = 'OperationsFailed';
/** A release is paused (failures beyond the ring's threshold, seed 001): needs a person to retry or force. */
export const ReleasePaused = 'ReleasePaused';
/** Some of the object's devices failed their last update. */
export const UpdatesFailed = 'UpdatesFailed';
/**
 * A forced `schedule: now` SoftwareUpdate reaches more devices than FleetPolicy maxForcedDevices and its
 * acknowledgeForcedDevices does not cover them: nothing is issued until a person acknowledges or narrows it.
 */
export const ForcedUpdateHeld = 'ForcedUpdateHeld';
/** The object has `suspend: true`. */
export const Suspended = 'Suspended';
/** The state store could not commit the pass (database unreachable): nothing of the pass was recorded; retried with backoff. */
export const StoreUnavailable = 'StoreUnavailable';
/** Log reason: a tenant pause ended (seed 000: by itself after 15 days, or autoUpdates.pausedAt removed). */
export const AutoUpdatesResumed = 'AutoUpdatesResumed';
/** A device's stored record cannot be read: the device is quarantined (no operation started, record untouched). */
export const RecordDamaged = 'RecordDamaged';
/** The replica lost its leadership during the pass (FencedOut): the pass was abandoned and nothing of it recorded. */
export const LeaseLost = 'LeaseLost';
/** A NotificationProvider's last delivery attempt failed (retrying), or messages were given up after their attempts. */
export const DeliveryFailing = 'DeliveryFailing';
