// Commit status for the revision being applied, against the real git server (git http-backend) that also
// answers the forges' status APIs: Fleetward follows the repo, and the status lands on the SHA it applies —
// pending while the update rolls out, success once every device is on its target — and a refused commit
// gets failure with its first validation error, while the commit still in force keeps its own status.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Notifier } from '../../controller/notify/notifier.ts';
import { silentLogger } from '../../controller/reconciler/log.ts';
import { GitSource } from '../../controller/sources/git.ts';
import { createRepo, startGitServer, type ConfigRepo } from '../support/git-server.ts';
import { Fixture, aGroup, aPhone, aRelease, anAlwaysWindow } from '../support/reconciler-fixture.ts';
import { aProvider, aRule } from '../support/notify.ts';

const TOKEN = 'gitea-status-token-0c9d2e7a41';

const forge = (type: string, base: string, repository: string) =>
  `${aProvider('config-repo', `type: ${type}\naddress: ${base}\nrepository: ${repository}\nsecretRef:\n  env: FLEETWARD_NOTIFY_FORGE_TOKEN`)}---\n${aRule('config-repo', 'config-repo', 'events: [RevisionStatus]')}`;

async function following(repo: ConfigRepo): Promise<{ f: Fixture; n: Notifier; source: GitSource }> {
  const f = new Fixture({ devices: [aPhone('p1'), aPhone('p2')], releases: [aRelease('122.15.0.30', { releasedAt: '2026-06-01T00:00:00Z' }), aRelease('122.15.0.44')] });
  const source = new GitSource({ url: repo.url, workDir: join(f.root, 'git'), fetchIntervalMs: 0, minFetchIntervalMs: 0 });
  const n = new Notifier({ clock: f.clock, logger: silentLogger, secrets: { env: { FLEETWARD_NOTIFY_FORGE_TOKEN: TOKEN } }, consoleUrl: 'https://fleet.example.test' });
  f.start({ source, notifier: n });
  return { f, n, source };
}

test('gitea: pending while the commit rolls out, success once every device runs its target, on that SHA', async () => {
  const server = await startGitServer();
  const repo = createRepo(server, 'fleet/config');
  const base = server.base.replace(/\/$/, '');
  const sha = await repo.commit({ 'window.yaml': anAlwaysWindow(), 'group.yaml': aGroup('phones', 'always'), 'notify.yaml': forge('gitea', base, 'fleet/config') }, 'phones update any time');
  const { f, n, source } = await following(repo);
  const first = await f.reconciler.reconcile();
  assert.is(first.revision, sha);
  assert.is(first.issued, 2);
  await n.deliverDue();
  assert.equal(server.statuses.map((s) => [s.api, s.repo, s.sha, s.state, s.context]), [['gitea', 'fleet/config', sha, 'pending', 'fleetward/rollout']]);
  assert.is(server.statuses[0]!.authorization, `token ${TOKEN}`);
  assert.is(server.statuses[0]!.targetUrl, 'https://fleet.example.test/ui/#/FleetPolicy/default');
  // The updates finish (20 minutes in the simulator); the pass that sees it sets success, once.
  for (let i = 0; i < 3; i++) { f.clock.advance(30 * 60_000); await f.reconciler.reconcile(); await n.deliverDue(); }
  assert.equal(server.statuses.map((s) => [s.sha, s.state]), [[sha, 'pending'], [sha, 'success']]);
  assert.match(server.statuses[1]!.description, /every device is on its target/);

  // A commit that does not validate: failure on it, with the error; the commit in force keeps success.
  const bad = await repo.commit({ 'group.yaml': aGroup('phones', 'nowhere') }, 'a window that does not exist');
  source.refresh(); // what the repo's push webhook does
  f.clock.advance(60_000);
  const r = await f.reconciler.reconcile();
  assert.is(r.revision, sha, 'the last good revision stays in force');
  await n.deliverDue();
  assert.equal(server.statuses.map((s) => [s.sha, s.state]), [[sha, 'pending'], [sha, 'success'], [bad, 'failure']]);
  assert.match(server.statuses[2]!.description, /MaintenanceWindow "nowhere" does not exist/);
  await n.close();
  await f.close();
  await server.close();
});

test('github and gitlab shapes: the status lands on the applied SHA (GitLab reads running)', async () => {
  for (const [type, api, expected] of [['github', 'github', 'pending'], ['gitlab', 'gitlab', 'running']] as const) {
    const server = await startGitServer();
    const repo = createRepo(server, 'fleet/config');
    const base = server.base.replace(/\/$/, '');
    const sha = await repo.commit({ 'window.yaml': anAlwaysWindow(), 'group.yaml': aGroup('phones', 'always'), 'notify.yaml': forge(type, base, 'fleet/config') });
    const { f, n, source } = await following(repo);
    await f.reconciler.reconcile();
    await n.deliverDue();
    assert.equal(server.statuses.map((s) => [s.api, s.sha, s.state, s.context]), [[api, sha, expected, 'fleetward/rollout']], type);
    assert.is(server.statuses[0]!.authorization, type === 'github' ? `Bearer ${TOKEN}` : TOKEN);
    await n.close();
    await f.close();
    await server.close();
  }
});

test.run();
