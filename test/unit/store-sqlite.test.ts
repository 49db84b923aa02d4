// The SQLite state store: what is written is read back exactly, only changes are written, a pass is one
// transaction (a reader never sees half of one, a killed process loses only what was not committed), schema
// versions, file modes, and the one-time migration of a JSON state directory.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { DB_FILE, SCHEMA_VERSION, SqliteStore, StoreDamaged } from '../../controller/store/sqlite.ts';
import { JsonDirStore } from '../../controller/store/json-dir.ts';
import { openStateStore } from '../../controller/store/open.ts';
import { JSON_BACKUP_DIR, type JsonMigration } from '../../controller/store/migrate-json.ts';
import type { DeviceRecord, HistoryEntry } from '../../controller/store/records.ts';

const exec = promisify(execFile);
const tmp = () => mkdtempSync(join(tmpdir(), 'fw-sqlite-'));

function anEntry(id: string, over: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    issuedBy: 'fleetward', reason: 'PhaseRolloutSlot', revision: 'sha256:' + 'ab'.repeat(32), operationId: id,
    operationType: 'softwareUpdate', status: 'successful', createdAt: '2026-11-20T02:00:00.000Z', component: 'firmware',
    fromVersion: '122.15.0.10', toVersion: '122.15.0.20', startedAt: '2026-11-20T02:01:00Z', completedAt: '2026-11-20T02:09:30.123Z',
    ...over,
  };
}
function aRecord(id: string, history: HistoryEntry[] = [anEntry(`${id}-op1`)]): DeviceRecord {
  return {
    id, group: 'phones', phase: 'General', ring: null, maintenanceWindow: 'nights',
    components: [
      { component: 'firmware', currentVersion: '122.15.0.20', targetVersion: '122.15.0.30', state: 'Scheduled', reason: 'PhaseDeferral', notBefore: '2026-12-01T02:00:00.000Z' },
      { component: 'teamsClient', currentVersion: null, targetVersion: null, state: 'Held', reason: 'UnknownVersion', message: 'the catalog does not know 0.0.0.1', notBefore: null, unsupported: true },
    ],
    observed: {
      id, macAddress: 'AA-BB-CC-00-00-01', deviceType: 'ipPhone', manufacturer: 'Yealink', model: 'MP56', timeZone: 'Europe/Paris',
      labels: { site: 'paris', tier: 'pilot' }, online: true, activityState: 'idle', healthStatus: 'healthy',
      software: { firmware: '122.15.0.20', teamsClient: '1449.1.0.200' },
    },
    history,
  };
}

test('a device record is read back exactly as written, by the writer and by a new reader', async () => {
  const dir = tmp();
  const store = new SqliteStore(dir);
  const rec = aRecord('room/42 ../x', [
    anEntry('op-1'),
    anEntry('op-2', { status: 'failed', error: { code: 'InstallFailed', message: 'disk full' }, diagnostics: { operationId: 'op-3', status: 'successful', logsUrl: 'https://logs/op-3' }, forced: true, softwareUpdate: 'hotfix' }),
    { issuedBy: 'backend', operationId: 'op-3', operationType: 'deviceDiagnostics', status: 'successful', createdAt: '2026-11-21T00:00:00Z', logsUrl: 'https://logs/op-3' },
  ]);
  rec.pending = [{ component: 'firmware', toVersion: '122.15.0.30', reason: 'PhaseRolloutSlot', revision: 'r1', forced: true }];
  await store.beginPass();
  store.writeDevice(rec);
  store.writeRun({ source: 'dir:/x', driver: 'simulator', conditions: [] });
  await store.commitPass();
  await store.close();
  const reader = new SqliteStore(dir, { readOnly: true });
  assert.equal(reader.readDevice('room/42 ../x'), rec);
  assert.equal(reader.listDeviceIds(), ['room/42 ../x']);
  assert.is(reader.readRun()!.source, 'dir:/x');
  await reader.close();
  const writer = new SqliteStore(dir);
  assert.equal(writer.readDevice('room/42 ../x'), rec);
  assert.is(writer.readDevice('unknown'), undefined);
  await writer.close();
  rmSync(dir, { recursive: true, force: true });
});

test('every shape of instant, operation id and component survives the compact encoding exactly', async () => {
  const dir = tmp();
  const store = new SqliteStore(dir);
  const instants = ['2026-11-20T02:00:00.000Z', '2026-11-20T02:00:00Z', '2026-11-20T02:00:00.5Z', '2026-02-30T00:00:00.000Z', '2028-02-29T23:59:59.999Z',
    '1969-12-31T23:59:59.000Z', '2026-11-20T02:00:00+01:00', 'not a time', '2026-13-01T00:00:00.000Z'];
  const ids = ['0f8fad5b-d9cb-469f-a165-70867728950e', '0F8FAD5B-D9CB-469F-A165-70867728950E', 'op-1', '', 'x'.repeat(300)];
  const history: HistoryEntry[] = [];
  instants.forEach((t, i) => history.push(anEntry(`t${i}`, { createdAt: t, startedAt: instants[(i + 1) % instants.length]!, completedAt: t })));
  ids.forEach((id, i) => history.push(anEntry(id || 'empty-stays-text', { createdAt: `2026-11-2${i}T00:00:00.000Z` })));
  const rec = aRecord('shapes', history);
  rec.components![0]!.unsupported = false;
  (rec.components![1] as unknown as Record<string, unknown>).futureField = { nested: [1, 2] };
  rec.observed = { id: 'another id', deviceType: 'teamsRoom', manufacturer: 'Logitech', model: 'RallyBar', timeZone: 'UTC', online: false, software: {}, serialNumber: 'S1', displayName: 'Room 1' };
  (rec.observed as unknown as Record<string, unknown>).futureField = 'x';
  store.writeDevices([rec]);
  await store.close();
  const back = new SqliteStore(dir, { readOnly: true });
  const got = back.readDevice('shapes')!;
  assert.equal(got, { ...rec, history: [...rec.history].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.operationId < b.operationId ? -1 : 1)) });
  await back.close();
  rmSync(dir, { recursive: true, force: true });
});

test('only what changed is written: the same records again change nothing, one new history entry changes one device', async () => {
  const dir = tmp();
  const store = new SqliteStore(dir);
  const recs = Array.from({ length: 50 }, (_, i) => aRecord(`d${i}`));
  assert.is(store.writeDevices(recs), 50);
  const copies = recs.map((r) => structuredClone(r));
  assert.is(store.writeDevices(copies), 0, 'equal copies are not written again');
  copies[7]!.history.push(anEntry('d7-op2', { createdAt: '2026-11-22T02:00:00.000Z', status: 'inProgress' }));
  assert.is(store.writeDevices(copies), 1);
  copies[7]!.history[1]!.status = 'successful';
  assert.is(store.writeDevices(copies), 1, 'a status change is a change');
  copies[8]!.components![0]!.state = 'Due';
  assert.is(store.writeDevices(copies), 1, 'a plan change is a change');
  copies[10]!.observed!.activityState = 'busy';
  assert.is(store.writeDevices(copies), 1, 'what the driver reports is a change');
  copies[11]!.observed!.labels!.site = 'lyon';
  assert.is(store.writeDevices(copies), 1, 'so is a label');
  copies[9]!.history = [];
  assert.is(store.writeDevices(copies), 1, 'an entry dropped (retention) is deleted');
  await store.close();
  const again = new SqliteStore(dir, { readOnly: true });
  assert.equal(again.readDevice('d7'), copies[7]);
  assert.equal(again.readDevice('d9')!.history, []);
  assert.is(again.readDevice('d8')!.components![0]!.state, 'Due');
  await again.close();
  rmSync(dir, { recursive: true, force: true });
});

test('after a restart, the same records with their fields in another order are not written again; an edit in place is', async () => {
  const dir = tmp();
  const first = new SqliteStore(dir);
  first.writeDevices(Array.from({ length: 20 }, (_, i) => aRecord(`d${i}`)));
  await first.close();
  const store = new SqliteStore(dir);
  const reversed = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).reverse());
  const recs = Array.from({ length: 20 }, (_, i) => {
    const r = aRecord(`d${i}`);
    return { ...reversed(r as unknown as Record<string, unknown>), components: r.components!.map((c) => reversed(c as unknown as Record<string, unknown>)),
      observed: { ...reversed(r.observed as unknown as Record<string, unknown>), labels: reversed(r.observed!.labels!) } } as unknown as DeviceRecord;
  });
  assert.is(store.writeDevices(recs), 0, 'the order of fields is not a change');
  recs[3]!.components![1]!.message = 'the catalog does not know 0.0.0.2';
  assert.is(store.writeDevices(recs), 1, 'a message edited in the caller\'s object is');
  recs[4]!.observed!.software!.firmware = '122.15.0.30';
  recs[5]!.observed!.online = false;
  assert.is(store.writeDevices(recs), 2, 'as are a version and a flag');
  delete recs[6]!.components![1]!.unsupported;
  assert.is(store.writeDevices(recs), 1, 'and a field removed');
  await store.close();
  const reader = new SqliteStore(dir, { readOnly: true });
  assert.is(reader.readDevice('d3')!.components![1]!.message, 'the catalog does not know 0.0.0.2');
  assert.is(reader.readDevice('d4')!.observed!.software.firmware, '122.15.0.30');
  assert.is(reader.readDevice('d6')!.components![1]!.unsupported, undefined);
  await reader.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a pass is one transaction: a reader sees the previous pass until commit; abort drops the pass', async () => {
  const dir = tmp();
  const store = new SqliteStore(dir);
  store.writeDevices([aRecord('a')]);
  await store.beginPass();
  const rec = structuredClone(store.readDevice('a')!);
  rec.history.push(anEntry('a-op2', { createdAt: '2026-11-22T00:00:00.000Z' }));
  store.writeDevices([rec, aRecord('b')]);
  store.writeRun({ source: 'dir:/y', driver: 'simulator', conditions: [] });
  const reader = new SqliteStore(dir, { readOnly: true });
  assert.is(reader.readDevice('a')!.history.length, 1, 'the reader sees the last committed pass');
  assert.equal(reader.listDeviceIds(), ['a']);
  assert.is(reader.readRun(), undefined);
  await store.commitPass();
  assert.is(reader.readDevice('a')!.history.length, 2, 'and the new one once committed');
  assert.equal(reader.listDeviceIds(), ['a', 'b']);

  await store.beginPass();
  const changed = structuredClone(store.readDevice('b')!);
  changed.history = [];
  store.writeDevices([changed, aRecord('c')]);
  store.writeRun({ source: 'dir:/z', driver: 'simulator', conditions: [] });
  await store.abortPass();
  assert.is(store.readDevice('b')!.history.length, 1, 'the writer reads the committed record again');
  assert.is(store.readDevice('c'), undefined);
  assert.is(store.readRun()!.source, 'dir:/y');
  assert.is(store.writeDevices([changed]), 1, 'and writes the change again when asked');
  assert.is(reader.readDevice('b')!.history.length, 0);
  await reader.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a process killed mid-pass leaves what was checkpointed and nothing after it', async () => {
  const dir = tmp();
  const script = join(dir, 'kill.ts');
  writeFileSync(script, `
    import { SqliteStore } from ${JSON.stringify(pathToFileURL(join(process.cwd(), 'controller/store/sqlite.ts')).href)};
    const store = new SqliteStore(${JSON.stringify(join(dir, 'state'))});
    const rec = (id, n) => ({ id, history: Array.from({ length: n }, (_, i) => ({ issuedBy: 'fleetward', operationId: id + i, operationType: 'softwareUpdate', status: 'queued', createdAt: '2026-11-20T00:00:00.000Z' })) });
    await store.beginPass();
    store.writeDevices([rec('a', 1), { id: 'b', pending: [{ component: 'firmware', toVersion: '2', reason: 'R', revision: 'r' }], history: [] }]);
    await store.checkpoint();
    store.writeDevices([rec('a', 3), rec('c', 1)]);
    process.kill(process.pid, 'SIGKILL');
  `);
  await exec(process.execPath, [script]).catch((err: { signal?: string }) => assert.is(err.signal, 'SIGKILL'));
  const store = new SqliteStore(join(dir, 'state'));
  assert.is(store.readDevice('a')!.history.length, 1, 'the checkpointed history');
  assert.equal(store.readDevice('b')!.pending!.map((p) => p.toVersion), ['2'], 'the checkpointed intent');
  assert.is(store.readDevice('c'), undefined, 'nothing written after the checkpoint');
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the database and its journal files are readable by the owner only', async () => {
  const dir = tmp();
  const store = new SqliteStore(join(dir, 'state'));
  store.writeDevices([aRecord('a')]);
  for (const f of readdirSync(join(dir, 'state'))) {
    assert.is(statSync(join(dir, 'state', f)).mode & 0o077, 0, `${f} is not readable by others`);
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a file written by a newer Fleetward is refused with one line, and left as it is', async () => {
  const dir = tmp();
  const store = new SqliteStore(dir);
  store.writeDevices([aRecord('a')]);
  await store.close();
  const db = new DatabaseSync(join(dir, DB_FILE));
  db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(SCHEMA_VERSION + 1, '2027-01-01T00:00:00Z');
  db.close();
  const before = statSync(join(dir, DB_FILE)).size;
  assert.throws(() => new SqliteStore(dir), (err: Error) => err instanceof StoreDamaged && new RegExp(`written by a newer Fleetward \\(schema ${SCHEMA_VERSION + 1}; this one knows up to ${SCHEMA_VERSION}\\)`).test(err.message) && !err.message.includes('\n'));
  assert.is(statSync(join(dir, DB_FILE)).size, before);
  rmSync(dir, { recursive: true, force: true });
});

test('a file that is not a database is refused with one line naming `fleetward state check`', () => {
  const dir = tmp();
  writeFileSync(join(dir, DB_FILE), 'this is not SQLite, but long enough to look like a header of sorts..........................................');
  assert.throws(() => new SqliteStore(dir), (err: Error) => err instanceof StoreDamaged && /fleetward state check/.test(err.message));
  rmSync(dir, { recursive: true, force: true });
});

test('a JSON state directory is migrated once: everything copied, damaged files reported, the JSON kept aside', async () => {
  const dir = tmp();
  const json = new JsonDirStore(dir);
  const recs = [aRecord('a'), aRecord('b', [anEntry('b1'), anEntry('b2', { createdAt: '2026-11-21T00:00:00.000Z' })]), aRecord('c/with slash')];
  for (const r of recs) json.writeDevice(r);
  json.writeRun({ source: 'dir:/cfg', driver: 'simulator', conditions: [], lastAppliedRevision: 'sha256:1' });
  json.writeLastGoodRevision({ id: 'sha256:1', objects: [] });
  json.writeObjects({ 'DeviceGroup/phones': { kind: 'DeviceGroup', name: 'phones', conditions: [] } });
  writeFileSync(join(dir, 'devices', 'broken.json'), '{"id": "broken", "hist');
  mkdirSync(join(dir, 'simulator'));

  const migrations: JsonMigration[] = [];
  const store = await openStateStore({ stateDir: dir }, { onMigrated: (m) => migrations.push(m) });
  assert.is(migrations.length, 1);
  assert.is(migrations[0]!.devices, 3);
  assert.equal(migrations[0]!.damaged.map((d) => d.id), ['broken']);
  assert.match(migrations[0]!.damaged[0]!.message, /broken\.json: device broken is damaged \(not valid JSON/);
  for (const r of recs) assert.equal(store.readDevice(r.id), r);
  assert.is(store.readRun()!.lastAppliedRevision, 'sha256:1');
  assert.is(store.readLastGoodRevision()!.id, 'sha256:1');
  assert.ok(store.readObjects()['DeviceGroup/phones']);
  await store.close();
  assert.not.ok(existsSync(join(dir, 'run.json')), 'the JSON files are moved aside');
  assert.ok(existsSync(join(dir, JSON_BACKUP_DIR, 'devices', 'broken.json')), 'the damaged file is kept in the backup');
  assert.ok(existsSync(join(dir, 'simulator')), 'what is not the store stays');

  const again = await openStateStore({ stateDir: dir }, { onMigrated: (m) => migrations.push(m) });
  assert.is(migrations.length, 1, 'migrated once');
  assert.equal(again.listDeviceIds(), ['a', 'b', 'c/with slash']);
  await again.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a migration interrupted before its commit starts over; one interrupted after it only moves the files', async () => {
  const dir = tmp();
  const json = new JsonDirStore(dir);
  json.writeDevice(aRecord('a'));
  json.writeRun({ source: 'dir:/cfg', driver: 'simulator', conditions: [] });
  // Before the commit: an empty database beside the JSON files.
  await new SqliteStore(dir).close();
  const first = await openStateStore({ stateDir: dir });
  assert.equal(first.readDevice('a'), aRecord('a'));
  await first.close();
  // After the commit: the files came back (a crash before the move), the database already holds it all.
  const rebuilt = new JsonDirStore(dir);
  rebuilt.writeDevice(aRecord('a', [])); // not what was migrated: must not be imported again
  const second = await openStateStore({ stateDir: dir });
  assert.is(second.readDevice('a')!.history.length, 1);
  await second.close();
  assert.not.ok(existsSync(join(dir, 'devices')));
  rmSync(dir, { recursive: true, force: true });
});

test.run();
