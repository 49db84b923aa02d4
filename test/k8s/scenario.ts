// A small fleet and config for the operator suites: phones that roll out a firmware release through a
// fast phase, rooms whose release fails in the first ring (and pauses), one phone forced to a preview Teams
// app by a SoftwareUpdate, and a suspended group whose phone must not be touched.
import type { FleetDevice, FleetFile, SoftwareReleaseSpec } from '../../controller/api/types.ts';
import type { SimulatorBehaviour } from '../../controller/drivers/simulator/behaviour.ts';

export const START = '2026-11-23T10:00:00Z';
export const PHONE_FIRMWARE = { from: '122.15.0.44', to: '122.15.0.60' };
export const ROOM_CLIENT = { from: '5.0.111.0', to: '5.1.2.0' };
export const PREVIEW_CLIENT = { from: '1.6.00.3052', to: '1.6.00.4100' };

function phone(id: string, labels: Record<string, string> = {}): FleetDevice {
  return {
    id, deviceType: 'ipPhone', manufacturer: 'Yealink', model: 'MP58', timeZone: 'UTC', labels: { area: 'desk', ...labels },
    online: true, activityState: 'idle', healthStatus: 'healthy',
    software: { firmware: PHONE_FIRMWARE.from, teamsClient: PREVIEW_CLIENT.from },
  };
}
function room(id: string): FleetDevice {
  return {
    id, deviceType: 'teamsRoom', manufacturer: 'Lenovo', model: 'ThinkSmart Core', timeZone: 'UTC', labels: { area: 'room' },
    online: true, activityState: 'idle', healthStatus: 'healthy', software: { teamsClient: ROOM_CLIENT.from },
  };
}

export const DEVICES: FleetDevice[] = [
  phone('phone-1'), phone('phone-2'), phone('phone-3'),
  phone('phone-lab', { area: 'lab' }),
  room('room-1'), room('room-2'),
];

export const BEHAVIOUR: SimulatorBehaviour = {
  failureRate: 0, offlineRate: 0, busyDuringMeetings: 0, rollbackRate: 0,
  installDuration: '10m', queueDelay: '1m',
  // The new versions reach Fleetward as committed SoftwareRelease objects, as on a tenant with no catalog:
  // the simulator installs them although its own catalog lists only the versions the devices run.
  acceptVersions: 'any',
  devices: { 'room-1': { failureRate: 1 }, 'room-2': { failureRate: 1 } },
};

/** The driver's own catalog: the versions the devices run, and a Teams app preview reachable only manually. */
const CATALOG: SoftwareReleaseSpec[] = [
  { component: 'firmware', version: PHONE_FIRMWARE.from, manufacturer: 'Yealink', models: ['MP58'], releasedAt: '2026-06-01T00:00:00Z', label: 'verified' },
  { component: 'teamsClient', version: PREVIEW_CLIENT.from, manufacturer: 'Yealink', models: ['MP58'], releasedAt: '2026-06-01T00:00:00Z', label: 'verified' },
  { component: 'teamsClient', version: ROOM_CLIENT.from, manufacturer: 'Lenovo', releasedAt: '2026-06-01T00:00:00Z', label: 'verified' },
  { component: 'teamsClient', version: PREVIEW_CLIENT.to, manufacturer: 'Yealink', models: ['MP58'], releasedAt: '2026-11-20T00:00:00Z', label: 'preview' },
];

export const FLEET: FleetFile = { devices: DEVICES, releases: CATALOG };

/** What an admin applies (namespace added by the test). */
export const SCENARIO_OBJECTS = `
apiVersion: fleetward.dev/v1alpha1
kind: FleetPolicy
metadata: { name: default }
spec:
  cloud: commercial
  retry: { maxAttempts: 1 }
---
apiVersion: fleetward.dev/v1alpha1
kind: MaintenanceWindow
metadata: { name: always }
spec: { start: "00:00", end: "23:59", days: [Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday], timeZone: UTC }
---
apiVersion: fleetward.dev/v1alpha1
kind: UpdatePhase
metadata: { name: fast }
spec:
  deferrals: { firmware: 0d, teamsClient: 0d }
  rolloutDuration: 1h
---
apiVersion: fleetward.dev/v1alpha1
kind: Ring
metadata: { name: staging }
spec: { order: 1, deferment: 0d, rolloutDuration: 1h, testPeriod: 1h, failureThreshold: 0 }
---
apiVersion: fleetward.dev/v1alpha1
kind: DeviceGroup
metadata: { name: desk-phones }
spec:
  selector: { deviceTypes: [ipPhone], matchLabels: { area: desk } }
  updatePhase: fast
  maintenanceWindow: always
---
apiVersion: fleetward.dev/v1alpha1
kind: DeviceGroup
metadata: { name: lab-phones }
spec:
  selector: { deviceTypes: [ipPhone], matchLabels: { area: lab } }
  updatePhase: fast
  maintenanceWindow: always
  suspend: true
---
apiVersion: fleetward.dev/v1alpha1
kind: DeviceGroup
metadata: { name: rooms }
spec:
  selector: { deviceTypes: [teamsRoom] }
  ring: staging
  maintenanceWindow: always
---
apiVersion: fleetward.dev/v1alpha1
kind: SoftwareRelease
metadata: { name: mp58-firmware-122-15-0-60 }
spec:
  component: firmware
  version: "${PHONE_FIRMWARE.to}"
  manufacturer: Yealink
  models: [MP58]
  releasedAt: "2026-11-20T00:00:00Z"
  label: verified
---
apiVersion: fleetward.dev/v1alpha1
kind: SoftwareRelease
metadata: { name: rooms-teams-5-1-2 }
spec:
  component: teamsClient
  version: "${ROOM_CLIENT.to}"
  manufacturer: Lenovo
  releasedAt: "2026-11-20T00:00:00Z"
  label: verified
  critical: true
---
apiVersion: fleetward.dev/v1alpha1
kind: ProvisioningBatch
metadata: { name: new-desks }
spec:
  devices:
    - macAddress: 44-DB-D2-F5-23-01
      location: Desk 23.01
---
apiVersion: fleetward.dev/v1alpha1
kind: SoftwareUpdate
metadata: { name: force-phone-1-preview }
spec:
  target: { devices: [phone-1] }
  component: teamsClient
  version: "${PREVIEW_CLIENT.to}"
  schedule: now
  force: true
`;
