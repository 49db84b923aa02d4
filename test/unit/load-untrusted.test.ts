// A config repo is untrusted (issue 2, item 5): oversized files, too many files, alias bombs, deep nesting,
// binary files and broken YAML are each one clear error naming the file, and nothing of the revision is used.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aGroup, assertRefused, loadFiles, yamlOf } from '../support/config.ts';
import { LIMITS, loadConfigDir, loadDocuments, formatConfigError } from '../../controller/sources/load.ts';

const GOOD = yamlOf(aGroup('phones'));

test('a file over 1 MiB is refused by size, naming the file, while the others are not loaded either', () => {
  const big = GOOD + '# ' + 'x'.repeat(LIMITS.maxFileBytes) + '\n';
  assertRefused(loadFiles({ 'good.yaml': GOOD, 'big.yaml': big }), [
    'big.yaml: the file is 1.0 MiB; a config file may be at most 1 MiB',
  ]);
});

test('an oversized file on disk is refused before it is read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-load-'));
  try {
    writeFileSync(join(dir, 'good.yaml'), GOOD);
    writeFileSync(join(dir, 'big.yaml'), Buffer.alloc(LIMITS.maxFileBytes + 1, 0x20));
    const r = await loadConfigDir(dir);
    assertRefused(r, [`${join(dir, 'big.yaml')}: the file is 1.0 MiB; a config file may be at most 1 MiB`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('more files than the cap are refused as a whole', () => {
  const files = Array.from({ length: LIMITS.maxFiles + 1 }, (_, i) => ({ path: `f${i}.yaml`, text: '' }));
  const r = loadDocuments(files, { revisionId: 'x' });
  assertRefused(r, [`${LIMITS.maxFiles + 1} YAML files; a config revision may hold at most ${LIMITS.maxFiles}`]);
});

test('a directory with more YAML files than the cap is refused as a whole, without reading them all', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-load-'));
  try {
    for (let i = 0; i <= LIMITS.maxFiles; i++) writeFileSync(join(dir, `g${String(i).padStart(4, '0')}.yaml`), '');
    assertRefused(await loadConfigDir(dir), [`${dir}: more than ${LIMITS.maxFiles} YAML files; a config revision may hold at most ${LIMITS.maxFiles}`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('more bytes in total than the cap are refused as a whole', () => {
  const chunk = '#'.repeat(LIMITS.maxFileBytes - 10) + '\n';
  const n = Math.ceil(LIMITS.maxTotalBytes / chunk.length) + 1;
  const files = Array.from({ length: n }, (_, i) => ({ path: `f${i}.yaml`, text: chunk }));
  const r = loadDocuments(files, { revisionId: 'x' });
  assert.is(r.ok, false);
  assert.match(r.ok ? '' : formatConfigError(r.errors[0]!), /^the YAML files hold 3\d\.\d MiB; a config revision may hold at most 32 MiB$/);
});

test('a YAML alias bomb is refused without expanding it', () => {
  const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i++) {
    const prev = String.fromCharCode(96 + i);
    const cur = String.fromCharCode(97 + i);
    levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  const bomb = `apiVersion: fleetward.dev/v1alpha1\nkind: DeviceGroup\nmetadata: {name: bomb}\nspec:\n  selector: {}\n  x:\n${levels.map((l) => '    ' + l).join('\n')}\n`;
  assertRefused(loadFiles({ 'bomb.yaml': bomb }), [
    'bomb.yaml:1: YAML aliases expand more than 100 times (an alias bomb?); write the values out instead',
  ]);
});

test('a few aliases, as people use them to share a value, are fine', () => {
  const text = 'apiVersion: fleetward.dev/v1alpha1\nkind: ProvisioningBatch\nmetadata: {name: a}\nspec:\n  devices:\n' +
    '    - {macAddress: 00-11-22-33-44-01, location: &floor "Paris, 4th floor"}\n    - {macAddress: 00-11-22-33-44-02, location: *floor}\n';
  const r = loadFiles({ 'a.yaml': text });
  assert.equal(r.ok ? r.revision.provisioningDevices?.a?.map((d) => d.location) : r.errors, ['Paris, 4th floor', 'Paris, 4th floor']);
});

test('deeply nested flow collections are refused at the line where the nesting goes too deep', () => {
  const deep = 'apiVersion: fleetward.dev/v1alpha1\nkind: DeviceGroup\nspec: ' + '['.repeat(200_000) + ']'.repeat(200_000) + '\n';
  assertRefused(loadFiles({ 'deep.yaml': deep }), [
    `deep.yaml:3: nesting deeper than ${LIMITS.maxDepth} levels; a config file never needs that`,
  ]);
});

test('an apostrophe in plain text does not hide deep nesting after it', () => {
  const deep = "apiVersion: fleetward.dev/v1alpha1\nkind: DeviceGroup\nspec: {note: it's, x: " + '['.repeat(100_000) + ']'.repeat(100_000) + '}\n';
  assertRefused(loadFiles({ 'deep.yaml': deep }), [
    `deep.yaml:3: nesting deeper than ${LIMITS.maxDepth} levels; a config file never needs that`,
  ]);
});

test('deeply nested block collections are refused too', () => {
  const deep = 'spec:\n' + Array.from({ length: 200 }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n') + ' 1\n';
  const r = loadFiles({ 'deep.yaml': deep });
  assert.is(r.ok, false);
  assert.equal(r.ok ? [] : r.errors.map((e) => [e.file, e.message]), [['deep.yaml', `nesting deeper than ${LIMITS.maxDepth} levels; a config file never needs that`]]);
});

test('a file holding NUL bytes is refused as binary, at the line of the first one', () => {
  assertRefused(loadFiles({ 'bin.yaml': 'a: 1\nb: \u0000\u0001\u0002' }), [
    'bin.yaml:2: not a text file (it holds NUL bytes or is not valid UTF-8); config files must be UTF-8 YAML',
  ]);
});

test('a file that is not valid UTF-8 on disk is refused as binary', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-load-'));
  try {
    writeFileSync(join(dir, 'latin1.yaml'), Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]));
    assertRefused(await loadConfigDir(dir), [`${join(dir, 'latin1.yaml')}:1: not a text file (it holds NUL bytes or is not valid UTF-8); config files must be UTF-8 YAML`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('broken YAML is refused at the line of the error, and the other files are checked as well', () => {
  const r = loadFiles({
    'a.yaml': 'apiVersion: fleetward.dev/v1alpha1\nkind: Ring\nmetadata:\n  name: x\n spec: [\n',
    'b.yaml': yamlOf({ ...aGroup('g'), spec: { selector: {}, ring: 'nope' } }),
  });
  assert.is(r.ok, false);
  const lines = r.ok ? [] : r.errors.map(formatConfigError);
  assert.ok(lines.some((l) => /^a\.yaml:5: invalid YAML: /.test(l)), lines.join('\n'));
  assert.ok(lines.includes('b.yaml:7: DeviceGroup/g spec.ring: Ring "nope" does not exist; declared or built in: Staging, General, Executive'), lines.join('\n'));
});

test('a key written twice in one mapping is refused at the second one, naming the line of the first', () => {
  assertRefused(loadFiles({ 'a.yaml': 'apiVersion: fleetward.dev/v1alpha1\nkind: Ring\nmetadata: {name: x}\nspec:\n  order: 4\n  order: 5\n' }), [
    'a.yaml:6: the key "order" appears twice in this mapping (first at line 5); write it once',
  ]);
});

test('a mapping key that is a list or a mapping is refused at its line', () => {
  assertRefused(loadFiles({ 'a.yaml': 'apiVersion: fleetward.dev/v1alpha1\nkind: Ring\nmetadata: {name: x}\nspec:\n  ? [order]\n  : 4\n' }), [
    'a.yaml:5: a mapping key must be plain text, not a list, a mapping or an alias',
  ]);
});

test('YAML 1.1 tags such as !!timestamp and !!binary give plain text, never dates or bytes', () => {
  const r = loadFiles({ 'a.yaml': 'apiVersion: fleetward.dev/v1alpha1\nkind: FleetPolicy\nmetadata: {name: default}\nspec:\n  autoUpdates: {pausedAt: !!timestamp 2026-11-20T09:00:00Z}\n  cloud: !!binary Z2NjaA==\n' });
  assertRefused(r, ['a.yaml:6: FleetPolicy/default spec.cloud: "Z2NjaA==" is not allowed; one of: commercial, gcch, dod']);
  const ok = loadFiles({ 'a.yaml': 'apiVersion: fleetward.dev/v1alpha1\nkind: FleetPolicy\nmetadata: {name: default}\nspec:\n  autoUpdates: {pausedAt: !!timestamp 2026-11-20T09:00:00Z}\n' });
  assert.equal(ok.ok && ok.revision.objects[0]!.spec, { autoUpdates: { pausedAt: '2026-11-20T09:00:00Z' } });
});

test('hidden folders such as .git and .github are not read; nested folders are', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-load-'));
  try {
    mkdirSync(join(dir, '.github/workflows'), { recursive: true });
    writeFileSync(join(dir, '.github/workflows/ci.yml'), 'on: push\n');
    mkdirSync(join(dir, 'a/b'), { recursive: true });
    writeFileSync(join(dir, 'a/b/group.yml'), GOOD);
    writeFileSync(join(dir, 'notes.txt'), 'not yaml: [');
    const r = await loadConfigDir(dir);
    assert.ok(r.ok);
    assert.equal(r.ok ? r.revision.objects.map((o) => o.metadata.name) : [], ['phones']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
