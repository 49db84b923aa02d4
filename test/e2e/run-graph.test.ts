// `fleetward run --driver graph` against `fleetward simulator serve`: the loop over real HTTP (Graph-shaped
// teamwork/devices API), two processes. A second run while the first one's updates are in flight issues nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/run-cli.ts';
import { serveSimulator, type ServedSimulator } from '../support/simulator-serve.ts';
import { anAlwaysWindow } from '../support/reconciler-fixture.ts';
import { readState } from '../support/state.ts';

// Every device in the Validation phase with a window open 23 hours a day in its own zone: whatever the
// wall-clock time the test runs at (the graph driver's loop runs on real time), updates are due somewhere.
const GROUP = `apiVersion: fleetward.dev/v1alpha1
kind: DeviceGroup
metadata:
  name: everything
spec:
  selector:
    deviceTypes: [ipPhone, lowCostPhone, teamsRoom, collaborationBar, teamsPanel, teamsDisplay, touchConsole, surfaceHub, sip]
  updatePhase: Validation
  maintenanceWindow: always
`;

let root: string;
let server: ServedSimulator;
const TOKEN = 'graph-test-token';

test.before(async () => {
  root = mkdtempSync(join(tmpdir(), 'fw-run-graph-'));
  mkdirSync(join(root, 'config'));
  writeFileSync(join(root, 'config', 'window.yaml'), anAlwaysWindow());
  writeFileSync(join(root, 'config', 'group.yaml'), GROUP);
  server = await serveSimulator({ token: TOKEN, state: join(root, 'sim'), args: ['--failure-rate', '0', '--busy-rate', '0', '--offline-rate', '0'] });
});
test.after(async () => {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
});

const env = () => ({ FLEETWARD_GRAPH_URL: server.url, FLEETWARD_GRAPH_TOKEN: TOKEN });
const runOnce = () => runCli(['run', '--config', join(root, 'config'), '--driver', 'graph', '--state-dir', join(root, 'state'), '--once', '--max-ops-per-pass', '500', '--port', '-1', '--log-level', 'warn'], { env: env() });

async function historyIds(): Promise<string[]> {
  const { devices } = await readState(join(root, 'state'));
  return [...devices.values()].flatMap((d) => d.history.filter((h) => h.operationType === 'softwareUpdate').map((h) => h.operationId)).sort();
}
const readRun = async () => (await readState(join(root, 'state'))).run!;

test('run --driver graph issues the due updates over HTTP and records them', async () => {
  const r = await runOnce();
  assert.is(r.code, 0, r.stderr);
  const run = await readRun();
  assert.is(run.driver, 'graph');
  assert.ok(run.summary!.operationsIssued > 20, `updates were due (${run.summary!.operationsIssued})`);
  assert.is((await historyIds()).length, run.summary!.operationsIssued);
});

test('a second run while those updates are in flight issues nothing and keeps the history', async () => {
  const before = (await historyIds());
  const r = await runOnce();
  assert.is(r.code, 0, r.stderr);
  const run = await readRun();
  assert.is(run.summary!.operationsIssued, 0);
  assert.equal((await historyIds()), before);
});

test('a wrong token leaves the loop DriverUnavailable and issues nothing', async () => {
  const before = (await historyIds());
  const r = await runCli(['run', '--config', join(root, 'config'), '--driver', 'graph', '--state-dir', join(root, 'state'), '--once', '--port', '-1', '--log-level', 'warn'],
    { env: { ...env(), FLEETWARD_GRAPH_TOKEN: 'wrong' } });
  assert.is(r.code, 1);
  const run = await readRun();
  const ready = run.conditions.find((c: { type: string }) => c.type === 'Ready');
  assert.is(ready!.reason, 'DriverUnavailable');
  assert.not.match(JSON.stringify(run), /wrong/);
  assert.equal((await historyIds()), before);
});

test.run();
