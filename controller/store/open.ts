// The one place that decides which state store a command gets (docs/run.md "State"): the reconciler,
// `status`, `plan` and the operator are handed a StateStore and never ask which one it is.
//
//   a state directory  →  SQLite, <dir>/fleetward.db (a JSON directory of an older release is migrated once)
//
// Readers (`status`, `plan` against a running installation) open read-only: they never write, never
// migrate, and read a JSON directory that was not migrated yet as it is.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isJsonStateDir, JsonDirStore } from './json-dir.ts';
import { migrateJsonDir, type JsonMigration } from './migrate-json.ts';
import { DB_FILE, SqliteStore, StoreDamaged } from './sqlite.ts';
import { redactingStore } from './redacting.ts';
import type { StateStore } from './store.ts';

export interface StoreLocation {
  /** The state directory of `fleetward run` (standalone). */
  stateDir: string;
}

export interface OpenOptions {
  /** Readers (`status`, `plan`) never write, never migrate, and never create a store that is not there. */
  readOnly?: boolean;
  /** Told when a JSON state directory was migrated (the run logs it). */
  onMigrated?: (m: JsonMigration) => void;
}

export { StoreDamaged };

/** Whether a state store (of any kind) exists at the location. */
export function storeExists(where: StoreLocation): boolean {
  return existsSync(join(where.stateDir, DB_FILE)) || isJsonStateDir(where.stateDir);
}

/** Opens the store at a location. Throws StoreDamaged (one line, with what to do) when it cannot be used. */
export async function openStateStore(where: StoreLocation, opts: OpenOptions = {}): Promise<StateStore> {
  const dir = where.stateDir;
  if (opts.readOnly) {
    if (!existsSync(join(dir, DB_FILE)) && isJsonStateDir(dir)) return new JsonDirStore(dir);
    return new SqliteStore(dir, { readOnly: true });
  }
  const store = new SqliteStore(dir);
  try {
    const migrated = await migrateJsonDir(dir, store);
    if (migrated) opts.onMigrated?.(migrated);
  } catch (err) {
    await store.close();
    throw err;
  }
  // Status text never carries a fragment of a secret, whichever store holds it.
  return redactingStore(store);
}
