// The simulator's state (versions, operations, history) survives a restart of the process, including a
// SIGKILL at any moment: an operation is on disk before startUpdate resolves (journal + fsync), and
// snapshots replace the journal atomically.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FleetDevice, FleetFile } from '../../controller/api/types.ts';
import { ManualClock } from '../../controller/util/clock.ts';
import { Simulator } from '../../controller/drivers/simulator/simulator.ts';
import { DriverError } from '../../controller/drivers/driver.ts';

const HOUR = 3_600_000;
const START = '2026-11-23T02:00:00Z';

function aPhone(id: string): FleetDevice {
  return { id, deviceType: 'ipPhone', manufacturer: 'Yealink', model: 'MP54', timeZone: 'Europe/Paris', software: { firmware: '122.15.0.36' } };
}
// The simulator only installs released versions (like a tenant): these are the ones the tests install.
const RELEASES: FleetFile['releases'] = [
  { component: 'firmware', version: '122.15.0.58', manufacturer: 'Yealink', releasedAt: '2026-10-01T00:00:00Z', label: 'verified' },
  { component: 'firmware', version: '122.15.0.60', manufacturer: 'Yealink', releasedAt: '2026-11-01T00:00:00Z', label: 'verified' },
  { component: 'teamsClient', version: '1449.1.0.9', releasedAt: '2026-10-15T00:00:00Z', label: 'verified' },
];
function aFleet(n: number, extra: FleetDevice[] = []): FleetFile {
  return { devices: [...Array.from({ length: n }, (_, i) => aPhone(`p${i}`)), ...extra], releases: RELEASES };
}
const QUIET = { failureRate: 0, offlineRate: 0, busyDuringMeetings: 0, rollbackRate: 0, installDuration: '30m', queueDelay: '1m' };

const opened: Simulator[] = [];
function open(dir: string, clock: ManualClock, fleet = aFleet(5), compactEvery?: number) {
  return track(new Simulator({ fleet, clock, seed: 3, stateDir: dir, behaviour: QUIET, ...(compactEvery ? { compactEvery } : {}) }));
}
function track(sim: Simulator): Simulator {
  opened.push(sim);
  return sim;
}

// ---- child modes: hold a state directory open; issue updates as fast as possible, printing each accepted one
if (process.env.FLEETWARD_SIM_HOLD) {
  open(process.env.FLEETWARD_SIM_HOLD, new ManualClock(START));
  process.stdout.write('holding\n');
  await new Promise(() => {});
}
if (process.env.FLEETWARD_SIM_CHILD) {
  const sim = open(process.env.FLEETWARD_SIM_CHILD, new ManualClock(START), aFleet(400), 25);
  for (let i = 0; i < 400; i++) {
    const r = await sim.startUpdate({ deviceId: `p${i}`, component: 'firmware', version: '122.15.0.58' });
    if (r.accepted) process.stdout.write(`${r.operation.id} p${i}\n`);
  }
  process.stdout.write('done\n');
  await new Promise(() => {}); // wait to be killed
}

const dirs: string[] = [];
function aStateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'fleetward-sim-'));
  dirs.push(d);
  return d;
}
test.after(async () => {
  // Simulators left open stand for crashed processes; close their files only once every test is done.
  for (const sim of opened) await sim.close().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('an accepted operation is on disk before startUpdate resolves: a new process sees it in flight', async () => {
  const dir = aStateDir();
  const clock = new ManualClock(START);
  const first = open(dir, clock);
  const r = await first.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58' });
  assert.ok(r.accepted);
  // No close(): as if the process had died here.
  const second = open(dir, clock);
  assert.equal(second.operations().map((o) => [o.id, o.status]), [[r.accepted ? r.operation.id : '', 'queued']]);
  const again = await second.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58' });
  assert.is(again.accepted, false, 'still one update in flight after the restart');
});

test('an operation accepted before a crash completes after the restart and the version moves', async () => {
  const dir = aStateDir();
  const clock = new ManualClock(START);
  await open(dir, clock).startUpdate({ deviceId: 'p2', component: 'firmware', version: '122.15.0.58' });
  clock.advance(2 * HOUR);
  const later = open(dir, clock);
  assert.is(later.device('p2')?.software.firmware, '122.15.0.58');
  assert.is(later.operations('p2')[0]?.status, 'successful');
  assert.is(later.operations('p2')[0]?.completedAt, '2026-11-23T02:31:00.000Z');
});

test('versions, history and forced states survive a clean restart', async () => {
  const dir = aStateDir();
  const clock = new ManualClock(START);
  const sim = open(dir, clock);
  await sim.startUpdate({ deviceId: 'p0', component: 'firmware', version: '122.15.0.58' });
  await sim.setOnline('p3', false);
  clock.advance(HOUR);
  await sim.runDiagnostics('p0');
  await sim.close();
  const again = open(dir, clock);
  assert.is(again.device('p0')?.software.firmware, '122.15.0.58');
  assert.equal(again.operations('p0').map((o) => o.operationType), ['softwareUpdate', 'deviceDiagnostics']);
  assert.is(again.device('p3')?.online, false);
  assert.is(again.simulatedUntil?.toISOString(), '2026-11-23T03:00:00.000Z');
});

test('a start deadline survives a crash: the operation queued then is still cancelled at its window end', async () => {
  const dir = aStateDir();
  const clock = new ManualClock(START);
  const sim = open(dir, clock);
  // p0 cannot start before its deadline (its device is offline); p1 starts in time.
  await sim.setOnline('p0', false);
  await sim.startUpdate({ deviceId: 'p0', component: 'firmware', version: '122.15.0.58', startBy: '2026-11-23T03:00:00.000Z' });
  await sim.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58', startBy: '2026-11-23T03:00:00.000Z' });
  // No close(): the process dies here. A new one replays the journal.
  const again = open(dir, clock);
  clock.advance(4 * HOUR);
  const [missed] = again.operations('p0');
  assert.is(missed?.status, 'cancelled');
  assert.is(missed?.error?.code, 'WindowMissed');
  assert.is(missed?.completedAt, '2026-11-23T03:00:00.000Z');
  assert.is(again.operations('p1')[0]?.status, 'successful');
});

test('snapshots replace the journal segments they cover and the state still loads', async () => {
  const dir = aStateDir();
  const clock = new ManualClock(START);
  const sim = open(dir, clock, aFleet(40), 10);
  await Promise.all(Array.from({ length: 40 }, (_, i) => sim.startUpdate({ deviceId: `p${i}`, component: 'firmware', version: '122.15.0.58' })));
  await sim.compact();
  const files = readdirSync(dir);
  assert.ok(files.includes('snapshot.json'));
  assert.ok(files.filter((f) => f.startsWith('journal-')).length <= 2, files.join(' '));
  const again = open(dir, clock, aFleet(40));
  assert.is(again.operations().length, 40);
  assert.is(new Set(again.operations().map((o) => o.id)).size, 40);
});

test('a crash between writing a snapshot and deleting the journal it covers replays nothing twice', async () => {
  const dir = aStateDir();
  const clock = new ManualClock(START);
  const sim = open(dir, clock);
  for (const id of ['p0', 'p1', 'p2']) await sim.startUpdate({ deviceId: id, component: 'firmware', version: '122.15.0.58' });
  const segment = readdirSync(dir).find((f) => f.startsWith('journal-'))!;
  const covered = readFileSync(join(dir, segment), 'utf8');
  await sim.compact();
  assert.not.ok(readdirSync(dir).includes(segment), 'the covered segment is gone after compaction');
  writeFileSync(join(dir, segment), covered); // as if the process died before deleting it
  const again = open(dir, clock);
  assert.equal(again.operations().map((o) => o.deviceId), ['p0', 'p1', 'p2']);
});

test('close() while a compaction is running still leaves the newest snapshot', async () => {
  const dir = aStateDir();
  const clock = new ManualClock(START);
  const sim = open(dir, clock, aFleet(60));
  const start = (i: number) => sim.startUpdate({ deviceId: `p${i}`, component: 'firmware', version: '122.15.0.58' });
  await Promise.all(Array.from({ length: 30 }, (_, i) => start(i)));
  const running = sim.compact(); // a snapshot of 30 operations is being written…
  const more = Array.from({ length: 30 }, (_, i) => start(30 + i)); // …while 30 more arrive
  await sim.close();
  await Promise.all([running, ...more]);
  const snapshot = JSON.parse(readFileSync(join(dir, 'snapshot.json'), 'utf8')) as { operations: unknown[] };
  assert.is(snapshot.operations.length, 60);
});

test('a torn last journal line (a crash mid-append) is ignored', async () => {
  const dir = aStateDir();
  const clock = new ManualClock(START);
  await open(dir, clock).startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58' });
  const journal = readdirSync(dir).find((f) => f.startsWith('journal-'))!;
  appendFileSync(join(dir, journal), '{"seq":99,"at":1,"type":"sta');
  const again = open(dir, clock);
  assert.is(again.operations().length, 1);
});

test('a corrupt line inside the journal is refused with its file and line, and nothing is rewritten', async () => {
  const dir = aStateDir();
  const clock = new ManualClock(START);
  await open(dir, clock).startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58' });
  const journal = join(dir, readdirSync(dir).find((f) => f.startsWith('journal-'))!);
  writeFileSync(journal, 'not json\n' + '{"seq":5,"at":0,"type":"online","deviceId":"p1","online":false}\n');
  assert.throws(() => open(dir, clock), new RegExp(`${journal.replace(/[.]/g, '\\.')}:1 is corrupt`));
  assert.ok(readdirSync(dir).includes(journal.split('/').pop()!), 'the journal is left for a person to look at');
});

test('a device added at run time survives a restart; metadata comes from the current fleet file', async () => {
  const dir = aStateDir();
  const clock = new ManualClock(START);
  const sim = open(dir, clock, aFleet(2));
  await sim.addDevice({ ...aPhone('new-1'), software: { firmware: '1.0' } });
  await sim.close();
  const renamed = aFleet(2);
  renamed.devices[0]!.displayName = 'Lobby';
  const again = open(dir, clock, renamed);
  assert.equal(again.inventory().map((d) => d.id).sort(), ['new-1', 'p0', 'p1']);
  assert.is(again.device('p0')?.displayName, 'Lobby');
});

test('a history with crashes and restarts in the middle is the history without them', async () => {
  const behaviour = { failureRate: 0.3, offlineRate: 0.3, rollbackRate: 0.3, busyDuringMeetings: 0.5, installDuration: { min: '20m', max: '3h' } };
  type Step = (sim: Simulator, clock: ManualClock) => Promise<unknown> | void;
  const steps: Step[] = [
    async (sim) => { for (let i = 0; i < 20; i++) await sim.startUpdate({ deviceId: `p${i}`, component: 'firmware', version: '122.15.0.58' }); },
    (_sim, clock) => clock.advance(10 * 60_000),
    (sim) => sim.setOnline('p3', false),
    (_sim, clock) => clock.advance(2 * HOUR),
    async (sim) => { for (let i = 0; i < 20; i++) await sim.startUpdate({ deviceId: `p${i}`, component: 'teamsClient', version: '1449.1.0.9' }); },
    (sim) => sim.runDiagnostics('p4'),
    (_sim, clock) => clock.advance(5 * HOUR),
    (sim) => sim.setOnline('p3', undefined),
    (sim) => sim.setActivity('p5', 'busy'),
    async (sim) => { for (let i = 0; i < 20; i++) await sim.startUpdate({ deviceId: `p${i}`, component: 'firmware', version: '122.15.0.60' }); },
    (_sim, clock) => clock.advance(3 * 24 * HOUR),
  ];
  // logsUrl differs by design (a file in the state directory, or simulator:logs/ without one).
  const outcome = (sim: Simulator) => JSON.stringify({ ops: sim.operations(), devices: sim.inventory(), interruptions: sim.interruptions() }, (k, v) => (k === 'logsUrl' ? undefined : v));

  const straightClock = new ManualClock(START);
  const straight = new Simulator({ fleet: aFleet(20), clock: straightClock, seed: 8, behaviour });
  for (const step of steps) await step(straight, straightClock);

  const dir = aStateDir();
  const clock = new ManualClock(START);
  const reopen = () => track(new Simulator({ fleet: aFleet(20), clock, seed: 8, behaviour, stateDir: dir, compactEvery: 7 }));
  let sim = reopen();
  for (const step of steps) {
    await step(sim, clock);
    sim = reopen(); // the previous process "died" without closing
  }
  assert.is(outcome(sim), outcome(straight));
  assert.ok(straight.operations().some((o) => o.status === 'failed') && straight.operations().some((o) => o.status === 'successful'), 'the scenario has both outcomes');
});

test('an operation that could not be written is refused as Unavailable and does not run', async () => {
  const dir = aStateDir();
  const clock = new ManualClock(START);
  const sim = open(dir, clock);
  mkdirSync(join(dir, 'journal-1.jsonl')); // where the next append would go: the write fails
  const err = await sim.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58' }).catch((e: unknown) => e);
  assert.instance(err, DriverError);
  assert.is((err as DriverError).code, 'Unavailable');
  assert.match((err as Error).message, /could not record/);
  clock.advance(2 * HOUR);
  assert.equal(sim.operations(), []);
  assert.is(sim.device('p1')?.software.firmware, '122.15.0.36');
  rmSync(join(dir, 'journal-1.jsonl'), { recursive: true });
  const retried = await sim.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58' });
  assert.ok(retried.accepted, 'once the disk is back, the start is accepted');
});

test('with a state directory, a finished diagnostics run leaves its logs in a file its logsUrl names', async () => {
  const dir = aStateDir();
  const clock = new ManualClock(START);
  const sim = open(dir, clock);
  const op = await sim.runDiagnostics('p2');
  assert.is(op.logsUrl, pathToFileURL(join(dir, 'logs', `${op.id}.log`)).href);
  clock.advance(HOUR);
  assert.is(sim.operation('p2', op.id)?.status, 'successful');
  assert.match(readFileSync(fileURLToPath(op.logsUrl!), 'utf8'), /diagnostics .* requested for p2/);
});

test('a state directory another live process holds is refused; once that process is killed it is taken over', async () => {
  const dir = aStateDir();
  const child = spawn(process.execPath, [import.meta.filename], { env: { ...process.env, FLEETWARD_SIM_HOLD: dir }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.setEncoding('utf8').on('data', (d: string) => d.includes('holding') && resolve()));
  assert.throws(() => open(dir, new ManualClock(START)), new RegExp(`in use by process ${child.pid}`));
  await new Promise((resolve) => {
    child.on('close', resolve);
    child.kill('SIGKILL');
  });
  const sim = open(dir, new ManualClock(START));
  assert.ok((await sim.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58' })).accepted);
});

test('SIGKILL at any moment of a burst of updates loses no accepted operation and duplicates none', async () => {
  for (const killAfter of [1, 37, 160]) {
    const dir = aStateDir();
    const accepted = await new Promise<Map<string, string>>((resolve, reject) => {
      const child = spawn(process.execPath, [import.meta.filename], { env: { ...process.env, FLEETWARD_SIM_CHILD: dir }, stdio: ['ignore', 'pipe', 'inherit'] });
      const seen = new Map<string, string>();
      let buf = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        buf += chunk;
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const line of lines) {
          const [id, device] = line.split(' ');
          if (device) seen.set(id!, device);
          if (seen.size >= killAfter || line === 'done') child.kill('SIGKILL');
        }
      });
      child.on('error', reject);
      child.on('close', () => resolve(seen));
    });
    const sim = open(dir, new ManualClock(START), aFleet(400));
    const ops = sim.operations();
    for (const [id, device] of accepted) assert.ok(ops.some((o) => o.id === id && o.deviceId === device), `operation ${id} on ${device} was lost (kill after ${killAfter})`);
    const perDevice = new Map<string, number>();
    for (const o of ops) perDevice.set(o.deviceId, (perDevice.get(o.deviceId) ?? 0) + 1);
    assert.ok([...perDevice.values()].every((n) => n === 1), 'no device has two operations');
  }
});

test.run();
