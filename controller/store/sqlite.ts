// The embedded store of standalone runs and single-replica installs: one SQLite file, `<state-dir>/fleetward.db`,
// through Node's built-in node:sqlite (no native build). docs/run.md "State" describes it for users.
//
// - WAL journal: `fleetward status` reads while `run` writes, and sees the last committed pass.
// - One transaction per pass (beginPass … commitPass), with a checkpoint commit before the driver is called,
//   so a SIGKILL at any instant leaves the previous pass or this one, never half of it.
// - Write only what changed: the store keeps, per device, what it last wrote (the encoded plan and one key
//   per history row) and sends only the differences, through prepared statements, in the pass's transaction.
// - Schema migrations with a version table; a file written by a newer Fleetward is refused, not rewritten.
// - A row that does not decode damages its device only (DamagedRecord); a failed integrity check at start
//   is one line pointing at `fleetward state check|repair`.
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Revision } from '../api/types.ts';
import { DamagedRecord, parseRecord } from './damage.ts';
import {
  revisionState, sortedObjects, type DeviceRecord, type HistoryEntry, type NotificationChanges, type NotificationRecords, type ObjectStatus,
  type ProvisioningBatchStatus, type RunStatus,
} from './records.ts';
import { NotificationRows, type NotificationRow } from './notifications.ts';
import { provisioningRows, type ProvisioningRows } from './provisioning-rows.ts';
import {
  assemble, copyEntry, decodeHistory, decodeObserved, encodeObserved, decodePending, decodePlan, encodeHistory, encodePending, encodePlan, planChanged, remember,
  mergeHistory, Words, type Remembered,
  type HistoryRow,
} from './rows.ts';
import { StoreUnavailable, type StateStore } from './store.ts';

export const DB_FILE = 'fleetward.db';

/** The schema this code writes. Migrations below take any older file up to it, one step at a time. */
export const SCHEMA_VERSION = 3;

const MIGRATIONS: Record<number, string> = {
  1: `
    CREATE TABLE state (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE words (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
    CREATE TABLE devices (key INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, plan TEXT NOT NULL, pending TEXT, observed TEXT);
    CREATE TABLE history (
      device INTEGER NOT NULL, operation TEXT NOT NULL, created NOT NULL, type INTEGER NOT NULL, status INTEGER NOT NULL,
      component INTEGER, from_version INTEGER, to_version INTEGER, started, completed, issued_by INTEGER NOT NULL,
      reason INTEGER, revision INTEGER, software_update INTEGER, extra TEXT,
      PRIMARY KEY (device, operation)
    ) WITHOUT ROWID;
    CREATE TABLE quarantine (id TEXT PRIMARY KEY, reason TEXT NOT NULL, at TEXT NOT NULL) WITHOUT ROWID;
  `,
  // Notification bookkeeping (controller/store/notifications.ts): events tracked, messages not yet delivered.
  2: `
    CREATE TABLE notifications (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID;
  `,
  // Remote provisioning (seed 004): a batch's own fields, and one row per device (store/provisioning-rows.ts).
  3: `
    CREATE TABLE provisioning_batches (batch TEXT PRIMARY KEY, summary TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE provisioning_devices (batch TEXT NOT NULL, mac TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (batch, mac)) WITHOUT ROWID;
  `,
};

/** The file cannot be used at all (not SQLite, failed integrity check, newer schema): one line, and what to do. */
export class StoreDamaged extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreDamaged';
  }
}

export interface SqliteOptions {
  /** Readers (`status`, `plan`): no writes, no migration, no integrity check; the file must exist. */
  readOnly?: boolean;
  /** Skip the integrity check at open (`state check` runs the full one itself). */
  skipCheck?: boolean;
  /** Another file name in the directory (`state repair` builds a new file beside the damaged one). */
  fileName?: string;
}

/**
 * Where a reader opens the file. While a run has it open, its -wal file exists and the reader shares it (WAL:
 * it sees the last committed pass). When no run has it open there is no -wal, and the reader opens it as
 * immutable, so that reading (`status`, `plan --state`) creates no -wal or -shm file beside a store it must
 * not change.
 */
export function readerLocation(path: string): string {
  if (existsSync(`${path}-wal`)) return path;
  return `file:${encodeURI(path).replace(/\?/g, '%3f').replace(/#/g, '%23')}?immutable=1`;
}

function prepareStatements(db: DatabaseSync) {
  const p = (sql: string): StatementSync => db.prepare(sql);
  return {
    getState: p('SELECT value FROM state WHERE name = ?'),
    putState: p('INSERT INTO state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),
    words: p('SELECT id, text FROM words WHERE id > ? ORDER BY id'),
    putWord: p('INSERT INTO words (id, text) VALUES (?, ?)'),
    device: p('SELECT key, id, plan, pending, observed FROM devices WHERE id = ?'),
    devices: p('SELECT key, id, plan, pending, observed FROM devices'),
    deviceIds: p('SELECT id FROM devices ORDER BY id'),
    insertDevice: p('INSERT INTO devices (key, id, plan, pending, observed) VALUES (?, ?, ?, ?, ?)'),
    maxDeviceKey: p('SELECT max(key) AS k FROM devices'),
    maxWord: p('SELECT max(id) AS k FROM words'),
    updateDevice: p('UPDATE devices SET plan = ?, pending = ?, observed = ? WHERE key = ?'),
    history: p('SELECT * FROM history WHERE device = ?'),
    allHistory: p('SELECT * FROM history'),
    putHistory: p(`INSERT OR REPLACE INTO history (device, operation, created, type, status, component, from_version, to_version,
      started, completed, issued_by, reason, revision, software_update, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    dropHistory: p('DELETE FROM history WHERE device = ? AND operation = ?'),
    dropAllHistory: p('DELETE FROM history WHERE device = ?'),
    quarantined: p('SELECT id, reason, at FROM quarantine ORDER BY id'),
    notifications: p('SELECT kind, key, value FROM notifications'),
    putNotification: p('INSERT INTO notifications (kind, key, value) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value'),
    dropNotification: p('DELETE FROM notifications WHERE kind = ? AND key = ?'),
    provisioningBatches: p('SELECT batch, summary FROM provisioning_batches ORDER BY batch'),
    provisioningDevices: p('SELECT batch, mac, record FROM provisioning_devices'),
    putProvisioningBatch: p('INSERT INTO provisioning_batches (batch, summary) VALUES (?, ?) ON CONFLICT (batch) DO UPDATE SET summary = excluded.summary'),
    dropProvisioningBatch: p('DELETE FROM provisioning_batches WHERE batch = ?'),
    putProvisioningDevice: p('INSERT INTO provisioning_devices (batch, mac, record) VALUES (?, ?, ?) ON CONFLICT (batch, mac) DO UPDATE SET record = excluded.record'),
    dropProvisioningDevice: p('DELETE FROM provisioning_devices WHERE batch = ? AND mac = ?'),
    dropProvisioningDevices: p('DELETE FROM provisioning_devices WHERE batch = ?'),
  };
}
type Statements = ReturnType<typeof prepareStatements>;
interface DeviceRow { key: number; id: string; plan: string; pending: string | null; observed: string | null }

interface Saved {
  key: number;
  /** What was written; undefined for a damaged device (anything written replaces it). */
  was: Remembered | undefined;
}

export class SqliteStore implements StateStore {
  readonly dir: string;
  readonly path: string;
  readonly description: string;
  readonly readOnly: boolean;
  readonly #db: DatabaseSync;
  readonly #words = new Words();
  readonly #st: Statements;
  /** The highest word id read or written. */
  #maxWord = 0;
  /** The highest device key in the file (writer). */
  #maxKey = 0;
  #inPass = false;
  /** Records as last read or written (writer only): the pass reads them without a query per device. */
  readonly #live = new Map<string, DeviceRecord>();
  readonly #saved = new Map<string, Saved>();
  /** Devices whose stored rows do not decode: id → why. */
  readonly #damaged = new Map<string, string>();
  #loadedAll = false;
  /** Devices written since the last commit: forgotten (re-read) when the transaction is rolled back. */
  readonly #touched = new Set<string>();
  /** Text of run / revision / objects last read or written. */
  readonly #state = new Map<string, string>();
  #objects: Record<string, ObjectStatus> | undefined;
  /** Notification rows as last read or written (undefined: read them on first use). */
  #notifications: NotificationRows | undefined;
  /** Provisioning rows as last read or written (the writer sends only the differences). */
  #provisioning: ProvisioningRows | undefined;

  constructor(dir: string, opts: SqliteOptions = {}) {
    this.dir = dir;
    this.path = join(dir, opts.fileName ?? DB_FILE);
    this.description = `sqlite:${this.path}`;
    this.readOnly = !!opts.readOnly;
    if (this.readOnly) {
      if (!existsSync(this.path)) throw new StoreDamaged(`${this.path}: no state store here`);
    } else {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // Created 0600 before SQLite opens it: its -wal and -shm files take the same mode.
      closeSync(openSync(this.path, 'a', 0o600));
    }
    try {
      this.#db = new DatabaseSync(this.readOnly ? readerLocation(this.path) : this.path, { readOnly: this.readOnly, timeout: 10_000 });
      if (!this.readOnly) {
        this.#db.exec('PRAGMA journal_mode = WAL');
        // With WAL, NORMAL never loses a committed transaction to a killed process (only to an OS crash,
        // which the next pass re-derives from the driver).
        this.#db.exec('PRAGMA synchronous = NORMAL');
      }
      this.#db.exec('PRAGMA foreign_keys = OFF');
    } catch (err) {
      throw new StoreDamaged(`${this.path}: cannot open the state store (${(err as Error).message}); see \`fleetward state check\``);
    }
    if (!this.readOnly && !opts.skipCheck) this.#check();
    this.#migrate();
    this.#st = prepareStatements(this.#db);
    this.#loadWords();
    this.#maxKey = (this.#st.maxDeviceKey.get() as { k: number | null }).k ?? 0;
  }

  /** The schema version of the file (0: empty). */
  schemaVersion(): number {
    const has = this.#db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'`).get();
    if (!has) return 0;
    const row = this.#db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null };
    return row.v ?? 0;
  }

  #check(): void {
    let result: string;
    try {
      const rows = this.#db.prepare('PRAGMA quick_check').all() as { quick_check: string }[];
      result = rows.map((r) => r.quick_check).join('; ');
    } catch (err) {
      result = (err as Error).message;
    }
    if (result !== 'ok') {
      this.#db.close();
      throw new StoreDamaged(`${this.path}: the state store failed its integrity check (${result.slice(0, 200)}); run \`fleetward state check --state-dir ${this.dir}\`, then \`fleetward state repair\``);
    }
  }

  #migrate(): void {
    let version: number;
    try {
      version = this.schemaVersion();
    } catch (err) {
      throw new StoreDamaged(`${this.path}: not a readable state store (${(err as Error).message}); run \`fleetward state check --state-dir ${this.dir}\``);
    }
    if (version > SCHEMA_VERSION) {
      throw new StoreDamaged(`${this.path}: written by a newer Fleetward (schema ${version}; this one knows up to ${SCHEMA_VERSION}). Upgrade again, or restore the backup taken before the upgrade (docs/run.md "Downgrade")`);
    }
    if (version === SCHEMA_VERSION) return;
    if (this.readOnly) throw new StoreDamaged(`${this.path}: schema ${version} is older than ${SCHEMA_VERSION}; \`fleetward run\` migrates it on its next start`);
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      this.#db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)');
      for (let v = version + 1; v <= SCHEMA_VERSION; v++) {
        this.#db.exec(MIGRATIONS[v]!);
        this.#db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(v, new Date().toISOString());
      }
      this.#db.exec('COMMIT');
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  #loadWords(): void {
    const rows = this.#st.words.all(this.#maxWord) as { id: number; text: string }[];
    this.#words.load(rows);
    if (rows.length) this.#maxWord = rows[rows.length - 1]!.id;
  }

  // ---- transactions --------------------------------------------------------------------------------

  #run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      const code = (err as { errcode?: number; code?: string }).errcode;
      // SQLITE_BUSY / LOCKED / IOERR / FULL / READONLY: the store cannot take the write now.
      if (code !== undefined && [5, 6, 10, 13, 8].includes(code & 0xff)) throw new StoreUnavailable(`${this.path}: ${(err as Error).message}`, { cause: err });
      throw err;
    }
  }

  #begin(): void {
    this.#run(() => this.#db.exec('BEGIN IMMEDIATE'));
  }
  #commit(): void {
    this.#flushWords();
    this.#run(() => this.#db.exec('COMMIT'));
    this.#words.saved();
    this.#touched.clear();
  }
  #flushWords(): void {
    for (const [id, text] of this.#words.pending()) this.#st.putWord.run(id, text);
    const added = this.#words.pending();
    if (added.length) this.#maxWord = Math.max(this.#maxWord, added[added.length - 1]![0]);
  }
  /** A write outside a pass is its own transaction. */
  #autocommit<T>(fn: () => T): T {
    if (this.#inPass) return this.#run(fn);
    this.#begin();
    try {
      const out = this.#run(fn);
      this.#commit();
      return out;
    } catch (err) {
      this.#rollback();
      throw err;
    }
  }
  #rollback(): void {
    if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
    this.#words.rollback();
    for (const id of this.#touched) {
      this.#live.delete(id);
      this.#saved.delete(id);
    }
    if (this.#touched.size) this.#loadedAll = false;
    this.#touched.clear();
    this.#state.clear();
    this.#objects = undefined;
    this.#notifications = undefined;
    this.#provisioning = undefined;
    this.#maxKey = (this.#st.maxDeviceKey.get() as { k: number | null }).k ?? 0;
    this.#maxWord = (this.#st.maxWord.get() as { k: number | null }).k ?? 0;
  }

  async beginPass(): Promise<void> {
    this.#writable();
    if (this.#inPass) return;
    this.#begin();
    this.#inPass = true;
  }
  async checkpoint(): Promise<void> {
    if (!this.#inPass) return;
    this.#commit();
    this.#begin();
  }
  async commitPass(): Promise<void> {
    if (!this.#inPass) return;
    this.#inPass = false;
    try {
      this.#commit();
    } catch (err) {
      this.#rollback();
      throw err;
    }
  }
  async abortPass(): Promise<void> {
    if (!this.#inPass) return;
    this.#inPass = false;
    this.#rollback();
  }
  async close(): Promise<void> {
    if (!this.#db.isOpen) return;
    if (this.#inPass) await this.abortPass();
    this.#db.close();
  }

  #writable(): void {
    if (this.readOnly) throw new Error(`${this.path}: opened read-only`);
  }

  // ---- run, revision, objects ------------------------------------------------------------------------

  #readState<T>(name: string): T | undefined {
    const row = this.#st.getState.get(name) as { value: string } | undefined;
    if (!row) return undefined;
    const v = parseRecord<T>(row.value, name, this.path);
    this.#state.set(name, row.value);
    return v;
  }
  #writeState(name: string, value: unknown): boolean {
    this.#writable();
    const text = JSON.stringify(value);
    if (this.#state.get(name) === text) return false;
    if (!this.#state.has(name)) {
      const row = this.#st.getState.get(name) as { value: string } | undefined;
      if (row?.value === text) {
        this.#state.set(name, text);
        return false;
      }
    }
    this.#autocommit(() => this.#st.putState.run(name, text));
    this.#state.set(name, text);
    return true;
  }

  readRun(): RunStatus | undefined { return this.#readState<RunStatus>('run'); }
  writeRun(run: RunStatus): boolean { return this.#writeState('run', run); }
  readLastGoodRevision(): Revision | undefined { return this.#readState<Revision>('revision'); }
  writeLastGoodRevision(rev: Revision): boolean { return this.#writeState('revision', revisionState(rev)); }
  readObjects(): Record<string, ObjectStatus> {
    // A reader may outlive many passes (the console): it reads what the writer last committed, every time.
    if (this.readOnly) return this.#readState<Record<string, ObjectStatus>>('objects') ?? {};
    this.#objects ??= this.#readState<Record<string, ObjectStatus>>('objects') ?? {};
    return this.#objects;
  }
  writeObjects(objects: Record<string, ObjectStatus>): boolean {
    const sorted = sortedObjects(objects);
    this.#objects = sorted;
    return this.#writeState('objects', sorted);
  }

  // ---- notifications -----------------------------------------------------------------------------

  #notificationRows(): NotificationRows {
    if (!this.#notifications || this.readOnly) {
      const rows = new NotificationRows();
      rows.load(this.#st.notifications.all() as unknown as NotificationRow[]);
      this.#notifications = rows;
    }
    return this.#notifications;
  }
  readNotifications(): NotificationRecords {
    return this.#notificationRows().records();
  }
  writeNotifications(changes: NotificationChanges): boolean {
    this.#writable();
    const rows = this.#notificationRows().apply(changes);
    if (!rows.length) return false;
    this.#autocommit(() => {
      for (const r of rows) {
        if (r.value === null) this.#st.dropNotification.run(r.kind, r.key);
        else this.#st.putNotification.run(r.kind, r.key, r.value);
      }
    });
    return true;
  }

  // ---- provisioning --------------------------------------------------------------------------------

  #provisioningRows(): ProvisioningRows {
    if (this.#provisioning && !this.readOnly) return this.#provisioning;
    const rows = provisioningRows(
      this.#st.provisioningBatches.all() as { batch: string; summary: string }[],
      this.#st.provisioningDevices.all() as { batch: string; mac: string; record: string }[],
    );
    this.#provisioning = rows;
    return rows;
  }
  readProvisioning(): ProvisioningBatchStatus[] {
    try {
      return this.#provisioningRows().read();
    } catch (err) {
      throw new DamagedRecord('provisioning', this.path, (err as Error).message);
    }
  }
  writeProvisioning(status: ProvisioningBatchStatus): boolean {
    this.#writable();
    const rows = this.#provisioningRows();
    const change = rows.diff(status);
    if (!change) return false;
    this.#autocommit(() => {
      if (change.summary !== undefined) this.#st.putProvisioningBatch.run(status.batch, change.summary);
      for (const [mac, record] of change.devices) this.#st.putProvisioningDevice.run(status.batch, mac, record);
      for (const mac of change.dropped) this.#st.dropProvisioningDevice.run(status.batch, mac);
    });
    rows.apply(status.batch, change);
    return true;
  }
  removeProvisioning(batch: string): boolean {
    this.#writable();
    const rows = this.#provisioningRows();
    if (!rows.has(batch)) return false;
    this.#autocommit(() => {
      this.#st.dropProvisioningDevices.run(batch);
      this.#st.dropProvisioningBatch.run(batch);
    });
    rows.remove(batch);
    return true;
  }

  /** Free-form bookkeeping of the store's own (migration marks): not part of StateStore. */
  readMeta(name: string): string | undefined {
    return (this.#st.getState.get(`meta:${name}`) as { value: string } | undefined)?.value;
  }
  writeMeta(name: string, value: string): void {
    this.#writable();
    this.#autocommit(() => this.#st.putState.run(`meta:${name}`, value));
  }

  // ---- devices ---------------------------------------------------------------------------------------

  #decode(row: DeviceRow, hist: HistoryRow[]): { rec: DeviceRecord; saved: Saved } {
    const decodeAll = (): { rec: DeviceRecord; saved: Saved } => {
      const plan = { id: row.id, history: [] } as DeviceRecord;
      decodePlan(row.plan, this.#words, plan);
      const pending = decodePending(row.pending);
      const observed = decodeObserved(row.observed, row.id, this.#words);
      const ops = new Map<string, HistoryEntry>();
      const history: HistoryEntry[] = [];
      for (const h of hist) {
        const entry = decodeHistory(h, this.#words);
        history.push(entry);
        ops.set(entry.operationId, copyEntry(entry));
      }
      const rec = assemble(row.id, plan, pending, observed, history);
      return { rec, saved: { key: row.key, was: remember(rec, ops) } };
    };
    try {
      return decodeAll();
    } catch {
      // A word written after this reader loaded the dictionary: reload once, then call the row damaged.
      this.#loadWords();
      return decodeAll();
    }
  }

  static #historyRow(r: Record<string, unknown>): HistoryRow {
    return [
      r.operation, r.created, r.type, r.status, r.component, r.from_version, r.to_version, r.started, r.completed, r.issued_by,
      r.reason, r.revision, r.software_update, r.extra,
    ] as HistoryRow;
  }

  /** Every history row, by device key: one scan of the table rather than a query per device. */
  #historyByDevice(): Map<number, HistoryRow[]> {
    const byKey = new Map<number, HistoryRow[]>();
    for (const r of this.#st.allHistory.iterate() as Iterable<Record<string, unknown>>) {
      const key = r.device as number;
      let l = byKey.get(key);
      if (!l) byKey.set(key, (l = []));
      l.push(SqliteStore.#historyRow(r));
    }
    return byKey;
  }

  /** The writer reads every device at once, the first time it needs one: a pass touches them all. */
  #loadAll(): void {
    if (this.#loadedAll) return;
    const byKey = this.#historyByDevice();
    for (const row of this.#st.devices.iterate() as Iterable<DeviceRow>) {
      if (this.#live.has(row.id) || this.#damaged.has(row.id)) continue;
      try {
        const { rec, saved } = this.#decode(row, byKey.get(row.key) ?? []);
        this.#live.set(row.id, rec);
        this.#saved.set(row.id, saved);
      } catch (err) {
        this.#damaged.set(row.id, (err as Error).message);
        this.#saved.set(row.id, { key: row.key, was: undefined });
      }
    }
    this.#loadedAll = true;
  }

  readDevice(id: string): DeviceRecord | undefined {
    if (!this.readOnly) {
      this.#loadAll();
      const damage = this.#damaged.get(id);
      if (damage !== undefined) throw new DamagedRecord(`device ${id}`, this.path, damage);
      return this.#live.get(id);
    }
    const row = this.#st.device.get(id) as DeviceRow | undefined;
    if (!row) return undefined;
    const hist = (this.#st.history.all(row.key) as Record<string, unknown>[]).map(SqliteStore.#historyRow);
    try {
      return this.#decode(row, hist).rec;
    } catch (err) {
      throw new DamagedRecord(`device ${id}`, this.path, (err as Error).message);
    }
  }

  /**
   * Every readable device record, in one scan of each table rather than two queries per device: a reader's
   * bulk read (the console indexes the fleet with it once per pass). A damaged record is skipped, as
   * readDevice would throw for it alone.
   */
  *eachDevice(): Generator<DeviceRecord> {
    if (!this.readOnly) {
      this.#loadAll();
      yield* this.#live.values();
      return;
    }
    const byKey = this.#historyByDevice();
    for (const row of this.#st.devices.iterate() as Iterable<DeviceRow>) {
      let rec: DeviceRecord;
      try { rec = this.#decode(row, byKey.get(row.key) ?? []).rec; } catch { continue; }
      yield rec;
    }
  }

  listDeviceIds(): string[] {
    return (this.#st.deviceIds.all() as { id: string }[]).map((r) => r.id);
  }

  writeDevice(rec: DeviceRecord): boolean {
    return this.writeDevices([rec]) > 0;
  }

  writeDevices(recs: Iterable<DeviceRecord>): number {
    this.#writable();
    this.#loadAll();
    return this.#autocommit(() => {
      let changed = 0;
      for (const rec of recs) if (this.#writeOne(rec)) changed++;
      return changed;
    });
  }

  #writeOne(rec: DeviceRecord): boolean {
    const w = this.#words;
    let saved = this.#saved.get(rec.id);
    let changed = false;
    this.#live.set(rec.id, rec);
    if (!saved) {
      // Keys are handed out here rather than read back (RETURNING costs a round trip per device).
      const key = ++this.#maxKey;
      this.#st.insertDevice.run(key, rec.id, encodePlan(rec, w), encodePending(rec.pending), encodeObserved(rec.observed, rec.id, w));
      saved = { key, was: remember(rec) };
      this.#saved.set(rec.id, saved);
      changed = true;
    } else if (!saved.was || planChanged(saved.was, rec)) {
      this.#st.updateDevice.run(encodePlan(rec, w), encodePending(rec.pending), encodeObserved(rec.observed, rec.id, w), saved.key);
      if (!saved.was) {
        // A damaged device written anew: its unreadable history rows go, the new record replaces them.
        this.#st.dropAllHistory.run(saved.key);
        this.#damaged.delete(rec.id);
      }
      saved.was = remember(rec, saved.was?.ops);
      changed = true;
    }
    const key = saved.key;
    if (mergeHistory(saved.was!.ops, rec.history, (h) => this.#st.putHistory.run(key, ...encodeHistory(h, w)), (op) => this.#st.dropHistory.run(key, op))) {
      changed = true;
    }
    if (changed) this.#touched.add(rec.id);
    return changed;
  }

  /** Every device whose stored rows do not decode (a reader decodes them all; the writer has already). */
  checkDevices(): Map<string, string> {
    if (!this.readOnly) return this.damagedDevices();
    const byKey = this.#historyByDevice();
    const damaged = new Map<string, string>();
    for (const row of this.#st.devices.iterate() as Iterable<DeviceRow>) {
      try {
        this.#decode(row, byKey.get(row.key) ?? []);
      } catch (err) {
        damaged.set(row.id, (err as Error).message);
      }
    }
    return damaged;
  }

  /** Drops the run status, the last good revision or the per-object status (`state repair`). */
  dropState(name: 'run' | 'revision' | 'objects'): void {
    this.#writable();
    this.#autocommit(() => this.#db.prepare('DELETE FROM state WHERE name = ?').run(name));
    this.#state.delete(name);
    if (name === 'objects') this.#objects = undefined;
  }

  /** Keeps a note of a device record dropped by `state repair`: what was wrong, and when. */
  quarantineNote(id: string, reason: string, at: string): void {
    this.#writable();
    this.#autocommit(() => this.#db.prepare('INSERT OR REPLACE INTO quarantine (id, reason, at) VALUES (?, ?, ?)').run(id, reason, at));
  }

  /** Devices whose stored rows do not decode, found so far (the writer reads them all on first use). */
  damagedDevices(): Map<string, string> {
    if (!this.readOnly) this.#loadAll();
    return new Map(this.#damaged);
  }

  /** The underlying database, for `fleetward state` and the tests of damaged state. */
  get db(): DatabaseSync {
    return this.#db;
  }
}
