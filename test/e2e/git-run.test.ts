// The reconcile loop following a real git repository (git http-backend on loopback, commits pushed with
// the git CLI) and woken by signed webhooks on its own HTTP server. The clock is a ManualClock that never
// moves by itself, so every pass here was caused by the webhook (or the start), never by a timer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatorDriver } from '../../controller/drivers/simulator/driver.ts';
import { plan } from '../../controller/planner/index.ts';
import { silentLogger } from '../../controller/reconciler/log.ts';
import { ReconcileLoop } from '../../controller/reconciler/loop.ts';
import { InvalidRevision, ReconciliationSucceeded } from '../../controller/reconciler/reasons.ts';
import { Reconciler, type PassResult } from '../../controller/reconciler/reconciler.ts';
import { Metrics } from '../../controller/server/metrics.ts';
import { startServer, type RunningServer } from '../../controller/server/server.ts';
import { signBody } from '../../controller/server/webhook.ts';
import { GitSource } from '../../controller/sources/git.ts';
import { getCondition } from '../../controller/status/conditions.ts';
import { JsonDirStore } from '../../controller/store/json-dir.ts';
import type { StateStore } from '../../controller/store/store.ts';
import { ManualClock } from '../../controller/util/clock.ts';
import { createRepo, startGitServer, type ConfigRepo, type GitServer } from '../support/git-server.ts';
import { aGroup, anAlwaysWindow, aPhone, aRelease } from '../support/reconciler-fixture.ts';

const SECRET = 'webhook-shared-secret';
const TOKEN = 'repo-read-token';
const MONDAY_NOON = '2026-11-23T12:00:00Z';

let gitServer: GitServer;
let repo: ConfigRepo;
let root: string;
let clock: ManualClock;
let driver: SimulatorDriver;
let store: StateStore;
let loop: ReconcileLoop;
let server: RunningServer;
let reconciler: Reconciler;
const passes: PassResult[] = [];
let waiters: ((r: PassResult) => void)[] = [];

function nextPass(): Promise<PassResult> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no pass within 20 s')), 20_000);
    waiters.push((r) => { clearTimeout(timer); resolve(r); });
  });
}

async function hook(body: string, signature?: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${server.port}/hooks/git`, {
    method: 'POST', body, headers: { 'content-type': 'application/json', ...(signature !== undefined ? { 'x-hub-signature-256': signature } : {}) },
  });
  await res.text();
  return res.status;
}

const updates = () => driver.simulator.operations().filter((o) => o.operationType === 'softwareUpdate');
const fetches = () => gitServer.requests.filter((r) => r.path.endsWith('/git-upload-pack')).length;

test.before(async () => {
  gitServer = await startGitServer({ token: TOKEN });
  repo = createRepo(gitServer, 'fleet-config', { token: TOKEN });
  // At first the phones update only at weekends: on a Monday nothing is due.
  await repo.commit({
    'fleet/windows/weekend.yaml': anAlwaysWindow('weekend', '[Saturday, Sunday]'),
    'fleet/windows/always.yaml': anAlwaysWindow('always'),
    'fleet/groups/phones.yaml': aGroup('phones', 'weekend'),
  }, 'phones update at weekends');
  root = mkdtempSync(join(tmpdir(), 'fw-git-run-'));
  clock = new ManualClock(MONDAY_NOON);
  driver = new SimulatorDriver({
    fleet: { devices: [aPhone('p1'), aPhone('p2'), aPhone('p3')], releases: [aRelease('122.15.0.30', { releasedAt: '2026-06-01T00:00:00Z' }), aRelease('122.15.0.44')] },
    clock, seed: 1, behaviour: { failureRate: 0, offlineRate: 0, busyDuringMeetings: 0, rollbackRate: 0 },
  });
  store = new JsonDirStore(join(root, 'state'));
  const source = new GitSource({ url: repo.url, path: 'fleet', workDir: join(root, 'state', 'git'), token: TOKEN, fetchIntervalMs: 0, minFetchIntervalMs: 0 });
  const metrics = new Metrics();
  reconciler = new Reconciler({ source, driver, store, clock, plan, logger: silentLogger, metrics });
  loop = new ReconcileLoop(reconciler, {
    clock, intervalMs: 3_600_000, minPauseMs: 0,
    afterPass: (r) => { passes.push(r); const w = waiters; waiters = []; for (const f of w) f(r); },
  });
  server = await startServer(0, '127.0.0.1', { metrics, logger: silentLogger, ready: () => reconciler.ready, onGitHook: () => source.refresh(), webhookSecret: SECRET });
  source.watch(loop.kick);
});

test.after(async () => {
  await loop.stop().catch(() => {});
  await server.close();
  await driver.close();
  await gitServer.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(repo.work, { recursive: true, force: true });
});

test('/readyz says not ready before the first pass, /healthz answers at once', async () => {
  assert.is((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status, 200);
  assert.is((await fetch(`http://127.0.0.1:${server.port}/readyz`)).status, 503);
});

test('the first pass applies the commit at the head of the branch and issues nothing outside the window', async () => {
  const first = nextPass();
  void loop.start();
  const r = await first;
  assert.is(r.revision, repo.head());
  assert.is(r.reason, ReconciliationSucceeded);
  assert.is(updates().length, 0);
  assert.is(store.readRun()!.lastAppliedRevision, repo.head());
  assert.is((await fetch(`http://127.0.0.1:${server.port}/readyz`)).status, 200);
});

test('a webhook with a bad or missing signature is refused and triggers no fetch and no pass', async () => {
  const sha = await repo.commit({ 'fleet/groups/phones.yaml': aGroup('phones', 'always') }, 'phones may update any day');
  const before = { passes: passes.length, fetches: fetches() };
  const body = JSON.stringify({ ref: 'refs/heads/main', after: sha });
  assert.is(await hook(body), 401);
  assert.is(await hook(body, signBody('not-the-secret', body)), 401);
  assert.is(await hook(body, signBody(SECRET, body + ' ')), 401, 'a signature over another body');
  assert.is(await hook(body, 'sha256=' + '0'.repeat(64)), 401);
  await new Promise((r) => setTimeout(r, 300));
  assert.is(passes.length, before.passes, 'no pass');
  assert.is(fetches(), before.fetches, 'no fetch from the git server');
  assert.is(store.readRun()!.lastAppliedRevision === sha, false);
  assert.is(updates().length, 0);
  const metrics = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
  assert.match(metrics, /fleetward_webhooks_total\{result="bad_signature"\} 4/);
});

test('a signed webhook after a commit that moves the group to another window changes what is issued', async () => {
  const sha = repo.head();
  const body = JSON.stringify({ ref: 'refs/heads/main', after: sha });
  const pass = nextPass();
  assert.is(await hook(body, signBody(SECRET, body)), 202);
  let r = await pass;
  while (r.revision !== sha) r = await nextPass();
  assert.is(r.issued, 3);
  assert.equal(updates().map((o) => `${o.deviceId} ${o.toVersion}`).sort(), ['p1 122.15.0.44', 'p2 122.15.0.44', 'p3 122.15.0.44']);
  assert.is(store.readRun()!.lastAppliedRevision, sha);
  assert.is(store.readDevice('p1')!.history[0]!.revision, sha, 'the history names the revision that caused it');
});

test('a bad commit is rejected with its SHA and the file and line; the previous revision stays in force', async () => {
  const good = repo.head();
  const bad = await repo.commit({ 'fleet/windows/always.yaml': anAlwaysWindow('always', '[Monday]', '01:00', '02:00') }, 'a window too short');
  const body = JSON.stringify({ after: bad });
  const pass = nextPass();
  assert.is(await hook(body, signBody(SECRET, body)), 202);
  let r = await pass;
  while (r.reason !== InvalidRevision) r = await nextPass();
  assert.is(r.revision, good);
  const run = store.readRun()!;
  assert.is(run.lastAppliedRevision, good);
  assert.is(run.lastAttemptedRevision, bad);
  const ready = getCondition(run.conditions, 'Ready')!;
  assert.is(ready.status, 'False');
  assert.is(ready.reason, InvalidRevision);
  assert.ok(ready.message.includes(bad), ready.message);
  assert.match(ready.message, /windows\/always\.yaml:\d+/);
  assert.ok(ready.message.includes(`${good} stays in force`), ready.message);
  assert.is(store.readObjects()['DeviceGroup/phones']!.lastAppliedRevision, good);
  assert.is(updates().length, 3, 'nothing issued from the bad commit');
});

test('reverting the bad commit applies again', async () => {
  const fixed = await repo.commit({ 'fleet/windows/always.yaml': anAlwaysWindow('always') }, 'revert the window');
  const body = JSON.stringify({ after: fixed });
  const pass = nextPass();
  assert.is(await hook(body, signBody(SECRET, body)), 202);
  let r = await pass;
  while (r.revision !== fixed) r = await nextPass();
  assert.is(r.reason, ReconciliationSucceeded);
  assert.is(getCondition(store.readRun()!.conditions, 'Ready')!.status, 'True');
});

test.run();
