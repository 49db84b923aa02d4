import type {
  DeviceGroup, DeviceInventory, DeviceOperation, FleetFile, FleetPolicy, FleetwardObject, MaintenanceWindow, ObservedState, ProvisioningBatch, Ring,
  SoftwareRelease, SoftwareUpdate, UpdatePhase,
} from './types.ts';

/** A revision's objects split by kind, as the planner reads them. */
export interface DesiredState {
  deviceGroups: DeviceGroup[];
  updatePhases: UpdatePhase[];
  rings: Ring[];
  maintenanceWindows: MaintenanceWindow[];
  provisioningBatches: ProvisioningBatch[];
  softwareUpdates: SoftwareUpdate[];
  /** The singleton named `default`, if declared. */
  fleetPolicy?: FleetPolicy;
  softwareReleases: SoftwareRelease[];
  /** Time zones, sites and labels the back end does not report (api/inventory.ts applies them). */
  deviceInventories: DeviceInventory[];
}

export function desiredState(objects: readonly FleetwardObject[]): DesiredState {
  const d: DesiredState = {
    deviceGroups: [], updatePhases: [], rings: [], maintenanceWindows: [], provisioningBatches: [],
    softwareUpdates: [], softwareReleases: [], deviceInventories: [],
  };
  for (const o of objects) {
    switch (o.kind) {
      case 'DeviceGroup': d.deviceGroups.push(o); break;
      case 'UpdatePhase': d.updatePhases.push(o); break;
      case 'Ring': d.rings.push(o); break;
      case 'MaintenanceWindow': d.maintenanceWindows.push(o); break;
      case 'ProvisioningBatch': d.provisioningBatches.push(o); break;
      case 'SoftwareUpdate': d.softwareUpdates.push(o); break;
      case 'FleetPolicy': if (o.metadata.name === 'default') d.fleetPolicy = o; break;
      case 'SoftwareRelease': d.softwareReleases.push(o); break;
      case 'DeviceInventory': d.deviceInventories.push(o); break;
    }
  }
  const byName = (a: { metadata: { name: string } }, b: { metadata: { name: string } }) =>
    a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
  for (const list of [d.deviceGroups, d.updatePhases, d.rings, d.maintenanceWindows, d.provisioningBatches, d.softwareUpdates, d.softwareReleases, d.deviceInventories]) {
    (list as { metadata: { name: string } }[]).sort(byName);
  }
  return d;
}

/**
 * What the planner is told about the world: the devices and catalog of a fleet file (no operation history),
 * or of a running installation's store with its operations (`--state`).
 */

export function observedFromFleet(fleet: FleetFile, desired: DesiredState, operations: DeviceOperation[] = []): ObservedState {
  return {
    devices: fleet.devices,
    releases: [...fleet.releases, ...desired.softwareReleases.map((r) => r.spec)],
    operations,
  };
}
