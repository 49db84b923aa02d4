// Properties of the loader on arbitrary input (the config repo is untrusted): it never throws, an invalid
// revision carries no objects, every error names its file with a line inside it, and a valid revision holds
// only objects the schema accepts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import YAML from 'yaml';
import { loadDocuments, validateObjects, type LoadResult } from '../../controller/sources/load.ts';
import { aBatch, aGroup, aRing, aWindow, anUpdate } from '../support/config.ts';

function checkShape(r: LoadResult, texts: Record<string, string>): void {
  if (r.ok) {
    assert.ok(Array.isArray(r.revision.objects));
    assert.equal(validateObjects(r.revision.objects), [], 'a valid revision re-validates clean');
    return;
  }
  assert.not.ok('revision' in r);
  assert.ok(r.errors.length > 0);
  for (const e of r.errors) {
    assert.ok(e.file in texts || e.file === '', `unknown file ${e.file}`);
    assert.type(e.message, 'string');
    assert.ok(e.message.length > 0);
    const lines = (texts[e.file] ?? '').split('\n').length;
    assert.ok(e.line >= 0 && e.line <= lines + 1, `line ${e.line} of ${lines} in ${e.file}: ${e.message}`);
  }
}

const load = (texts: Record<string, string>) =>
  loadDocuments(Object.entries(texts).map(([path, text]) => ({ path, text })), { revisionId: 'fuzz', readFile: (p) => texts[p] });

test('arbitrary text never makes the loader throw', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
    checkShape(load({ 'a.yaml': text }), { 'a.yaml': text });
  }), { numRuns: 300, seed: 42 });
});

test('YAML-looking text built from fragments never makes the loader throw', () => {
  const fragment = fc.constantFrom(
    'apiVersion: fleetward.dev/v1alpha1\n', 'kind: Ring\n', 'kind: DeviceGroup\n', 'metadata:\n', '  name: x\n', 'spec:\n',
    '  order: 4\n', '  selector: {}\n', '---\n', '- a\n', '  - &a [1]\n', '  - *a\n', '[', ']', '{', '}', ': ', '"', "'", '#', '\t', '\n', '  ', '&x ', '*x', '!!binary ', '? ', '|\n', '>\n',
  );
  fc.assert(fc.property(fc.array(fragment, { maxLength: 40 }), (parts) => {
    const text = parts.join('');
    checkShape(load({ 'a.yaml': text }), { 'a.yaml': text });
  }), { numRuns: 400, seed: 7 });
});

/** A valid object with one value somewhere in it replaced by anything. */
const mutated = fc.tuple(
  fc.constantFrom(
    aGroup('g', { ring: 'General', maintenanceWindow: 'w', autoUpdate: { components: ['firmware'] } }),
    aRing('r', { order: 4, rolloutDuration: '1d', testPeriod: '1d', startDays: ['Monday'] }),
    aWindow('w', '01:00', '04:00', { days: ['Sunday'], timeZone: 'Europe/Paris' }),
    aBatch('b', { devices: [{ macAddress: '00-11-22-33-44-55', signIn: { user: 'a@b.c' } }] }),
    anUpdate('u', { target: { group: 'g' }, schedule: { at: '2026-12-01T02:00', timeZone: 'device' } }),
  ),
  fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
  fc.anything({ maxDepth: 3 }),
).map(([base, picks, value]) => {
  const o = structuredClone(base) as Record<string, unknown>;
  let node: Record<string, unknown> = o;
  for (let i = 0; i < picks.length; i++) {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const k = keys[picks[i]! % keys.length]!;
    const child = node[k];
    if (i === picks.length - 1 || child === null || typeof child !== 'object') { node[k] = value; break; }
    node = child as Record<string, unknown>;
  }
  return o;
});

test('objects with a value replaced by anything are either accepted and schema-valid, or refused with located errors', () => {
  fc.assert(fc.property(fc.array(mutated, { minLength: 1, maxLength: 5 }), (objects) => {
    const text = objects.map((o) => YAML.stringify(o)).join('---\n');
    checkShape(load({ 'a.yaml': text }), { 'a.yaml': text });
    // The same objects straight from Kubernetes: no throw either.
    assert.ok(Array.isArray(validateObjects(objects)));
  }), { numRuns: 300, seed: 11 });
});

test.run();
