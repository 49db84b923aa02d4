// The standalone status sink: a state directory (DESIGN.md section 1, "Status sinks").
//
//   <state-dir>/run.json                 the loop's own status: source, lastAppliedRevision, conditions, summary
//   <state-dir>/revision.json            the last good revision (id + objects): stays in force across restarts
//   <state-dir>/objects.json             per-object status (Kind/name → conditions, lastAppliedRevision, …)
//   <state-dir>/devices/<id>.json        per-device plan (components) and operation history
//
// Every file is written atomically and only when its content changed (STYLE.md: status is written only
// when it changed). History entries are merged by operation id and never dropped.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type {
  CommonStatus, Condition, DeviceOperation, FleetwardObject, Instant, Kind, OperationStatus, Revision,
} from '../api/types.ts';
import type { ComponentPlan } from '../planner/types.ts';
import { readJson, writeFileAtomic } from './atomic.ts';

export interface RunStatus {
  /** Where revisions come from, e.g. `dir:/srv/config` or `git:https://…#main:fleet`. */
  source: string;
  driver: string;
  lastAppliedRevision?: string;
  /** The newest revision the source offered; differs from lastAppliedRevision when it was rejected. */
  lastAttemptedRevision?: string;
  /** Why the last attempted revision was rejected (`file:line: path: message` lines). */
  revisionErrors?: string[];
  conditions: Condition[];
  lastReconcileAt?: Instant;
  summary?: ProgressSummary;
}

/** Per phase / ring counts a person can follow (the live demo prints these). */
export interface ProgressSummary {
  at: Instant;
  devices: number;
  stages: StageProgress[];
  operationsIssued: number;
  operationsInFlight: number;
}
export interface StageProgress {
  kind: 'phase' | 'ring' | 'none';
  name: string;
  devices: number;
  done: number;
  inProgress: number;
  failed: number;
  waiting: number;
}

export interface ObjectStatus extends CommonStatus {
  kind: Kind;
  name: string;
  /** Extra figures some kinds carry (DeviceGroup: devices, upToDate, …). */
  [extra: string]: unknown;
}

/** One operation as the device's history keeps it: the driver's record, plus why and by whom it was issued. */
export interface HistoryEntry extends Omit<DeviceOperation, 'id' | 'deviceId'> {
  operationId: string;
  /** Why it was issued (the planner's reason code); absent for operations Fleetward did not issue. */
  reason?: string;
  softwareUpdate?: string;
  /** The revision in force when Fleetward issued it. */
  revision?: string;
  /** `fleetward` when this loop issued it, `backend` when it was first seen in the driver's list. */
  issuedBy: 'fleetward' | 'backend';
  /** Seed 000 FAQ: the diagnostics run after a failed update, with its logs. */
  diagnostics?: { operationId: string; status: OperationStatus; logsUrl?: string };
}

export interface DeviceRecord {
  id: string;
  group?: string | null;
  phase?: string | null;
  ring?: string | null;
  maintenanceWindow?: string;
  components?: ComponentPlan[];
  /** Oldest first. */
  history: HistoryEntry[];
}

export class StateStore {
  readonly dir: string;
  /** Last content written or read per path: writes that change nothing are skipped. */
  readonly #written = new Map<string, string>();
  /** Device records as last read or written: this process is the only writer of its state directory. */
  readonly #devices = new Map<string, DeviceRecord>();
  #objects: Record<string, ObjectStatus> | undefined;
  /** Per device, the history and intents last written (to decide whether a write must be flushed). */
  readonly #lasting = new Map<string, string>();

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(join(dir, 'devices'), { recursive: true });
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
    return this.#write(this.#path('revision.json'), { id: rev.id, objects: rev.objects });
  }

  readObjects(): Record<string, ObjectStatus> {
    this.#objects ??= this.#read<Record<string, ObjectStatus>>(this.#path('objects.json')) ?? {};
    return this.#objects;
  }
  writeObjects(objects: Record<string, ObjectStatus>): boolean {
    const sorted: Record<string, ObjectStatus> = {};
    for (const key of Object.keys(objects).sort()) sorted[key] = objects[key]!;
    this.#objects = sorted;
    return this.#write(this.#path('objects.json'), sorted);
  }

  #devicePath(id: string): string {
    return join(this.dir, 'devices', `${encodeURIComponent(id)}.json`);
  }
  /** The caller may change the record it gets; it is written back with writeDevice. */
  readDevice(id: string): DeviceRecord | undefined {
    const cached = this.#devices.get(id);
    if (cached) return cached;
    const rec = this.#read<DeviceRecord>(this.#devicePath(id));
    if (rec) {
      this.#devices.set(id, rec);
      this.#lasting.set(id, JSON.stringify([rec.history, (rec as { pending?: unknown }).pending]));
    }
    return rec;
  }
  /**
   * Flushed to disk (fsync) when the history or a pending intent changed; a change of the planned
   * components alone is only renamed into place, since the next pass derives it again.
   */
  writeDevice(rec: DeviceRecord): boolean {
    this.#devices.set(rec.id, rec);
    const lasting = JSON.stringify([rec.history, (rec as { pending?: unknown }).pending]);
    const fsync = this.#lasting.get(rec.id) !== lasting;
    const wrote = this.#write(this.#devicePath(rec.id), rec, fsync);
    this.#lasting.set(rec.id, lasting);
    return wrote;
  }
  listDeviceIds(): string[] {
    return readdirSync(join(this.dir, 'devices'))
      .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
      .map((f) => decodeURIComponent(f.slice(0, -'.json'.length)))
      .sort();
  }
}

export function objectKey(o: Pick<FleetwardObject, 'kind' | 'metadata'>): string {
  return `${o.kind}/${o.metadata.name}`;
}

/** Merges what the driver reports about an operation into a history entry, keeping what Fleetward knew. */
export function mergeOperation(entry: HistoryEntry | undefined, op: DeviceOperation, extra: Partial<HistoryEntry> = {}): HistoryEntry {
  const merged: HistoryEntry = {
    ...(entry ?? { issuedBy: 'backend' as const }),
    ...extra,
    operationId: op.id,
    operationType: op.operationType,
    status: op.status,
    createdAt: op.createdAt,
  } as HistoryEntry;
  if (op.component !== undefined) merged.component = op.component;
  if (op.fromVersion !== undefined) merged.fromVersion = op.fromVersion;
  if (op.toVersion !== undefined) merged.toVersion = op.toVersion;
  if (op.startedAt !== undefined) merged.startedAt = op.startedAt;
  if (op.completedAt !== undefined) merged.completedAt = op.completedAt;
  if (op.error !== undefined) merged.error = op.error;
  if (op.forced !== undefined) merged.forced = op.forced;
  if (op.logsUrl !== undefined) merged.logsUrl = op.logsUrl;
  return merged;
}
