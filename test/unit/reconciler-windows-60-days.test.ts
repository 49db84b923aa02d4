// The end-of-window rule as a property of a whole run (issue 9 item 3): a fleet in four time zones, a back
// end that keeps every update queued 2h30m before it starts (simulator behaviour `queueDelay`), a 3-hour
// nightly window, four releases, failures, outages and retries, run by the real reconcile loop over 60
// simulated days across the spring DST changes. No operation may start outside its window; the ones the
// back end could not start in time are cancelled at the window's end (WindowMissed) and done later.
//
// Windows are checked here with luxon in each device's zone, not with the planner's own calendar.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import type { Driver, StartOperationRequest } from '../../controller/drivers/driver.ts';
import type { FleetDevice, SoftwareReleaseSpec } from '../../controller/api/types.ts';
import { SimulatorDriver } from '../../controller/drivers/simulator/driver.ts';
import { plan } from '../../controller/planner/index.ts';
import { silentLogger } from '../../controller/reconciler/log.ts';
import { ReconcileLoop } from '../../controller/reconciler/loop.ts';
import { Reconciler } from '../../controller/reconciler/reconciler.ts';
import { SteppedClock } from '../../controller/reconciler/stepped-clock.ts';
import { DirSource } from '../../controller/sources/dir.ts';
import { JsonDirStore } from '../../controller/store/json-dir.ts';

const START = '2027-02-15T00:00:00Z';
const DAYS = 60;
const ZONES = ['Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney'];
const WINDOW = { start: 2 * 60, end: 5 * 60 }; // 02:00–05:00 local, every day

const CONFIG = {
  'window.yaml': `apiVersion: fleetward.dev/v1alpha1
kind: MaintenanceWindow
metadata: { name: nightly }
spec: { start: "02:00", end: "05:00", days: [Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday], timeZone: device }
`,
  'phase.yaml': `apiVersion: fleetward.dev/v1alpha1
kind: UpdatePhase
metadata: { name: quick }
spec: { deferrals: { firmware: 0d, teamsClient: 0d }, rolloutDuration: 3d }
`,
  'group.yaml': `apiVersion: fleetward.dev/v1alpha1
kind: DeviceGroup
metadata: { name: phones }
spec: { selector: { deviceTypes: [ipPhone] }, updatePhase: quick, maintenanceWindow: nightly }
`,
  'policy.yaml': `apiVersion: fleetward.dev/v1alpha1
kind: FleetPolicy
metadata: { name: default }
spec: { retry: { maxAttempts: 6, backoff: 2h, maxBackoff: 1d } }
`,
};

function fleet(): { devices: FleetDevice[]; releases: SoftwareReleaseSpec[] } {
  const devices: FleetDevice[] = ZONES.flatMap((timeZone, z) => Array.from({ length: 4 }, (_, i) => ({
    id: `p${z}${i}`, deviceType: 'ipPhone' as const, manufacturer: 'Yealink', model: 'MP54', timeZone,
    online: true, activityState: 'idle' as const, healthStatus: 'healthy' as const, software: { firmware: '122.15.0.10', teamsClient: '1449.1.0.1' },
  })));
  const fw = (version: string, releasedAt: string): SoftwareReleaseSpec => ({ component: 'firmware', version, manufacturer: 'Yealink', models: ['MP54'], releasedAt, label: 'verified' });
  const app = (version: string, releasedAt: string): SoftwareReleaseSpec => ({ component: 'teamsClient', version, releasedAt, label: 'verified' });
  return {
    devices,
    releases: [
      fw('122.15.0.10', '2026-10-01T00:00:00Z'), app('1449.1.0.1', '2026-10-01T00:00:00Z'),
      fw('122.15.0.20', '2027-02-16T00:00:00Z'), app('1449.1.0.2', '2027-02-28T00:00:00Z'),
      fw('122.15.0.30', '2027-03-10T00:00:00Z'), app('1449.1.0.3', '2027-03-25T00:00:00Z'),
    ],
  };
}

/** A back end that cannot cancel: it drops the deadline (like Graph). To show the property can fail. */
function ignoringDeadlines(d: SimulatorDriver): Driver {
  return Object.assign(Object.create(d) as Driver, {
    startUpdate: ({ startBy: _ignored, ...req }: StartOperationRequest) => d.startUpdate(req),
  });
}

async function run(opts: { cancels: boolean; days: number }) {
  const root = mkdtempSync(join(tmpdir(), 'fw-60d-'));
  const configDir = join(root, 'config');
  mkdirSync(configDir);
  for (const [name, text] of Object.entries(CONFIG)) writeFileSync(join(configDir, name), text);
  const clock = new SteppedClock(START, 1e12);
  const sim = new SimulatorDriver({
    fleet: fleet(), clock, seed: 9,
    behaviour: {
      queueDelay: '2h30m', installDuration: { min: '10m', max: '40m' }, failureRate: 0.25, offlineRate: 0.15, offlineSlot: '1h',
      busyDuringMeetings: 0, rollbackRate: 0,
    },
  });
  const reconciler = new Reconciler({
    source: new DirSource(configDir), driver: opts.cancels ? sim : ignoringDeadlines(sim), store: new JsonDirStore(join(root, 'state')),
    clock, plan, logger: silentLogger,
  });
  const end = Date.parse(START) + opts.days * 86_400_000;
  let passes = 0;
  const loop = new ReconcileLoop(reconciler, {
    // Like `fleetward run`: a pass every few hours, and at once when the plan says something may start.
    clock, intervalMs: 3 * 3_600_000, minIntervalMs: 60_000, minPauseMs: 0,
    afterPass: () => { passes++; return clock.now().getTime() >= end; },
  });
  await loop.start();
  const devices = new Map(sim.simulator.inventory().map((d) => [d.id, d]));
  const updates = sim.simulator.operations().filter((o) => o.operationType === 'softwareUpdate');
  await reconciler.settle();
  await sim.close();
  rmSync(root, { recursive: true, force: true });
  const outside = updates.filter((o) => {
    if (!o.startedAt) return false;
    const local = DateTime.fromISO(o.startedAt, { zone: devices.get(o.deviceId)!.timeZone });
    const minute = local.hour * 60 + local.minute;
    return minute < WINDOW.start || minute >= WINDOW.end;
  });
  return { passes, updates, outside, devices };
}

test('60 simulated days, four time zones, a 2h30m queue: no update starts outside its 02:00–05:00 window', async () => {
  const { passes, updates, outside, devices } = await run({ cancels: true, days: DAYS });
  const started = updates.filter((o) => o.startedAt);
  const missed = updates.filter((o) => o.status === 'cancelled' && o.error?.code === 'WindowMissed');
  const failed = updates.filter((o) => o.status === 'failed');
  console.log(JSON.stringify({ passes, operations: updates.length, started: started.length, windowMissed: missed.length, failed: failed.length, outsideWindow: outside.length }));
  assert.equal(outside.map((o) => `${o.deviceId} ${o.startedAt}`), [], 'every start inside 02:00–05:00 device-local');
  assert.ok(started.length >= 64, `${started.length} updates started: 16 devices × 4 hops plus retries`);
  assert.ok(missed.length > 0, 'the queue delay made some operations miss their window (the rule was exercised)');
  for (const o of missed) assert.is(o.completedAt, o.startBy, 'cancelled exactly at its window end');
  for (const d of devices.values()) {
    assert.is(d.software.firmware, '122.15.0.30', `${d.id} reached the newest firmware`);
    assert.is(d.software.teamsClient, '1449.1.0.3', `${d.id} reached the newest Teams app`);
  }
});

test('the first week against a back end that ignores the deadline starts updates outside the window (the property can fail)', async () => {
  const { outside } = await run({ cancels: false, days: 7 });
  assert.ok(outside.length > 0, 'a back end without the deadline starts late');
});

test.run();
