// Notification bookkeeping in both state stores (SQLite, and PostgreSQL against a real server): written with
// the pass, read back by a new process, dropped with an aborted pass, and migrated into a store written by
// the release before it (schema 1) without touching what it held.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { PostgresStore } from '../../controller/store/postgres.ts';
import { SCHEMA_VERSION, SqliteStore } from '../../controller/store/sqlite.ts';
import type { DeliveryRecord, NotificationEventRecord } from '../../controller/store/records.ts';
import type { StateStore } from '../../controller/store/store.ts';
import { createDatabase, startPostgres, type TestPostgres } from '../support/postgres.ts';

let server: TestPostgres;
const scratch = mkdtempSync(join(tmpdir(), 'fw-notify-store-'));

const anEvent = (key: string, over: Partial<NotificationEventRecord> = {}): NotificationEventRecord => ({
  key, reason: 'DevicesHeld', severity: 'warning', object: 'FleetPolicy/default', title: 'held', message: 'held', devices: ['a'], deviceCount: 1,
  status: 'open', firstSeenAt: '2026-11-23T02:00:00.000Z', announced: 'open', announcedAt: '2026-11-23T02:01:00.000Z', announcedFingerprint: 'f', ...over,
});
const aDelivery = (id: string, over: Partial<DeliveryRecord> = {}): DeliveryRecord => ({
  id, provider: 'teams', action: 'open', content: anEvent('k'), createdAt: '2026-11-23T02:01:00.000Z', attempts: 0, nextAttemptAt: '2026-11-23T02:01:00.000Z', ...over,
});

const stores: [string, () => Promise<{ open: () => Promise<StateStore> }>][] = [
  ['SQLite', async () => { const dir = mkdtempSync(join(scratch, 's-')); return { open: async () => new SqliteStore(dir) }; }],
  ['PostgreSQL', async () => { const url = await createDatabase(server); return { open: () => PostgresStore.open({ connectionString: url, dir: scratch, timeoutMs: 2000 }) }; }],
];

test.before(async () => { server = await startPostgres(); });
test.after(() => { server?.close(); rmSync(scratch, { recursive: true, force: true }); });

for (const [name, make] of stores) {
  test(`${name}: what a pass writes is read back by a new process; an aborted pass leaves nothing`, async () => {
    const where = await make();
    const a = await where.open();
    await a.beginPass();
    assert.ok(a.writeNotifications({ events: { k: anEvent('k') }, deliveries: { d1: aDelivery('d1'), d2: aDelivery('d2') } }));
    assert.not.ok(a.writeNotifications({ events: { k: anEvent('k') } }), 'the same record again is no change');
    await a.commitPass();
    await a.beginPass();
    a.writeNotifications({ deliveries: { d1: null, d3: aDelivery('d3') } });
    await a.abortPass();
    await a.close();
    const b = await where.open();
    assert.equal(b.readNotifications().events, { k: anEvent('k') });
    assert.equal(Object.keys(b.readNotifications().deliveries).sort(), ['d1', 'd2'], 'the aborted drop and write are not there');
    await b.beginPass();
    b.writeNotifications({ deliveries: { d1: null, d2: { ...aDelivery('d2'), attempts: 1, lastError: 'HTTP 503' } } });
    await b.commitPass();
    await b.close();
    const c = await where.open();
    assert.equal(Object.values(c.readNotifications().deliveries), [{ ...aDelivery('d2'), attempts: 1, lastError: 'HTTP 503' }]);
    await c.close();
  });
}

test('SQLite: a store of the release before (schema 1) is migrated, its devices kept, notifications empty', async () => {
  const dir = mkdtempSync(join(scratch, 'm-'));
  const s = new SqliteStore(dir);
  await s.beginPass();
  s.writeDevice({ id: 'd1', history: [] });
  await s.commitPass();
  await s.close();
  // Back to what the previous release wrote: no notifications table, schema 1.
  const raw = new DatabaseSync(join(dir, 'fleetward.db'));
  raw.exec('DROP TABLE notifications; DROP TABLE provisioning_devices; DROP TABLE provisioning_batches; DELETE FROM schema_version WHERE version >= 2');
  raw.close();
  const t = new SqliteStore(dir);
  assert.is(t.schemaVersion(), SCHEMA_VERSION);
  assert.equal(t.listDeviceIds(), ['d1']);
  assert.equal(t.readNotifications(), { events: {}, deliveries: {} });
  await t.close();
});

test.run();
