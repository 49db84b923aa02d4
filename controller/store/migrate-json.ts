// The one-time move of a JSON state directory (the first releases) into the SQLite store, done by the first
// `fleetward run` of a release with the SQL store (docs/run.md "State"). All of it is copied in one
// transaction and marked done in the same transaction; only then are the JSON files moved aside into
// `<state-dir>/json-before-sqlite/` (kept as a backup, never read again). A run killed at any point either
// finds nothing migrated (and starts over) or finds it done (and only finishes moving the files).
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { isJsonStateDir, JsonDirStore } from './json-dir.ts';
import type { DeviceRecord } from './records.ts';
import type { SqliteStore } from './sqlite.ts';

export const JSON_BACKUP_DIR = 'json-before-sqlite';
const JSON_ENTRIES = ['run.json', 'revision.json', 'objects.json', 'devices'];

export interface JsonMigration {
  devices: number;
  /** Device files that could not be read: left in the backup folder, reported, not imported. */
  damaged: { id: string; message: string }[];
}

/** Migrates when `dir` holds JSON state; undefined when there was nothing to migrate. */
export async function migrateJsonDir(dir: string, store: SqliteStore): Promise<JsonMigration | undefined> {
  if (!isJsonStateDir(dir)) return undefined;
  let result: JsonMigration = { devices: 0, damaged: [] };
  const done = store.readMeta('migratedFromJson');
  if (done) {
    result = JSON.parse(done) as JsonMigration;
  } else {
    const json = new JsonDirStore(dir);
    const run = json.readRun();
    const revision = json.readLastGoodRevision();
    const objects = json.readObjects();
    const records: DeviceRecord[] = [];
    for (const id of json.listDeviceIds()) {
      try {
        const rec = json.readDevice(id);
        if (rec) records.push(rec);
      } catch (err) {
        result.damaged.push({ id, message: (err as Error).message });
      }
    }
    result.devices = records.length;
    await store.beginPass();
    try {
      if (run) store.writeRun(run);
      if (revision) store.writeLastGoodRevision(revision);
      if (Object.keys(objects).length) store.writeObjects(objects);
      store.writeDevices(records);
      store.writeMeta('migratedFromJson', JSON.stringify(result));
      await store.commitPass();
    } catch (err) {
      await store.abortPass();
      throw err;
    }
  }
  const backup = join(dir, JSON_BACKUP_DIR);
  mkdirSync(backup, { recursive: true, mode: 0o700 });
  for (const f of JSON_ENTRIES) {
    if (existsSync(join(dir, f))) renameSync(join(dir, f), join(backup, existsSync(join(backup, f)) ? `${f}.${Date.now()}` : f));
  }
  return result;
}
