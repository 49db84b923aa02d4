// The device back end, behind one interface (DESIGN.md section 1). Shaped to fit Graph's teamwork/devices
// (seed 003) and other management back ends (the phone makers' portals) alike: nothing here is Graph-specific.
import type { Component, DeviceOperation, FleetDevice, SoftwareReleaseSpec } from '../api/types.ts';

export interface StartOperationRequest {
  deviceId: string;
  component: Component;
  version: string;
  forced?: boolean;
}

export type StartOperationResult =
  | { accepted: true; operation: DeviceOperation }
  /** The back end already has an operation for this device queued or running (Graph's 409): not an error. */
  | { accepted: false; reason: 'AlreadyInFlight'; operation?: DeviceOperation };

export interface Driver {
  readonly name: string;
  /** Every device the back end manages, with the software versions it reports. */
  inventory(): Promise<FleetDevice[]>;
  /** The release catalog the back end offers. */
  catalog(): Promise<SoftwareReleaseSpec[]>;
  /** History and in-flight operations (all devices, or one). */
  operations(deviceId?: string): Promise<DeviceOperation[]>;
  /** Start a software update; idempotent per device (a repeat answers AlreadyInFlight). */
  startUpdate(req: StartOperationRequest): Promise<StartOperationResult>;
  operation(deviceId: string, operationId: string): Promise<DeviceOperation | undefined>;
  /** Run the back end's diagnostics on a device (seed 000 FAQ: logs linked from history). */
  runDiagnostics(deviceId: string): Promise<DeviceOperation>;
  close?(): Promise<void>;
}
