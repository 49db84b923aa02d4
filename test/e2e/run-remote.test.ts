// `fleetward run --driver remote --driver-url …` against the example Python driver: the reconcile loop keeps a
// fleet served by an out-of-process driver written in another language up to date, over real HTTP.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFORMANCE_FLEET } from '../../controller/drivers/conformance/scenario.ts';
import { runCli } from '../support/run-cli.ts';
import { aGroup, anAlwaysWindow } from '../support/reconciler-fixture.ts';
import { readState } from '../support/state.ts';
import { startPythonDriver, type PythonDriver } from '../support/python-driver.ts';

// Every device in the Validation phase (no deferral) with a window open all day but a minute in its own zone;
// the run's clock starts at a pinned instant (--start), the driver's too, so nothing depends on today's date.
const GROUP = aGroup('everything', 'always', 'Validation', ['ipPhone', 'teamsRoom']);

// One time for the run and the driver's sandbox: the driver's clock starts at START and moves only when told.
const START = '2026-11-25T10:00:00Z';
const LATER = '2026-11-25T12:00:00Z';
let root: string;
let python: PythonDriver;

test.before(async () => {
  root = mkdtempSync(join(tmpdir(), 'fw-run-remote-'));
  mkdirSync(join(root, 'config'));
  writeFileSync(join(root, 'config', 'window.yaml'), anAlwaysWindow('always', undefined, '00:00', '23:59'));
  writeFileSync(join(root, 'config', 'group.yaml'), GROUP);
  python = await startPythonDriver();
  // The conformance fleet, with the versions the phones run in the catalog too (a device on a version the
  // catalog does not know gets no automatic update).
  const fleet = structuredClone(CONFORMANCE_FLEET);
  fleet.releases.push(
    { component: 'firmware', version: '122.15.0.36', manufacturer: 'Yealink', models: ['MP54'], releasedAt: '2026-05-01T00:00:00Z', label: 'verified' },
    { component: 'teamsClient', version: '1449.1.0.7', releasedAt: '2026-05-01T00:00:00Z', label: 'verified' },
  );
  await python.scenario({ fleet, failing: ['phone-broken'], queueMs: 60_000, now: START });
});
test.after(async () => {
  await python?.stop();
  rmSync(root, { recursive: true, force: true });
});

const runOnce = (start = START) => runCli(['run', '--config', join(root, 'config'), '--driver', 'remote', '--driver-url', python.url,
  '--driver-token-file', python.tokenFile, '--state-dir', join(root, 'state'), '--once', '--port', '-1', '--log-level', 'warn', '--start', start]);

async function driverOperations(): Promise<{ id: string; deviceId: string; status: string; toVersion?: string }[]> {
  const res = await fetch(`${python.url}/v1/operations?pageSize=1000`, { headers: { authorization: `Bearer ${python.token}` } });
  return (await res.json() as { operations: { id: string; deviceId: string; status: string }[] }).operations;
}

test('run --driver remote issues the due updates through the Python driver and records them', async () => {
  const r = await runOnce();
  assert.is(r.code, 0, r.stderr);
  const { run, devices } = await readState(join(root, 'state'));
  assert.is(run!.driver, 'remote');
  const issued = run!.summary!.operationsIssued;
  assert.is(issued, 3, 'one update for each phone (one at a time per device)');
  const ops = await driverOperations();
  assert.is(ops.length, issued, 'every update the run recorded is one the driver holds');
  const recorded = [...devices.values()].flatMap((d) => d.history.filter((h) => h.operationType === 'softwareUpdate').map((h) => h.operationId)).sort();
  assert.equal(recorded, ops.map((o) => o.id).sort());
});

test('once the driver\'s time has moved on, the next run sees the new versions and the failed update', async () => {
  const before = await driverOperations();
  await python.advance(2 * 3_600_000);
  const r = await runOnce(LATER);
  assert.is(r.code, 0, r.stderr);
  const after = new Map((await driverOperations()).map((o) => [o.id, o]));
  const { devices } = await readState(join(root, 'state'));
  for (const op of before) {
    const expected = op.deviceId === 'phone-broken' ? 'failed' : 'successful';
    assert.is(after.get(op.id)!.status, expected, `${op.deviceId} ${op.toVersion}`);
    const entry = devices.get(op.deviceId)!.history.find((h) => h.operationId === op.id)!;
    assert.is(entry.status, expected, `the history of ${op.deviceId} says ${expected}`);
  }
});

test('a wrong driver token leaves the loop DriverUnavailable, issues nothing, and never shows the token', async () => {
  const wrong = join(root, 'wrong-token');
  writeFileSync(wrong, 'wrong-remote-token-0f0f0f\n');
  const before = (await driverOperations()).length;
  const r = await runCli(['run', '--config', join(root, 'config'), '--driver', 'remote', '--driver-url', python.url, '--driver-token-file', wrong,
    '--state-dir', join(root, 'state'), '--once', '--port', '-1', '--log-level', 'warn', '--start', LATER]);
  assert.is(r.code, 1);
  const { run } = await readState(join(root, 'state'));
  assert.is(run!.conditions.find((c) => c.type === 'Ready')!.reason, 'DriverUnavailable');
  assert.not.match(JSON.stringify(run) + r.stderr, /0f0f0f/);
  assert.is((await driverOperations()).length, before);
});

test('run --driver remote without a URL or with an unreadable token file is refused before anything is written', async () => {
  const state = join(root, 'refused');
  const noUrl = await runCli(['run', '--config', join(root, 'config'), '--driver', 'remote', '--state-dir', state, '--once', '--port', '-1'], { env: { FLEETWARD_DRIVER_URL: '' } });
  assert.is(noUrl.code, 2);
  assert.is(noUrl.stderr.trim(), 'fleetward: the remote driver needs --driver-url URL (or FLEETWARD_DRIVER_URL)');
  const missing = join(root, 'no-such-token');
  const noToken = await runCli(['run', '--config', join(root, 'config'), '--driver', 'remote', '--driver-url', python.url, '--driver-token-file', missing, '--state-dir', state, '--once', '--port', '-1']);
  assert.is(noToken.code, 2);
  assert.is(noToken.stderr.trim(), `fleetward: cannot read --driver-token-file ${missing}: ENOENT`);
  const { existsSync } = await import('node:fs');
  assert.not.ok(existsSync(state), 'no state directory written');
});

test.run();
