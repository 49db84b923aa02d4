// The state store of the operator with several replicas or shards: PostgreSQL through the `pg` client
// (docs/kubernetes.md "State store"). History, device status, diagnostics links and the loop's own state live
// in the database, so a pod restart or a leader failover loses nothing: the new leader reads it all back.
//
// - The working set is read when the store is opened (and again whenever another replica has committed since:
//   a generation number in the database says so), so the pass reads without a round trip per device.
// - Writes are remembered in memory and sent at checkpoint / commitPass in ONE transaction, as batched
//   statements (arrays unnested server-side): only what changed since the last commit.
// - The commit moves the generation forward only from the one this replica read: two replicas that both
//   believe they lead (a lease handover) can never interleave their passes; the loser's pass is not recorded.
// - Unreachable database: the commit throws StoreUnavailable, nothing of the pass is written, and the
//   working set is read again before the next pass (the loop reports NotReady and retries with backoff).
// - Several shards share one database: every row carries its shard's scope.
import pg from 'pg';
import type { Revision } from '../api/types.ts';
import { DamagedRecord, parseRecord } from './damage.ts';
import {
  revisionState, sortedObjects, type DeviceRecord, type HistoryEntry, type NotificationChanges, type NotificationRecords, type ObjectStatus,
  type ProvisioningBatchStatus, type RunStatus,
} from './records.ts';
import { NotificationRows, type NotificationRow } from './notifications.ts';
import { provisioningRows, ProvisioningRows } from './provisioning-rows.ts';
import { copyEntry, mergeHistory, planChanged, remember, type Remembered } from './rows.ts';
import { StoreUnavailable, type StateStore } from './store.ts';
import { describeUrl } from './url.ts';

export { describeUrl, urlSecret } from './url.ts';

export const PG_SCHEMA_VERSION = 3;

const MIGRATIONS: Record<number, string> = {
  1: `
    CREATE TABLE fleetward_state (scope TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (scope, name));
    CREATE TABLE fleetward_devices (scope TEXT NOT NULL, id TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (scope, id));
    CREATE TABLE fleetward_history (
      scope TEXT NOT NULL, device TEXT NOT NULL, operation TEXT NOT NULL, created TEXT NOT NULL, entry TEXT NOT NULL,
      PRIMARY KEY (scope, device, operation)
    );
  `,
  // Notification bookkeeping (controller/store/notifications.ts): events tracked, messages not yet delivered.
  2: `
    CREATE TABLE fleetward_notifications (scope TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (scope, kind, key));
  `,
  // Remote provisioning (seed 004): a batch's own fields, and one row per device (store/provisioning-rows.ts).
  3: `
    CREATE TABLE fleetward_provisioning_batches (scope TEXT NOT NULL, batch TEXT NOT NULL, summary TEXT NOT NULL, PRIMARY KEY (scope, batch));
    CREATE TABLE fleetward_provisioning_devices (
      scope TEXT NOT NULL, batch TEXT NOT NULL, mac TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (scope, batch, mac)
    );
  `,
};

export interface PostgresOptions {
  /** postgres://user:password@host:5432/db?sslmode=verify-full&sslrootcert=/path/ca.crt */
  connectionString: string;
  /** The shard whose rows this store reads and writes ('' for an unsharded operator). */
  scope?: string;
  /** Connections at most (default 4): one pass uses one at a time. */
  maxConnections?: number;
  /** TLS beyond what the URL says (a CA from a mounted Secret). */
  ssl?: pg.ConnectionConfig['ssl'];
  /** Milliseconds to wait for a connection or a statement before the store counts as unreachable (default 10 s). */
  timeoutMs?: number;
  /** Local scratch folder (StateStore.dir). */
  dir: string;
  readOnly?: boolean;
}

interface Pending {
  devices: Map<string, string>;
  /** device → operation → entry JSON (null: delete). */
  history: Map<string, Map<string, { created: string; entry: string } | null>>;
  state: Map<string, string>;
  /** `kind\0key` → row text (null: delete). */
  notifications: Map<string, string | null>;
  /** batch → its row (null: the batch is removed); (batch, mac) → device row (null: delete). */
  provisioningBatches: Map<string, string | null>;
  provisioningDevices: Map<string, Map<string, string | null>>;
}
const emptyPending = (): Pending => ({
  devices: new Map(), history: new Map(), state: new Map(), notifications: new Map(), provisioningBatches: new Map(), provisioningDevices: new Map(),
});

export class PostgresStore implements StateStore {
  readonly description: string;
  readonly dir: string;
  readonly readOnly: boolean;
  readonly #pool: pg.Pool;
  readonly #scope: string;
  #generation = 0;
  #stale = true;
  #inPass = false;
  readonly #live = new Map<string, DeviceRecord>();
  readonly #saved = new Map<string, Remembered>();
  readonly #damaged = new Map<string, string>();
  readonly #state = new Map<string, string>();
  #objects: Record<string, ObjectStatus> | undefined;
  #provisioning = new ProvisioningRows();
  /** Why a read-only role could not read the provisioning tables, if it could not. */
  #provisioningDenied: string | undefined;
  #pending = emptyPending();
  readonly #notifications = new NotificationRows();

  private constructor(opts: PostgresOptions) {
    this.description = describeUrl(opts.connectionString) + (opts.scope ? ` (shard ${opts.scope})` : '');
    this.dir = opts.dir;
    this.readOnly = !!opts.readOnly;
    this.#scope = opts.scope ?? '';
    const timeout = opts.timeoutMs ?? 10_000;
    this.#pool = new pg.Pool({
      connectionString: opts.connectionString, max: opts.maxConnections ?? 4, connectionTimeoutMillis: timeout,
      idleTimeoutMillis: 30_000, statement_timeout: timeout * 3, query_timeout: timeout * 3, ...(opts.ssl ? { ssl: opts.ssl } : {}),
    });
    // An idle connection the server dropped (restart, failover) must not crash the process: the next query reconnects.
    this.#pool.on('error', () => undefined);
  }

  /** Connects, migrates the schema (writers), and reads the working set. Throws StoreUnavailable when unreachable. */
  static async open(opts: PostgresOptions): Promise<PostgresStore> {
    const store = new PostgresStore(opts);
    try {
      if (!store.readOnly) await store.#migrate();
      await store.#reload();
    } catch (err) {
      await store.#pool.end().catch(() => undefined);
      throw store.#unavailable(err);
    }
    return store;
  }

  #unavailable(err: unknown): Error {
    if (err instanceof StoreUnavailable || err instanceof DamagedRecord) return err;
    const e = err as { message?: string; code?: string };
    // Never the URL (it may hold the password): the server's own message, or the socket's error code.
    const why = e?.message || e?.code || String(err);
    return new StoreUnavailable(`${this.description}: ${why.replace(/postgres(ql)?:\/\/[^\s]*/g, '(url)')}`, { cause: err });
  }

  async #migrate(): Promise<void> {
    const c = await this.#pool.connect();
    try {
      await c.query('BEGIN');
      // One replica migrates at a time; the others wait, then find it done.
      await c.query('SELECT pg_advisory_xact_lock(74837163)');
      await c.query('CREATE TABLE IF NOT EXISTS fleetward_schema_version (version INT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
      const v = ((await c.query('SELECT coalesce(max(version), 0) AS v FROM fleetward_schema_version')).rows[0] as { v: number }).v;
      if (v > PG_SCHEMA_VERSION) {
        throw new StoreUnavailable(`${this.description}: written by a newer Fleetward (schema ${v}; this one knows up to ${PG_SCHEMA_VERSION}); upgrade again, or restore the backup taken before the upgrade (docs/run.md "Downgrade")`);
      }
      for (let n = v + 1; n <= PG_SCHEMA_VERSION; n++) {
        await c.query(MIGRATIONS[n]!);
        await c.query('INSERT INTO fleetward_schema_version (version) VALUES ($1)', [n]);
      }
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  /** Reads this scope's state, every device and every history entry. */
  async #reload(): Promise<void> {
    const c = await this.#pool.connect();
    try {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const state = (await c.query('SELECT name, value FROM fleetward_state WHERE scope = $1', [this.#scope])).rows as { name: string; value: string }[];
      const devices = (await c.query('SELECT id, record FROM fleetward_devices WHERE scope = $1', [this.#scope])).rows as { id: string; record: string }[];
      const history = (await c.query('SELECT device, entry FROM fleetward_history WHERE scope = $1 ORDER BY device, created, operation', [this.#scope])).rows as { device: string; entry: string }[];
      const notifications = (await c.query('SELECT kind, key, value FROM fleetward_notifications WHERE scope = $1', [this.#scope])).rows as NotificationRow[];
      // A read-only role granted SELECT before an upgrade added these tables may not read them: `plan` needs
      // none of it, so only a reader of provisioning status is told (readProvisioning).
      let batches: { batch: string; summary: string }[] = [];
      let macs: { batch: string; mac: string; record: string }[] = [];
      this.#provisioningDenied = undefined;
      await c.query('SAVEPOINT provisioning');
      try {
        batches = (await c.query('SELECT batch, summary FROM fleetward_provisioning_batches WHERE scope = $1', [this.#scope])).rows as typeof batches;
        macs = (await c.query('SELECT batch, mac, record FROM fleetward_provisioning_devices WHERE scope = $1', [this.#scope])).rows as typeof macs;
      } catch (err) {
        if (!this.readOnly || (err as { code?: string }).code !== '42501') throw err;
        await c.query('ROLLBACK TO SAVEPOINT provisioning');
        this.#provisioningDenied = (err as Error).message;
      }
      await c.query('COMMIT');
      this.#notifications.load(notifications);
      this.#provisioning = provisioningRows(batches, macs);
      this.#live.clear();
      this.#saved.clear();
      this.#damaged.clear();
      this.#state.clear();
      this.#objects = undefined;
      for (const r of state) this.#state.set(r.name, r.value);
      this.#generation = Number(this.#state.get('generation') ?? 0);
      const byDevice = new Map<string, string[]>();
      for (const h of history) {
        let l = byDevice.get(h.device);
        if (!l) byDevice.set(h.device, (l = []));
        l.push(h.entry);
      }
      for (const d of devices) {
        try {
          const rec = JSON.parse(d.record) as DeviceRecord;
          if (!rec || typeof rec !== 'object' || rec.id !== d.id) throw new Error('not a device record');
          const ops = new Map<string, HistoryEntry>();
          rec.history = (byDevice.get(d.id) ?? []).map((text) => {
            const h = JSON.parse(text) as HistoryEntry;
            if (!h || typeof h.operationId !== 'string') throw new Error('not a history entry');
            ops.set(h.operationId, copyEntry(h));
            return h;
          });
          this.#live.set(d.id, rec);
          this.#saved.set(d.id, remember(rec, ops));
        } catch (err) {
          this.#damaged.set(d.id, (err as Error).message);
        }
      }
      this.#stale = false;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  // ---- the pass --------------------------------------------------------------------------------------

  async beginPass(): Promise<void> {
    try {
      if (!this.#stale) {
        const r = await this.#pool.query(`SELECT value FROM fleetward_state WHERE scope = $1 AND name = 'generation'`, [this.#scope]);
        const g = Number((r.rows[0] as { value?: string } | undefined)?.value ?? 0);
        if (g !== this.#generation) this.#stale = true;
      }
      if (this.#stale) await this.#reload();
    } catch (err) {
      throw this.#unavailable(err);
    }
    this.#inPass = true;
  }
  async checkpoint(): Promise<void> {
    await this.#flush();
  }
  async commitPass(): Promise<void> {
    this.#inPass = false;
    await this.#flush();
  }
  async abortPass(): Promise<void> {
    this.#inPass = false;
    this.#pending = emptyPending();
    // The working set holds writes that were not committed: read it again before the next pass.
    this.#stale = true;
  }
  async close(): Promise<void> {
    this.#pending = emptyPending();
    await this.#pool.end().catch(() => undefined);
  }

  /** Sends what changed in one transaction, moving the generation on from the one this replica read. */
  async #flush(): Promise<void> {
    const p = this.#pending;
    if (!p.devices.size && !p.history.size && !p.state.size && !p.notifications.size && !p.provisioningBatches.size && !p.provisioningDevices.size) return;
    let c: pg.PoolClient | undefined;
    try {
      c = await this.#pool.connect();
      await c.query('BEGIN');
      const next = this.#generation + 1;
      const moved = await c.query(
        `INSERT INTO fleetward_state (scope, name, value) VALUES ($1, 'generation', $2)
         ON CONFLICT (scope, name) DO UPDATE SET value = excluded.value WHERE fleetward_state.value = $3`,
        [this.#scope, String(next), String(this.#generation)]);
      if (moved.rowCount !== 1) {
        throw new StoreUnavailable(`${this.description}: another replica wrote the store since this one read it (a leader handover); this pass is not recorded, the next one reads the store again`);
      }
      if (p.state.size) {
        await c.query(`INSERT INTO fleetward_state (scope, name, value) SELECT $1, unnest($2::text[]), unnest($3::text[])
          ON CONFLICT (scope, name) DO UPDATE SET value = excluded.value`, [this.#scope, [...p.state.keys()], [...p.state.values()]]);
      }
      if (p.devices.size) {
        await c.query(`INSERT INTO fleetward_devices (scope, id, record) SELECT $1, unnest($2::text[]), unnest($3::text[])
          ON CONFLICT (scope, id) DO UPDATE SET record = excluded.record`, [this.#scope, [...p.devices.keys()], [...p.devices.values()]]);
      }
      const up: [string[], string[], string[], string[]] = [[], [], [], []];
      const del: [string[], string[]] = [[], []];
      for (const [device, ops] of p.history) {
        for (const [op, v] of ops) {
          if (v) { up[0].push(device); up[1].push(op); up[2].push(v.created); up[3].push(v.entry); } else { del[0].push(device); del[1].push(op); }
        }
      }
      if (del[0].length) {
        await c.query(`DELETE FROM fleetward_history h USING (SELECT unnest($2::text[]) AS device, unnest($3::text[]) AS operation) d
          WHERE h.scope = $1 AND h.device = d.device AND h.operation = d.operation`, [this.#scope, ...del]);
      }
      if (up[0].length) {
        await c.query(`INSERT INTO fleetward_history (scope, device, operation, created, entry)
          SELECT $1, unnest($2::text[]), unnest($3::text[]), unnest($4::text[]), unnest($5::text[])
          ON CONFLICT (scope, device, operation) DO UPDATE SET created = excluded.created, entry = excluded.entry`, [this.#scope, ...up]);
      }
      if (p.notifications.size) {
        const put: [string[], string[], string[]] = [[], [], []];
        const drop: [string[], string[]] = [[], []];
        for (const [k, v] of p.notifications) {
          const [kind, key] = k.split('\0') as [string, string];
          if (v === null) { drop[0].push(kind); drop[1].push(key); } else { put[0].push(kind); put[1].push(key); put[2].push(v); }
        }
        if (drop[0].length) {
          await c.query(`DELETE FROM fleetward_notifications n USING (SELECT unnest($2::text[]) AS kind, unnest($3::text[]) AS key) d
            WHERE n.scope = $1 AND n.kind = d.kind AND n.key = d.key`, [this.#scope, ...drop]);
        }
        if (put[0].length) {
          await c.query(`INSERT INTO fleetward_notifications (scope, kind, key, value) SELECT $1, unnest($2::text[]), unnest($3::text[]), unnest($4::text[])
            ON CONFLICT (scope, kind, key) DO UPDATE SET value = excluded.value`, [this.#scope, ...put]);
        }
      }
      await this.#flushProvisioning(c, p);
      await c.query('COMMIT');
      this.#generation = next;
      this.#state.set('generation', String(next));
      this.#pending = emptyPending();
    } catch (err) {
      await c?.query('ROLLBACK').catch(() => undefined);
      // Nothing of it was written: forget it, and read the store again before the next pass.
      this.#pending = emptyPending();
      this.#stale = true;
      throw this.#unavailable(err);
    } finally {
      c?.release();
    }
  }

  #writable(): void {
    if (this.readOnly) throw new Error(`${this.description}: opened read-only`);
  }

  /** The provisioning rows of the flush, batched like the rest (arrays unnested server-side). */
  async #flushProvisioning(c: pg.PoolClient, p: Pending): Promise<void> {
    const gone = [...p.provisioningBatches].filter(([, v]) => v === null).map(([b]) => b);
    if (gone.length) {
      await c.query('DELETE FROM fleetward_provisioning_devices WHERE scope = $1 AND batch = ANY($2::text[])', [this.#scope, gone]);
      await c.query('DELETE FROM fleetward_provisioning_batches WHERE scope = $1 AND batch = ANY($2::text[])', [this.#scope, gone]);
    }
    const put = [...p.provisioningBatches].filter((e): e is [string, string] => e[1] !== null);
    if (put.length) {
      await c.query(`INSERT INTO fleetward_provisioning_batches (scope, batch, summary) SELECT $1, unnest($2::text[]), unnest($3::text[])
        ON CONFLICT (scope, batch) DO UPDATE SET summary = excluded.summary`, [this.#scope, put.map((e) => e[0]), put.map((e) => e[1])]);
    }
    const up: [string[], string[], string[]] = [[], [], []];
    const del: [string[], string[]] = [[], []];
    for (const [batch, macs] of p.provisioningDevices) {
      for (const [mac, record] of macs) {
        if (record === null) { del[0].push(batch); del[1].push(mac); } else { up[0].push(batch); up[1].push(mac); up[2].push(record); }
      }
    }
    if (del[0].length) {
      await c.query(`DELETE FROM fleetward_provisioning_devices d USING (SELECT unnest($2::text[]) AS batch, unnest($3::text[]) AS mac) x
        WHERE d.scope = $1 AND d.batch = x.batch AND d.mac = x.mac`, [this.#scope, ...del]);
    }
    if (up[0].length) {
      await c.query(`INSERT INTO fleetward_provisioning_devices (scope, batch, mac, record)
        SELECT $1, unnest($2::text[]), unnest($3::text[]), unnest($4::text[])
        ON CONFLICT (scope, batch, mac) DO UPDATE SET record = excluded.record`, [this.#scope, ...up]);
    }
  }

  // ---- records ---------------------------------------------------------------------------------------

  #readState<T>(name: string): T | undefined {
    const text = this.#state.get(name);
    if (text === undefined) return undefined;
    return parseRecord<T>(text, name, this.description);
  }
  #writeState(name: string, value: unknown): boolean {
    this.#writable();
    const text = JSON.stringify(value);
    if (this.#state.get(name) === text) return false;
    this.#state.set(name, text);
    this.#pending.state.set(name, text);
    return true;
  }

  readRun(): RunStatus | undefined { return this.#readState<RunStatus>('run'); }
  writeRun(run: RunStatus): boolean { return this.#writeState('run', run); }
  readLastGoodRevision(): Revision | undefined { return this.#readState<Revision>('revision'); }
  writeLastGoodRevision(rev: Revision): boolean { return this.#writeState('revision', revisionState(rev)); }
  readObjects(): Record<string, ObjectStatus> {
    this.#objects ??= this.#readState<Record<string, ObjectStatus>>('objects') ?? {};
    return this.#objects;
  }
  writeObjects(objects: Record<string, ObjectStatus>): boolean {
    const sorted = sortedObjects(objects);
    this.#objects = sorted;
    return this.#writeState('objects', sorted);
  }

  readNotifications(): NotificationRecords {
    return this.#notifications.records();
  }
  /** Kept with the pass's other writes and sent at its checkpoint or commit (outside a pass: the caller commits one). */
  writeNotifications(changes: NotificationChanges): boolean {
    this.#writable();
    const rows = this.#notifications.apply(changes);
    for (const r of rows) this.#pending.notifications.set(`${r.kind}\0${r.key}`, r.value);
    return rows.length > 0;
  }

  readProvisioning(): ProvisioningBatchStatus[] {
    if (this.#provisioningDenied !== undefined) {
      throw new StoreUnavailable(`${this.description}: cannot read the provisioning tables (${this.#provisioningDenied}); grant the read-only role SELECT on them: GRANT SELECT ON ALL TABLES IN SCHEMA public TO <role> (docs/plan.md)`);
    }
    try {
      return this.#provisioning.read();
    } catch (err) {
      throw new DamagedRecord('provisioning', this.description, (err as Error).message);
    }
  }
  /** Sent with the next checkpoint or commit, like every write of this store. */
  writeProvisioning(status: ProvisioningBatchStatus): boolean {
    this.#writable();
    const change = this.#provisioning.diff(status);
    if (!change) return false;
    if (change.summary !== undefined) this.#pending.provisioningBatches.set(status.batch, change.summary);
    let macs = this.#pending.provisioningDevices.get(status.batch);
    if (!macs) this.#pending.provisioningDevices.set(status.batch, (macs = new Map()));
    for (const [mac, record] of change.devices) macs.set(mac, record);
    for (const mac of change.dropped) macs.set(mac, null);
    this.#provisioning.apply(status.batch, change);
    return true;
  }
  removeProvisioning(batch: string): boolean {
    this.#writable();
    if (!this.#provisioning.has(batch)) return false;
    // Each device row dropped by name too: the batch may be written again before the flush.
    this.#pending.provisioningDevices.set(batch, new Map(this.#provisioning.macs(batch).map((mac) => [mac, null])));
    this.#pending.provisioningBatches.set(batch, null);
    this.#provisioning.remove(batch);
    return true;
  }

  readDevice(id: string): DeviceRecord | undefined {
    const damage = this.#damaged.get(id);
    if (damage !== undefined) throw new DamagedRecord(`device ${id}`, this.description, damage);
    return this.#live.get(id);
  }
  listDeviceIds(): string[] {
    return [...this.#live.keys(), ...this.#damaged.keys()].sort();
  }
  writeDevice(rec: DeviceRecord): boolean {
    return this.writeDevices([rec]) > 0;
  }
  writeDevices(recs: Iterable<DeviceRecord>): number {
    this.#writable();
    let n = 0;
    for (const rec of recs) if (this.#writeOne(rec)) n++;
    return n;
  }

  #writeOne(rec: DeviceRecord): boolean {
    this.#live.set(rec.id, rec);
    let changed = false;
    let was = this.#saved.get(rec.id);
    if (!was || planChanged(was, rec) || this.#damaged.has(rec.id)) {
      const { history: _h, ...row } = rec;
      this.#pending.devices.set(rec.id, JSON.stringify(row));
      was = remember(rec, was?.ops);
      this.#saved.set(rec.id, was);
      this.#damaged.delete(rec.id);
      changed = true;
    }
    let ops = this.#pending.history.get(rec.id);
    const pending = (): NonNullable<typeof ops> => {
      if (!ops) this.#pending.history.set(rec.id, (ops = new Map()));
      return ops;
    };
    const historyChanged = mergeHistory(
      was.ops, rec.history,
      (h) => pending().set(h.operationId, { created: h.createdAt, entry: JSON.stringify(h) }),
      (op) => pending().set(op, null),
    );
    return historyChanged || changed;
  }

  /** Devices whose stored rows do not decode. */
  damagedDevices(): Map<string, string> {
    return new Map(this.#damaged);
  }
}
