// `fleetward run --repo URL --branch B --path P --token-file F` as a person runs it, against a real git
// server that requires the token. The token never reaches the logs or the status files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCli } from '../support/run-cli.ts';
import { createRepo, gitAsync, startGitServer, type GitServer } from '../support/git-server.ts';
import { aGroup, anAlwaysWindow, aPhone, aRelease } from '../support/reconciler-fixture.ts';
import { readState } from '../support/state.ts';

const TOKEN = 'tok-9f8e7d6c5b4a';
let server: GitServer;
let root: string;

test.before(async () => {
  server = await startGitServer({ token: TOKEN });
  root = mkdtempSync(join(tmpdir(), 'fw-git-cli-'));
  writeFileSync(join(root, 'token'), TOKEN + '\n');
  writeFileSync(join(root, 'fleet.yaml'), stringify({
    devices: [aPhone('p1'), aPhone('p2')],
    releases: [aRelease('122.15.0.30', { releasedAt: '2026-06-01T00:00:00Z' }), aRelease('122.15.0.44')],
  }));
});
test.after(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? (f === 'git' ? [] : allFiles(p)) : [p];
  });
}

test('run --repo reads the config folder of the branch with the token, and the token is nowhere in logs or status', async () => {
  const repo = createRepo(server, 'cli-config', { token: TOKEN });
  await repo.commit({ 'README.md': '# fleet\n' }, 'main has no config');
  await gitAsync(repo.work, 'checkout', '-q', '-b', 'production');
  await repo.commit({}, 'branch');
  const { git } = await import('../support/git-server.ts');
  git(repo.work, 'rm', '-q', 'README.md');
  await repo.commit({ 'fleet/window.yaml': anAlwaysWindow(), 'fleet/group.yaml': aGroup('phones', 'always') }, 'production config');
  await gitAsync(repo.work, 'push', '-q', 'origin', 'production');
  const sha = repo.head();
  const state = join(root, 'state');
  const log = join(root, 'run.log');
  const r = await runCli(['run', '--repo', repo.url, '--branch', 'production', '--path', 'fleet', '--token-file', join(root, 'token'),
    '--fleet', join(root, 'fleet.yaml'), '--state-dir', state, '--start', '2026-11-23T12:00:00Z', '--once', '--port', '-1', '--log-file', log, '--log-level', 'debug']);
  assert.is(r.code, 0, r.stderr);
  const run = (await readState(state)).run!;
  assert.is(run.lastAppliedRevision, sha);
  assert.is(run.source, `git:${repo.url}#production:fleet`);
  assert.is(run.summary!.operationsIssued, 2);
  for (const file of [log, ...allFiles(state)]) {
    assert.not.ok(readFileSync(file, 'utf8').includes(TOKEN), `${file} holds the token`);
  }
});

test('a wrong token is one clear reason in status, and nothing is issued', async () => {
  const repo = createRepo(server, 'cli-wrong', { token: TOKEN });
  await repo.commit({ 'window.yaml': anAlwaysWindow(), 'group.yaml': aGroup('phones', 'always') });
  writeFileSync(join(root, 'bad-token'), 'not-the-token');
  const state = join(root, 'state-wrong');
  const r = await runCli(['run', '--repo', repo.url, '--token-file', join(root, 'bad-token'), '--fleet', join(root, 'fleet.yaml'),
    '--state-dir', state, '--once', '--port', '-1', '--log-level', 'warn']);
  assert.is(r.code, 1);
  const s = await runCli(['status', '--state-dir', state]);
  assert.match(s.stdout, /ready:\s+False\s+SourceUnavailable: git:.*authentication failed \(check the token\); nothing is applied/);
  assert.not.match(s.stdout + r.stderr, /not-the-token/);
});

test('an unreadable token file is a usage error', async () => {
  const r = await runCli(['run', '--repo', 'http://127.0.0.1:9/x.git', '--token-file', join(root, 'nope'), '--fleet', join(root, 'fleet.yaml'),
    '--state-dir', join(root, 'state-nope'), '--once', '--port', '-1']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /cannot read .*nope: ENOENT/);
  assert.not.ok(existsSync(join(root, 'state-nope')), 'no state directory written');
});

test.run();
