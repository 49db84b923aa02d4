// The PostgreSQL state store against a real server (test/support/postgres.ts: initdb into a temporary folder,
// loopback only): what is written is read back by a new process (a restarted pod, a new leader), a pass is one
// transaction, two replicas never interleave their passes, and a database that goes away makes the pass fail
// cleanly — nothing half-written — and the store resumes without duplicates when it comes back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresStore, describeUrl, urlSecret } from '../../controller/store/postgres.ts';
import { StoreUnavailable } from '../../controller/store/store.ts';
import type { DeviceRecord, HistoryEntry } from '../../controller/store/records.ts';
import { createDatabase, startPostgres, type TestPostgres } from '../support/postgres.ts';
import { Fixture, aPhone, aRelease } from '../support/reconciler-fixture.ts';

let server: TestPostgres;
const scratch = mkdtempSync(join(tmpdir(), 'fw-pg-scratch-'));

/** A fresh database on the shared server, so the tests do not see each other's rows. */
const aDatabase = (): Promise<string> => createDatabase(server);
const open = (url: string, more: Partial<Parameters<typeof PostgresStore.open>[0]> = {}) =>
  PostgresStore.open({ connectionString: url, dir: scratch, timeoutMs: 2000, ...more });

function anEntry(id: string, over: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    issuedBy: 'fleetward', reason: 'PhaseRollout', revision: 'sha256:ab', operationId: id, operationType: 'softwareUpdate', status: 'queued',
    createdAt: '2026-11-20T02:00:00.000Z', component: 'firmware', fromVersion: '1.0.0.1', toVersion: '1.0.0.2', ...over,
  };
}
const aRecord = (id: string, history: HistoryEntry[] = [anEntry(`${id}-1`)]): DeviceRecord => ({
  id, group: 'phones', phase: 'General', maintenanceWindow: 'nights',
  components: [{ component: 'firmware', currentVersion: '1.0.0.1', targetVersion: '1.0.0.2', state: 'InProgress', reason: 'InFlight', notBefore: null }],
  history,
});

test.before(async () => { server = await startPostgres(); });
test.after(() => server?.close());

test('what one process commits, a new one (a restarted pod, a new leader) reads back', async () => {
  const url = await aDatabase();
  const a = await open(url);
  await a.beginPass();
  a.writeDevices([aRecord('d1'), aRecord('d2', [anEntry('x', { diagnostics: { operationId: 'y', status: 'successful', logsUrl: 'https://logs/y' } })])]);
  a.writeRun({ source: 'kubernetes', driver: 'graph', conditions: [] });
  a.writeLastGoodRevision({ id: 'r1', objects: [] });
  await a.commitPass();
  await a.close();
  const b = await open(url);
  assert.equal(b.readDevice('d1'), aRecord('d1'));
  assert.is(b.readDevice('d2')!.history[0]!.diagnostics!.logsUrl, 'https://logs/y');
  assert.equal(b.listDeviceIds(), ['d1', 'd2']);
  assert.is(b.readRun()!.driver, 'graph');
  assert.is(b.readLastGoodRevision()!.id, 'r1');
  await b.close();
});

test('nothing of a pass is visible before its commit, and an aborted pass leaves nothing', async () => {
  const url = await aDatabase();
  const a = await open(url);
  await a.beginPass();
  a.writeDevices([aRecord('d1')]);
  await a.commitPass();
  await a.beginPass();
  a.writeDevices([aRecord('d1', [anEntry('d1-1'), anEntry('d1-2', { createdAt: '2026-11-21T00:00:00.000Z' })]), aRecord('d2')]);
  const reader = await open(url, { readOnly: true });
  assert.equal(reader.listDeviceIds(), ['d1'], 'a reader sees the last committed pass');
  await reader.close();
  await a.abortPass();
  await a.beginPass();
  assert.is(a.readDevice('d1')!.history.length, 1, 'the writer reads the committed state again');
  assert.is(a.readDevice('d2'), undefined);
  await a.commitPass();
  await a.close();
});

test('two replicas that both think they lead: the second commit from a stale read is refused, not interleaved', async () => {
  const url = await aDatabase();
  const a = await open(url);
  const b = await open(url);
  await a.beginPass();
  await b.beginPass();
  a.writeDevices([aRecord('d1', [anEntry('from-a')])]);
  b.writeDevices([aRecord('d1', [anEntry('from-b')])]);
  await a.commitPass();
  try {
    await b.commitPass();
    assert.unreachable('the stale replica committed');
  } catch (err) {
    assert.instance(err, StoreUnavailable);
    assert.match((err as Error).message, /another replica wrote the store since this one read it/);
  }
  await b.beginPass();
  assert.equal(b.readDevice('d1')!.history.map((h) => h.operationId), ['from-a'], 'b reads what a committed before its next pass');
  await a.close();
  await b.close();
});

test('shards share one database without seeing each other', async () => {
  const url = await aDatabase();
  const east = await open(url, { scope: 'east' });
  const west = await open(url, { scope: 'west' });
  await east.beginPass(); east.writeDevices([aRecord('e1')]); east.writeRun({ source: 'k', driver: 'east', conditions: [] }); await east.commitPass();
  await west.beginPass(); west.writeDevices([aRecord('w1')]); west.writeRun({ source: 'k', driver: 'west', conditions: [] }); await west.commitPass();
  const again = await open(url, { scope: 'east' });
  assert.equal(again.listDeviceIds(), ['e1']);
  assert.is(again.readRun()!.driver, 'east');
  for (const s of [east, west, again]) await s.close();
});

test('the database down for a while: the commit fails with a clear error and writes nothing; after it is back the pass is recorded once', async () => {
  const url = await aDatabase();
  const a = await open(url);
  await a.beginPass();
  a.writeDevices([aRecord('d1')]);
  await a.commitPass();
  server.stop();
  try {
    await a.beginPass().catch(() => undefined);
    a.writeDevices([aRecord('d1', [anEntry('d1-1'), anEntry('d1-2', { createdAt: '2026-11-21T00:00:00.000Z' })])]);
    let failed: unknown;
    try { await a.commitPass(); } catch (err) { failed = err; }
    assert.instance(failed, StoreUnavailable);
    assert.match((failed as Error).message, /^postgres:\/\/fleetward@127\.0\.0\.1:\d+\/t\d+: /);
    assert.not.match((failed as Error).message, /password/);
    let opening: unknown;
    try { await open(url); } catch (err) { opening = err; }
    assert.instance(opening, StoreUnavailable, 'opening while it is down is a clear error too');
  } finally {
    server.start();
  }
  // The next pass reads the store again (nothing of the failed one is there) and records the same change once.
  await a.beginPass();
  assert.is(a.readDevice('d1')!.history.length, 1);
  a.writeDevices([aRecord('d1', [anEntry('d1-1'), anEntry('d1-2', { createdAt: '2026-11-21T00:00:00.000Z' })])]);
  await a.commitPass();
  const check = new pg.Client({ connectionString: url });
  await check.connect();
  const rows = (await check.query(`SELECT operation, count(*)::int AS n FROM fleetward_history GROUP BY operation ORDER BY operation`)).rows;
  await check.end();
  assert.equal(rows, [{ operation: 'd1-1', n: 1 }, { operation: 'd1-2', n: 1 }], 'no duplicate');
  await a.close();
});

test('a reconcile loop on PostgreSQL: database down → StoreUnavailable, not ready, nothing issued; back up → the pass resumes and issues each update once', async () => {
  const url = await aDatabase();
  const f = new Fixture({ devices: [aPhone('p1'), aPhone('p2')], releases: [aRelease('122.15.0.30', { releasedAt: '2026-06-01T00:00:00Z' }), aRelease('122.15.0.44')] });
  const store = await open(url);
  f.start({ store });
  server.stop();
  let down;
  try {
    down = await f.reconciler.reconcile();
  } finally {
    server.start();
  }
  assert.is(down.reason, 'StoreUnavailable');
  assert.not.ok(down.ok);
  assert.not.ok(f.reconciler.ready, '/readyz says NotReady');
  assert.is(f.updates().length, 0, 'nothing is started while the pass cannot be recorded');
  const up = await f.reconciler.reconcile();
  assert.ok(up.ok, up.reason);
  assert.ok(f.reconciler.ready);
  f.clock.advance(60_000);
  await f.reconciler.reconcile();
  const updates = f.updates();
  assert.is(updates.length, 2, 'one update per device, not two');
  // A new leader reads the full history back.
  await store.close();
  const next = await open(url);
  for (const id of ['p1', 'p2']) {
    const h = next.readDevice(id)!.history.filter((e) => e.operationType === 'softwareUpdate');
    assert.equal(h.map((e) => [e.issuedBy, e.toVersion]), [['fleetward', '122.15.0.44']], `${id}: its update, recorded as Fleetward's`);
  }
  await next.close();
  await f.close();
});

test('a connection string is described without its password, and only its password is redacted', () => {
  assert.is(describeUrl('postgres://fleetward:s3cr3t@db.example:5432/fleet?sslmode=verify-full'), 'postgres://fleetward@db.example:5432/fleet');
  assert.is(urlSecret('postgres://fleetward:s3cr3t%40x@db.example:5432/fleet'), 's3cr3t@x', 'only the password is a secret to redact');
  assert.is(urlSecret('postgres://fleetward@127.0.0.1:5432/postgres'), undefined, 'a URL without a password has nothing to redact');
});

test.run();
