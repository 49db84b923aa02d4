// Per-device provisioning state in the state store (issue 16.3), SQLite and PostgreSQL alike: a batch of
// 10,000 devices is read back as written (in the batch's order) by a new process, a pass that changed three
// devices writes three rows, devices dropped from a batch and batches removed are gone, shards keep their own
// rows, and a store of the release before (schema 2) gains the tables without losing anything.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SqliteStore, SCHEMA_VERSION } from '../../controller/store/sqlite.ts';
import { PostgresStore } from '../../controller/store/postgres.ts';
import type { StateStore } from '../../controller/store/store.ts';
import type { ProvisioningBatchStatus, ProvisioningDeviceStatus } from '../../controller/store/records.ts';
import { countStates } from '../../controller/provisioning/status.ts';
import { startPostgres, type TestPostgres } from '../support/postgres.ts';

const mac = (i: number): string => `44-DB-D2-${[i >> 16, (i >> 8) & 0xff, i & 0xff].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('-')}`;
function aBatch(name: string, n: number): ProvisioningBatchStatus {
  const devices: ProvisioningDeviceStatus[] = Array.from({ length: n }, (_, i) => ({
    macAddress: mac(n - i), state: 'AwaitingActivation', location: `desk ${i}`, codeHash: `scrypt$4096$8$1$salt${i}$hash`,
    codeIssuedAt: '2026-11-23T09:00:00Z', codeExpiresAt: '2026-11-24T09:00:00Z', codesIssued: 1,
  }));
  return { batch: name, counts: countStates(devices), devices, lastReconciledAt: '2026-11-23T09:00:00Z' };
}
function changed(b: ProvisioningBatchStatus, which: number[]): ProvisioningBatchStatus {
  const devices = b.devices.map((d, i) => (which.includes(i) ? { ...d, state: 'AwaitingSignIn' as const, codeHash: undefined } : d))
    .map((d) => JSON.parse(JSON.stringify(d)) as ProvisioningDeviceStatus);
  return { ...b, devices, counts: countStates(devices) };
}

async function roundTrip(open: () => Promise<StateStore>, rowsWritten?: (s: StateStore) => number): Promise<void> {
  const big = aBatch('campus', 10_000);
  const small = aBatch('annex', 3);
  let store = await open();
  await store.beginPass();
  assert.ok(store.writeProvisioning(big));
  assert.ok(store.writeProvisioning(small));
  assert.not.ok(store.writeProvisioning(big), 'the same status again changes nothing');
  await store.commitPass();
  await store.close();

  store = await open();
  assert.equal(store.readProvisioning(), [small, big], 'read back by a new process, sorted by batch, devices in the batch\'s order');
  const before = rowsWritten?.(store);
  await store.beginPass();
  assert.ok(store.writeProvisioning(changed(big, [0, 5000, 9999])));
  await store.commitPass();
  if (rowsWritten) assert.is(rowsWritten(store) - before!, 4, 'three device rows and the batch row');
  const fewer = { ...big, devices: big.devices.slice(0, 9_000), counts: countStates(big.devices.slice(0, 9_000)) };
  await store.beginPass();
  store.writeProvisioning(fewer);
  assert.ok(store.removeProvisioning('annex'));
  assert.not.ok(store.removeProvisioning('annex'), 'removing it twice');
  await store.commitPass();
  await store.close();

  store = await open();
  assert.equal(store.readProvisioning(), [fewer], 'dropped devices and the removed batch are gone');
  await store.close();
}

test('SQLite: a 10,000-device batch round-trips, only what changed is written, dropped devices and batches go', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-prov-store-'));
  try {
    await roundTrip(async () => new SqliteStore(dir), (s) => ((s as SqliteStore).db.prepare('SELECT total_changes() AS n').get() as { n: number }).n);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SQLite: a store of schema 2 (the release before) gains the provisioning tables on open and keeps what it had', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-prov-store-'));
  try {
    const store = new SqliteStore(dir);
    store.writeRun({ source: 'dir:/config', driver: 'simulator', conditions: [] });
    // What a file of the release before looks like: no provisioning tables, schema 2.
    store.db.exec('DROP TABLE provisioning_devices; DROP TABLE provisioning_batches; DELETE FROM schema_version WHERE version > 2');
    await store.close();
    const upgraded = new SqliteStore(dir);
    assert.is(upgraded.schemaVersion(), SCHEMA_VERSION);
    assert.equal(upgraded.readRun()?.source, 'dir:/config');
    assert.equal(upgraded.readProvisioning(), []);
    upgraded.writeProvisioning(aBatch('annex', 2));
    assert.equal(upgraded.readProvisioning().map((b) => b.devices.length), [2]);
    await upgraded.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

let server: TestPostgres | undefined;
test.after(async () => { await server?.stop(); });

test('PostgreSQL: the same, and each shard reads and writes only its own batches', async () => {
  server = await startPostgres();
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query('CREATE DATABASE provisioning');
  await admin.end();
  const url = server.url.replace(/\/postgres$/, '/provisioning');
  const scratch = mkdtempSync(join(tmpdir(), 'fw-pg-scratch-'));
  try {
    const open = (scope?: string) => PostgresStore.open({ connectionString: url, dir: scratch, timeoutMs: 5000, ...(scope ? { scope } : {}) });
    await roundTrip(() => open('emea'));
    const amer = await open('amer');
    assert.equal(amer.readProvisioning(), [], 'amer sees none of emea\'s batches');
    await amer.beginPass();
    amer.writeProvisioning(aBatch('desks', 2));
    await amer.commitPass();
    await amer.close();
    const emea = await open('emea');
    assert.equal(emea.readProvisioning().map((b) => b.batch), ['campus']);
    await emea.close();

    // A read-only role granted before the upgrade that added the provisioning tables: what it may read still
    // opens (plan needs nothing more); reading provisioning status says which grant is missing.
    const owner = new pg.Client({ connectionString: url });
    await owner.connect();
    for (const q of ["CREATE ROLE reader LOGIN PASSWORD 'reader-pw-1'", 'GRANT USAGE ON SCHEMA public TO reader',
      'GRANT SELECT ON fleetward_state, fleetward_devices, fleetward_history, fleetward_notifications, fleetward_schema_version TO reader']) await owner.query(q);
    await owner.end();
    const reader = await PostgresStore.open({ connectionString: url.replace('postgres://fleetward@', 'postgres://reader:reader-pw-1@'), dir: scratch, timeoutMs: 5000, scope: 'emea', readOnly: true });
    assert.equal(reader.readObjects(), {});
    assert.throws(() => reader.readProvisioning(), /cannot read the provisioning tables \(permission denied for table fleetward_provisioning_batches\); grant the read-only role SELECT on them/);
    await reader.close();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

test.run();
