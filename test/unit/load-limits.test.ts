// Limits applied before the work (issue 10 items 1 and 3): a hostile config repo gets a clear `file: message`
// error for each thing it overdoes — keys, objects, CSV rows, bytes, special files — and error lines quote its
// values cut short. Each test also checks that nothing of the refused revision is handed on.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { aBatch, aGroup, assertRefused, errorLines, inConfigDir, loadFiles, withLimits, yamlOf } from '../support/config.ts';
import { LIMITS, formatConfigError, loadConfigDir, loadDocuments, validateObjects } from '../../controller/sources/load.ts';
import { isConfigPath } from '../../controller/sources/config-files.ts';

const GROUP = yamlOf(aGroup('phones'));

const csvOf = (rows: number, offset = 0) =>
  'macAddress\n' + Array.from({ length: rows }, (_, i) => (0x001122000000 + offset + i).toString(16).padStart(12, '0')).join('\n') + '\n';

test('a mapping with more keys than the limit is refused at its line (the key check is linear, not yaml\'s quadratic one)', () => {
  const keys = Array.from({ length: LIMITS.maxKeysPerMapping + 1 }, (_, i) => `    k${i}: v`).join('\n');
  const text = `apiVersion: fleetward.dev/v1alpha1\nkind: DeviceGroup\nmetadata: {name: g}\nspec:\n  selector:\n   matchLabels:\n${keys}\n`;
  assertRefused(loadFiles({ 'a.yaml': text }), [
    `a.yaml:7: a mapping with ${LIMITS.maxKeysPerMapping + 1} keys; a mapping may hold at most ${LIMITS.maxKeysPerMapping}`,
  ]);
});

test('one devicesFile named by 100 batches is read once: every further batch gets one error naming the first', () => {
  const batches = Array.from({ length: 100 }, (_, i) => aBatch(`b${i}`, { devicesFile: 'devices.csv' }));
  const r = loadFiles({ 'b.yaml': yamlOf(...batches), 'devices.csv': csvOf(1000) });
  const lines = errorLines(r);
  assert.is(r.ok, false);
  assert.is(lines.length, 99, lines.slice(0, 3).join('\n'));
  assert.is(lines[0], 'b.yaml:13: ProvisioningBatch/b1 spec.devicesFile: "devices.csv" is already the devicesFile of ProvisioningBatch/b0 (b.yaml:6); a devices file belongs to one ProvisioningBatch');
});

test('CSV rows over the revision budget are refused at the batch that crosses it', () => withLimits({ maxCsvRows: 1500 }, () => {
  const r = loadFiles({
    'b.yaml': yamlOf(aBatch('one', { devicesFile: 'one.csv' }), aBatch('two', { devicesFile: 'two.csv' })),
    'one.csv': csvOf(1000), 'two.csv': csvOf(1000, 5000),
  });
  assertRefused(r, ['b.yaml:13: ProvisioningBatch/two spec.devicesFile: the devicesFiles of this revision hold more than 1500 device rows; split the fleet\'s batches over several revisions or raise maxCsvRows (FLEETWARD_LIMITS)']);
}));

test('CSV bytes count against the revision\'s byte budget with the YAML', () => withLimits({ maxTotalBytes: 4096 }, () => {
  const r = loadFiles({ 'b.yaml': yamlOf(aBatch('one', { devicesFile: 'one.csv' })), 'one.csv': csvOf(400) });
  assertRefused(r, ['b.yaml:6: ProvisioningBatch/one spec.devicesFile: "one.csv" would take the bytes read for this revision past 0.00390625 MiB (YAML and CSV files together; maxTotalBytes)']);
}));

test('more objects than the budget are refused as a whole, before the rules run', () => withLimits({ maxObjects: 5 }, () => {
  const r = loadFiles({ 'a.yaml': yamlOf(...Array.from({ length: 4 }, (_, i) => aGroup(`g${i}`))), 'b.yaml': yamlOf(aGroup('h1'), aGroup('h2')) });
  assertRefused(r, ['more than 5 objects; a config revision may hold at most 5 (maxObjects)']);
}));

test('errors past the cap are counted in one last line', () => withLimits({ maxErrors: 3 }, () => {
  const r = loadFiles({ 'a.yaml': yamlOf(...Array.from({ length: 10 }, (_, i) => aGroup(`g${i}`, { ring: 'nope' }))) });
  const lines = errorLines(r);
  assert.is(lines.length, 4);
  assert.is(lines[3], '… and 7 more errors (only the first 3 are listed)');
}));

test('a 786 KB apiVersion is quoted cut short, with its full length', () => {
  const long = 'x'.repeat(786_432);
  const r = loadFiles({ 'a.yaml': `apiVersion: ${long}\nkind: Ring\nmetadata: {name: r}\nspec: {order: 4}\n` });
  const lines = errorLines(r);
  assert.is(lines.length, 1);
  assert.ok(lines[0]!.length < 300, `${lines[0]!.length} characters`);
  assert.is(lines[0], `a.yaml:1: Ring/r apiVersion: "${'x'.repeat(80)}…" (786432 characters) is not a Fleetward API version; use fleetward.dev/v1alpha1`);
});

test('a huge key in a field path and a huge object name are cut short too', () => {
  const key = 'k'.repeat(5000);
  const r = loadFiles({ 'a.yaml': `apiVersion: fleetward.dev/v1alpha1\nkind: Ring\nmetadata: {name: r}\nspec: {order: 4, ${key}: 1}\n` });
  const lines = errorLines(r);
  assert.is(lines.length, 1);
  assert.ok(lines[0]!.length < 400, lines[0]);
  assert.match(lines[0]!, /^a\.yaml:4: Ring\/r spec\["k{80}…" \(5000 characters\)\]: unknown field/);
  const longName = formatConfigError({ file: 'a.yaml', line: 1, kind: 'Ring', name: 'n'.repeat(100_000), message: 'm'.repeat(100_000) });
  assert.ok(longName.length < 1500, `${longName.length}`);
  assert.match(longName, /… \(100000 characters\)$/);
});

test('one predicate decides what is config: YAML outside dot-folders', () => {
  assert.equal(
    ['a.yaml', 'g/b.YML', '.github/workflows/ci.yml', 'x/.hidden/c.yaml', '.d.yaml', 'notes.txt', 'd.csv', 'a.yaml.bak'].filter(isConfigPath),
    ['a.yaml', 'g/b.YML'],
  );
  // loadDocuments (the git source's path) skips a workflow file just as the directory loader does.
  const r = loadDocuments([{ path: '.github/workflows/ci.yml', text: 'on: push\n' }, { path: 'g.yaml', text: GROUP }], { revisionId: 't' });
  assert.equal(r.ok && r.revision.objects.map((o) => o.metadata.name), ['phones']);
});

test('a *.yaml symlink to a folder is refused by name (no EISDIR); the other files are still checked and nothing is loaded', () => inConfigDir({ 'g.yaml': yamlOf(aGroup('phones', { ring: 'nope' })), 'sub/x.yaml': yamlOf(aGroup('rooms')) }, async (dir) => {
  symlinkSync('sub', join(dir, 'folder.yaml'));
  assertRefused(await loadConfigDir(dir), [
    `${join(dir, 'folder.yaml')}: is a symlink to a folder; only regular files are read`,
    `${join(dir, 'g.yaml')}:9: DeviceGroup/phones spec.ring: Ring "nope" does not exist; declared or built in: Staging, General, Executive`,
  ]);
}));

test('a FIFO named *.yaml, or a *.yaml symlink to one, is refused without being opened (no hang)', () => inConfigDir({ 'g.yaml': GROUP }, async (dir) => {
  execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  symlinkSync('fifo', join(dir, 'link.yaml'));
  assertRefused(await loadConfigDir(dir), [
    `${join(dir, 'link.yaml')}: is a symlink to a FIFO (named pipe); only regular files are read`,
    `${join(dir, 'pipe.yaml')}: is a FIFO (named pipe); only regular files are read`,
  ]);
}));

test('a devicesFile that is a FIFO or a folder is refused at the batch', () => inConfigDir({ 'b.yaml': yamlOf(aBatch('b', { devicesFile: 'd.csv' }), aBatch('c', { devicesFile: 'sub' })), 'sub/x.txt': '' }, async (dir) => {
  execFileSync('mkfifo', [join(dir, 'd.csv')]);
  assertRefused(await loadConfigDir(dir), [
    `${join(dir, 'b.yaml')}:6: ProvisioningBatch/b spec.devicesFile: "d.csv" is a FIFO (named pipe); a devicesFile must be a regular file`,
    `${join(dir, 'b.yaml')}:13: ProvisioningBatch/c spec.devicesFile: "sub" is a folder; a devicesFile must be a regular file`,
  ]);
}));

test('a .github workflow in the config directory is skipped, like the git source skips it', () => inConfigDir({ '.github/workflows/ci.yml': 'on: push\njobs: {}\n', 'g.yaml': GROUP }, async (dir) => {
  const r = await loadConfigDir(dir);
  assert.equal(r.ok && r.revision.objects.map((o) => o.metadata.name), ['phones']);
}));

test('objects from Kubernetes get the same key and nesting limits', () => {
  const labels = Object.fromEntries(Array.from({ length: LIMITS.maxKeysPerMapping + 1 }, (_, i) => [`k${i}`, 'v']));
  const errors = validateObjects([aGroup('g', { selector: { deviceTypes: ['ipPhone'], matchLabels: labels } })]).map(formatConfigError);
  assert.is(errors[0], `DeviceGroup/g spec.selector.matchLabels: a mapping with ${LIMITS.maxKeysPerMapping + 1} keys; a mapping may hold at most ${LIMITS.maxKeysPerMapping}`);
});

test.run();
