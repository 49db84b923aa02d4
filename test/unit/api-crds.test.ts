// crds/ (and the chart's copy) are generated from controller/api/schemas.ts: this suite fails when they are
// stale, and checks the generated CRDs against the rules of apiextensions.k8s.io/v1 structural schemas.
// (The real API server test belongs to test/k8s/.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { CRD_DIRS, generateCrds } from '../../controller/api/gen-crds.ts';
import { KINDS } from '../../controller/api/types.ts';
import { KIND_NAMES } from '../../controller/api/schemas.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const generated = generateCrds();
type S = Record<string, unknown>;

for (const dir of CRD_DIRS) {
  test(`${dir}/ matches the schemas (run npm run gen:crds when this fails)`, () => {
    const onDisk = readdirSync(join(ROOT, dir)).filter((n) => n.endsWith('.yaml')).sort();
    assert.equal(onDisk, [...generated.keys()].sort(), `files in ${dir}/`);
    for (const [name, text] of generated) {
      assert.ok(readFileSync(join(ROOT, dir, name), 'utf8') === text, `${dir}/${name} is stale: run npm run gen:crds`);
    }
  });
}

/** Every violation of the structural-schema rules, as `path: problem`. */
function structuralProblems(s: S, path: string, inAllOf = false): string[] {
  const out: string[] = [];
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  if (!inAllOf && typeof s.type !== 'string' && !preserve && !intOrString) out.push(`${path}: no type`);
  for (const k of ['$ref', '$schema', '$id', 'const', 'patternProperties', 'if', 'then', 'else', 'dependencies', 'additionalItems', 'definitions', '$defs', 'uniqueItems']) {
    if (k in s) out.push(`${path}: ${k} is not allowed in a CRD schema`);
  }
  if ('additionalProperties' in s && 'properties' in s) out.push(`${path}: properties and additionalProperties together`);
  if (s.additionalProperties === false) out.push(`${path}: additionalProperties: false`);
  if (s.type === 'array' && !s.items) out.push(`${path}: array without items`);
  if (Array.isArray(s.items)) out.push(`${path}: tuple items`);
  if (s['x-kubernetes-list-type'] === 'set') {
    const items = s.items as S;
    if (!['string', 'integer', 'number', 'boolean'].includes(String(items?.type))) out.push(`${path}: list-type set needs scalar items`);
  }
  for (const k of ['allOf', 'anyOf', 'oneOf', 'not']) {
    const branches: S[] = k === 'not' ? (s.not ? [s.not as S] : []) : ((s[k] as S[] | undefined) ?? []);
    for (const b of branches) {
      for (const bad of ['type', 'default', 'description', 'additionalProperties', 'nullable', 'x-kubernetes-preserve-unknown-fields']) {
        if (bad in b) out.push(`${path}.${k}: ${bad} inside ${k}`);
      }
    }
  }
  for (const [name, sub] of Object.entries((s.properties as Record<string, S>) ?? {})) out.push(...structuralProblems(sub, `${path}.${name}`));
  if (s.items && !Array.isArray(s.items)) out.push(...structuralProblems(s.items as S, `${path}[]`));
  if (s.additionalProperties && typeof s.additionalProperties === 'object') out.push(...structuralProblems(s.additionalProperties as S, `${path}{}`));
  return out;
}

test('the structural checker itself catches what it is meant to', () => {
  assert.equal(structuralProblems({ type: 'object', properties: { a: {}, b: { type: 'object', properties: {}, additionalProperties: false }, c: { type: 'array' } } }, 'x'), [
    'x.a: no type', 'x.b: properties and additionalProperties together', 'x.b: additionalProperties: false', 'x.c: array without items',
  ]);
});

const crds = [...generated.entries()].map(([name, text]) => ({ name, crd: YAML.parse(text) as S }));

test('every CRD is apiextensions.k8s.io/v1 with a structural schema', () => {
  for (const { name, crd } of crds) {
    assert.is(crd.apiVersion, 'apiextensions.k8s.io/v1', name);
    assert.is(crd.kind, 'CustomResourceDefinition', name);
    const version = ((crd.spec as S).versions as S[])[0]!;
    const schema = (version.schema as S).openAPIV3Schema as S;
    assert.equal(structuralProblems(schema, name), [], name);
    const metadata = (schema.properties as Record<string, S>).metadata!;
    assert.equal(metadata, { type: 'object' }, `${name}: metadata may only say type: object`);
  }
});

test('every CRD has a status subresource, printer columns with Ready and Age, short names and the fleetward category', () => {
  for (const { name, crd } of crds) {
    const spec = crd.spec as S;
    const version = (spec.versions as S[])[0]!;
    assert.equal(version.subresources, { status: {} }, name);
    const cols = (version.additionalPrinterColumns as S[]).map((c) => c.name);
    assert.is(cols[0], 'Ready', name);
    assert.is(cols.at(-1), 'Age', name);
    assert.ok(cols.length >= 4, `${name}: at least one useful column besides Ready, Status and Age`);
    for (const c of version.additionalPrinterColumns as S[]) {
      assert.ok(['string', 'integer', 'number', 'boolean', 'date'].includes(String(c.type)), `${name} ${String(c.name)}`);
      assert.match(String(c.jsonPath), /^\./);
    }
    const names = spec.names as S;
    assert.equal(names.categories, ['fleetward'], name);
    assert.ok((names.shortNames as string[]).length > 0, name);
    assert.is(spec.scope, 'Namespaced');
    assert.is(version.served, true);
    assert.is(version.storage, true);
  }
});

test('short names and plurals are unique across the kinds', () => {
  const all = KINDS.flatMap((k) => [KIND_NAMES[k].plural, KIND_NAMES[k].singular, ...KIND_NAMES[k].shortNames]);
  assert.is(new Set(all).size, all.length);
});

test('enums, patterns and bounds reach the OpenAPI schema, so the API server rejects bad objects itself', () => {
  const ring = crds.find((c) => c.name.includes('_rings'))!.crd;
  const spec = ((((ring.spec as S).versions as S[])[0]!.schema as S).openAPIV3Schema as S).properties as Record<string, S>;
  const props = spec.spec!.properties as Record<string, S>;
  assert.equal([props.order!.minimum, props.order!.maximum], [1, 9]);
  assert.is(props.rolloutDuration!.pattern, '^([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$');
  assert.is(props.startDays!['x-kubernetes-list-type'], 'set');
  assert.ok(((props.startDays!.items as S).enum as string[]).includes('Wednesday'));

  const group = crds.find((c) => c.name.includes('_devicegroups'))!.crd;
  const gspec = (((((group.spec as S).versions as S[])[0]!.schema as S).openAPIV3Schema as S).properties as Record<string, S>).spec!;
  assert.equal(gspec['x-kubernetes-validations'], [{ rule: '!(has(self.updatePhase) && has(self.ring))', message: 'set either updatePhase or ring, not both' }]);
});

test('status carries Flux-style conditions with observedGeneration and lastAppliedRevision', () => {
  for (const { name, crd } of crds) {
    const status = ((((crd.spec as S).versions as S[])[0]!.schema as S).openAPIV3Schema as S).properties as Record<string, S>;
    const props = status.status!.properties as Record<string, S>;
    const cond = (props.conditions!.items as S).properties as Record<string, S>;
    assert.equal(Object.keys(cond).sort(), ['lastTransitionTime', 'message', 'observedGeneration', 'reason', 'status', 'type'], name);
    assert.equal(cond.status!.enum, ['True', 'False', 'Unknown']);
    assert.is(props.observedGeneration!.type, 'integer');
    assert.is(props.lastAppliedRevision!.type, 'string');
  }
});

test.run();
