// The git source on hostile repositories (issue 10 item 1), against a real git server: sizes come from the
// object headers before any blob is read, dot-folders are skipped as `validate` skips them, symlinks are
// followed only to files of the same commit, and each refusal names the file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitSource } from '../../controller/sources/git.ts';
import { LIMITS } from '../../controller/sources/limits.ts';
import { loadConfigDir, formatConfigError } from '../../controller/sources/load.ts';
import { createRepo, git, gitAsync, startGitServer, type ConfigRepo, type GitServer } from '../support/git-server.ts';
import { aGroup, anAlwaysWindow } from '../support/reconciler-fixture.ts';

let server: GitServer;
const dirs: string[] = [];
const workDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'fw-git-hostile-'));
  dirs.push(d);
  return join(d, 'clone');
};
const GROUP = aGroup('phones', 'sunday') + '---\n' + anAlwaysWindow('sunday', '[Sunday]', '01:00', '05:00');

test.before(async () => {
  server = await startGitServer();
});
test.after(async () => {
  await server.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Commits `count` paths that all name one blob of `bytes` bytes (the repository stays small: one blob). */
async function commitSharedBlob(repo: ConfigRepo, count: number, bytes: number): Promise<string> {
  const blobFile = join(repo.work, 'blob.tmp');
  writeFileSync(blobFile, `# ${'x'.repeat(bytes - 3)}\n`);
  const oid = git(repo.work, 'hash-object', '-w', blobFile);
  rmSync(blobFile);
  const info = Array.from({ length: count }, (_, i) => `100644 ${oid}\tcopies/c${String(i).padStart(4, '0')}.yaml`).join('\n') + '\n';
  execFileSync('git', ['update-index', '--add', '--index-info'], { cwd: repo.work, input: info });
  git(repo.work, 'commit', '-q', '-m', 'one blob, many paths');
  await gitAsync(repo.work, 'push', '-q', 'origin', 'HEAD:main');
  return git(repo.work, 'rev-parse', 'HEAD');
}

test('600 paths naming one 900 KiB blob are refused by the byte budget, counted per path, from the headers', async () => {
  const repo = createRepo(server, 'shared');
  await repo.commit({ 'g.yaml': GROUP });
  const sha = await commitSharedBlob(repo, 600, 900 * 1024);
  const src = new GitSource({ url: repo.url, workDir: workDir(), fetchIntervalMs: 0 });
  const before = process.memoryUsage().rss;
  const res = await src.load();
  assert.equal(res, {
    ok: false, reason: 'invalid', revisionId: sha,
    errors: ['the files under the config path hold 527.3 MiB (a file named by several paths counts once per path); a config revision may hold at most 32 MiB (maxTotalBytes)'],
  });
  // Not one copy was inflated: far less than the 527 MiB the paths would have cost.
  assert.ok(process.memoryUsage().rss - before < 100 * 1024 * 1024);
  await src.close();
});

test('300 paths naming one 4 MiB blob: each refused by its size from the header, never read', async () => {
  const repo = createRepo(server, 'big');
  const sha = await commitSharedBlob(repo, 300, 4 * 1024 * 1024);
  const src = new GitSource({ url: repo.url, workDir: workDir(), fetchIntervalMs: 0 });
  const res = await src.load();
  assert.ok(!res.ok && res.reason === 'invalid');
  if (res.ok || res.reason !== 'invalid') return;
  assert.is(res.revisionId, sha);
  assert.is(res.errors[0], 'copies/c0000.yaml: the file is 4.0 MiB; a config file may be at most 1 MiB');
  assert.is(res.errors.length, 300);
  await src.close();
});

test('a .github workflow is skipped by the git source exactly as validate skips it', async () => {
  const files = { 'g.yaml': GROUP, '.github/workflows/validate.yml': 'on: pull_request\njobs: {validate: {runs-on: ubuntu-latest}}\n' };
  const repo = createRepo(server, 'workflows');
  const sha = await repo.commit(files);
  const src = new GitSource({ url: repo.url, workDir: workDir(), fetchIntervalMs: 0 });
  const res = await src.load();
  assert.ok(res.ok, JSON.stringify(res));
  assert.is(res.ok && res.revision.id, sha);
  assert.equal(res.ok && res.revision.objects.map((o) => o.metadata.name).sort(), ['phones', 'sunday']);
  const local = await loadConfigDir(repo.work);
  assert.equal(local.ok && local.revision.objects.map((o) => o.metadata.name).sort(), ['phones', 'sunday']);
  await src.close();
});

test('symlinks: one to a file of the commit is followed, one to a folder or out of the repo is refused by name', async () => {
  const repo = createRepo(server, 'links');
  symlinkSync('lists/2026-11.csv', join(repo.work, 'current.csv'));
  const batch = 'apiVersion: fleetward.dev/v1alpha1\nkind: ProvisioningBatch\nmetadata: {name: desks}\nspec: {devicesFile: current.csv}\n';
  const sha1 = await repo.commit({ 'b.yaml': batch, 'lists/2026-11.csv': 'macAddress,location\n00-11-22-33-44-55,desk 1\n', 'sub/readme.txt': 'folder\n' });
  const ok = new GitSource({ url: repo.url, workDir: workDir(), fetchIntervalMs: 0 });
  const followed = await ok.load();
  assert.ok(followed.ok, JSON.stringify(followed));
  assert.is(followed.ok && followed.revision.id, sha1);
  assert.equal(followed.ok && followed.revision.provisioningDevices?.desks?.map((d) => d.macAddress), ['00-11-22-33-44-55']);

  symlinkSync('sub', join(repo.work, 'folder.yaml'));
  symlinkSync('../../etc/passwd', join(repo.work, 'escape.yaml'));
  const sha = await repo.commit({});
  const src = new GitSource({ url: repo.url, workDir: workDir(), fetchIntervalMs: 0 });
  const res = await src.load();
  assert.equal(res, {
    ok: false, reason: 'invalid', revisionId: sha,
    errors: [
      'escape.yaml: is a symlink that leads outside the config directory (or nowhere); it was not read',
      'folder.yaml: is a symlink to a folder; only regular files are read',
    ],
  });
  // validate on a checkout of the same commit refuses the same two files.
  const local = await loadConfigDir(repo.work);
  assert.equal(local.ok ? [] : local.errors.map(formatConfigError).map((l) => l.replace(repo.work + '/', '')), [
    'escape.yaml: is a symlink that leads outside the config directory (or nowhere); it was not read',
    'folder.yaml: is a symlink to a folder; only regular files are read',
  ]);
  await src.close();
  await ok.close();
});

test('a blob larger than maxGitObjectBytes anywhere in the pushed commit is refused before indexing; a commit removing it is followed', async () => {
  const saved = LIMITS.maxGitObjectBytes;
  LIMITS.maxGitObjectBytes = 1024 * 1024;
  try {
    const repo = createRepo(server, 'zeros');
    const good = await repo.commit({ 'g.yaml': GROUP });
    const src = new GitSource({ url: repo.url, workDir: workDir(), fetchIntervalMs: 0, minFetchIntervalMs: 0 });
    assert.ok((await src.load()).ok);
    // 8 MiB of zeros: a few KiB in the pack, 8 MiB once indexed (a 1 GiB one would be the real attack).
    await repo.commit({ 'elsewhere/zeros.bin': '\0'.repeat(8 * 1024 * 1024) });
    src.refresh();
    const res = await src.load();
    assert.equal(res, { ok: false, reason: 'unavailable', message: `${src.description}: the fetched commit holds a git object of 8.0 MiB; objects may be at most 1 MiB (maxGitObjectBytes), so it was not indexed` });
    // The fix is a commit without it: only the newest commit is fetched (depth 1), so history does not hold it back.
    const fixed = await repo.commit({ 'elsewhere/zeros.bin': null });
    src.refresh();
    const after = await src.load();
    assert.ok(after.ok, JSON.stringify(after));
    assert.is(after.ok && after.revision.id, fixed);
    assert.is.not(fixed, good);
    await src.close();
  } finally {
    LIMITS.maxGitObjectBytes = saved;
  }
});

test.run();
