// A back end that refuses a version (VersionRefused: not released for the model, blocked, a downgrade;
// InvalidRequest: a request it cannot take) keeps no operation, and asking again gets the same answer.
// The refusal is recorded in the device history as a failed attempt Fleetward made; the planner reads the
// recorded history with the driver's operations (reconciler.ts withHistory), so it counts toward
// retry.maxAttempts with the usual backoff: a refused update is retried a few times and then held — never
// re-sent every pass (issue 9 item 5).
import { createHash } from 'node:crypto';
import type { DriverError } from '../drivers/driver.ts';
import type { PlannedOperation } from '../planner/types.ts';
import type { HistoryEntry } from '../store/records.ts';

/** Whether a start failed for good (the request itself was refused), as opposed to a transient failure. */
export function isRefusal(err: unknown): err is DriverError {
  const code = (err as DriverError | undefined)?.code;
  return (err as Error | undefined)?.name === 'DriverError' && (code === 'VersionRefused' || code === 'InvalidRequest');
}

/** The history entry of a refused start: failed at once, with the back end's reason. */
export function refusedEntry(op: PlannedOperation, err: DriverError, at: string, revision: string): HistoryEntry {
  const operationId = `refused-${createHash('sha256').update(`${op.deviceId}\u0000${op.component}\u0000${op.toVersion}\u0000${at}`).digest('hex').slice(0, 16)}`;
  return {
    operationId, operationType: 'softwareUpdate', component: op.component, ...(op.fromVersion !== null ? { fromVersion: op.fromVersion } : {}),
    toVersion: op.toVersion, status: 'failed', createdAt: at, completedAt: at,
    error: { code: err.refusal ?? err.code, message: err.message },
    issuedBy: 'fleetward', reason: op.reason, revision, refused: true,
    ...(op.forced ? { forced: true } : {}), ...(op.softwareUpdate ? { softwareUpdate: op.softwareUpdate } : {}),
  };
}
