// The simulated fleet: operations queue, run and finish as its clock moves; devices go offline and come
// back, are busy during local business-hour meetings, and some silently roll back a "successful" update.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FleetDevice, FleetFile } from '../../controller/api/types.ts';
import { ManualClock } from '../../controller/util/clock.ts';
import { Simulator, type SimulatorOptions } from '../../controller/drivers/simulator/simulator.ts';
import type { SimulatorBehaviour } from '../../controller/drivers/simulator/behaviour.ts';
import { DriverError } from '../../controller/drivers/driver.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Monday 23 November 2026, 02:00 UTC (03:00 in Paris). */
const MONDAY_NIGHT = '2026-11-23T02:00:00Z';

function aPhone(id: string, over: Partial<FleetDevice> = {}): FleetDevice {
  return { id, deviceType: 'ipPhone', manufacturer: 'Yealink', model: 'MP54', timeZone: 'Europe/Paris', software: { firmware: '122.15.0.36' }, ...over };
}

function aFleet(devices: FleetDevice[]): FleetFile {
  return {
    devices,
    releases: [
      { component: 'firmware', version: '122.15.0.58', releasedAt: '2026-10-01T00:00:00Z', label: 'verified' },
      { component: 'firmware', version: '122.15.0.60', releasedAt: '2026-11-01T00:00:00Z', label: 'verified' },
      { component: 'firmware', version: '122.15.0.61', releasedAt: '2026-11-10T00:00:00Z', label: 'verified', blocked: { reason: 'reboot loop on MP54 with a sidecar attached' } },
      { component: 'firmware', version: '130.1.0.2', manufacturer: 'Poly', models: ['CCX 400'], releasedAt: '2026-11-01T00:00:00Z', label: 'verified' },
    ],
  };
}

/** A quiet fleet: nothing fails, goes offline, meets or rolls back unless the test says so. */
const QUIET: SimulatorBehaviour = { failureRate: 0, offlineRate: 0, busyDuringMeetings: 0, rollbackRate: 0, installDuration: '30m', queueDelay: '1m' };

function aSimulator(devices: FleetDevice[], behaviour: SimulatorBehaviour = {}, over: Partial<SimulatorOptions> = {}) {
  const clock = new ManualClock(MONDAY_NIGHT);
  const sim = new Simulator({ fleet: aFleet(devices), clock, seed: 5, behaviour: { ...QUIET, ...behaviour }, ...over });
  return { sim, clock };
}

const firmware = (sim: Simulator, id: string) => sim.device(id)?.software.firmware;

test('an update goes queued, then inProgress, then successful as the clock moves', async () => {
  const { sim, clock } = aSimulator([aPhone('p1')]);
  const r = await sim.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58' });
  assert.ok(r.accepted);
  const id = r.accepted ? r.operation.id : '';
  assert.is(sim.operation('p1', id)?.status, 'queued');
  clock.advance(30_000);
  assert.is(sim.operation('p1', id)?.status, 'queued');
  clock.advance(MIN);
  const running = sim.operation('p1', id)!;
  assert.is(running.status, 'inProgress');
  assert.is(running.startedAt, '2026-11-23T02:01:00.000Z');
  assert.is(firmware(sim, 'p1'), '122.15.0.36', 'the version changes only when the install finishes');
  clock.advance(HOUR);
  const done = sim.operation('p1', id)!;
  assert.is(done.status, 'successful');
  assert.is(done.completedAt, '2026-11-23T02:31:00.000Z');
  assert.is(firmware(sim, 'p1'), '122.15.0.58');
});

test('a month of rollout moves event by event even when the clock jumps a day at a time', async () => {
  const devices = Array.from({ length: 500 }, (_, i) => aPhone(`p${i}`));
  const { sim, clock } = aSimulator(devices, { offlineRate: 0.3 });
  for (let day = 0; day < 30; day++) {
    const inFlight = new Set(sim.operations().filter((o) => o.status === 'queued' || o.status === 'inProgress').map((o) => o.deviceId));
    for (const d of sim.inventory()) {
      if (d.software.firmware !== '122.15.0.58' && !inFlight.has(d.id)) await sim.startUpdate({ deviceId: d.id, component: 'firmware', version: '122.15.0.58' });
    }
    clock.advance(DAY);
  }
  assert.ok(sim.inventory().every((d) => d.software.firmware === '122.15.0.58'));
  assert.is(sim.operations().length, 500, 'one operation per device: none lost, none repeated');
  for (const op of sim.operations()) {
    assert.ok(Date.parse(op.completedAt!) - Date.parse(op.startedAt!) === 30 * MIN);
    assert.ok(Date.parse(op.startedAt!) >= Date.parse(op.createdAt) + MIN);
  }
});

test('the same seed gives the same history, another seed another one', async () => {
  const history = async (seed: number) => {
    const devices = Array.from({ length: 40 }, (_, i) => aPhone(`p${i}`));
    const { sim, clock } = aSimulator(devices, { failureRate: 0.5, offlineRate: 0.3, installDuration: { min: '10m', max: '50m' } }, { seed });
    for (const d of devices) await sim.startUpdate({ deviceId: d.id, component: 'firmware', version: '122.15.0.58' });
    clock.advance(2 * DAY);
    return JSON.stringify(sim.operations());
  };
  assert.is(await history(9), await history(9));
  assert.is.not(await history(9), await history(10));
});

test('failures follow the failure rate and say why; the version stays', async () => {
  const devices = Array.from({ length: 400 }, (_, i) => aPhone(`p${i}`));
  const { sim, clock } = aSimulator(devices, { failureRate: 0.25 });
  for (const d of devices) await sim.startUpdate({ deviceId: d.id, component: 'firmware', version: '122.15.0.58' });
  clock.advance(DAY);
  const failed = sim.operations().filter((o) => o.status === 'failed');
  assert.ok(failed.length > 60 && failed.length < 140, `${failed.length} of 400 failed at a 25% rate`);
  for (const op of failed) {
    assert.match(op.error!.code, /^(DownloadFailed|InstallFailed|DeviceRebootTimeout)$/);
    assert.is(firmware(sim, op.deviceId), '122.15.0.36');
  }
  assert.is(sim.device(failed[0]!.deviceId)?.healthStatus, 'nonUrgent', 'a device whose last update failed is not healthy');
});

test('an update for an offline device waits until the device is back', async () => {
  const { sim, clock } = aSimulator([aPhone('p1')]);
  await sim.setOnline('p1', false);
  const p1 = sim.device('p1')!;
  assert.is(p1.online, false);
  assert.is(p1.activityState, 'offline');
  assert.is(p1.healthStatus, 'offline');
  const r = await sim.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58' });
  clock.advance(5 * HOUR);
  assert.is(sim.operations('p1')[0]?.status, 'queued');
  await sim.setOnline('p1', undefined);
  const back = sim.now().toISOString();
  clock.advance(HOUR);
  const op = sim.operations('p1')[0]!;
  assert.is(op.status, 'successful');
  assert.is(op.startedAt, back, 'it starts the moment the device is back, not before');
  assert.ok(r.accepted);
});

test('a device the fleet file says is offline stays offline', async () => {
  const { sim, clock } = aSimulator([aPhone('p1', { online: false })]);
  await sim.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58' });
  clock.advance(7 * DAY);
  assert.is(sim.device('p1')?.online, false);
  assert.is(sim.operations('p1')[0]?.status, 'queued');
});

test('devices go offline and come back by themselves, hour by hour', async () => {
  const { sim, clock } = aSimulator([aPhone('p1')], { offlineRate: 0.3, offlineSlot: '1h' });
  const seen = new Set<boolean>();
  for (let h = 0; h < 72; h++) {
    seen.add(sim.device('p1')!.online!);
    clock.advance(HOUR);
  }
  assert.equal([...seen].sort(), [false, true]);
});

test('a device is busy in meetings only during its own business hours', async () => {
  const { sim, clock } = aSimulator([aPhone('paris'), aPhone('tokyo', { timeZone: 'Asia/Tokyo' })], { busyDuringMeetings: 1 });
  const at = (iso: string) => clock.set(iso);
  at('2026-11-23T09:00:00Z'); // Monday 10:00 in Paris, 18:00 in Tokyo
  assert.is(sim.device('paris')?.activityState, 'busy');
  assert.is(sim.device('tokyo')?.activityState, 'idle');
  at('2026-11-24T01:00:00Z'); // Tuesday 02:00 in Paris, 10:00 in Tokyo
  assert.is(sim.device('paris')?.activityState, 'idle');
  assert.is(sim.device('tokyo')?.activityState, 'busy');
  at('2026-11-28T10:00:00Z'); // Saturday
  assert.is(sim.device('paris')?.activityState, 'idle');
});

test('only some business-hour slots are meetings at a partial rate', async () => {
  const { sim, clock } = aSimulator([aPhone('p1')], { busyDuringMeetings: 0.5 });
  clock.set('2026-11-23T07:00:00Z'); // 08:00 Paris
  const states = new Set<string>();
  for (let i = 0; i < 20; i++) {
    states.add(sim.device('p1')!.activityState!);
    clock.advance(30 * MIN);
  }
  assert.equal([...states].sort(), ['busy', 'idle']);
});

test('an update that starts during a meeting is recorded as an interruption; one that starts when idle is not', async () => {
  const { sim, clock } = aSimulator([aPhone('busy', { activityState: 'busy' }), aPhone('idle')]);
  await sim.startUpdate({ deviceId: 'busy', component: 'firmware', version: '122.15.0.58' });
  await sim.startUpdate({ deviceId: 'idle', component: 'firmware', version: '122.15.0.58' });
  clock.advance(HOUR);
  assert.equal(sim.interruptions().map((i) => i.deviceId), ['busy']);
});

test('a rolled back device reports its old version while the operation stays successful', async () => {
  const { sim, clock } = aSimulator([aPhone('p1')], { rollbackRate: 1, rollbackAfter: '2h' });
  await sim.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58' });
  clock.advance(HOUR);
  assert.is(firmware(sim, 'p1'), '122.15.0.58');
  clock.advance(3 * HOUR);
  assert.is(firmware(sim, 'p1'), '122.15.0.36');
  assert.is(sim.operations('p1')[0]?.status, 'successful', 'the back end still believes it worked');
});

test('a rollback does not undo a newer version installed since', async () => {
  const { sim, clock } = aSimulator([aPhone('p1')], { devices: { p1: { rollbackRate: 1 } }, rollbackAfter: '3h' });
  await sim.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58' });
  clock.advance(HOUR);
  await sim.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.60' });
  clock.advance(150 * MIN); // the first rollback is due, the second not yet
  assert.is(firmware(sim, 'p1'), '122.15.0.60');
});

test('a malformed version is refused and records nothing', async () => {
  const { sim } = aSimulator([aPhone('p1')]);
  try {
    await sim.startUpdate({ deviceId: 'p1', component: 'firmware', version: 'latest; rm -rf' });
    assert.unreachable('should refuse');
  } catch (err) {
    assert.instance(err, DriverError);
    assert.is((err as DriverError).code, 'InvalidRequest');
  }
  assert.equal(sim.operations(), []);
});

test('a second diagnostics request while one runs returns the running one', async () => {
  const { sim, clock } = aSimulator([aPhone('p1')]);
  const a = await sim.runDiagnostics('p1');
  const b = await sim.runDiagnostics('p1');
  assert.is(b.id, a.id);
  clock.advance(HOUR);
  const c = await sim.runDiagnostics('p1');
  assert.is.not(c.id, a.id);
});

test('diagnostics logs show the failed update and why', async () => {
  const { sim, clock } = aSimulator([aPhone('p1', { macAddress: '00-15-65-AA-BB-CC' })], { failureRate: 1 });
  await sim.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58' });
  clock.advance(HOUR);
  const diag = await sim.runDiagnostics('p1');
  assert.match(diag.logsUrl!, new RegExp(`${diag.id}$`));
  const text = sim.logs(diag.id)!;
  assert.match(text, /ERROR .*firmware 122\.15\.0\.36 -> 122\.15\.0\.58 failed/);
  assert.match(text, /00-15-65-AA-BB-CC/);
  assert.is(sim.logs('no-such-operation'), undefined);
});

test('bad behaviour settings are refused with the setting named', () => {
  const bad: [SimulatorBehaviour, RegExp][] = [
    [{ failureRate: 2 }, /failureRate: 2 is not a rate between 0 and 1/],
    [{ installDuration: 'soon' }, /installDuration: "soon" is not a duration/],
    [{ installDuration: { min: '2h', max: '1h' } }, /max is shorter than min/],
    [{ businessHours: { start: '8am', end: '18:00' } }, /businessHours.start: "8am"/],
    [{ devices: { p1: { offlineRate: -1 } } }, /devices.p1.offlineRate: -1/],
    [{ failurerate: 0.1 } as SimulatorBehaviour, /unknown setting "failurerate"; known settings are installDuration, queueDelay, failureRate/],
    [{ devices: { p1: { installDuration: '1h' } } } as unknown as SimulatorBehaviour, /devices.p1: unknown setting "installDuration"/],
    [{ acceptVersions: 'some' } as unknown as SimulatorBehaviour, /acceptVersions: "some" is not released or any/],
    [{ unhealthyAfterUpdateRate: 1.5 }, /unhealthyAfterUpdateRate: 1.5 is not a rate between 0 and 1/],
  ];
  for (const [behaviour, message] of bad) assert.throws(() => aSimulator([aPhone('p1')], behaviour), message);
});

test('a fleet naming a device twice is refused', () => {
  assert.throws(() => aSimulator([aPhone('p1'), aPhone('p1')]), /device p1 appears twice/);
});

test('time never runs backwards: a clock set earlier keeps the fleet where it was', async () => {
  const { sim, clock } = aSimulator([aPhone('p1')]);
  await sim.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58' });
  clock.advance(HOUR);
  assert.is(firmware(sim, 'p1'), '122.15.0.58');
  clock.set('2026-01-01T00:00:00Z');
  assert.is(firmware(sim, 'p1'), '122.15.0.58');
  assert.is(sim.now().toISOString(), '2026-11-23T03:00:00.000Z');
});

// ---- like a tenant: only released versions, no blocked ones, no downgrades (issue 9 item 5) ----------------

async function refusal(sim: Simulator, version: string, deviceId = 'p1'): Promise<DriverError> {
  try {
    await sim.startUpdate({ deviceId, component: 'firmware', version });
  } catch (err) {
    assert.instance(err, DriverError);
    return err as DriverError;
  }
  assert.unreachable(`${version} should be refused`);
  throw new Error('unreachable');
}

test('a version never released for the device model is refused as VersionNotReleased, naming what is released', async () => {
  const { sim } = aSimulator([aPhone('p1')]);
  const err = await refusal(sim, '130.1.0.2'); // released, but for Poly CCX 400 only
  assert.is(err.code, 'VersionRefused');
  assert.is(err.refusal, 'VersionNotReleased');
  assert.is(err.message, 'firmware 130.1.0.2 is not released for Yealink MP54; released versions: 122.15.0.58, 122.15.0.60');
  assert.is((await refusal(sim, '999.0.0.1')).refusal, 'VersionNotReleased');
  assert.equal(sim.operations('p1'), [], 'nothing was queued');
  assert.is(firmware(sim, 'p1'), '122.15.0.36');
});

test('a blocked version is refused as VersionBlocked with the reason it is blocked', async () => {
  const { sim } = aSimulator([aPhone('p1')]);
  const err = await refusal(sim, '122.15.0.61');
  assert.is(err.refusal, 'VersionBlocked');
  assert.is(err.message, 'firmware 122.15.0.61 is blocked for Yealink MP54: reboot loop on MP54 with a sidecar attached');
  assert.equal(sim.operations('p1'), []);
});

test('a downgrade is refused as DowngradeRefused; the same version again is accepted', async () => {
  const { sim, clock } = aSimulator([aPhone('p1', { software: { firmware: '122.15.0.60' } })]);
  const err = await refusal(sim, '122.15.0.58');
  assert.is(err.refusal, 'DowngradeRefused');
  assert.is(err.message, 'firmware 122.15.0.58 is older than the installed 122.15.0.60 on p1: updates never downgrade (a factory reset is the way back)');
  assert.equal(sim.operations('p1'), []);
  assert.ok((await sim.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.60' })).accepted);
  clock.advance(HOUR);
  assert.is(firmware(sim, 'p1'), '122.15.0.60');
});

test('acceptVersions: any installs a version the catalog lacks, but still refuses blocked versions and downgrades', async () => {
  const { sim, clock } = aSimulator([aPhone('p1')], { acceptVersions: 'any' });
  assert.ok((await sim.startUpdate({ deviceId: 'p1', component: 'firmware', version: '999.0.0.1' })).accepted);
  clock.advance(HOUR);
  assert.is(firmware(sim, 'p1'), '999.0.0.1');
  assert.is((await refusal(sim, '122.15.0.61')).refusal, 'VersionBlocked');
  assert.is((await refusal(sim, '122.15.0.60')).refusal, 'DowngradeRefused');
});

// ---- start deadline: the end of the maintenance window (seed 000, issue 9 item 3) ------------------------

test('an update still queued at its startBy is cancelled then with WindowMissed and installs nothing', async () => {
  const { sim, clock } = aSimulator([aPhone('p1')], { queueDelay: '2h30m' });
  // 03:00 in Paris; the window closes at 05:00 Paris (04:00 UTC); the queue delay would start it at 05:30.
  const r = await sim.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58', startBy: '2026-11-23T04:00:00.000Z' });
  assert.ok(r.accepted);
  const id = r.accepted ? r.operation.id : '';
  assert.is(r.accepted && r.operation.startBy, '2026-11-23T04:00:00.000Z');
  clock.advance(HOUR + 59 * MIN);
  assert.is(sim.operation('p1', id)?.status, 'queued');
  clock.advance(2 * MIN);
  const op = sim.operation('p1', id)!;
  assert.is(op.status, 'cancelled');
  assert.is(op.completedAt, '2026-11-23T04:00:00.000Z');
  assert.is(op.startedAt, undefined);
  assert.equal(op.error, {
    code: 'WindowMissed',
    message: 'the update had not started when its maintenance window ended at 2026-11-23T04:00:00.000Z: cancelled, to be planned again for the next window',
  });
  clock.advance(DAY);
  assert.is(firmware(sim, 'p1'), '122.15.0.36');
  assert.ok((await sim.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58' })).accepted, 'the device is free again');
});

test('an update that starts before its startBy runs to the end, even past the deadline', async () => {
  const { sim, clock } = aSimulator([aPhone('p1')], { queueDelay: '30m', installDuration: '2h' });
  const r = await sim.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58', startBy: '2026-11-23T03:00:00.000Z' });
  clock.advance(3 * HOUR);
  const op = r.accepted ? sim.operation('p1', r.operation.id)! : undefined;
  assert.is(op?.status, 'successful');
  assert.is(op?.startedAt, '2026-11-23T02:30:00.000Z');
  assert.is(firmware(sim, 'p1'), '122.15.0.58');
});

test('a device offline until after the deadline misses the window even when nobody looks in between', async () => {
  const { sim, clock } = aSimulator([aPhone('p1', { online: false })]);
  const r = await sim.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58', startBy: '2026-11-23T04:00:00.000Z' });
  clock.advance(3 * DAY);
  const op = r.accepted ? sim.operation('p1', r.operation.id)! : undefined;
  assert.is(op?.status, 'cancelled');
  assert.is(op?.error?.code, 'WindowMissed');
  assert.is(op?.completedAt, '2026-11-23T04:00:00.000Z');
});

test('a deadline that is not a date is refused as InvalidRequest', async () => {
  const { sim } = aSimulator([aPhone('p1')]);
  try {
    await sim.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58', startBy: 'tonight' });
    assert.unreachable('should refuse');
  } catch (err) {
    assert.is((err as DriverError).code, 'InvalidRequest');
    assert.match((err as Error).message, /startBy "tonight" is not an ISO date-time/);
  }
  assert.equal(sim.operations('p1'), []);
});

// ---- after an update: unhealthy or offline on request ----------------------------------------------

test('unhealthyAfterUpdateRate: the device reports critical health after its update, until a good one', async () => {
  const { sim, clock } = aSimulator([aPhone('p1'), aPhone('p2')], { devices: { p1: { unhealthyAfterUpdateRate: 1 } } });
  for (const id of ['p1', 'p2']) await sim.startUpdate({ deviceId: id, component: 'firmware', version: '122.15.0.58' });
  assert.is(sim.device('p1')?.healthStatus, 'healthy');
  clock.advance(HOUR);
  assert.is(sim.device('p1')?.healthStatus, 'critical');
  assert.is(sim.device('p1')?.software.firmware, '122.15.0.58', 'the update itself succeeded');
  assert.is(sim.device('p2')?.healthStatus, 'healthy');
});

test('offlineAfterUpdateRate: the device goes offline after its update and stays there until brought back', async () => {
  const { sim, clock } = aSimulator([aPhone('p1')], { devices: { p1: { offlineAfterUpdateRate: 1 } } });
  await sim.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58' });
  clock.advance(HOUR);
  assert.is(sim.device('p1')?.online, false);
  assert.is(sim.device('p1')?.healthStatus, 'offline');
  clock.advance(5 * DAY);
  assert.is(sim.device('p1')?.online, false);
  await sim.setOnline('p1', true);
  assert.is(sim.device('p1')?.online, true);
});

test.run();
