// The webhook under hostile traffic, against a real git server (git http-backend on loopback) and the loop's
// own HTTP server: a signed delivery replayed many times, a burst of distinct signed deliveries, and a flood
// of unsigned ones. What a user notices is counted: fetches the git server served, log lines written, the
// metric's figures. The loop's clock and the fetch rate limit's clock are ManualClocks, so nothing here
// depends on how fast the machine is.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { SimulatorDriver } from '../../controller/drivers/simulator/driver.ts';
import { plan } from '../../controller/planner/index.ts';
import { silentLogger } from '../../controller/reconciler/log.ts';
import { ReconcileLoop } from '../../controller/reconciler/loop.ts';
import { Reconciler, type PassResult } from '../../controller/reconciler/reconciler.ts';
import { Metrics } from '../../controller/server/metrics.ts';
import { startServer, type RunningServer } from '../../controller/server/server.ts';
import { signBody } from '../../controller/server/webhook.ts';
import { GitSource } from '../../controller/sources/git.ts';
import { JsonDirStore } from '../../controller/store/json-dir.ts';
import { ManualClock } from '../../controller/util/clock.ts';
import { createRepo, startGitServer, type ConfigRepo, type GitServer } from '../support/git-server.ts';
import { aGroup, anAlwaysWindow, aPhone, aRelease } from '../support/reconciler-fixture.ts';

const SECRET = 'storm-webhook-secret';
const NOW = '2026-11-23T12:00:00Z';

let gitServer: GitServer;
let repo: ConfigRepo;
let root: string;
let clock: ManualClock;
let fetchClock: ManualClock;
let driver: SimulatorDriver;
let loop: ReconcileLoop;
let server: RunningServer;
let source: GitSource;
const logLines: { level: number; msg: string }[] = [];
const passes: PassResult[] = [];

/** Fetches (and the clone) the git server served: each starts with one `info/refs?service=git-upload-pack`. */
const fetches = () => gitServer.requests.filter((r) => r.path.endsWith('/info/refs') && r.query.includes('git-upload-pack')).length;
const settle = (ms = 400) => new Promise((r) => setTimeout(r, ms));

async function hook(body: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${server.port}/hooks/git`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  await res.text();
  return res.status;
}

async function metric(result: string, name = 'fleetward_webhooks_total', label = 'result'): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
  const m = new RegExp(`^${name}\\{${label}="${result}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}
const triggers = (outcome: string) => metric(outcome, 'fleetward_git_fetch_triggers_total', 'outcome');

test.before(async () => {
  gitServer = await startGitServer();
  repo = createRepo(gitServer, 'storm-config');
  await repo.commit({ 'windows/always.yaml': anAlwaysWindow('always'), 'groups/phones.yaml': aGroup('phones', 'always') });
  root = mkdtempSync(join(tmpdir(), 'fw-webhook-storm-'));
  clock = new ManualClock(NOW);
  fetchClock = new ManualClock(NOW);
  driver = new SimulatorDriver({
    fleet: { devices: [aPhone('p1')], releases: [aRelease('122.15.0.30')] },
    clock, seed: 1, behaviour: { failureRate: 0, offlineRate: 0, busyDuringMeetings: 0, rollbackRate: 0 },
  });
  const metrics = new Metrics();
  source = new GitSource({
    url: repo.url, workDir: join(root, 'state', 'git'), fetchIntervalMs: 0, minFetchIntervalMs: 30_000, clock: fetchClock,
    onTrigger: (outcome) => metrics.gitFetchTriggers.inc({ outcome }),
  });
  const logs = new Writable({ write(chunk, _enc, done) { for (const l of String(chunk).split('\n')) if (l) logLines.push(JSON.parse(l)); done(); } });
  const logger = pino({ level: 'info' }, logs);
  const reconciler = new Reconciler({ source, driver, store: new JsonDirStore(join(root, 'state')), clock, plan, logger: silentLogger, metrics });
  loop = new ReconcileLoop(reconciler, { clock, intervalMs: 3_600_000, minPauseMs: 0, afterPass: (r) => { passes.push(r); } });
  server = await startServer(0, '127.0.0.1', { metrics, logger, ready: () => reconciler.ready, onGitHook: () => source.refresh(), webhookSecret: SECRET, clock: fetchClock });
  source.watch(loop.kick);
  void loop.start();
  while (!passes.length) await settle(50);
});

test.after(async () => {
  await loop.stop().catch(() => {});
  await server.close();
  await source.close();
  await driver.close();
  await gitServer.close();
  rmSync(root, { recursive: true, force: true });
});

test('one signed delivery replayed 50 times causes one fetch; the replays answer 200 and are counted as duplicates', async () => {
  fetchClock.advance(60_000); // the clone at start is long past: a fetch is allowed now
  const before = fetches();
  const body = JSON.stringify({ ref: 'refs/heads/main', after: repo.head() });
  const headers = { 'x-hub-signature-256': signBody(SECRET, body), 'x-github-delivery': 'a3f1c2d0-0000-4000-8000-000000000001' };
  assert.is(await hook(body, headers), 202, 'the first delivery is accepted');
  const statuses = [];
  for (let i = 0; i < 49; i++) statuses.push(await hook(body, headers));
  assert.equal([...new Set(statuses)], [200], 'every replay answers 200 (already handled), so the sender does not retry');
  await settle();
  assert.is(fetches() - before, 1, 'one fetch from the git server');
  assert.is(await metric('accepted'), 1);
  assert.is(await metric('duplicate'), 49);
});

test('a replay with a forged delivery id is still a duplicate: the signed body is what counts', async () => {
  fetchClock.advance(60_000);
  const before = fetches();
  const body = JSON.stringify({ ref: 'refs/heads/main', after: repo.head(), n: 2 });
  const sig = signBody(SECRET, body);
  assert.is(await hook(body, { 'x-hub-signature-256': sig, 'x-gitea-delivery': 'first' }), 202);
  for (let i = 0; i < 10; i++) assert.is(await hook(body, { 'x-hub-signature-256': sig, 'x-gitea-delivery': `forged-${i}` }), 200);
  await settle();
  assert.is(fetches() - before, 1);
});

test('50 distinct signed pushes in a burst: one fetch now, one more when the rate limit allows, and that one sees the last commit', async () => {
  fetchClock.advance(60_000);
  const before = fetches();
  const t0 = { fetch: await triggers('fetch'), absorbed: await triggers('absorbed'), deferred: await triggers('deferred') };
  let last = '';
  for (let i = 0; i < 50; i++) {
    if (i % 10 === 0) last = await repo.commit({ [`notes/${i}.txt`]: `push ${i}\n` }, `push ${i}`);
    const body = JSON.stringify({ ref: 'refs/heads/main', after: last, i });
    assert.is(await hook(body, { 'x-hub-signature-256': signBody(SECRET, body), 'x-gitlab-event-uuid': `uuid-${i}` }), 202);
  }
  await settle();
  assert.is(fetches() - before, 1, 'the burst was coalesced: one fetch, the rest wait for the rate limit');
  // Whether a trigger found the fetch running (absorbed) or just finished (deferred, once) depends on timing;
  // the sums do not.
  const t = { fetch: await triggers('fetch') - t0.fetch, deferred: await triggers('deferred') - t0.deferred, absorbed: await triggers('absorbed') - t0.absorbed };
  assert.is(t.fetch, 1, 'the metric counts one trigger that fetched');
  assert.ok(t.deferred <= 1, `at most one deferral at a time (${t.deferred})`);
  assert.is(t.deferred + t.absorbed, 49, 'and the other 49 as deferred or absorbed');
  const passesBefore = passes.length;
  fetchClock.advance(30_000);
  for (let i = 0; i < 50 && passes.length === passesBefore; i++) await settle(50);
  await settle();
  assert.is(fetches() - before, 2, 'one more fetch once 30 s have passed, however many deliveries came');
  assert.is(passes.at(-1)!.revision, last, 'nothing was lost: the deferred fetch applied the last commit');
});

test('1000 unsigned deliveries: each answers 401 and is counted, and the log gets one line now and one summary a minute later', async () => {
  const linesBefore = logLines.length;
  const before = fetches();
  for (let i = 0; i < 1000; i++) assert.is(await hook('{}', i % 2 ? { 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) } : {}), 401);
  await settle();
  assert.is(await metric('bad_signature'), 1000);
  assert.is(fetches(), before, 'no fetch');
  const refusals = () => logLines.slice(linesBefore).filter((l) => /webhook/.test(l.msg));
  assert.is(refusals().length, 1, 'one line for the first refusal');
  assert.match(refusals()[0]!.msg, /bad or missing X-Hub-Signature-256/);
  fetchClock.advance(60_000);
  await settle(100);
  assert.is(refusals().length, 2, 'one summary line after the minute');
  assert.match(refusals()[1]!.msg, /999 more deliveries refused in the last 60 s \(bad_signature 999\)/);
  fetchClock.advance(600_000);
  await settle(100);
  assert.is(refusals().length, 2, 'no line when nothing was refused');
});

test.run();
