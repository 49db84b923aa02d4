// Damaged run, revision, clock or store file, as a person meets it: `fleetward run` stops with one line
// naming the recovery (no stack trace), `fleetward state check` lists what is damaged and changes nothing,
// `fleetward state repair` recovers, saying what was lost, and the next run goes on.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { runCli } from '../support/run-cli.ts';

let root: string;
let pristine: string;
const EXAMPLE = ['--config', 'examples/config', '--driver', 'simulator', '--fleet', 'examples/fleet.yaml'];
const runOnce = (state: string) => runCli(['run', ...EXAMPLE, '--state-dir', state, '--start', '2026-11-23T00:00:00Z', '--once', '--port', '-1', '--log-level', 'warn']);

test.before(async () => {
  root = mkdtempSync(join(tmpdir(), 'fw-state-repair-'));
  pristine = join(root, 'pristine');
  const r = await runOnce(pristine);
  assert.is(r.code, 0, r.stderr);
});
test.after(() => rmSync(root, { recursive: true, force: true }));

/** A copy of the state of one real run, to damage. */
function aCopy(name: string): string {
  const dir = join(root, name);
  cpSync(pristine, dir, { recursive: true });
  return dir;
}
const sql = (dir: string, statement: string, ...args: string[]) => {
  const db = new DatabaseSync(join(dir, 'fleetward.db'));
  db.prepare(statement).run(...args);
  db.close();
};
const oneLine = (text: string) => { assert.is(text.trim().split('\n').length, 1, `one line: ${text}`); assert.not.match(text, /\n\s+at /); };
const snapshot = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('fleetward.db')).map((f) => `${f} ${statSync(join(dir, f)).size} ${readFileSync(join(dir, f)).toString('base64').length}`).join('\n');

for (const [name, damage, expect] of [
  ['run status', (d: string) => sql(d, `UPDATE state SET value = '{"source": ' WHERE name = 'run'`), /run is damaged/],
  ['last good revision', (d: string) => sql(d, `UPDATE state SET value = 'null garbage' WHERE name = 'revision'`), /revision is damaged/],
  ['per-object status', (d: string) => sql(d, `UPDATE state SET value = '[' WHERE name = 'objects'`), /objects is damaged/],
  ['simulated clock', (d: string) => writeFileSync(join(d, 'clock.json'), '{"now": "2026-11-2'), /clock\.json: not valid JSON/],
] as const) {
  test(`a damaged ${name}: run stops with one line, check lists it and changes nothing, repair recovers, run goes on`, async () => {
    const dir = aCopy(name.replaceAll(' ', '-'));
    damage(dir);
    const r = await runOnce(dir);
    assert.is(r.code, 1, r.stderr);
    oneLine(r.stderr);
    assert.match(r.stderr, expect);
    assert.match(r.stderr, /fleetward state repair/);

    const before = snapshot(dir);
    const check = await runCli(['state', 'check', '--state-dir', dir]);
    assert.is(check.code, 1, check.stdout + check.stderr);
    assert.match(check.stdout, expect);
    assert.is(snapshot(dir), before, 'check writes nothing');

    const repair = await runCli(['state', 'repair', '--state-dir', dir]);
    assert.is(repair.code, 0, repair.stderr);
    assert.match(repair.stdout, /removed/);
    const again = await runOnce(dir);
    assert.is(again.code, 0, again.stderr);
    assert.is((await runCli(['state', 'check', '--state-dir', dir])).code, 0);
  });
}

test('a store file that is not a database: one line, and repair replaces it keeping the damaged file', async () => {
  const dir = aCopy('garbage');
  writeFileSync(join(dir, 'fleetward.db'), Buffer.alloc(8192, 0x5a));
  const r = await runOnce(dir);
  assert.is(r.code, 1);
  oneLine(r.stderr);
  assert.match(r.stderr, /fleetward\.db: .*fleetward state check/);
  const check = await runCli(['state', 'check', '--state-dir', dir]);
  assert.is(check.code, 1);
  assert.match(check.stdout, /^store: .*integrity check/m);
  const repair = await runCli(['state', 'repair', '--state-dir', dir]);
  assert.is(repair.code, 0, repair.stderr);
  assert.match(repair.stdout, /the damaged file is kept as .*fleetward\.db\.damaged-/);
  assert.ok(readdirSync(dir).some((f) => f.startsWith('fleetward.db.damaged-')));
  const again = await runOnce(dir);
  assert.is(again.code, 0, again.stderr);
});

test('a damaged device record: check names it, repair replaces it with an empty history marked lost, status says so', async () => {
  const dir = aCopy('device');
  const db = new DatabaseSync(join(dir, 'fleetward.db'));
  const { id } = db.prepare(`SELECT id FROM devices WHERE key IN (SELECT device FROM history) ORDER BY id LIMIT 1`).get() as { id: string };
  db.prepare(`UPDATE devices SET plan = 'garbage' WHERE id = ?`).run(id);
  db.close();
  const status = await runCli(['status', '--state-dir', dir, '--device', id]);
  assert.is(status.code, 1);
  oneLine(status.stderr);
  assert.match(status.stderr, new RegExp(`device ${id} is damaged`));
  const check = await runCli(['state', 'check', '--state-dir', dir]);
  assert.is(check.code, 1);
  assert.match(check.stdout, new RegExp(`^device ${id}: `, 'm'));
  const repair = await runCli(['state', 'repair', '--state-dir', dir]);
  assert.is(repair.code, 0, repair.stderr);
  assert.match(repair.stdout, new RegExp(`device ${id}: .*historyLost`));
  const after = await runCli(['status', '--state-dir', dir, '--device', id]);
  assert.is(after.code, 0, after.stderr);
  assert.match(after.stdout, /history lost \(.*\): fleetward state repair: the stored record could not be read/);
  assert.ok(existsSync(join(dir, 'fleetward.db')));
});

test.run();
