// The git source against a real git server (git http-backend on loopback), commits pushed with the git CLI.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitSource } from '../../controller/sources/git.ts';
import { ManualClock } from '../../controller/util/clock.ts';
import { createRepo, git, gitAsync, startGitServer, type GitServer } from '../support/git-server.ts';
import { aGroup, anAlwaysWindow } from '../support/reconciler-fixture.ts';

const TOKEN = 's3cret-git-token';

/** A Sunday window (the fixture's window builder, other hours). */
const windowYaml = (name: string, start: string, end: string) => anAlwaysWindow(name, '[Sunday]', start, end);

let server: GitServer;
const dirs: string[] = [];
const workDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'fw-git-src-'));
  dirs.push(d);
  return join(d, 'clone');
};

test.before(async () => {
  server = await startGitServer({ token: TOKEN });
});
test.after(async () => {
  await server.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('the revision is the commit SHA and holds the objects under --path only', async () => {
  const repo = createRepo(server, 'paths', { token: TOKEN });
  const sha = await repo.commit({
    'fleet/windows.yaml': windowYaml('sunday', '01:00', '04:00'),
    'fleet/groups.yaml': aGroup('phones', 'sunday'),
    'other/ignored.yaml': 'this: is not a fleetward object\n',
    'README.md': '# not config\n',
  });
  const src = new GitSource({ url: repo.url, path: 'fleet', workDir: workDir(), token: TOKEN, fetchIntervalMs: 0 });
  const res = await src.load();
  assert.ok(res.ok, JSON.stringify(res));
  if (!res.ok) return;
  assert.is(res.revision.id, sha);
  assert.equal(res.revision.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), ['DeviceGroup/phones', 'MaintenanceWindow/sunday']);
  await src.close();
});

test('a pushed commit is seen after a refresh, not before', async () => {
  const repo = createRepo(server, 'follow', { token: TOKEN });
  const first = await repo.commit({ 'w.yaml': windowYaml('sunday', '01:00', '04:00') });
  const src = new GitSource({ url: repo.url, workDir: workDir(), token: TOKEN, fetchIntervalMs: 0, minFetchIntervalMs: 0 });
  const a = await src.load();
  assert.ok(a.ok && a.revision.id === first);
  const second = await repo.commit({ 'w.yaml': windowYaml('sunday', '02:00', '05:00') });
  const b = await src.load();
  assert.ok(b.ok && b.revision.id === first, 'no fetch without a refresh');
  let kicked = 0;
  src.watch(() => kicked++);
  src.refresh();
  assert.is(kicked, 1);
  const c = await src.load();
  assert.ok(c.ok && c.revision.id === second);
  await src.close();
});

test('a force-push that rewinds the branch is followed: the revision is whatever the branch points at', async () => {
  const repo = createRepo(server, 'rewind', { token: TOKEN });
  const first = await repo.commit({ 'w.yaml': windowYaml('sunday', '01:00', '04:00') });
  const src = new GitSource({ url: repo.url, workDir: workDir(), token: TOKEN, fetchIntervalMs: 0, minFetchIntervalMs: 0 });
  await repo.commit({ 'w.yaml': windowYaml('sunday', '02:00', '05:00') });
  src.refresh();
  const ahead = await src.load();
  assert.ok(ahead.ok && ahead.revision.id !== first);
  git(repo.work, 'reset', '-q', '--hard', first);
  await gitAsync(repo.work, 'push', '-q', '--force', 'origin', 'HEAD:main');
  src.refresh();
  const back = await src.load();
  assert.ok(back.ok && back.revision.id === first, JSON.stringify(back.ok ? back.revision.id : back));
  await src.close();
});

test('an invalid commit is reported with its SHA and the file and line of each error', async () => {
  const repo = createRepo(server, 'invalid', { token: TOKEN });
  const bad = await repo.commit({ 'w.yaml': windowYaml('short', '01:00', '02:00') });
  const src = new GitSource({ url: repo.url, workDir: workDir(), token: TOKEN, fetchIntervalMs: 0 });
  const res = await src.load();
  assert.not.ok(res.ok);
  if (res.ok || res.reason !== 'invalid') return assert.unreachable('expected an invalid revision');
  assert.is(res.revisionId, bad);
  assert.ok(res.errors.some((e) => e.startsWith('w.yaml:')), res.errors.join('\n'));
  await src.close();
});

test('a wrong token makes the source unavailable, and the token never appears in the message', async () => {
  const repo = createRepo(server, 'auth', { token: TOKEN });
  await repo.commit({ 'w.yaml': windowYaml('sunday', '01:00', '04:00') });
  const src = new GitSource({ url: repo.url, workDir: workDir(), token: 'wrong-token-value', fetchIntervalMs: 0 });
  const res = await src.load();
  assert.not.ok(res.ok);
  if (res.ok || res.reason !== 'unavailable') return assert.unreachable('expected unavailable');
  assert.match(res.message, /authentication failed/);
  assert.not.match(res.message, /wrong-token-value/);
  assert.not.match(src.description, /wrong-token-value/);
});

test('fetches are rate-limited: refreshes inside the interval are deferred, and a failing server is retried once per interval, not on every pass', async () => {
  // A server without auth, so each fetch is one info/refs request (no 401 round first).
  const open = await startGitServer();
  const repo = createRepo(open, 'limited');
  await repo.commit({ 'w.yaml': windowYaml('sunday', '01:00', '04:00') });
  const clock = new ManualClock('2026-11-23T12:00:00Z');
  const src = new GitSource({ url: repo.url, workDir: workDir(), fetchIntervalMs: 0, minFetchIntervalMs: 30_000, clock });
  const fetches = () => open.requests.filter((r) => r.path === '/limited.git/info/refs' && r.query.includes('git-upload-pack')).length;
  let kicks = 0;
  src.watch(() => kicks++);
  assert.ok((await src.load()).ok, 'cloned');
  assert.is(fetches(), 1);
  // The server loses the repository: every fetch from now on fails.
  rmSync(join(open.root, 'limited.git'), { recursive: true, force: true });
  for (let i = 0; i < 10; i++) src.refresh();
  assert.is(kicks, 0, 'inside the interval after the clone: deferred');
  assert.ok((await src.load()).ok, 'a pass meanwhile keeps the revision it has');
  assert.is(fetches(), 1);
  clock.advance(30_000);
  await new Promise((r) => setImmediate(r));
  assert.is(kicks, 1, 'the deferred refresh asks for a pass once allowed');
  const failed = await src.load();
  assert.is(failed.ok ? 'ok' : failed.reason, 'unavailable');
  assert.is(fetches(), 2);
  for (let i = 0; i < 5; i++) { src.refresh(); await src.load(); }
  assert.is(fetches(), 2, 'no retry on every pass or refresh');
  clock.advance(30_000);
  await new Promise((r) => setImmediate(r));
  await src.load();
  assert.is(fetches(), 3, 'one retry once the interval has passed');
  await src.close();
  await open.close();
});

test('a credential written into the URL is kept out of the description', () => {
  const src = new GitSource({ url: 'https://user:hunter2@git.example.test/fleet.git', workDir: '/nonexistent', fetchIntervalMs: 0 });
  assert.not.match(src.description, /hunter2/);
  assert.match(src.description, /^git:https:\/\/git\.example\.test\/fleet\.git#main$/);
});

test('--path may not leave the repository', () => {
  assert.throws(() => new GitSource({ url: 'http://x/r.git', path: '../etc', workDir: '/nonexistent' }), /inside the repository/);
});

test.run();
