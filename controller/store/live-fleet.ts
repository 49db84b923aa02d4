// The live fleet as a state store holds it (docs/plan.md "Plans against the live fleet"): each device's last
// observed inventory and its operation history, turned back into the planner's observed input. `plan|forecast
// --state` (controller/cli/live-fleet.ts) and the console (controller/console/) read it the same way.
import type { DeviceOperation, FleetDevice, FleetFile } from '../api/types.ts';
import type { DeviceRecord, HistoryEntry } from './records.ts';

/** A history entry as the driver's operation list would show it: the planner's input, nothing Fleetward-only. */
export function operationOf(deviceId: string, h: HistoryEntry): DeviceOperation {
  const op: DeviceOperation = { id: h.operationId, deviceId, operationType: h.operationType, status: h.status, createdAt: h.createdAt };
  if (h.component !== undefined) op.component = h.component;
  if (h.fromVersion !== undefined) op.fromVersion = h.fromVersion;
  if (h.toVersion !== undefined) op.toVersion = h.toVersion;
  if (h.startedAt !== undefined) op.startedAt = h.startedAt;
  if (h.completedAt !== undefined) op.completedAt = h.completedAt;
  if (h.error !== undefined) op.error = h.error;
  if (h.forced !== undefined) op.forced = h.forced;
  if (h.logsUrl !== undefined) op.logsUrl = h.logsUrl;
  if (h.unhealthyAfter !== undefined) op.unhealthyAfter = h.unhealthyAfter;
  if (h.rolledBack !== undefined) op.rolledBackAt = h.rolledBack.detectedAt;
  return op;
}

/**
 * The observed fleet and its operations from device records. An intent written before the driver was called
 * and not yet matched by an operation counts as a queued update: the next pass finds it in flight, or finds
 * that it never started and plans it again.
 */
export function fleetFromRecords(records: Iterable<DeviceRecord>, catalog: FleetFile['releases'], pendingAt: string): { fleet: FleetFile; operations: DeviceOperation[]; withoutInventory: number } {
  const devices: FleetDevice[] = [];
  const operations: DeviceOperation[] = [];
  let withoutInventory = 0;
  for (const rec of records) {
    if (!rec.observed) { withoutInventory++; continue; }
    devices.push(rec.observed);
    for (const h of rec.history) operations.push(operationOf(rec.id, h));
    for (const p of rec.pending ?? []) {
      operations.push({
        id: `pending:${rec.id}:${p.component}`, deviceId: rec.id, operationType: 'softwareUpdate', component: p.component,
        toVersion: p.toVersion, status: 'queued', createdAt: pendingAt, ...(p.forced ? { forced: true } : {}),
      });
    }
  }
  return { fleet: { devices, releases: catalog }, operations, withoutInventory };
}

