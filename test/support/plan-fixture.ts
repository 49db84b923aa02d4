// A small config repository and fleet for end-to-end tests of `fleetward plan` and `forecast`.
// Four Yealink phones; firmware 122.15.0.58 came out ten days before AT. `phone-canary` is in a
// custom phase with no deferral, so it is due at AT; the others are in the General phase (30 days).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const AT = '2026-11-23T12:00:00Z';
export const RELEASE = 'firmware@122.15.0.58';

const EVERY_DAY = '[Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday]';

export const WINDOWS = `apiVersion: fleetward.dev/v1alpha1
kind: MaintenanceWindow
metadata:
  name: office-hours
spec:
  start: "00:00"
  end: "23:00"
  days: ${EVERY_DAY}
  timeZone: UTC
---
apiVersion: fleetward.dev/v1alpha1
kind: MaintenanceWindow
metadata:
  name: weekend-nights
spec:
  start: "01:00"
  end: "05:00"
  days: [Saturday, Sunday]
  timeZone: device
`;

export const PHASES = `apiVersion: fleetward.dev/v1alpha1
kind: UpdatePhase
metadata:
  name: canary
spec:
  deferrals:
    firmware: 0d
    teamsClient: 0d
  rolloutDuration: 1d
`;

export function groups(phonesWindow: string): string {
  return `apiVersion: fleetward.dev/v1alpha1
kind: DeviceGroup
metadata:
  name: canaries
spec:
  selector:
    devices: [phone-canary]
  updatePhase: canary
  maintenanceWindow: office-hours
  priority: 10
---
apiVersion: fleetward.dev/v1alpha1
kind: DeviceGroup
metadata:
  name: phones
spec:
  selector:
    deviceTypes: [ipPhone]
  updatePhase: General
  maintenanceWindow: ${phonesWindow}
`;
}

/** A window of one hour: validation refuses windows shorter than three hours (seed 000). */
export const INVALID_WINDOW = `apiVersion: fleetward.dev/v1alpha1
kind: MaintenanceWindow
metadata:
  name: too-short
spec:
  start: "01:00"
  end: "02:00"
`;

const phone = (id: string, zone: string) => `  - id: ${id}
    deviceType: ipPhone
    manufacturer: Yealink
    model: MP58
    timeZone: ${zone}
    online: true
    activityState: idle
    healthStatus: healthy
    software: { firmware: 122.15.0.52, teamsClient: 1.6.00.3052 }
`;

export const FLEET = `devices:
${phone('phone-canary', 'Europe/London')}${phone('phone-lon-1', 'Europe/London')}${phone('phone-nyc-1', 'America/New_York')}${phone('phone-syd-1', 'Australia/Sydney')}releases:
  - component: firmware
    version: 122.15.0.52
    manufacturer: Yealink
    releasedAt: 2026-09-01T00:00:00Z
    label: verified
  - component: firmware
    version: 122.15.0.58
    manufacturer: Yealink
    releasedAt: 2026-11-13T12:00:00Z
    label: verified
  - component: teamsClient
    version: 1.6.00.3052
    releasedAt: 2026-08-01T00:00:00Z
    label: verified
`;

export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

/** The config directory's files, phones in `phonesWindow`. */
export function configFiles(phonesWindow = 'office-hours'): Record<string, string> {
  return { 'windows.yaml': WINDOWS, 'phases.yaml': PHASES, 'groups.yaml': groups(phonesWindow) };
}
