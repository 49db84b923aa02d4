// Provisioning status (seed 004): per batch, counts per state; per device, state, location and code expiry.
// Never a code: only its verifier (`codeHash`). The standalone state directory keeps this object per batch;
// the ProvisioningBatch's own status (objects.json, or the status subresource on Kubernetes) carries
// `toResourceStatus` of it directly in `status` (total, signedIn, counts, devices: the CRD status schema
// in controller/api/schemas.ts), beside the conditions.
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Instant } from '../api/types.ts';
import { readJson, safeFileName, writeFileAtomic } from './files.ts';

export const PROVISIONING_STATES = [
  'AwaitingActivation', 'AwaitingSignIn', 'SignedIn', 'Expired', 'FirmwareTooOld', 'LockedOut',
] as const;
export type ProvisioningState = (typeof PROVISIONING_STATES)[number];

export interface ProvisioningDeviceStatus {
  macAddress: string;
  state: ProvisioningState;
  location?: string;
  /** The user to sign in remotely, when declared. */
  user?: string;
  /** Where the device was declared: `inline` or `file.csv:LINE`. */
  source?: string;
  /** Verifier of the current code (./codes.ts); absent once the device has activated. */
  codeHash?: string;
  codeIssuedAt?: Instant;
  codeExpiresAt?: Instant;
  /** The `regenerate.provisioning.fleetward.dev/<MAC>` annotation value already honoured. */
  regenerateToken?: string;
  /** Codes issued for this device so far. */
  codesIssued?: number;
  manufacturer?: string;
  model?: string;
  firmwareVersion?: string;
  /** FirmwareTooOld: the version seed 004's table requires for this model. */
  requiredFirmware?: string;
  lockedUntil?: Instant;
  signInRequestedAt?: Instant;
  /** Why the device is where it is, for a person. */
  message?: string;
}

export interface ProvisioningBatchStatus {
  batch: string;
  counts: Record<ProvisioningState, number>;
  devices: ProvisioningDeviceStatus[];
  /** The `spec.regenerateCodes` value already honoured. */
  regenerateCodes?: string;
  lastReconciledAt?: Instant;
}

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
export const RESOURCE_STATUS_FIELDS = ['total', 'signedIn', 'counts', 'regenerateCodes', 'devices'] as const;

/** The per-device fields a resource status carries (all in the CRD status schema). Never a code: at most its hash. */
const RESOURCE_DEVICE_FIELDS = [
  'macAddress', 'state', 'location', 'user', 'source', 'codeHash', 'codeIssuedAt', 'codeExpiresAt', 'regenerateToken',
  'codesIssued', 'manufacturer', 'model', 'firmwareVersion', 'requiredFirmware', 'lockedUntil', 'signInRequestedAt', 'message',
] as const satisfies readonly (keyof ProvisioningDeviceStatus)[];

/**
 * The batch's provisioning status as the ProvisioningBatch resource's `status` carries it, directly (beside
 * conditions): the shape of the CRD status schema. Device fields are copied by name, so nothing else (and
 * never a plaintext code) can reach status through it.
 */
export function toResourceStatus(s: ProvisioningBatchStatus): {
  total: number; signedIn: number; counts: Record<ProvisioningState, number>; regenerateCodes?: string; devices: ProvisioningDeviceStatus[];
} {
  return {
    total: s.devices.length,
    signedIn: s.counts.SignedIn,
    counts: Object.fromEntries(PROVISIONING_STATES.map((st) => [st, s.counts[st] ?? 0])) as Record<ProvisioningState, number>,
    ...(s.regenerateCodes !== undefined ? { regenerateCodes: s.regenerateCodes } : {}),
    devices: s.devices.map((d) => {
      const out: Record<string, unknown> = {};
      for (const k of RESOURCE_DEVICE_FIELDS) if (d[k] !== undefined) out[k] = d[k];
      return out as unknown as ProvisioningDeviceStatus;
    }),
  };
}

/** The standalone batch statuses, read synchronously (for `fleetward status`, which reads files only). */
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
