// `fleetward plan|forecast --state-url-file FILE` (issue 11 item 4): the live fleet from the operator's
// PostgreSQL store, on a real server (test/support/postgres.ts), read with a role that may only SELECT — the
// pull-request check of docs/plan.md. The store holds what the two passes of plan-live-fixture.ts recorded
// (one update in flight, one failed and held), written through the store API as the operator writes it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStateStore } from '../../controller/store/open.ts';
import { runCli } from '../support/run-cli.ts';
import { AT, firmware, recordLiveRun } from '../support/plan-live-fixture.ts';
import { startPostgres, type TestPostgres } from '../support/postgres.ts';

const PASSWORD = 'pr-check-Xq7vK2mWz9';
const root = mkdtempSync(join(tmpdir(), 'fleetward-plan-pg-'));
let server: TestPostgres;
let config = '';
let state = '';
let ownerUrl = '';
let readerUrl = '';
const urlFile = join(root, 'state-url');

const dbUrl = (base: string, name: string) => base.replace(/\/postgres$/, `/${name}`);
const asReader = (base: string) => base.replace('postgres://fleetward@', `postgres://fleetward_pr:${PASSWORD}@`);

async function sql(url: string, ...statements: string[]): Promise<pg.QueryResult[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const out: pg.QueryResult[] = [];
    for (const s of statements) out.push(await c.query(s));
    return out;
  } finally {
    await c.end();
  }
}

/** Every row of every Fleetward table, to show that a plan changed none. */
async function rows(url: string): Promise<string> {
  const tables = (await sql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"))[0]!.rows.map((r) => r.tablename as string);
  const out: string[] = [];
  for (const t of tables) out.push(t, JSON.stringify((await sql(url, `SELECT * FROM ${t} ORDER BY 1, 2`))[0]!.rows));
  return out.join('\n');
}

test.before(async () => {
  server = await startPostgres();
  ({ config, state } = await recordLiveRun(root));
  await sql(server.url, 'CREATE DATABASE fleet');
  ownerUrl = dbUrl(server.url, 'fleet');
  // What the run recorded, committed to PostgreSQL in one pass of the store the operator uses.
  const from = await openStateStore({ stateDir: state }, { readOnly: true });
  const to = await openStateStore({ stateDir: root, url: ownerUrl });
  await to.beginPass();
  to.writeRun(from.readRun()!);
  to.writeLastGoodRevision(from.readLastGoodRevision()!);
  to.writeObjects(from.readObjects());
  to.writeDevices(from.listDeviceIds().map((id) => from.readDevice(id)!));
  await to.commitPass();
  await to.close();
  await from.close();
  // The read-only role of docs/plan.md, word for word.
  await sql(ownerUrl, `CREATE ROLE fleetward_pr LOGIN PASSWORD '${PASSWORD}'`, 'GRANT CONNECT ON DATABASE fleet TO fleetward_pr',
    'GRANT USAGE ON SCHEMA public TO fleetward_pr', 'GRANT SELECT ON ALL TABLES IN SCHEMA public TO fleetward_pr');
  readerUrl = asReader(ownerUrl);
  writeFileSync(urlFile, `${readerUrl}\n`, { mode: 0o600 });
});
test.after(() => {
  server?.close();
  rmSync(root, { recursive: true, force: true });
});

test('plan from the PostgreSQL store with a SELECT-only role: the same plan as from the state directory, in flight and held', async () => {
  const before = await rows(ownerUrl);
  const r = await runCli(['plan', '--config', config, '--state-url-file', urlFile, '--at', AT, '-o', 'json']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '');
  const live = JSON.parse(r.stdout);
  assert.is(firmware(live, 'phone-flight').state, 'InProgress');
  const failed = firmware(live, 'phone-fail');
  assert.equal([failed.state, failed.reason, failed.message], ['Held', 'FailureHold', '1 attempts of 122.15.0.58 failed; held until a person acts']);
  assert.equal(live.operations, [], 'nothing is issued twice');
  assert.equal({ ...live.live, observedAt: undefined }, { observedAt: undefined, devices: 2, inFlight: 1, failed: 0, held: 1 });
  const fromDir = await runCli(['plan', '--config', config, '--state', state, '--at', AT, '-o', 'json']);
  assert.is(r.stdout, fromDir.stdout, 'the store the fleet is read from changes nothing in the plan');
  assert.is(await rows(ownerUrl), before, 'planning wrote nothing');

  // Without --config: the revision in force, as recorded in the database.
  const md = await runCli(['plan', '--state-url-file', urlFile, '--at', AT, '-o', 'markdown']);
  assert.is(md.code, 0, md.stderr);
  assert.match(md.stdout, '_Live fleet: 2 devices as the installation last observed them at 2026-11-23 16:00 UTC; components: 1 in flight, 0 failed, 1 held._');
  assert.not.match(md.stdout + md.stderr, PASSWORD);
});

test('plan --compare and forecast read it too; FLEETWARD_STATE_URL works as for status', async () => {
  const c = await runCli(['plan', '--config', config, '--state-url-file', urlFile, '--at', AT, '--compare', config]);
  assert.is(c.code, 0, c.stderr);
  assert.match(c.stdout, 'Live fleet: 2 devices');
  const f = await runCli(['forecast', '--state-url-file', urlFile, '--release', 'firmware@122.15.0.58', '--at', AT, '-o', 'json']);
  assert.is(f.code, 0, f.stderr);
  const fromDir = await runCli(['forecast', '--state', state, '--release', 'firmware@122.15.0.58', '--at', AT, '-o', 'json']);
  assert.is(f.stdout, fromDir.stdout);
  const env = await runCli(['plan', '--config', config, '--at', AT, '-o', 'json'], { env: { FLEETWARD_STATE_URL: readerUrl } });
  assert.is(env.code, 0, env.stderr);
  assert.is(firmware(JSON.parse(env.stdout), 'phone-flight').state, 'InProgress');
});

test('the read-only role cannot write: what a plan could not do even if it tried', async () => {
  let refused = '';
  try {
    await sql(readerUrl, "UPDATE fleetward_state SET value = value WHERE name = 'run'");
  } catch (err) {
    refused = (err as Error).message;
  }
  assert.match(refused, /permission denied for table fleetward_state/);
});

test('a URL in argv, a store that cannot be read, or two sources: one line, exit 2 or 1, never the password', async () => {
  const argv = await runCli(['plan', '--config', config, '--state', readerUrl]);
  assert.is(argv.code, 2);
  assert.is(argv.stderr, 'fleetward: --state takes a state directory; for a PostgreSQL store put its URL in a file and give --state-url-file FILE (or set FLEETWARD_STATE_URL), docs/plan.md\n');

  const both = await runCli(['plan', '--config', config, '--state', state, '--state-url-file', urlFile]);
  assert.is(both.code, 2);
  assert.match(both.stderr, 'give either --fleet FILE (a fleet file) or --state DIR / --state-url-file FILE');

  const missing = await runCli(['plan', '--config', config, '--state-url-file', join(root, 'nowhere')]);
  assert.is(missing.code, 2);
  assert.is(missing.stderr, `fleetward: --state-url-file ${join(root, 'nowhere')}: cannot read it (ENOENT)\n`);

  // A database without Fleetward's tables (the wrong database in the secret), and one that does not exist.
  await sql(server.url, 'CREATE DATABASE empty');
  for (const name of ['empty', 'nosuchdb']) {
    const file = join(root, `url-${name}`);
    writeFileSync(file, asReader(dbUrl(server.url, name)));
    const r = await runCli(['plan', '--config', config, '--state-url-file', file, '--at', AT]);
    assert.is(r.code, 1, r.stderr);
    assert.is(r.stderr, `fleetward: --state-url-file: postgres://fleetward_pr@127.0.0.1:${server.port}/${name}${name === 'empty'
      ? " holds no Fleetward state (no fleetward_* tables); point it at the database of the operator's --state-url-file"
      : `: database "${name}" does not exist`}\n`);
    assert.not.match(r.stderr, PASSWORD);
    assert.is(r.stdout, '');
  }
  assert.equal((await sql(dbUrl(server.url, 'empty'), "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'"))[0]!.rows, [{ n: 0 }], 'no schema was created');
});

test.run();
