// The one place that decides which state store a command gets (docs/run.md "State"): the reconciler,
// `status`, `plan` and the operator are handed a StateStore and never ask which one it is.
//
//   a state directory  →  SQLite, <dir>/fleetward.db (a JSON directory of an older release is migrated once)
//   a PostgreSQL URL   →  PostgreSQL (the operator with several replicas or shards; `plan --state-url-file` with a read-only role)
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
  /** The state directory of `fleetward run` (standalone); with `url`, the local scratch folder. */
  stateDir: string;
  /** A PostgreSQL connection string (the operator with several replicas): the store is there, not in stateDir. */
  url?: string;
  /** With `url`: the shard whose rows are read and written. */
  scope?: string;
}

export interface OpenOptions {
  /** Readers (`status`, `plan`) never write, never migrate, and never create a store that is not there. */
  readOnly?: boolean;
  /** Told when a JSON state directory was migrated (the run logs it). */
  onMigrated?: (m: JsonMigration) => void;
  /**
   * `false`: hand the store over without the redacting wrapper, for the operator, whose status sink wraps
   * it and redacts every write on its way in (operator/operator.ts); wrapped twice, each record of every
   * pass would be walked twice.
   */
  redact?: false;
}

export { StoreDamaged };

/** Whether a state store (of any kind) exists at the location. */
export function storeExists(where: StoreLocation): boolean {
  return existsSync(join(where.stateDir, DB_FILE)) || isJsonStateDir(where.stateDir);
}

/**
 * Opens the store at a location. Throws StoreDamaged (one line, with what to do) when it cannot be used, and
 * StoreUnavailable when a database cannot be reached.
 */
export async function openStateStore(where: StoreLocation, opts: OpenOptions = {}): Promise<StateStore> {
  const dir = where.stateDir;
  if (where.url) {
    // Loaded only when asked for: `status` and `run` on a state directory do not pay for the client.
    const { PostgresStore } = await import('./postgres.ts');
    const store = await PostgresStore.open({
      connectionString: where.url, dir, ...(where.scope ? { scope: where.scope } : {}), ...(opts.readOnly ? { readOnly: true } : {}),
    });
    return opts.redact === false ? store : redactingStore(store);
  }
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
  return opts.redact === false ? store : redactingStore(store);
}
