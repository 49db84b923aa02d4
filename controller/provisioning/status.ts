// Provisioning status (seed 004): per batch, counts per state; per device, state, location and code expiry.
// Never a code: only its verifier (`codeHash`). The state store keeps it, one row per device
// (StateStoreProvisioningStatusStore; a release before kept one file per batch, imported once); the
// ProvisioningBatch's own status (the status subresource on Kubernetes) carries `toResourceStatus` of it —
// exact counts and a few example devices, bounded whatever the batch's size — beside the conditions.
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Instant } from '../api/types.ts';
import { readJson, safeFileName, writeFileAtomic } from './files.ts';
import type { StateStore } from '../store/store.ts';

export { PROVISIONING_STATES, type ProvisioningBatchStatus, type ProvisioningDeviceStatus, type ProvisioningState } from '../store/records.ts';
import { PROVISIONING_STATES, type ProvisioningBatchStatus, type ProvisioningDeviceStatus, type ProvisioningState } from '../store/records.ts';

export function countStates(devices: readonly ProvisioningDeviceStatus[]): Record<ProvisioningState, number> {
  const counts = Object.fromEntries(PROVISIONING_STATES.map((s) => [s, 0])) as Record<ProvisioningState, number>;
  for (const d of devices) counts[d.state]++;
  return counts;
}

/** Where batch statuses are kept between passes: files standalone, a Secret on Kubernetes (it must outlive a leader). */
export interface ProvisioningStatusStore {
  loadAll(): Promise<ProvisioningBatchStatus[]>;
  save(status: ProvisioningBatchStatus): Promise<void>;
  remove(batch: string): Promise<void>;
}

/** `<state-dir>/provisioning/batches/<batch>.json`: no code in it, only verifiers; 0600 like the rest of the state directory. */
export class FileProvisioningStatusStore implements ProvisioningStatusStore {
  readonly dir: string;
  constructor(stateDir: string) {
    this.dir = join(stateDir, 'provisioning', 'batches');
  }
  async loadAll(): Promise<ProvisioningBatchStatus[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: ProvisioningBatchStatus[] = [];
    for (const n of names) {
      const s = await readJson<ProvisioningBatchStatus>(join(this.dir, n));
      if (s) out.push(s);
    }
    return out;
  }
  async save(status: ProvisioningBatchStatus): Promise<void> {
    await writeFileAtomic(join(this.dir, `${safeFileName(status.batch)}.json`), JSON.stringify(status, null, 2) + '\n', 0o600);
  }
  async remove(batch: string): Promise<void> {
    await rm(join(this.dir, `${safeFileName(batch)}.json`), { force: true });
  }
}

export class MemoryProvisioningStatusStore implements ProvisioningStatusStore {
  readonly #data = new Map<string, ProvisioningBatchStatus>();
  async loadAll(): Promise<ProvisioningBatchStatus[]> {
    return [...this.#data.values()].map((s) => structuredClone(s)).sort((a, b) => (a.batch < b.batch ? -1 : 1));
  }
  async save(status: ProvisioningBatchStatus): Promise<void> {
    this.#data.set(status.batch, structuredClone(status));
  }
  async remove(batch: string): Promise<void> {
    this.#data.delete(batch);
  }
}

/** A few lines per batch for `fleetward status` and `fleetward provision status`. */
export function formatProvisioningStatus(statuses: readonly ProvisioningBatchStatus[], opts: { devices?: boolean } = {}): string {
  const lines: string[] = [];
  for (const s of statuses) {
    const counts = PROVISIONING_STATES.filter((st) => s.counts[st] > 0).map((st) => `${st} ${s.counts[st]}`).join(', ');
    lines.push(`ProvisioningBatch/${s.batch}: ${s.devices.length} device(s)${counts ? ` — ${counts}` : ''}`);
    if (opts.devices === false) continue;
    for (const d of s.devices) {
      const extra: string[] = [];
      if (d.location) extra.push(`location ${JSON.stringify(d.location)}`);
      if (d.user) extra.push(`user ${d.user}`);
      if (d.codeExpiresAt) extra.push(`code expires ${d.codeExpiresAt}`);
      if (d.state === 'FirmwareTooOld' && d.requiredFirmware) extra.push(`firmware ${d.firmwareVersion ?? '?'} < ${d.requiredFirmware} needed`);
      if (d.lockedUntil) extra.push(`locked until ${d.lockedUntil}`);
      if (d.message && d.state !== 'FirmwareTooOld') extra.push(d.message);
      lines.push(`  ${d.macAddress}  ${d.state.padEnd(18)} ${extra.join('; ')}`.trimEnd());
    }
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}

/** The fields `toResourceStatus` sets in a ProvisioningBatch's `status`: the reconciler replaces exactly these. */
export const RESOURCE_STATUS_FIELDS = ['total', 'signedIn', 'counts', 'regenerateCodes', 'devices', 'moreDevices', 'details'] as const;

/**
 * Devices a ProvisioningBatch's status names, as examples; the counts beside them are exact and every device
 * is in the state store (`fleetward provision status`). 20 examples of at most ~4 KiB each keep the status
 * far below what etcd accepts (docs/kubernetes.md "Limits"), whatever the batch's size.
 */
export const LISTED_PROVISIONING_DEVICES = 20;

/** The per-device fields a resource status carries (all in the CRD status schema). Never a code, nor its verifier. */
const RESOURCE_DEVICE_FIELDS = [
  'macAddress', 'state', 'location', 'user', 'source', 'codeExpiresAt', 'manufacturer', 'model', 'firmwareVersion',
  'requiredFirmware', 'lockedUntil', 'signInRequestedAt', 'message',
] as const satisfies readonly (keyof ProvisioningDeviceStatus)[];

/** Which devices a person should see first: those that need someone to act, then those on their way, then the done. */
const ATTENTION: Record<ProvisioningState, number> = {
  FirmwareTooOld: 0, LockedOut: 1, Expired: 2, AwaitingSignIn: 3, AwaitingActivation: 4, SignedIn: 5,
};

/** Where the rest is: the per-device view a person can read (the console shows the same). */
export function provisioningDetails(batch: string): string {
  return `every device: fleetward provision status ${batch} (or the console)`;
}

/** The resource status: exact counts, at most LISTED_PROVISIONING_DEVICES examples, how many more, and where they are. */
export interface ProvisioningResourceStatus {
  total: number;
  signedIn: number;
  counts: Record<ProvisioningState, number>;
  regenerateCodes?: string;
  devices: ProvisioningDeviceStatus[];
  /** Devices of the batch not named in `devices`. */
  moreDevices?: number;
  details?: string;
}

/**
 * The batch's provisioning status as the ProvisioningBatch resource's `status` carries it, directly (beside
 * conditions): the shape of the CRD status schema, bounded whatever the batch's size (it grew by ~325 bytes
 * a device, and etcd refused it from about 4,000). Examples are the devices that most need a person (a
 * message first within a state), in the batch's order; device fields are copied by name, so nothing else —
 * never a code — can reach status through it.
 */
export function toResourceStatus(s: ProvisioningBatchStatus): ProvisioningResourceStatus {
  const ranked = s.devices
    .map((d, i) => ({ d, i, rank: ATTENTION[d.state] * 2 + (d.message ? 0 : 1) }))
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .slice(0, LISTED_PROVISIONING_DEVICES)
    .sort((a, b) => a.i - b.i);
  const more = s.devices.length - ranked.length;
  return {
    total: s.devices.length,
    signedIn: s.counts.SignedIn ?? 0,
    counts: Object.fromEntries(PROVISIONING_STATES.map((st) => [st, s.counts[st] ?? 0])) as Record<ProvisioningState, number>,
    ...(s.regenerateCodes !== undefined ? { regenerateCodes: s.regenerateCodes } : {}),
    devices: ranked.map(({ d }) => {
      const out: Record<string, unknown> = {};
      for (const k of RESOURCE_DEVICE_FIELDS) if (d[k] !== undefined) out[k] = d[k];
      return out as unknown as ProvisioningDeviceStatus;
    }),
    ...(more > 0 ? { moreDevices: more, details: provisioningDetails(s.batch) } : {}),
  };
}

/**
 * Batch statuses in the state store (controller/store/store.ts readProvisioning): one row per device, so a
 * batch of 10,000 devices is neither one Secret nor one status object. The operator's store (SQLite or
 * PostgreSQL) and `fleetward run`'s are both StateStores.
 */
export class StateStoreProvisioningStatusStore implements ProvisioningStatusStore {
  readonly #store: Pick<StateStore, 'readProvisioning' | 'writeProvisioning' | 'removeProvisioning'>;
  constructor(store: Pick<StateStore, 'readProvisioning' | 'writeProvisioning' | 'removeProvisioning'>) {
    this.#store = store;
  }
  async loadAll(): Promise<ProvisioningBatchStatus[]> {
    return this.#store.readProvisioning();
  }
  async save(status: ProvisioningBatchStatus): Promise<void> {
    this.#store.writeProvisioning(status);
  }
  async remove(batch: string): Promise<void> {
    this.#store.removeProvisioning(batch);
  }
}

/**
 * Statuses of a release before the state store kept them (`<state-dir>/provisioning/batches/*.json`) move
 * into the store on the first provisioning run after an upgrade, then the files go: one place, not two.
 */
export async function importLegacyStatuses(stateDir: string, store: Pick<StateStore, 'readProvisioning' | 'writeProvisioning'>): Promise<number> {
  const files = new FileProvisioningStatusStore(stateDir);
  const legacy = await files.loadAll();
  if (legacy.length === 0) return 0;
  const inStore = new Set(store.readProvisioning().map((s) => s.batch));
  for (const s of legacy) if (!inStore.has(s.batch)) store.writeProvisioning(s);
  for (const s of legacy) await files.remove(s.batch);
  return legacy.length;
}

/** The store's batches, and those still in legacy files (not imported yet: no run since the upgrade), sorted. */
export function withLegacy(inStore: readonly ProvisioningBatchStatus[], legacy: readonly ProvisioningBatchStatus[]): ProvisioningBatchStatus[] {
  const names = new Set(inStore.map((s) => s.batch));
  return [...inStore, ...legacy.filter((s) => !names.has(s.batch))].sort((a, b) => (a.batch < b.batch ? -1 : a.batch > b.batch ? 1 : 0));
}

/** The standalone batch statuses of a release before the state store kept them, read synchronously (for `fleetward status`, which reads files only). */
export function readProvisioningStatusSync(stateDir: string): ProvisioningBatchStatus[] {
  const dir = join(stateDir, 'provisioning', 'batches');
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names.map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')) as ProvisioningBatchStatus);
}
