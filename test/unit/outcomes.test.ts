// Held, failed, rolled-back devices are never "done" (issue 9 items 1, 2, 4): one outcome per device feeds the
// progress lines, `fleetward status` (table and JSON), the DeviceGroup and SoftwareRelease status, and the
// warn-level log lines. Runs the real planner, simulator and state directory on a ManualClock; assertions are
// on what a person reads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pino } from 'pino';
import { statusText } from '../../controller/cli/commands/status.ts';
import { formatProgress } from '../../controller/reconciler/progress.ts';
import { getCondition } from '../../controller/status/conditions.ts';
import { Fixture, aPhone, aRelease, aRing, aRoom, aRoomCatalog, aRoomConfig, aRoomsGroup } from '../support/reconciler-fixture.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

const phoneCatalog = () => [aRelease('122.15.0.30', { releasedAt: '2026-06-01T00:00:00Z' }), aRelease('122.15.0.44')];
function capture() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => { lines.push(JSON.parse(s)); } });
  return { logger, warnings: () => lines.filter((l) => l.level === 40) };
}

async function passes(f: Fixture, n: number, stepMs: number) {
  let r = await f.reconciler.reconcile();
  for (let i = 1; i < n; i++) { f.clock.advance(stepMs); r = await f.reconciler.reconcile(); }
  return r;
}

test('phones held after three failed attempts are counted held, never done, and their group is not Ready', async () => {
  const f = new Fixture({ devices: [aPhone('p1'), aPhone('p2'), aPhone('p3'), aPhone('p4')], releases: phoneCatalog(), behaviour: { failureRate: 1 } });
  const log = capture();
  f.start({ logger: log.logger });
  const r = await passes(f, 17, 30 * MIN);
  assert.equal(formatProgress(r.summary!), ['  phase Validation    4 devices: 0 updated, 0 in progress, 0 waiting, 0 failed, 4 held']);
  const g = f.store.readObjects()['DeviceGroup/phones']!;
  assert.equal([g.devices, g.upToDate, g.failed, g.held], [4, 0, 0, 4]);
  assert.equal(g.failedDevices, ['p1', 'p2', 'p3', 'p4']);
  const ready = getCondition(g.conditions, 'Ready')!;
  assert.equal([ready.status, ready.reason], ['False', 'UpdatesFailed']);
  assert.match(ready.message, /^4 held \(p1, p2, p3, p4\) of 4 device\(s\); a SoftwareUpdate for them/);
  assert.is(getCondition(g.conditions, 'Stalled')?.reason, 'UpdatesFailed', 'nothing more happens without a person');
  // One warning per held device, when it becomes held; later passes do not repeat it.
  const held = log.warnings().filter((w) => w.msg.startsWith('device held'));
  assert.equal(held.map((w) => w.device), ['p1', 'p2', 'p3', 'p4']);
  assert.match(held[0]!.msg, /3 attempts of 122\.15\.0\.44 failed; held until a person acts/);
  await f.reconciler.reconcile();
  assert.is(log.warnings().filter((w) => w.msg.startsWith('device held')).length, 4);
  // The same words in `fleetward status`, table and JSON.
  const text = await statusText({ stateDir: f.stateDir, output: 'table', history: '20' });
  assert.match(text, /phase Validation +4 devices: 0 updated, 0 in progress, 0 waiting, 0 failed, 4 held/);
  assert.match(text, /DeviceGroup\/phones +False +UpdatesFailed/);
  assert.match(text, /GROUP +DEVICES +UPDATED +IN PROGRESS +WAITING +FAILED +HELD +ROLLED BACK +WINDOW MISSED\n +phones +4 +0 +0 +0 +0 +4 +0 +0/);
  const json = JSON.parse(await statusText({ stateDir: f.stateDir, output: 'json', history: '20' }));
  assert.equal(json.run.summary.stages[0], { kind: 'phase', name: 'Validation', devices: 4, updated: 0, inProgress: 0, waiting: 0, failed: 0, held: 4, rolledBack: 0, windowMissed: 0 });
  // And in the metrics.
  const metrics = await f.metrics.registry.metrics();
  assert.match(metrics, /fleetward_device_outcomes\{kind="phase",stage="Validation",outcome="held"\} 4/);
  assert.match(metrics, /fleetward_device_outcomes\{kind="phase",stage="Validation",outcome="updated"\} 0/);
  // Per object, as the alert rules read it: the group is stalled (it needs a person), not Ready.
  assert.match(metrics, /^fleetward_reconcile_condition\{kind="DeviceGroup",name="phones",namespace="",type="Stalled",status="True"\} 1$/m);
  assert.match(metrics, /^fleetward_reconcile_condition\{kind="DeviceGroup",name="phones",namespace="",type="Ready",status="False"\} 1$/m);
  assert.match(metrics, /^fleetward_reconcile_condition\{kind="DeviceGroup",name="phones",namespace="",type="Ready",status="True"\} 0$/m);
  assert.match(metrics, /^fleetward_reconcile_condition\{kind="Fleetward",name="loop",namespace="",type="Ready",status="True"\} 1$/m);
  assert.match(metrics, /^fleetward_release_devices\{release="firmware@122\.15\.0\.44",stage="Validation",outcome="held"\} 4$/m);
  await f.close();
});

test('a ring paused by its failure threshold shows its failed and held rooms, and the release view says why', async () => {
  const ids = ['r01', 'r02', 'r03', 'r04', 'r05', 'r06', 'r07', 'r08', 'r09', 'r10'];
  // One room fails every attempt and the threshold is 0%: its first failure pauses the release. The
  // rollout is spread over two days, so the pause catches the rooms whose turn has not come yet.
  const f = new Fixture({
    devices: ids.map((id) => aRoom(id)), releases: aRoomCatalog(),
    behaviour: { devices: { r03: { failureRate: 1 } } },
    config: aRoomConfig(aRing('Staging', 1, 'rolloutDuration: 2d\n  testPeriod: 1d\n  failureThreshold: 0')),
  });
  const log = capture();
  f.start({ logger: log.logger });
  const r = await passes(f, 48, HOUR);
  // Before: "ring Staging 10 devices: 10 done, 0 failed".
  assert.equal(formatProgress(r.summary!), ['  ring  Staging    10 devices: 0 updated, 0 in progress, 0 waiting, 1 failed, 9 held']);

  const rel = r.plan!.releases.find((x) => x.version === '5.2.0.0')!;
  assert.is(rel.state, 'Paused');
  assert.equal(rel.pause, { ring: 'Staging', threshold: 0, targeted: 10, failedDevices: ['r03'] });
  assert.equal(rel.heldDevices, ids.filter((id) => id !== 'r03'));

  const json = JSON.parse(await statusText({ stateDir: f.stateDir, output: 'json', history: '20' }));
  const view = json.run.releases.find((x: { version: string }) => x.version === '5.2.0.0');
  assert.is(view.state, 'Paused');
  assert.equal(view.pause, { ring: 'Staging', threshold: 0, targeted: 10, failed: 1, failedDevices: ['r03'] });
  assert.equal([view.stages[0].name, view.stages[0].state, view.stages[0].updated, view.stages[0].failed, view.stages[0].held], ['Staging', 'Paused', 0, 1, 9]);
  assert.equal([view.startsAt, view.stages[0].endsAt], ['2026-11-23T11:00:00.000Z', '2026-11-26T11:00:00.000Z']);
  const text = await statusText({ stateDir: f.stateDir, output: 'table', history: '20' });
  assert.match(text, /teamsClient 5\.2\.0\.0 +Paused +2026-11-23 +\S+ +1 failed, 9 held +Staging Paused 0\/10 1 failed 9 held/);
  assert.match(text, /teamsClient 5\.2\.0\.0 is paused in ring Staging: 1 of 10 targeted devices failed, above its failure threshold of 0% \(r03\)/);

  // The SoftwareRelease carries the same view; the group's message points at it.
  const sr = f.store.readObjects()['SoftwareRelease/rooms-5-2']!;
  assert.is(sr.state, 'Paused');
  assert.equal((sr.pause as { failedDevices: string[] }).failedDevices, ['r03']);
  assert.match(getCondition(sr.conditions, 'Stalled')!.message, /above its failure threshold of 0% \(r03\)/);
  const g = f.store.readObjects()['DeviceGroup/rooms']!;
  assert.is(getCondition(g.conditions, 'Ready')!.reason, 'ReleasePaused');
  assert.match(getCondition(g.conditions, 'Ready')!.message, /see SoftwareRelease\/rooms-5-2 status/);
  assert.equal([g.upToDate, g.failed, g.held, g.paused], [0, 1, 9, 10]);
  // And the Ring itself, with its own devices.
  const ring = f.store.readObjects()['Ring/Staging']!;
  assert.equal([ring.devices, ring.upToDate, ring.failed, ring.held], [10, 0, 1, 9]);
  assert.equal([getCondition(ring.conditions, 'Ready')!.status, getCondition(ring.conditions, 'Ready')!.reason], ['False', 'ReleasePaused']);
  assert.match(getCondition(ring.conditions, 'Ready')!.message, /teamsClient 5\.2\.0\.0 is paused in ring Staging: 1 of 10 targeted devices failed/);

  const paused = log.warnings().filter((w) => w.msg.startsWith('release paused'));
  assert.is(paused.length, 1, 'said once, when it paused');
  assert.is(paused[0]!.msg, 'release paused: teamsClient 5.2.0.0 in ring Staging, 1 of 10 devices failed (threshold 0%)');
  // The metrics the chart's FleetwardReleasePaused and FleetwardDevicesHeld alerts read.
  const metrics = await f.metrics.registry.metrics();
  assert.match(metrics, /^fleetward_paused\{kind="SoftwareRelease",name="teamsClient@5\.2\.0\.0",namespace="",reason="ThresholdExceeded"\} 1$/m);
  assert.match(metrics, /^fleetward_release_state\{release="teamsClient@5\.2\.0\.0",state="Paused"\} 1$/m);
  assert.match(metrics, /^fleetward_release_devices\{release="teamsClient@5\.2\.0\.0",stage="Staging",outcome="held"\} 9$/m);
  assert.match(metrics, /^fleetward_release_devices\{release="teamsClient@5\.2\.0\.0",stage="Staging",outcome="failed"\} 1$/m);
  assert.match(metrics, /^fleetward_reconcile_condition\{kind="Ring",name="Staging",namespace="",type="Ready",status="False"\} 1$/m);
  await f.close();
});

test('a room that silently rolls back is recorded RolledBack, counted against the release, and not updated again until a SoftwareUpdate', async () => {
  const f = new Fixture({
    devices: [aRoom('r1')], releases: aRoomCatalog(),
    behaviour: { rollbackAfter: '1h', devices: { r1: { rollbackRate: 1 } } },
    config: aRoomConfig(aRing('Staging', 1, 'rolloutDuration: 1h\n  testPeriod: 0d\n  failureThreshold: 50')),
  });
  const log = capture();
  f.start({ logger: log.logger });
  await passes(f, 6, HOUR);
  assert.is(f.updates().length, 1, 'issued once, never again after the rollback');
  const rec = f.store.readDevice('r1')!;
  const c = rec.components!.find((x) => x.component === 'teamsClient')!;
  assert.equal([c.currentVersion, c.targetVersion, c.state, c.reason], ['5.1.0.0', '5.2.0.0', 'Held', 'RolledBack']);
  assert.match(c.message!, /the update to 5\.2\.0\.0 succeeded .* but the device reports 5\.1\.0\.0: rolled back/);
  assert.equal(rec.history[0]!.status, 'successful');
  assert.equal(rec.history[0]!.rolledBack?.reportedVersion, '5.1.0.0');
  assert.match(await statusText({ stateDir: f.stateDir, device: 'r1', output: 'table', history: '20' }), /rolled back: reports 5\.1\.0\.0 since/);
  const r = await f.reconciler.reconcile();
  assert.match(formatProgress(r.summary!)[0]!, /1 devices: 0 updated, 0 in progress, 0 waiting, 0 failed, 0 held, 1 rolled back$/);
  const rel = r.plan!.releases.find((x) => x.version === '5.2.0.0')!;
  assert.equal([rel.state, rel.failedDevices, rel.rolledBackDevices], ['Paused', ['r1'], ['r1']]);
  assert.equal(log.warnings().filter((w) => w.msg.startsWith('rollback')).map((w) => w.device), ['r1']);

  // A person acts: a SoftwareUpdate for the device is issued.
  f.writeConfig({ 'retry.yaml': `apiVersion: fleetward.dev/v1alpha1
kind: SoftwareUpdate
metadata:
  name: retry-r1
spec:
  target: { devices: [r1] }
  component: teamsClient
  version: 5.2.0.0
  schedule: now
` });
  const after = await f.reconciler.reconcile();
  assert.is(after.issued, 1);
  assert.is(f.updates().length, 2);
  // It rolls back again: the SoftwareUpdate is not issued a third time (the directory gives it no creation
  // time, so the second rollback of the version is what says so).
  const last = await passes(f, 6, HOUR);
  assert.is(f.updates().length, 2);
  const again = last.plan!.devices[0]!.components[0]!;
  assert.equal([again.state, again.reason], ['Held', 'RolledBack']);
  assert.match(again.message!, /rolled 5\.2\.0\.0 back again after this SoftwareUpdate's operation/);
  assert.equal(f.store.readDevice('r1')!.history.map((h) => [h.status, h.rolledBack?.reportedVersion]), [['successful', '5.1.0.0'], ['successful', '5.1.0.0']]);
  await f.close();
});

test('a room that goes offline within its ring\'s test period after the update fails the ring, and pauses the release before the next ring', async () => {
  const general = aRing('General', 2, 'rolloutDuration: 1h\n  testPeriod: 1d');
  const generalGroup = aRoomsGroup('rooms-general', 'General', { devices: ['g1'], priority: 10 });
  const f = new Fixture({
    devices: [aRoom('s1'), aRoom('s2'), aRoom('g1')], releases: aRoomCatalog(),
    config: { ...aRoomConfig(aRing('Staging', 1, 'rolloutDuration: 1h\n  testPeriod: 2d\n  failureThreshold: 10')), 'general.yaml': general, 'general-group.yaml': generalGroup },
  });
  await passes(f, 2, HOUR);
  assert.equal(f.updates().map((o) => [o.deviceId, o.status]), [['s1', 'successful'], ['s2', 'successful']]);
  // Six hours later, inside Staging's two-day test period, s2 goes offline.
  f.clock.advance(6 * HOUR);
  await f.driver.simulator.setOnline('s2', false);
  let r = await f.reconciler.reconcile();
  const c = r.plan!.devices.find((d) => d.id === 's2')!.components[0]!;
  assert.equal([c.state, c.reason], ['Failed', 'UnhealthyAfterUpdate']);
  assert.match(c.message!, /offline within ring Staging's test period after the update to 5\.2\.0\.0/);
  assert.is(r.plan!.releases.find((x) => x.version === '5.2.0.0')!.state, 'Paused');
  // Past the test period and the General ring's start, it is still offline: General gets nothing.
  f.clock.advance(3 * 24 * HOUR);
  r = await f.reconciler.reconcile();
  assert.is(f.updates().filter((o) => o.deviceId === 'g1').length, 0, 'the pause holds the next ring');
  assert.is(r.plan!.devices.find((d) => d.id === 'g1')!.components[0]!.reason, 'ReleasePaused');
  assert.ok(f.store.readDevice('s2')!.history[0]!.unhealthyAfter, 'recorded on the update it followed');
  // It comes back: the failure no longer counts, the release goes on to General.
  await f.driver.simulator.setOnline('s2', true);
  r = await f.reconciler.reconcile();
  assert.is(r.issued, 1);
  assert.equal(f.updates().filter((o) => o.deviceId === 'g1').length, 1);
  await f.close();
});

test('a room the simulator leaves unhealthy after its update fails Staging in its test period: General never gets the release', async () => {
  const general = aRing('General', 2, 'rolloutDuration: 1h\n  testPeriod: 1d');
  const generalGroup = aRoomsGroup('rooms-general', 'General', { devices: ['g1', 'g2'], priority: 10 });
  const f = new Fixture({
    devices: [aRoom('s1'), aRoom('s2'), aRoom('g1'), aRoom('g2')], releases: aRoomCatalog(),
    behaviour: { devices: { s2: { unhealthyAfterUpdateRate: 1 } } },
    config: { ...aRoomConfig(aRing('Staging', 1, 'rolloutDuration: 1h\n  testPeriod: 1d\n  failureThreshold: 10')), 'general.yaml': general, 'general-group.yaml': generalGroup },
  });
  // Four days, a pass an hour: Staging's rollout and test period end after a day and an hour, General would start then.
  const r = await passes(f, 96, HOUR);
  assert.equal(f.updates().map((o) => [o.deviceId, o.status]), [['s1', 'successful'], ['s2', 'successful']]);
  assert.equal(formatProgress(r.summary!), [
    '  ring  General     2 devices: 0 updated, 0 in progress, 0 waiting, 0 failed, 2 held',
    '  ring  Staging     2 devices: 1 updated, 0 in progress, 0 waiting, 1 failed, 0 held',
  ]);
  const s2 = r.plan!.devices.find((d) => d.id === 's2')!.components[0]!;
  assert.equal([s2.state, s2.reason], ['Failed', 'UnhealthyAfterUpdate']);
  assert.match(s2.message!, /^unhealthy \(healthStatus critical\) within ring Staging's test period after the update to 5\.2\.0\.0/);
  const rel = r.plan!.releases.find((x) => x.version === '5.2.0.0')!;
  assert.equal([rel.state, rel.pause], ['Paused', { ring: 'Staging', threshold: 10, targeted: 2, failedDevices: ['s2'] }]);
  await f.close();
});

test.run();
