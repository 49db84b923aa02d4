// `fleetward validate`, the real CLI in a child process: exit 0 valid, 1 invalid with one line per error
// on stdout, 2 on a usage error; -o json for machines; -o github for pull-request annotations.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/run-cli.ts';
import { aGroup, aRing, aWindow, writeConfigDir, yamlOf } from '../support/config.ts';

const configDir = writeConfigDir;

const BAD = {
  'rings.yaml': yamlOf(aRing('pilot', { order: 12 })),
  'groups/rooms.yaml': yamlOf(aGroup('rooms', { maintenanceWindow: 'nightly' })),
};

test('a valid config exits 0 and says how many objects it holds', async () => {
  const dir = configDir({ 'a.yaml': yamlOf(aGroup('phones', { maintenanceWindow: 'sunday' }), aWindow('sunday', '01:00', '04:00')) });
  try {
    const r = await runCli(['validate', '--config', dir]);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^${dir}: valid \\(2 objects, revision sha256:[0-9a-f]{64}\\)\\n$`));
    assert.is(r.stderr, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an invalid config exits 1 with one file:line line per error on stdout and a summary', async () => {
  const dir = configDir(BAD);
  try {
    const r = await runCli(['validate', '--config', dir]);
    assert.is(r.code, 1);
    assert.is(r.stdout, [
      `${dir}/groups/rooms.yaml:9: DeviceGroup/rooms spec.maintenanceWindow: MaintenanceWindow "nightly" does not exist; declared or built in: default, default-rooms`,
      `${dir}/rings.yaml:6: Ring/pilot spec.order: must be between 1 and 9 (got 12)`,
      `${dir}: 2 errors; nothing of this revision would be applied`,
      '',
    ].join('\n'));
    assert.is(r.stderr, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('-o json gives every error as fields, for machines', async () => {
  const dir = configDir(BAD);
  try {
    const r = await runCli(['validate', '--config', dir, '-o', 'json']);
    assert.is(r.code, 1);
    const out = JSON.parse(r.stdout);
    assert.is(out.valid, false);
    assert.is(out.revision, null);
    assert.equal(out.errors[1], {
      file: `${dir}/rings.yaml`, line: 6, kind: 'Ring', name: 'pilot', path: 'spec.order',
      message: 'must be between 1 and 9 (got 12)', text: `${dir}/rings.yaml:6: Ring/pilot spec.order: must be between 1 and 9 (got 12)`,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('-o json on a valid config has valid true, the revision and no errors', async () => {
  const dir = configDir({ 'a.yaml': yamlOf(aGroup('phones')) });
  try {
    const r = await runCli(['validate', '-c', dir, '-o', 'json']);
    assert.is(r.code, 0);
    const out = JSON.parse(r.stdout);
    assert.equal([out.valid, out.objects, out.errors], [true, 1, []]);
    assert.match(out.revision, /^sha256:/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('-o github writes workflow annotations on the file and line', async () => {
  const dir = configDir(BAD);
  try {
    const r = await runCli(['validate', '--config', dir, '-o', 'github']);
    assert.is(r.code, 1);
    assert.ok(r.stdout.includes(`::error file=${dir}/rings.yaml,line=6,title=Ring/pilot spec.order::${dir}/rings.yaml:6: Ring/pilot spec.order: must be between 1 and 9 (got 12)\n`), r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the config directory defaults to the current directory', async () => {
  const dir = configDir({ 'a.yaml': yamlOf(aGroup('phones')) });
  try {
    const r = await runCli(['validate'], { cwd: dir });
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\.: valid \(1 object, /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing directory or an unknown output format is a usage error: exit 2, one line on stderr, no stack', async () => {
  const missing = await runCli(['validate', '--config', '/nonexistent/fw']);
  assert.is(missing.code, 2);
  assert.is(missing.stderr, 'fleetward: --config /nonexistent/fw: no such directory\n');
  assert.is(missing.stdout, '');
  const format = await runCli(['validate', '-o', 'xml']);
  assert.is(format.code, 2);
  assert.is(format.stderr, 'fleetward: unknown output format "xml"; use one of text, json, github\n');
});

test('the example config validates', async () => {
  const r = await runCli(['validate', '--config', 'examples/config']);
  assert.is(r.code, 0, r.stdout + r.stderr);
});

test('-o json bounds every field: a 5000-character object name and key are cut with their length', async () => {
  const name = 'n'.repeat(5000);
  const dir = configDir({ 'a.yaml': `apiVersion: fleetward.dev/v1alpha1\nkind: Ring\nmetadata: {name: ${name}}\nspec: {order: 4, ${'k'.repeat(5000)}: 1}\n` });
  try {
    const r = await runCli(['validate', '--config', dir, '-o', 'json']);
    assert.is(r.code, 1, r.stderr);
    assert.ok(r.stdout.length < 8000, `${r.stdout.length} characters of JSON`);
    const errors = (JSON.parse(r.stdout) as { errors: { name: string; path: string | null; text: string }[] }).errors;
    assert.ok(errors.length > 0);
    for (const e of errors) {
      assert.match(e.name, /^n{120}… \(5000 characters\)$/);
      assert.ok(e.text.length < 1500, `${e.text.length}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
