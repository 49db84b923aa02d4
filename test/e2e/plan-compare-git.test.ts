// `fleetward plan --compare git:REV[:path]`: the config directory as it was at an earlier commit of
// the repository holding --config, read from git objects (not checked out), planned against the
// same fleet at the same instant. The repository is real, made with the `git` CLI.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/run-cli.ts';
import { AT, FLEET, INVALID_WINDOW, configFiles, writeFiles } from '../support/plan-fixture.ts';

const root = mkdtempSync(join(tmpdir(), 'fleetward-plan-git-'));
const repo = join(root, 'repo');
const config = join(repo, 'fleet-config');
const fleet = join(root, 'fleet.yaml');

const git = (...args: string[]): string => execFileSync('git', args, {
  cwd: repo, encoding: 'utf8',
  env: { ...process.env, GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
});

writeFiles(root, { 'fleet.yaml': FLEET });
writeFiles(config, configFiles('office-hours'));
git('init', '-q', '-b', 'main');
git('add', '.');
git('commit', '-q', '-m', 'phones update in office hours');
const firstCommit = git('rev-parse', 'HEAD').trim();
writeFiles(config, configFiles('weekend-nights'));
git('commit', '-q', '-am', 'phones update on weekend nights');

const compare = (rev: string, ...args: string[]) =>
  runCli(['plan', '--config', config, '--fleet', fleet, '--at', AT, '--compare', rev, ...args]);

test('--compare git:HEAD~1 shows what the last commit does to the fleet', async () => {
  const r = await compare('git:HEAD~1');
  assert.is(r.code, 0, r.stderr);
  const [header, summary] = r.stdout.split('\n');
  assert.match(header!, new RegExp(`git:HEAD~1 \\(${firstCommit.slice(0, 12)}\\) → ${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.match(summary!, /^3 devices move to window weekend-nights/);
});

test('the old side is read from git objects: the working tree is not touched', async () => {
  const status = git('status', '--porcelain');
  const head = git('rev-parse', 'HEAD');
  await compare('git:HEAD~1', '-o', 'json');
  assert.is(git('status', '--porcelain'), status);
  assert.is(git('rev-parse', 'HEAD'), head);
});

test('an explicit path, a branch name, a short commit id and ^ all name the same old config', async () => {
  const expected = (await compare('git:HEAD~1', '-o', 'json')).stdout;
  const diff = JSON.parse(expected);
  assert.is(diff.before.revision, firstCommit);
  assert.is(diff.assignments.length, 3);
  for (const rev of ['git:HEAD~1:fleet-config', 'git:main~1', `git:${firstCommit.slice(0, 8)}`, 'git:HEAD^', `git:${firstCommit}:./fleet-config/`]) {
    const r = await compare(rev, '-o', 'json');
    assert.is(r.code, 0, `${rev}: ${r.stderr}`);
    assert.is(r.stdout, expected, rev);
  }
});

test('a remote-tracking branch in packed refs names the old config, as in a CI checkout', async () => {
  git('update-ref', 'refs/remotes/origin/main', 'HEAD~1');
  git('pack-refs', '--all');
  const viaRemote = await compare('git:origin/main', '-o', 'json');
  assert.is(viaRemote.code, 0, viaRemote.stderr);
  assert.is(JSON.parse(viaRemote.stdout).before.revision, firstCommit);
});

test('on a merge commit, as GitHub checks out a pull request, git:HEAD^1 is the base branch and ^2 the branch merged', async () => {
  const base = git('rev-parse', 'HEAD').trim();
  git('checkout', '-q', '-b', 'pr');
  writeFiles(config, configFiles('office-hours'));
  git('commit', '-q', '-am', 'back to office hours');
  git('checkout', '-q', 'main');
  git('merge', '-q', '--no-ff', '-m', 'merge pr', 'pr');
  const viaFirstParent = JSON.parse((await compare('git:HEAD^1', '-o', 'json')).stdout);
  assert.is(viaFirstParent.before.revision, base);
  assert.equal([...new Set(viaFirstParent.assignments.map((a: { to: string }) => a.to))], ['office-hours']);
  const viaSecondParent = await compare('git:HEAD^2', '-o', 'json');
  assert.is(viaSecondParent.code, 0, viaSecondParent.stderr);
  assert.equal(JSON.parse(viaSecondParent.stdout).assignments, [], 'the merged branch has the same config as the merge');
});

test('comparing with HEAD itself reports no change', async () => {
  const r = await compare('git:HEAD', '-o', 'markdown');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /\*\*No change to the fleet's plan\.\*\*/);
});

test('a revision that does not exist, or a path not in it, is one clear line and exit 2', async () => {
  const noRev = await compare('git:no-such-branch');
  assert.is(noRev.code, 2);
  assert.match(noRev.stderr, /^fleetward: --compare: no revision no-such-branch in /);
  assert.is(noRev.stdout, '');
  const tooFar = await compare('git:HEAD~5');
  assert.is(tooFar.code, 2);
  assert.match(tooFar.stderr, /goes past the first commit/);
  const noPath = await compare('git:HEAD~1:elsewhere');
  assert.is(noPath.code, 2);
  assert.match(noPath.stderr, /no directory elsewhere at that revision/);
});

test('an old revision with an invalid config prints its errors and exits 1', async () => {
  writeFiles(config, { 'short.yaml': INVALID_WINDOW });
  git('add', '.');
  git('commit', '-q', '-m', 'a window too short');
  writeFiles(config, configFiles('weekend-nights'));
  git('rm', '-q', 'fleet-config/short.yaml');
  git('commit', '-q', '-m', 'remove it');
  const r = await compare('git:HEAD~1');
  assert.is(r.code, 1);
  assert.is(r.stdout, '');
  assert.match(r.stderr, /short\.yaml:\d+/);
  assert.match(r.stderr, /config git:HEAD~1 is invalid/);
});

test('an old revision holding a file over the loader\'s size limit is refused before it is parsed', async () => {
  writeFiles(config, { 'huge.yaml': `# ${'x'.repeat(1024 * 1024 + 10)}\n` });
  git('add', '.');
  git('commit', '-q', '-m', 'a huge file');
  git('rm', '-q', 'fleet-config/huge.yaml');
  git('commit', '-q', '-m', 'remove it');
  const r = await compare('git:HEAD~1');
  assert.is(r.code, 1);
  assert.is(r.stdout, '');
  assert.match(r.stderr, /huge\.yaml is 1\.0 MiB; a config file may be at most 1 MiB/);
});

test('--compare git: with a config directory outside any git repository is refused', async () => {
  const loose = join(root, 'loose');
  writeFiles(loose, configFiles());
  const r = await runCli(['plan', '--config', loose, '--fleet', fleet, '--at', AT, '--compare', 'git:HEAD~1']);
  assert.is(r.code, 2);
  assert.is(r.stderr, `fleetward: --compare git:HEAD~1: ${loose} is not inside a git repository\n`);
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
