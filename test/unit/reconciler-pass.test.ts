// The reconcile pass against the real planner, simulator and state directory, on a ManualClock.
// Assertions are on the state of the world: operations the simulator holds, status and history written.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getCondition } from '../../controller/status/conditions.ts';
import type { Driver } from '../../controller/drivers/driver.ts';
import { DriverError } from '../../controller/drivers/driver.ts';
import { InvalidRevision, DriverUnavailable, ReconciliationSucceeded, NoValidRevision, ReleasePaused } from '../../controller/reconciler/reasons.ts';
import { Fixture, aPhone, aRelease, anAlwaysWindow, aGroup, aRing, aRoom, aRoomCatalog, aRoomConfig } from '../support/reconciler-fixture.ts';

const HOUR = 3_600_000;
const threePhones = () => [aPhone('p1'), aPhone('p2'), aPhone('p3')];
/** The version the phones run, and a newer one released long enough ago for any phase. */
const catalog = () => [aRelease('122.15.0.30', { releasedAt: '2026-06-01T00:00:00Z' }), aRelease('122.15.0.44')];

test('a due update is issued once; passes while it is in flight issue nothing more', async () => {
  const f = new Fixture({ devices: threePhones(), releases: catalog() });
  const first = await f.reconciler.reconcile();
  assert.is(first.issued, 3);
  f.clock.advance(5 * 60_000);
  const second = await f.reconciler.reconcile();
  assert.is(second.issued, 0);
  assert.is(f.updates().length, 3);
  assert.equal(f.updates().map((o) => o.toVersion), ['122.15.0.44', '122.15.0.44', '122.15.0.44']);
  await f.close();
});

test('a restart on the same state directory issues no duplicate and keeps every history entry', async () => {
  const f = new Fixture({ devices: threePhones(), releases: catalog() });
  await f.reconciler.reconcile();
  const before = f.store.readDevice('p1')!.history.length;
  await f.restart();
  const again = await f.reconciler.reconcile();
  assert.is(again.issued, 0);
  assert.is(f.updates().length, 3);
  assert.is(f.store.readDevice('p1')!.history.length, before);
  assert.is(f.store.readDevice('p1')!.history[0]!.issuedBy, 'fleetward');
  await f.close();
});

test('the history records the outcome once the driver reports it, and the device reaches its target', async () => {
  const f = new Fixture({ devices: [aPhone('p1')], releases: catalog() });
  await f.reconciler.reconcile();
  f.clock.advance(2 * HOUR);
  const r = await f.reconciler.reconcile();
  const h = f.store.readDevice('p1')!.history;
  assert.is(h.length, 1);
  assert.is(h[0]!.status, 'successful');
  assert.is(h[0]!.reason !== undefined, true);
  assert.ok(r.complete, 'nothing left to do');
  const comp = f.store.readDevice('p1')!.components!.find((c) => c.component === 'firmware')!;
  assert.is(comp.currentVersion, '122.15.0.44');
  assert.is(comp.state, 'UpToDate');
  await f.close();
});

test('an operation started before a crash, but not recorded, is found in the driver and attributed to Fleetward', async () => {
  const f = new Fixture({ devices: [aPhone('p1')], releases: catalog() });
  // What a pass does before it calls the driver: write the intent. Then the driver accepts and the process dies.
  f.store.writeDevice({ id: 'p1', history: [], pending: [{ component: 'firmware', toVersion: '122.15.0.44', reason: 'PhaseRollout', revision: 'sha256:x' }] });
  await f.driver.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.44' });
  await f.restart();
  const r = await f.reconciler.reconcile();
  assert.is(r.issued, 0);
  assert.is(f.updates().length, 1);
  const h = f.store.readDevice('p1')!.history;
  assert.is(h.length, 1);
  assert.is(h[0]!.issuedBy, 'fleetward');
  assert.is(h[0]!.reason, 'PhaseRollout');
  assert.is(f.store.readDevice('p1')?.pending, undefined);
  await f.close();
});

test('an invalid revision keeps the last good one in force, says why, and changes nothing else', async () => {
  const f = new Fixture({ devices: threePhones(), releases: catalog() });
  const good = await f.reconciler.reconcile();
  assert.ok(good.ok);
  const goodRevision = good.revision!;
  const revisionFile = f.stored('revision');
  f.writeConfig({ 'window.yaml': anAlwaysWindow('always', '[Sunday]', '01:00', '02:00') });
  const bad = await f.reconciler.reconcile();
  assert.is(bad.reason, InvalidRevision);
  assert.is(bad.revision, goodRevision);
  const run = f.store.readRun()!;
  const ready = getCondition(run.conditions, 'Ready')!;
  assert.is(ready.status, 'False');
  assert.is(ready.reason, InvalidRevision);
  assert.match(ready.message, /window\.yaml:\d+/);
  assert.match(ready.message, new RegExp(`${goodRevision.replace(/[:]/g, '.')} stays in force`));
  assert.is(getCondition(run.conditions, 'Stalled')?.reason, InvalidRevision);
  assert.is(run.lastAppliedRevision, goodRevision);
  assert.ok(run.revisionErrors!.length >= 1);
  assert.is(f.stored('revision'), revisionFile, 'the last good revision is untouched');
  assert.is(f.store.readObjects()['MaintenanceWindow/always']!.lastAppliedRevision, goodRevision);
  assert.is(f.updates().length, 3, 'no operation from the rejected revision');
  // Fixing the config clears the condition.
  f.writeConfig({ 'window.yaml': anAlwaysWindow() });
  const fixed = await f.reconciler.reconcile();
  assert.is(fixed.reason, ReconciliationSucceeded);
  assert.is(getCondition(f.store.readRun()!.conditions, 'Stalled'), undefined);
  await f.close();
});

test('the last good revision stays in force across a restart while the config is invalid', async () => {
  const f = new Fixture({ devices: [aPhone('p1')], releases: catalog() });
  const good = await f.reconciler.reconcile();
  f.writeConfig({ 'group.yaml': 'kind: DeviceGroup\nnot: valid\n' });
  await f.restart();
  const r = await f.reconciler.reconcile();
  assert.is(r.reason, InvalidRevision);
  assert.is(r.revision, good.revision);
  assert.ok(r.plan, 'the last good revision is still planned');
  await f.close();
});

test('without any valid revision nothing is issued and status says so', async () => {
  const f = new Fixture({ devices: threePhones(), releases: catalog(), config: { 'group.yaml': aGroup('phones', 'missing-window') + '  bogus: 1\n' } });
  const r = await f.reconciler.reconcile();
  assert.is(r.issued, 0);
  assert.is(r.revision, null);
  assert.is(r.reason, InvalidRevision);
  assert.is(f.updates().length, 0);
  assert.is(f.store.readRun()!.lastAppliedRevision, undefined);
  assert.not.ok(f.reconciler.ready);
  await f.close();
});

test('a missing config directory is reported as such and nothing is issued', async () => {
  const f = new Fixture({ devices: [aPhone('p1')], releases: catalog() });
  const { DirSource } = await import('../../controller/sources/dir.ts');
  f.start({ source: new DirSource(join(f.root, 'nowhere')) });
  const r = await f.reconciler.reconcile();
  assert.is(r.issued, 0);
  assert.match(getCondition(f.store.readRun()!.conditions, 'Ready')!.message, /nowhere|no such directory/);
  assert.ok(r.reason === 'SourceUnavailable' || r.reason === InvalidRevision || r.reason === NoValidRevision);
  await f.close();
});

test('a driver that does not answer leaves DriverUnavailable, issues nothing and keeps the history', async () => {
  const f = new Fixture({ devices: [aPhone('p1')], releases: catalog() });
  await f.reconciler.reconcile();
  const history = JSON.stringify(f.store.readDevice('p1')!.history);
  const down = (d: Driver): Driver => ({
    name: d.name, catalog: () => d.catalog(), operations: () => d.operations(), operation: (a, b) => d.operation(a, b),
    startUpdate: (r) => d.startUpdate(r), runDiagnostics: (id) => d.runDiagnostics(id),
    inventory: () => Promise.reject(new DriverError('Unavailable', 'connection refused')),
  });
  await f.restart({ driver: down });
  const r = await f.reconciler.reconcile();
  assert.is(r.reason, DriverUnavailable);
  assert.is(r.issued, 0);
  const ready = getCondition(f.store.readRun()!.conditions, 'Ready')!;
  assert.is(ready.reason, DriverUnavailable);
  assert.match(ready.message, /connection refused/);
  assert.equal(f.store.readDevice('p1')!.history, JSON.parse(history), 'the same history (read back from the store after the restart)');
  assert.not.ok(f.reconciler.ready);
  await f.close();
});

test('an update that finishes while the pass reads the driver is not issued a second time', async () => {
  const f = new Fixture({ devices: [aPhone('p1')], releases: catalog() });
  await f.reconciler.reconcile();
  assert.is(f.updates().length, 1);
  // The install (20 min) ends between the driver's answers: whichever list the pass asks for first is
  // answered before the update finishes, the other after, as with a slow paged inventory on a real back end.
  let first = true;
  const between = (read: () => Promise<unknown>) => async () => {
    const answer = read();
    if (first) { first = false; f.clock.advance(HOUR); }
    return answer;
  };
  const racing = (d: Driver): Driver => ({
    name: d.name, catalog: () => d.catalog(), operation: (a, b) => d.operation(a, b),
    startUpdate: (r) => d.startUpdate(r), runDiagnostics: (id) => d.runDiagnostics(id),
    inventory: between(() => d.inventory()) as Driver['inventory'],
    operations: between(() => d.operations()) as Driver['operations'],
  });
  await f.restart({ driver: racing });
  const r = await f.reconciler.reconcile();
  assert.is(r.issued, 0);
  assert.equal(f.updates().map((o) => [o.toVersion, o.status]), [['122.15.0.44', 'successful']]);
  await f.close();
});

test('a failed update gets the diagnostics run after it linked from its history, once, even across a restart', async () => {
  const f = new Fixture({ devices: [aPhone('p1')], releases: catalog(), behaviour: { failureRate: 1 } });
  await f.reconciler.reconcile();
  f.clock.advance(2 * HOUR);
  await f.reconciler.reconcile();
  let failed = f.store.readDevice('p1')!.history.find((h) => h.operationType === 'softwareUpdate' && h.status === 'failed')!;
  assert.ok(failed, 'the update failed');
  assert.ok(failed.error?.code);
  assert.ok(failed.diagnostics?.operationId, 'diagnostics linked');
  await f.restart();
  f.clock.advance(HOUR);
  await f.reconciler.reconcile();
  failed = f.store.readDevice('p1')!.history.find((h) => h.operationId === failed.operationId)!;
  assert.is(failed.diagnostics!.status, 'successful');
  assert.ok(failed.diagnostics!.logsUrl, 'logs linked once the diagnostics finished');
  const diagnostics = f.driver.simulator.operations('p1').filter((o) => o.operationType === 'deviceDiagnostics');
  const failures = f.driver.simulator.operations('p1').filter((o) => o.operationType === 'softwareUpdate' && o.status === 'failed');
  assert.is(diagnostics.length, failures.length, 'one diagnostics run per failed update');
  await f.close();
});

test('operations beyond the per-pass limit stay due and are issued by the next passes', async () => {
  const f = new Fixture({ devices: threePhones(), releases: catalog() });
  f.start({ maxOperationsPerPass: 2 });
  assert.is((await f.reconciler.reconcile()).issued, 2);
  assert.is((await f.reconciler.reconcile()).issued, 1);
  assert.is((await f.reconciler.reconcile()).issued, 0);
  assert.is(f.updates().length, 3);
  await f.close();
});

test('a group moved to a window that is closed now stops new operations', async () => {
  const f = new Fixture({ devices: threePhones(), releases: catalog(), now: '2026-11-23T12:00:00Z' });
  // Monday noon in Paris; the new window only opens on Sundays at 01:00.
  f.writeConfig({ 'sunday.yaml': anAlwaysWindow('sunday', '[Sunday]', '01:00', '05:00'), 'group.yaml': aGroup('phones', 'sunday') });
  const r = await f.reconciler.reconcile();
  assert.is(r.issued, 0);
  const comp = f.store.readDevice('p1')!.components!.find((c) => c.component === 'firmware')!;
  assert.is(comp.notBefore, '2026-11-29T00:00:00.000Z');
  assert.equal(r.nextStartAt?.toISOString(), '2026-11-29T00:00:00.000Z');
  await f.close();
});

test('a group whose devices run the newest firmware is UpToDate, whatever their manual-only apps run', async () => {
  // companyPortal is updated only by a SoftwareUpdate (seed 000): it must not keep the group from UpToDate.
  const phone = aPhone('p1', { software: { firmware: '122.15.0.44', companyPortal: '5.0.6301.0' } });
  const f = new Fixture({ devices: [phone], releases: [...catalog(), { ...aRelease('5.0.6402.0'), component: 'companyPortal' }] });
  await f.reconciler.reconcile();
  const group = f.store.readObjects()['DeviceGroup/phones']!;
  assert.is(group.upToDate, 1);
  const ready = getCondition(group.conditions, 'Ready')!;
  assert.equal([ready.status, ready.reason, ready.message], ['True', 'UpToDate', '1 of 1 device(s) up to date, none being updated']);
  await f.close();
});

test('per-object status says Ready with the revision applied, and is not rewritten when nothing changed', async () => {
  const f = new Fixture({ devices: [aPhone('p1')], releases: catalog() });
  const r = await f.reconciler.reconcile();
  const objects = f.store.readObjects();
  const group = objects['DeviceGroup/phones']!;
  assert.is(group.lastAppliedRevision, r.revision);
  assert.is(group.devices, 1);
  assert.ok(getCondition(group.conditions, 'Ready'));
  const window = objects['MaintenanceWindow/always']!;
  assert.is(getCondition(window.conditions, 'Ready')!.status, 'True');
  const before = f.stored('objects');
  f.clock.advance(60_000);
  await f.reconciler.reconcile();
  assert.is(f.stored('objects'), before);
  await f.close();
});

test('a ProvisioningBatch\'s recorded status carries its provisioning counts and devices, and no plaintext code', async () => {
  const desk = (id: string, mac: string, firmware: string) => aPhone(id, { macAddress: mac, manufacturer: 'Yealink', model: 'T58', software: { firmware } });
  const batch = `apiVersion: fleetward.dev/v1alpha1
kind: ProvisioningBatch
metadata:
  name: desks
spec:
  devices:
    - { macAddress: "aa:bb:cc:40:00:01", location: "Paris, desk 1" }
    - { macAddress: "aa:bb:cc:40:00:02", location: "Paris, desk 2" }
`;
  const f = new Fixture({
    devices: [desk('d1', 'aa:bb:cc:40:00:01', '58.15.0.124'), desk('d2', 'aa:bb:cc:40:00:02', '58.10.0.1')], releases: [],
    config: { 'window.yaml': anAlwaysWindow(), 'group.yaml': aGroup('phones', 'always'), 'batch.yaml': batch },
  });
  await f.reconciler.reconcile();
  await f.reconciler.settle();
  const status = f.store.readObjects()['ProvisioningBatch/desks']!;
  assert.is(status.total, 2);
  assert.equal(status.counts, { AwaitingActivation: 1, AwaitingSignIn: 0, SignedIn: 0, Expired: 0, FirmwareTooOld: 1, LockedOut: 0 });
  const devices = status.devices as { macAddress: string; location?: string; state: string; codeExpiresAt?: string }[];
  assert.equal(devices.map((d) => [d.macAddress, d.location, d.state]), [
    ['AA-BB-CC-40-00-01', 'Paris, desk 1', 'AwaitingActivation'], ['AA-BB-CC-40-00-02', 'Paris, desk 2', 'FirmwareTooOld'],
  ]);
  assert.ok(devices[0]!.codeExpiresAt, 'the code expiry is shown');
  assert.ok(getCondition(status.conditions, 'Ready'), 'the conditions are kept beside it');
  const codes = JSON.parse(readFileSync(join(f.stateDir, 'provisioning', 'secrets', 'desks.json'), 'utf8')) as Record<string, { code: string }>;
  const onDisk = f.stored('objects')!;
  assert.ok(Object.keys(codes).length > 0, 'codes were issued');
  for (const { code } of Object.values(codes)) assert.not.ok(onDisk.toUpperCase().includes(code), 'no code in the stored object statuses');

  // The next pass keeps it (no rewrite), and so does a new process before its own provisioning run finishes.
  f.clock.advance(60_000);
  await f.reconciler.reconcile();
  await f.reconciler.settle();
  assert.is(f.stored('objects'), onDisk);
  await f.restart();
  await f.reconciler.reconcile();
  assert.equal(f.store.readObjects()['ProvisioningBatch/desks']!.counts, status.counts);
  await f.close();
});

test('metrics count operations by component and result and expose the revision in force', async () => {
  const f = new Fixture({ devices: threePhones(), releases: catalog() });
  const r = await f.reconciler.reconcile();
  const text = await f.metrics.registry.metrics();
  assert.match(text, /fleetward_operations_total\{component="firmware",result="accepted"\} 3/);
  assert.match(text, new RegExp(`fleetward_last_applied_revision_info\\{revision="${r.revision}"`));
  assert.match(text, /fleetward_reconcile_duration_seconds_count\{result="success"\} 1/);
  assert.match(text, /fleetward_devices\{component="firmware",state="(InProgress|Due)"/);
  await f.close();
});

test('failures beyond the ring threshold leave the release Stalled with ReleasePaused, naming the failed devices', async () => {
  const f = new Fixture({
    devices: [aRoom('r1'), aRoom('r2'), aRoom('r3'), aRoom('r4')],
    releases: aRoomCatalog('2026-11-20T00:00:00Z'),
    behaviour: { failureRate: 1 },
    config: aRoomConfig(aRing('Staging', 1), '2026-11-20T00:00:00Z'),
  });
  assert.is((await f.reconciler.reconcile()).issued, 4);
  let rel = f.store.readObjects()['SoftwareRelease/rooms-5-2']!;
  assert.is(getCondition(rel.conditions, 'Reconciling')?.status, 'True');
  f.clock.advance(2 * HOUR);
  const r = await f.reconciler.reconcile();
  assert.is(r.issued, 0, 'a paused release is not retried');
  rel = f.store.readObjects()['SoftwareRelease/rooms-5-2']!;
  assert.is(rel.state, 'Paused');
  assert.is(getCondition(rel.conditions, 'Ready')!.status, 'False');
  const stalled = getCondition(rel.conditions, 'Stalled')!;
  assert.is(stalled.reason, ReleasePaused);
  assert.match(stalled.message, /r1, r2, r3, r4/);
  const group = f.store.readObjects()['DeviceGroup/rooms']!;
  assert.is(getCondition(group.conditions, 'Ready')!.status, 'False');
  assert.is(getCondition(group.conditions, 'Stalled')!.reason, ReleasePaused);
  assert.is(group.paused, 4);
  await f.close();
});

test('an edit in the watched config directory wakes the loop: the new revision is applied without waiting for the interval', async () => {
  const f = new Fixture({ devices: threePhones(), releases: catalog(),
    config: { 'sunday.yaml': anAlwaysWindow('sunday', '[Sunday]', '01:00', '05:00'), 'always.yaml': anAlwaysWindow(), 'group.yaml': aGroup('phones', 'sunday') } });
  const { ReconcileLoop } = await import('../../controller/reconciler/loop.ts');
  const source = new (await import('../../controller/sources/dir.ts')).DirSource(f.configDir, { debounceMs: 100 });
  f.start({ source });
  const results: { revision: string | null; issued: number }[] = [];
  let wake: (() => void) | undefined;
  const loop = new ReconcileLoop(f.reconciler, {
    clock: f.clock, intervalMs: 24 * HOUR, minPauseMs: 0,
    afterPass: (r) => { results.push({ revision: r.revision, issued: r.issued }); wake?.(); },
  });
  const passed = (n: number) => new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`only ${results.length} passes`)), 10_000);
    const check = () => { if (results.length >= n) { clearTimeout(t); resolve(); } else wake = check; };
    check();
  });
  void loop.start();
  source.watch(loop.kick);
  try {
    await passed(1);
    assert.is(results[0]!.issued, 0, 'Monday: the Sunday window is closed');
    await new Promise((r) => setTimeout(r, 300));
    f.writeConfig({ 'group.yaml': aGroup('phones', 'always') });
    await passed(2);
    const last = results.at(-1)!;
    assert.ok(last.revision !== results[0]!.revision);
    assert.is(results.reduce((n, r) => n + r.issued, 0), 3);
    assert.is(f.clock.now().toISOString(), '2026-11-23T12:00:00.000Z', 'no time passed: the edit, not the interval, caused the pass');
  } finally {
    await loop.stop();
    await source.close();
    await f.close();
  }
});

test('after a restart, a pass over an unchanged fleet rewrites nothing of the recorded history or plans', async () => {
  const f = new Fixture({ devices: threePhones(), releases: catalog() });
  await f.reconciler.reconcile();
  f.clock.advance(30 * 60_000);
  await f.reconciler.reconcile();
  await f.reconciler.reconcile();
  const before = f.store.listDeviceIds().map((id) => f.store.readDevice(id));
  assert.ok(before.some((r) => r!.history.length > 0), 'there is history to keep');
  await f.restart();
  const changes = () => (f.store.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
  await f.reconciler.reconcile();
  assert.is(changes(), 1, 'one row changed: the loop\'s own status (its lastReconcileAt); no device, history or object row');
  assert.equal(f.store.listDeviceIds().map((id) => f.store.readDevice(id)), before);
  await f.close();
});

test.run();
