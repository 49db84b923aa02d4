// The live-fleet fixture of `fleetward plan --state` (test/e2e/plan-live.test.ts) and of the same plan from the
// operator's PostgreSQL store (test/e2e/plan-postgres.test.ts): two passes of the real `fleetward run` with the
// simulator. At 12:00 `phone-fail` is updated (and its update fails, no retry allowed); at 16:00 the afternoon
// window of `phone-flight` opens and its update starts (an install takes an hour).
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './run-cli.ts';
import { writeFiles } from './plan-fixture.ts';

const EVERY_DAY = '[Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday]';
export const CONFIG = {
  'windows.yaml': `apiVersion: fleetward.dev/v1alpha1
kind: MaintenanceWindow
metadata: { name: all-day }
spec: { start: "00:00", end: "23:00", days: ${EVERY_DAY}, timeZone: UTC }
---
apiVersion: fleetward.dev/v1alpha1
kind: MaintenanceWindow
metadata: { name: afternoons }
spec: { start: "14:00", end: "18:00", days: ${EVERY_DAY}, timeZone: UTC }
`,
  'phases.yaml': `apiVersion: fleetward.dev/v1alpha1
kind: UpdatePhase
metadata: { name: canary }
spec: { deferrals: { firmware: 0d, teamsClient: 0d }, rolloutDuration: 1h }
`,
  'groups.yaml': `apiVersion: fleetward.dev/v1alpha1
kind: DeviceGroup
metadata: { name: failing }
spec: { selector: { devices: [phone-fail] }, updatePhase: canary, maintenanceWindow: all-day, priority: 10 }
---
apiVersion: fleetward.dev/v1alpha1
kind: DeviceGroup
metadata: { name: afternoon }
spec: { selector: { devices: [phone-flight] }, updatePhase: canary, maintenanceWindow: afternoons, priority: 10 }
`,
  'policy.yaml': `apiVersion: fleetward.dev/v1alpha1
kind: FleetPolicy
metadata: { name: default }
spec: { retry: { maxAttempts: 1 } }
`,
};
const phone = (id: string) => `  - id: ${id}
    deviceType: ipPhone
    manufacturer: Yealink
    model: MP58
    timeZone: UTC
    online: true
    activityState: idle
    healthStatus: healthy
    software: { firmware: 122.15.0.52, teamsClient: 1.6.00.3052 }
`;
export const FLEET = `devices:
${phone('phone-fail')}${phone('phone-flight')}releases:
  - { component: firmware, version: 122.15.0.52, manufacturer: Yealink, releasedAt: 2026-09-01T00:00:00Z, label: verified }
  - { component: firmware, version: 122.15.0.58, manufacturer: Yealink, releasedAt: 2026-11-13T12:00:00Z, label: verified }
  - { component: teamsClient, version: 1.6.00.3052, releasedAt: 2026-08-01T00:00:00Z, label: verified }
`;
export const BEHAVIOUR = `installDuration: 1h
queueDelay: 1m
failureRate: 0
offlineRate: 0
busyDuringMeetings: 0
rollbackRate: 0
devices:
  phone-fail: { failureRate: 1 }
`;

/** The instant of the second pass, and of the plans. */
export const AT = '2026-11-23T16:00:00Z';

export const firmware = (plan: { devices: { id: string; components: { component: string; state: string; reason: string; message?: string }[] }[] }, id: string) =>
  plan.devices.find((d) => d.id === id)!.components.find((c) => c.component === 'firmware')!;

/** Writes config/, fleet.yaml and behaviour.yaml under root and records the two passes in root/state. */
export async function recordLiveRun(root: string): Promise<{ config: string; fleet: string; state: string }> {
  const config = join(root, 'config');
  const fleet = join(root, 'fleet.yaml');
  const state = join(root, 'state');
  writeFiles(config, CONFIG);
  writeFiles(root, { 'fleet.yaml': FLEET, 'behaviour.yaml': BEHAVIOUR });
  mkdirSync(state);
  for (const start of ['2026-11-23T12:00:00Z', AT]) {
    // A run resumes its simulated clock from the state directory; the second pass is four hours on.
    writeFileSync(join(state, 'clock.json'), JSON.stringify({ now: start }));
    const r = await runCli(['run', '--config', config, '--driver', 'simulator', '--fleet', fleet, '--behaviour', join(root, 'behaviour.yaml'),
      '--state-dir', state, '--once', '--port', '-1', '--log-level', 'warn']);
    assert.is(r.code, 0, r.stderr);
  }
  return { config, fleet, state };
}
