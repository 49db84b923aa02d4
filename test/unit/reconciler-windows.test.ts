// Windows are kept at the end as well as the start (seed 000: "If an update operation is unable to start
// execution within the maintenance window it is scheduled for, it is cancelled and rescheduled for the next
// available maintenance window"). What a person reads: the device history in `fleetward status --device`,
// the warn line in the log, and the device's version once the next window has run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { DateTime } from 'luxon';
import { Fixture, aGroup, aPhone, aRelease, anAlwaysWindow } from '../support/reconciler-fixture.ts';
import { runCli } from '../support/run-cli.ts';
import { startSimulatorServer } from '../../controller/drivers/simulator/server.ts';
import { GraphDriver } from '../../controller/drivers/graph/driver.ts';

const HOUR = 3_600_000;
const EVERY_DAY = '[Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday]';
/** 02:00–05:00 every night, in each device's own zone. */
const NIGHTLY = { 'window.yaml': anAlwaysWindow('nightly', EVERY_DAY, '02:00', '05:00'), 'group.yaml': aGroup('phones', 'nightly') };

function capture(): { logger: pino.Logger; lines: () => { level: number; msg: string; [k: string]: unknown }[] } {
  const raw: string[] = [];
  const logger = pino({ level: 'info', base: undefined }, new Writable({ write(chunk, _e, done) { raw.push(String(chunk)); done(); } }));
  return { logger, lines: () => raw.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

const local = (iso: string | undefined, zone: string) => (iso ? DateTime.fromISO(iso, { zone }).toFormat('HH:mm') : undefined);

test('an update the back end is slow to start does not start at 06:30 outside the 02:00–05:00 window: cancelled at 05:00 as WindowMissed, done the next night', async () => {
  const log = capture();
  const f = new Fixture({
    devices: [aPhone('p1')],
    releases: [aRelease('122.15.0.30'), aRelease('122.15.0.44')],
    behaviour: { queueDelay: '2h30m' },
    config: NIGHTLY,
    now: '2026-11-23T03:00:00Z', // 04:00 in Paris: the window is open, one hour left
    logger: log.logger,
  });
  try {
    assert.is((await f.reconciler.reconcile()).issued, 1);
    f.clock.set('2026-11-23T06:00:00Z'); // 07:00 in Paris
    await f.reconciler.reconcile();
    const [op] = f.driver.simulator.operations('p1');
    assert.is(op?.startedAt, undefined, `started at ${local(op?.startedAt, 'Europe/Paris')} local, outside the window`);
    assert.is(op?.startBy, '2026-11-23T04:00:00.000Z', 'issued with the end of its window as its start deadline');
    assert.is(op?.status, 'cancelled');
    assert.is(op?.error?.code, 'WindowMissed');
    assert.is(f.driver.simulator.device('p1')?.software.firmware, '122.15.0.30');

    // The log says so once, at warn level.
    const missed = log.lines().filter((l) => l.msg.startsWith('window missed'));
    assert.is(missed.length, 1);
    assert.is(missed[0]!.level, 40);
    assert.is(missed[0]!.msg, 'window missed: p1 firmware → 122.15.0.44 had not started when its maintenance window ended at 2026-11-23T04:00:00.000Z; the back end cancelled it and it is planned again for the next window');
    await f.reconciler.reconcile();
    assert.is(log.lines().filter((l) => l.msg.startsWith('window missed')).length, 1, 'logged once, not every pass');
    assert.match(await f.metrics.registry.getSingleMetricAsString('fleetward_operations_total'), /fleetward_operations_total\{component="firmware",result="window_missed"\} 1/);

    // The device history says so, and the plan waits for the next window.
    const status = await runCli(['status', '--state-dir', f.stateDir, '--device', 'p1']);
    assert.is(status.code, 0, status.stderr);
    assert.match(status.stdout, /firmware\s+122\.15\.0\.30\s+122\.15\.0\.44\s+Scheduled\s+WindowMissed\s+2026-11-24T01:00:00\.000Z/);
    const overview = await runCli(['status', '--state-dir', f.stateDir]);
    assert.match(overview.stdout, /phase Validation\s+1 devices?: 0 updated, 0 in progress, 0 waiting, 0 failed, 0 held, 1 window missed/);
    assert.match(status.stdout, /firmware\s+122\.15\.0\.30\s+122\.15\.0\.44\s+WindowMissed\s+fleetward\s+PhaseRollout; WindowMissed: the update had not started when its maintenance window ended at 2026-11-23T04:00:00\.000Z: cancelled, to be planned again for the next window/);

    // Next night: issued when the window opens, it starts at 04:30 local, inside it.
    f.clock.set('2026-11-24T01:00:00Z');
    assert.is((await f.reconciler.reconcile()).issued, 1);
    f.clock.set('2026-11-24T06:00:00Z');
    await f.reconciler.reconcile();
    const second = f.driver.simulator.operations('p1')[1]!;
    assert.is(second.status, 'successful');
    assert.is(local(second.startedAt, 'Europe/Paris'), '04:30');
    assert.is(f.driver.simulator.device('p1')?.software.firmware, '122.15.0.44');
  } finally {
    await f.close();
  }
});

test('where the back end cannot cancel (Graph), the late start is shown as an overrun and logged', async () => {
  const log = capture();
  // Graph gives no time zones and no catalog: a UTC phone, and the release committed.
  const release = ['30', '44'].map((v) => `apiVersion: fleetward.dev/v1alpha1
kind: SoftwareRelease
metadata: { name: fw-${v} }
spec: { component: firmware, version: "122.15.0.${v}", manufacturer: Yealink, models: [MP54], releasedAt: "2026-10-01T00:00:00Z", label: verified }
`).join('---\n');
  const f = new Fixture({
    devices: [aPhone('p1', { timeZone: 'UTC' })],
    releases: [aRelease('122.15.0.30'), aRelease('122.15.0.44')],
    behaviour: { queueDelay: '2h30m' },
    config: { ...NIGHTLY, 'release.yaml': release },
    now: '2026-11-23T04:00:00Z',
    logger: log.logger,
  });
  const tenant = f.driver.simulator;
  const server = await startSimulatorServer({ simulator: tenant, token: 't', strictGraph: true });
  try {
    f.start({ driver: () => new GraphDriver({ baseUrl: server.url, token: 't' }) });
    assert.is((await f.reconciler.reconcile()).issued, 1);
    f.clock.set('2026-11-23T08:00:00Z');
    await f.reconciler.reconcile();
    const [op] = tenant.operations('p1');
    assert.is(op?.startedAt, '2026-11-23T06:30:00.000Z', 'Graph starts it late: it has no deadline');
    const lines = log.lines().filter((l) => l.msg.startsWith('window missed'));
    assert.equal(lines.map((l) => [l.level, l.msg]), [[40, 'window missed: p1 firmware → 122.15.0.44 started at 2026-11-23T06:30:00.000Z, after its maintenance window ended at 2026-11-23T05:00:00.000Z; the graph back end cannot cancel late operations']]);
    const status = await runCli(['status', '--state-dir', f.stateDir, '--device', 'p1']);
    assert.match(status.stdout, /successful \(late\)\s+fleetward\s+PhaseRollout; WindowOverrun: started after its maintenance window ended at 2026-11-23T05:00:00\.000Z; the back end could not cancel it/);
  } finally {
    await server.close();
    await f.close();
  }
});

test('a version the back end refuses is recorded as a failed attempt, retried with backoff, then held: never re-sent every pass', async () => {
  const log = capture();
  // Committed, but the simulated vendor never released 122.15.0.50 for this model.
  const release = `apiVersion: fleetward.dev/v1alpha1
kind: SoftwareRelease
metadata: { name: fw-50 }
spec: { component: firmware, version: "122.15.0.50", manufacturer: Yealink, models: [MP54], releasedAt: "2026-10-01T00:00:00Z", label: verified }
`;
  const f = new Fixture({
    devices: [aPhone('p1')],
    releases: [aRelease('122.15.0.30')],
    config: { 'window.yaml': anAlwaysWindow(), 'group.yaml': aGroup('phones', 'always'), 'release.yaml': release },
    now: '2026-11-23T08:00:00Z',
    logger: log.logger,
  });
  try {
    let passes = 0;
    for (let t = Date.parse('2026-11-23T08:00:00Z'); t < Date.parse('2026-11-25T08:00:00Z'); t += 10 * 60_000, passes++) {
      f.clock.set(new Date(t).toISOString());
      const r = await f.reconciler.reconcile();
      assert.ok(r.ok, `pass ${passes}: ${r.reason}`);
    }
    const refused = log.lines().filter((l) => l.msg === 'operation refused by the back end');
    assert.is(refused.length, 3, `${passes} passes, three attempts (retry.maxAttempts), then held`);
    assert.is(refused[0]!.refusal, 'VersionNotReleased');
    assert.match(await f.metrics.registry.getSingleMetricAsString('fleetward_operations_total'), /fleetward_operations_total\{component="firmware",result="refused"\} 3/);
    assert.equal(f.driver.simulator.operations('p1'), [], 'the back end kept nothing');
    const status = await runCli(['status', '--state-dir', f.stateDir, '--device', 'p1']);
    assert.match(status.stdout, /firmware\s+122\.15\.0\.30\s+122\.15\.0\.50\s+Held\s+FailureHold/);
    assert.match(status.stdout, /122\.15\.0\.50\s+refused\s+fleetward\s+PhaseRollout; VersionNotReleased: firmware 122\.15\.0\.50 is not released for Yealink MP54; released versions: 122\.15\.0\.30/);
    const ready = f.store.readObjects()['DeviceGroup/phones'];
    assert.ok(ready, 'the group has a status');
  } finally {
    await f.close();
  }
});

test.run();
