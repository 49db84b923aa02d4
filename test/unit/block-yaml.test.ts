// The block-YAML reader behind large fleet files (controller/sources/block-yaml.ts): for any text it reads
// exactly what the `yaml` library reads, or it declines (undefined) and the full parser takes over.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import YAML from 'yaml';
import { readBlockYaml } from '../../controller/sources/block-yaml.ts';
import { generateFleet } from '../../bench/support/fleetgen.ts';

const read = (text: string) => readBlockYaml(text, { maxDepth: 64 })?.value;
const full = (text: string) => YAML.parse(text, { schema: 'core' });

// Characters that make YAML writers quote, escape or change style, and scalars that resolve to non-strings.
const tricky = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'Z', '1', '0', '.', ' ', '#', ':', '-', "'", '"', '\\', '\n', '\t', '{', '[', ']', '&', '*', '!', '|', '>', '%', '@', '`', '~', 'e', 'x', 'o', ',', '?', '\u00e9', '\u2028'), maxLength: 12 }),
  fc.constantFrom('null', 'Null', '~', 'true', 'FALSE', 'yes', '0o17', '0x1F', '1e3', '.inf', '-.INF', '.nan', '58.15.0.124', '1.5', '007', '-0', '+12', '', ' lead', 'trail '),
);
const scalar = fc.oneof(tricky, fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null));
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('list'), tie('map')),
  list: fc.array(tie('node'), { maxLength: 4 }),
  map: fc.dictionary(tricky, tie('node'), { maxKeys: 4 }),
})).node;

test('any value a YAML writer emits reads back as the yaml library reads it, or is declined', () => {
  let accepted = 0;
  let runs = 0;
  fc.assert(fc.property(value, fc.constantFrom({}, { indentSeq: false }, { indent: 4 }), (v, opts) => {
    const text = YAML.stringify(v, opts);
    runs++;
    const fast = readBlockYaml(text, { maxDepth: 64 });
    if (fast === undefined) return;
    accepted++;
    assert.equal(fast.value, full(text), text);
  }), { numRuns: 2000, seed: 11 });
  // Top-level scalars and strings with line breaks (written as block scalars) are declined; the rest is read.
  assert.ok(accepted > runs * 0.3, `accepted ${accepted} of ${runs}`);
});

test('a generated fleet written by the yaml library, in both sequence styles, is read, not declined', () => {
  const { observed } = generateFleet(300);
  const fleet = { devices: observed.devices, releases: observed.releases };
  for (const opts of [{}, { indentSeq: false }]) {
    const r = readBlockYaml(YAML.stringify(fleet, opts), { maxDepth: 64 });
    assert.ok(r);
    assert.equal(r.value, JSON.parse(JSON.stringify(fleet)));
  }
});

test('comments, a document marker, same-column sequences, CRLF and quoting read as the yaml library reads them', () => {
  const texts = [
    '# a fleet\n---\ndevices:\n- id: d1   # first\n  labels: {}\n  software:\n    firmware: "58.15.0.124"\n- id: \'it\'\'s\'\nreleases: []\n',
    'a:\r\n  - 1\r\n  - -2.5e3\r\n  - 0x1f\r\n  -\r\n  - "tab\\there \\u00e9 \\x41"\r\n',
    'k: v#not a comment\nn: ~\nb: True\ns: 1.2.3\nq: "# quoted"\nlist:\n  - - x\n    - y\n  - key: 1\n    other: 2\n',
    'top:\n\n   # indented comment\n  inner: value\n',
  ];
  for (const t of texts) assert.equal(read(t), full(t), t);
});

test('what is outside the block subset is declined, never read differently', () => {
  const declined = [
    'a: &x 1\nb: *x\n', // anchors and aliases (their limit is the full parser's job)
    'a: |\n  text\n', // block scalars
    'a: b\n---\na: c\n', // two documents
    'a: 1\na: 2\n', // a duplicate key: the full parser names it
    'a: one\n  two\n', // a plain scalar over two lines
    'a: [1, 2]\n', // flow content
    'a:\n\tb: 1\n', // tab indentation
    'a: !!str 1\n', // tags
    '? complex\n: key\n',
    '1: numeric key\n',
    '__proto__: x\n',
    '\ufeffa: 1\n',
    'just a scalar\n',
    '',
  ];
  for (const t of declined) assert.is(readBlockYaml(t, { maxDepth: 64 }), undefined, JSON.stringify(t));
});

test('nesting deeper than the limit is declined', () => {
  let text = '';
  for (let i = 0; i < 70; i++) text += `${' '.repeat(i * 2)}k${i}:\n`;
  text += `${' '.repeat(140)}leaf: 1\n`;
  assert.is(readBlockYaml(text, { maxDepth: 64 }), undefined);
  assert.ok(readBlockYaml(text, { maxDepth: 100 }));
});

test('lines are found for keys and items, the deepest found along the path', () => {
  const text = '# header\ndevices:\n  - id: d1\n    software:\n      firmware: 1.2.3.4\n  -\n    id: d2\nreleases: []\n';
  const r = readBlockYaml(text, { maxDepth: 64, withLines: true })!;
  assert.is(r.lineOf([]), 2);
  assert.is(r.lineOf(['devices', 0, 'software', 'firmware']), 5);
  assert.is(r.lineOf(['devices', 1]), 7);
  assert.is(r.lineOf(['devices', 1, 'id']), 7);
  assert.is(r.lineOf(['devices', 1, 'missing', 'deeper']), 7);
  assert.is(r.lineOf(['releases']), 8);
});

test.run();
