// The JSON state directory of the first releases, kept to read (and migrate from) existing installations:
//
//   <state-dir>/run.json                 the loop's own status: source, lastAppliedRevision, conditions, summary
//   <state-dir>/revision.json            the last good revision (id + objects): stays in force across restarts
//   <state-dir>/objects.json             per-object status (Kind/name → conditions, lastAppliedRevision, …)
//   <state-dir>/devices/<id>.json        per-device plan (components) and operation history
//   <state-dir>/provisioning/batches/<batch>.json   provisioning status per batch (code verifiers, never codes)
//
// Every file is written atomically and only when its content changed. There is no transaction: each write is
// its own (one file), so the pass boundaries are no-ops.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Revision } from '../api/types.ts';
import { readJson, writeFileAtomic } from '../status/atomic.ts';
import { DamagedRecord } from './damage.ts';
import {
  revisionState, sortedObjects, type DeviceRecord, type NotificationChanges, type NotificationRecords, type ObjectStatus, type ProvisioningBatchStatus, type RunStatus,
} from './records.ts';
import type { StateStore } from './store.ts';

/** Whether `dir` holds a JSON state directory (what `fleetward run` wrote before the SQLite store). */
export function isJsonStateDir(dir: string): boolean {
  return ['run.json', 'revision.json', 'objects.json', 'devices'].some((f) => existsSync(join(dir, f)));
}

export class JsonDirStore implements StateStore {
  readonly dir: string;
  readonly description: string;
  /** Last content written or read per path: writes that change nothing are skipped. */
  readonly #written = new Map<string, string>();
  /** Device records as last read or written: this process is the only writer of its state directory. */
  readonly #devices = new Map<string, DeviceRecord>();
  #objects: Record<string, ObjectStatus> | undefined;
  /** Per device, the history and intents last written (to decide whether a write must be flushed). */
  readonly #lasting = new Map<string, string>();

  constructor(dir: string) {
    this.dir = dir;
    this.description = `json:${dir}`;
    mkdirSync(join(dir, 'devices'), { recursive: true, mode: 0o700 });
  }

  #path(name: string): string {
    return join(this.dir, name);
  }

  #read<T>(path: string): T | undefined {
    const value = readJson<T>(path);
    if (value !== undefined) this.#written.set(path, JSON.stringify(value, null, 2) + '\n');
    return value;
  }

  /** Writes when the content differs from what is on disk; returns whether it wrote. */
  #write(path: string, value: unknown, fsync = true): boolean {
    const text = JSON.stringify(value, null, 2) + '\n';
    if (!this.#written.has(path)) {
      try { this.#read(path); } catch { /* a corrupt file gets replaced */ }
    }
    if (this.#written.get(path) === text) return false;
    writeFileAtomic(path, text, { fsync });
    this.#written.set(path, text);
    return true;
  }

  readRun(): RunStatus | undefined {
    return this.#read<RunStatus>(this.#path('run.json'));
  }
  writeRun(run: RunStatus): boolean {
    return this.#write(this.#path('run.json'), run);
  }

  readLastGoodRevision(): Revision | undefined {
    return this.#read<Revision>(this.#path('revision.json'));
  }
  writeLastGoodRevision(rev: Revision): boolean {
    return this.#write(this.#path('revision.json'), revisionState(rev));
  }

  readObjects(): Record<string, ObjectStatus> {
    this.#objects ??= this.#read<Record<string, ObjectStatus>>(this.#path('objects.json')) ?? {};
    return this.#objects;
  }
  writeObjects(objects: Record<string, ObjectStatus>): boolean {
    const sorted = sortedObjects(objects);
    this.#objects = sorted;
    return this.#write(this.#path('objects.json'), sorted);
  }

  #batchPath(batch: string): string {
    return join(this.dir, 'provisioning', 'batches', `${encodeURIComponent(batch)}.json`);
  }
  readProvisioning(): ProvisioningBatchStatus[] {
    const dir = join(this.dir, 'provisioning', 'batches');
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort()
      .map((f) => this.#read<ProvisioningBatchStatus>(join(dir, f)))
      .filter((s): s is ProvisioningBatchStatus => s !== undefined)
      .sort((a, b) => (a.batch < b.batch ? -1 : a.batch > b.batch ? 1 : 0));
  }
  writeProvisioning(status: ProvisioningBatchStatus): boolean {
    return this.#write(this.#batchPath(status.batch), status);
  }
  removeProvisioning(batch: string): boolean {
    const path = this.#batchPath(batch);
    if (!existsSync(path)) return false;
    rmSync(path, { force: true });
    return true;
  }

  #devicePath(id: string): string {
    return join(this.dir, 'devices', `${encodeURIComponent(id)}.json`);
  }
  /** Notification bookkeeping in one file (this legacy store has no transaction: written whole, atomically). */
  readNotifications(): NotificationRecords {
    return this.#read<NotificationRecords>(this.#path('notifications.json')) ?? { events: {}, deliveries: {} };
  }
  writeNotifications(changes: NotificationChanges): boolean {
    const cur = this.readNotifications();
    for (const [k, v] of Object.entries(changes.events ?? {})) { if (v === null) delete cur.events[k]; else cur.events[k] = v; }
    for (const [k, v] of Object.entries(changes.deliveries ?? {})) { if (v === null) delete cur.deliveries[k]; else cur.deliveries[k] = v; }
    return this.#write(this.#path('notifications.json'), cur);
  }

  readDevice(id: string): DeviceRecord | undefined {
    const cached = this.#devices.get(id);
    if (cached) return cached;
    const path = this.#devicePath(id);
    let rec: DeviceRecord | undefined;
    try {
      rec = this.#read<DeviceRecord>(path);
    } catch (err) {
      throw new DamagedRecord(`device ${id}`, path, (err as Error).message.replace(`${path}: `, ''));
    }
    if (rec === null || (rec !== undefined && (typeof rec !== 'object' || !Array.isArray(rec.history)))) {
      throw new DamagedRecord(`device ${id}`, path, 'not a device record');
    }
    if (rec) {
      this.#devices.set(id, rec);
      this.#lasting.set(id, JSON.stringify([rec.history, rec.pending]));
    }
    return rec;
  }
  /**
   * Flushed to disk (fsync) when the history or a pending intent changed; a change of the planned
   * components alone is only renamed into place, since the next pass derives it again.
   */
  writeDevice(rec: DeviceRecord): boolean {
    this.#devices.set(rec.id, rec);
    const lasting = JSON.stringify([rec.history, rec.pending]);
    const fsync = this.#lasting.get(rec.id) !== lasting;
    const wrote = this.#write(this.#devicePath(rec.id), rec, fsync);
    this.#lasting.set(rec.id, lasting);
    return wrote;
  }
  writeDevices(recs: Iterable<DeviceRecord>): number {
    let n = 0;
    for (const rec of recs) if (this.writeDevice(rec)) n++;
    return n;
  }
  listDeviceIds(): string[] {
    return readdirSync(join(this.dir, 'devices'))
      .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
      .map((f) => decodeURIComponent(f.slice(0, -'.json'.length)))
      .sort();
  }

  async beginPass(): Promise<void> {}
  async checkpoint(): Promise<void> {}
  async commitPass(): Promise<void> {}
  async abortPass(): Promise<void> {}
  async close(): Promise<void> {}
}
