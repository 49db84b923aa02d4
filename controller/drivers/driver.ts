// The device back end, behind one interface (docs/design.md section 1). Shaped to fit Graph's teamwork/devices
// (seed 003) and other management back ends (the phone makers' portals) alike: nothing here is Graph-specific.
// docs/drivers.md describes the contract for people writing a driver; controller/drivers/conformance/ holds
// the checks every driver must pass (test/contract/ runs them; `fleetward driver conformance` too).
import type { Component, DeviceOperation, FleetDevice, ObservedState, SoftwareReleaseSpec } from '../api/types.ts';
import type { ProvisioningDriver } from './provisioning.ts';

export interface StartOperationRequest {
  deviceId: string;
  component: Component;
  version: string;
  /** Recorded on the operation (seed 001: every force is recorded); drivers do not change behaviour on it. */
  forced?: boolean;
  /**
   * The start deadline (ISO UTC): the end of the maintenance window the operation was planned in. Seed 000:
   * "If an update operation is unable to start execution within the maintenance window it is scheduled
   * for, it is cancelled and rescheduled for the next available maintenance window." A back end that can
   * cancel ends an operation still queued at this instant as `cancelled` with `error.code` WINDOW_MISSED;
   * one that cannot ignores it (docs/drivers.md says which do), and the caller shows the overrun.
   * Absent: no deadline (a manual `schedule: now` or `at` update is not bound to a window).
   */
  startBy?: string;
}

/** `error.code` of an operation the back end cancelled because it could not start before its `startBy`. */
export const WINDOW_MISSED = 'WindowMissed';

/**
 * Why a back end refused to install a version on a device (a real tenant answers Graph's 400 Bad Request):
 * it was never released for the device's model, it is blocked, or it is older than what the device runs.
 */
export type VersionRefusal = 'VersionNotReleased' | 'VersionBlocked' | 'DowngradeRefused';
export const VERSION_REFUSALS: readonly VersionRefusal[] = ['VersionNotReleased', 'VersionBlocked', 'DowngradeRefused'];

export type StartOperationResult =
  | { accepted: true; operation: DeviceOperation }
  /**
   * The back end already has a software update for this device queued or running (Graph's 409): not an error.
   * `operation` is that in-flight operation when the driver could find it (best effort).
   */
  | { accepted: false; reason: 'AlreadyInFlight'; operation?: DeviceOperation };

export type CancelResult =
  | { cancelled: true; operation: DeviceOperation }
  /** It already started or finished: nothing changed. */
  | { cancelled: false; reason: 'AlreadyStarted'; operation: DeviceOperation };

/** Why a driver call failed. Drivers throw only this for failures a caller can act on. */
export type DriverErrorCode =
  /** No such device (Graph 404). */
  | 'DeviceNotFound'
  /** The back end refused the request as malformed: unknown component, bad version text (Graph 400). */
  | 'InvalidRequest'
  /**
   * The back end refused this version for this device (Graph 400 with a VersionRefusal code): nothing
   * was started, and asking again will get the same answer. `DriverError.refusal` says which refusal.
   */
  | 'VersionRefused'
  /** The credentials were refused (Graph 401/403). */
  | 'Unauthorized'
  /** The back end could not be reached or kept failing after retries (5xx, 429, timeouts). Transient. */
  | 'Unavailable';

export class DriverError extends Error {
  readonly code: DriverErrorCode;
  /** Set when `code` is VersionRefused. */
  readonly refusal?: VersionRefusal;
  constructor(code: DriverErrorCode, message: string, options?: { cause?: unknown; refusal?: VersionRefusal }) {
    super(message, options);
    this.name = 'DriverError';
    this.code = code;
    if (options?.refusal) this.refusal = options.refusal;
  }
}

/**
 * One request a driver sent to its back end, for the metrics registry (`fleetward_driver_requests_total`):
 * `operation` is a fixed name for the endpoint (`list_devices`, `batch`, `device_health`, …: a bounded set,
 * never an id), `code` the HTTP status or `timeout` / `network_error`. `batched` marks a sub-request of a
 * batch (Graph's `$batch`): it travels inside another request, but a tenant throttles each one on its own.
 */
export interface DriverRequest {
  operation: string;
  code: string;
  batched?: boolean;
}
export type DriverRequestObserver = (request: DriverRequest) => void;

export interface Driver {
  /** `simulator`, `graph`, …: shown in status and logs. */
  readonly name: string;
  /**
   * Every device the back end manages, with the software versions it reports now (versions, online,
   * activityState, healthStatus). A device that rolled itself back reports its old version here even
   * though its last operation says `successful`: callers trust inventory over operation history.
   */
  inventory(): Promise<FleetDevice[]>;
  /** The release catalog the back end offers (committed SoftwareRelease objects are added by the caller). */
  catalog(): Promise<SoftwareReleaseSpec[]>;
  /**
   * Optional: everything one pass reads — operations, then devices and catalog — read together so that
   * nothing is read twice (a back end whose catalog comes from the devices' health reads that health once).
   * Must keep observeFleet's order: operations are read before the versions devices report. Callers use
   * observeFleet(), which falls back to operations(), inventory() and catalog().
   */
  observe?(): Promise<ObservedState>;
  /**
   * History and in-flight operations, of every device or of one, oldest first. Software updates and
   * diagnostics alike; an operation whose status is in IN_FLIGHT_STATUSES is still running.
   * Throws DriverError('DeviceNotFound') for an unknown `deviceId`.
   */
  operations(deviceId?: string): Promise<DeviceOperation[]>;
  /**
   * Start a software update. At most one software update per device is in flight: while one is
   * queued or in progress, a second start answers `{ accepted: false, reason: 'AlreadyInFlight' }`
   * (whatever its component or version) and changes nothing. When this resolves with `accepted: true`
   * the back end has durably recorded the operation (a crash right after does not lose it).
   * With `startBy`, an operation that has not started by then is cancelled with `error.code`
   * WINDOW_MISSED (by back ends that can; see StartOperationRequest.startBy).
   * Throws DriverError: DeviceNotFound, InvalidRequest (unknown component, malformed version),
   * VersionRefused (not released for the device's model, blocked, or a downgrade), Unavailable.
   */
  startUpdate(req: StartOperationRequest): Promise<StartOperationResult>;
  /** One operation of one device, or undefined when the device has no such operation. */
  operation(deviceId: string, operationId: string): Promise<DeviceOperation | undefined>;
  /**
   * Run the back end's diagnostics on a device (seed 000 FAQ: device logs are linked to the diagnostics
   * operation run with the software update). Returns a `deviceDiagnostics` operation whose `logsUrl`
   * points at the logs (they may only be complete once the operation is `successful`). Diagnostics do
   * not block software updates, and a second call while one is in flight returns that one.
   */
  runDiagnostics(deviceId: string): Promise<DeviceOperation>;
  /**
   * The text behind an operation's `logsUrl`, fetched with the driver's credentials; undefined when the
   * back end has none. Optional: callers may simply link `logsUrl`.
   */
  readLogs?(operation: DeviceOperation): Promise<string | undefined>;
  /**
   * Cancel an operation that has not started yet, for back ends that can (Graph cannot; an out-of-process
   * driver says so in its capabilities). Undefined when the device has no such operation; DeviceNotFound
   * for an unknown device.
   */
  cancel?(deviceId: string, operationId: string): Promise<CancelResult | undefined>;
  /** Remote provisioning (seed 004), for back ends that support it (./provisioning.ts). */
  readonly provisioning?: ProvisioningDriver;
  /** Release connections and flush state; the driver is unusable afterwards. */
  close?(): Promise<void>;
}

/**
 * What a pass observes, from `driver.observe()` when the driver has it, else from its three reads.
 * Operations are read before the inventory, never beside it: an update that finishes between the two reads
 * then shows either as in flight or as the new version. Read the other way round (or at once), the
 * inventory can still show the old version while the operation list already shows the update as finished,
 * and the update would be issued a second time.
 */
export async function observeFleet(driver: Driver): Promise<ObservedState> {
  if (driver.observe) return driver.observe();
  const operations = await driver.operations();
  const [devices, releases] = await Promise.all([driver.inventory(), driver.catalog()]);
  return { devices, releases, operations };
}
