// The provisioning step of each reconcile pass (seed 004). Level-triggered: every pass re-derives each
// declared device's state from the back end's listing and the batch status kept from the last pass, issues
// a code where one is missing, lapsed or asked for, registers it, signs in the declared user once the device
// has activated, and forgets devices no longer declared. Running it twice in a row changes nothing.
import type { Instant, ProvisioningBatch } from '../api/types.ts';
import { normalizeMac } from '../api/mac.ts';
import type { Clock } from '../util/clock.ts';
import { CODE_LIFETIME_MS, generateCode, hashCode } from './codes.ts';
import type { BackendProvisioningRecord, ProvisioningDriver } from './driver.ts';
import { checkFirmware } from './minimum-firmware.ts';
import type { RegenerationRequest } from './requests.ts';
import type { BatchCodes, CodeSecretStore } from './secrets.ts';
import {
  countStates, type ProvisioningBatchStatus, type ProvisioningDeviceStatus, type ProvisioningState, type ProvisioningStatusStore,
} from './status.ts';

/** One device of a batch after the loader resolved inline devices and `devicesFile` (MAC normalised). */
export interface ResolvedProvisioningDevice {
  macAddress: string;
  location?: string;
  user?: string;
  /** `inline` or `devices.csv:12`. */
  source?: string;
}

/** Annotation whose value, when changed, regenerates one device's code: `regenerate.provisioning.fleetward.dev/AA-BB-CC-DD-EE-FF`. */
export const REGENERATE_ANNOTATION_PREFIX = 'regenerate.provisioning.fleetward.dev/';

export interface ProvisioningLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ReconcileProvisioningInput {
  batches: readonly ProvisioningBatch[];
  /** `revision.provisioningDevices`; batches missing from it fall back to their inline `spec.devices`. */
  resolvedDevices?: Readonly<Record<string, readonly ResolvedProvisioningDevice[]>>;
  driver: ProvisioningDriver;
  store: ProvisioningStatusStore;
  secrets: CodeSecretStore;
  clock: Clock;
  requests?: readonly RegenerationRequest[];
  log?: ProvisioningLogger;
}

export type CodeReason =
  | 'NoCode' | 'SecretMissing' | 'Expired' | 'BatchRegenerationRequested' | 'DeviceRegenerationRequested' | 'RegenerationRequested';

const silent: ProvisioningLogger = { info() {}, warn() {} };
const ms = (t: Instant | undefined): number => (t === undefined ? Number.NaN : Date.parse(t));
const iso = (t: number): Instant => new Date(t).toISOString().replace(/\.000Z$/, 'Z');

/** Inline devices of a batch, for when the loader has not resolved it (no `devicesFile`). */
export function inlineDevices(batch: ProvisioningBatch): ResolvedProvisioningDevice[] {
  const out: ResolvedProvisioningDevice[] = [];
  for (const d of batch.spec.devices ?? []) {
    const mac = normalizeMac(d.macAddress);
    if (!mac) continue; // the loader reports it; an invalid revision never reaches here
    out.push({ macAddress: mac, ...(d.location ? { location: d.location } : {}), ...(d.signIn?.user ? { user: d.signIn.user } : {}), source: 'inline' });
  }
  return out;
}

function withoutTimestamp(s: ProvisioningBatchStatus | undefined): string {
  if (!s) return '';
  const { lastReconciledAt: _, ...rest } = s;
  return JSON.stringify(rest);
}

interface Pending {
  status: ProvisioningDeviceStatus;
  reason?: CodeReason;
  backend?: BackendProvisioningRecord;
  previousState?: ProvisioningState;
}

export async function reconcileProvisioning(input: ReconcileProvisioningInput): Promise<ProvisioningBatchStatus[]> {
  const { driver, store, secrets, clock } = input;
  const log = input.log ?? silent;
  const now = clock.now().getTime();
  const previous = new Map((await store.loadAll()).map((s) => [s.batch, s]));
  const backend = new Map((await driver.list()).map((r) => [r.macAddress, r]));
  const batches = [...input.batches].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));

  const devicesOf = (batch: ProvisioningBatch) => input.resolvedDevices?.[batch.metadata.name] ?? inlineDevices(batch);
  // MAC → the batch that claims it. The loader rejects a MAC in two batches; should one slip through,
  // the first batch by name keeps it.
  const declaredMacs = new Map<string, string>();
  for (const batch of batches) for (const d of devicesOf(batch)) if (!declaredMacs.has(d.macAddress)) declaredMacs.set(d.macAddress, batch.metadata.name);
  const results: ProvisioningBatchStatus[] = [];

  for (const batch of batches) {
    const name = batch.metadata.name;
    const devices = devicesOf(batch);
    if (batch.spec.devicesFile && !input.resolvedDevices?.[name]) {
      log.warn({ batch: name, devicesFile: batch.spec.devicesFile }, 'provisioning batch devicesFile not resolved; only inline devices used');
    }
    const prev = previous.get(name);
    const prevByMac = new Map((prev?.devices ?? []).map((d) => [d.macAddress, d]));
    const codes: BatchCodes = await secrets.load(name);
    const codesBefore = JSON.stringify(codes);
    const regenerateCodes = batch.spec.regenerateCodes;
    const batchRegen = prev !== undefined && regenerateCodes !== undefined && regenerateCodes !== prev.regenerateCodes;
    const annotations = batch.metadata.annotations ?? {};
    const requests = (input.requests ?? []).filter((r) => r.batch === name && ms(r.requestedAt) <= now);

    const pending: Pending[] = [];
    for (const d of devices) {
      const mac = d.macAddress;
      const claimedBy = declaredMacs.get(mac);
      if (claimedBy !== name || pending.some((x) => x.status.macAddress === mac)) {
        log.warn({ batch: name, macAddress: mac, claimedBy }, 'MAC address declared twice; the first declaration keeps it');
        continue;
      }
      const p = prevByMac.get(mac);
      const b = backend.get(mac);
      const st: ProvisioningDeviceStatus = {
        macAddress: mac,
        state: 'AwaitingActivation',
        ...(d.location ? { location: d.location } : {}),
        ...(d.user ? { user: d.user } : {}),
        ...(d.source ? { source: d.source } : {}),
        ...(p?.codeHash ? { codeHash: p.codeHash, codeIssuedAt: p.codeIssuedAt, codeExpiresAt: p.codeExpiresAt } : {}),
        ...(p?.regenerateToken !== undefined ? { regenerateToken: p.regenerateToken } : {}),
        ...(p?.codesIssued ? { codesIssued: p.codesIssued } : {}),
        ...(b?.manufacturer ? { manufacturer: b.manufacturer } : p?.manufacturer ? { manufacturer: p.manufacturer } : {}),
        ...(b?.model ? { model: b.model } : p?.model ? { model: p.model } : {}),
        ...(b?.firmwareVersion ? { firmwareVersion: b.firmwareVersion } : p?.firmwareVersion ? { firmwareVersion: p.firmwareVersion } : {}),
      };
      const item: Pending = { status: st, ...(b ? { backend: b } : {}), ...(p ? { previousState: p.state } : {}) };
      pending.push(item);

      const firmware = st.model && st.firmwareVersion ? checkFirmware(st.manufacturer, st.model, st.firmwareVersion) : { ok: true as const };
      const dropCode = () => {
        delete st.codeHash; delete st.codeIssuedAt; delete st.codeExpiresAt;
        delete codes[mac];
      };

      if (b?.state === 'SignedIn') {
        dropCode();
        st.state = 'SignedIn';
        if (b.user) st.user = b.user;
        continue;
      }
      if (b?.state === 'AwaitingSignIn') {
        dropCode(); // activated: the code has done its job and must not linger
        st.state = 'AwaitingSignIn';
        if (!firmware.ok) {
          st.state = 'FirmwareTooOld';
          st.requiredFirmware = firmware.required;
          st.message = `${firmware.row.manufacturer} ${st.model} needs firmware ${firmware.required} or newer for remote sign-in; it runs ${st.firmwareVersion}`;
        } else if (!d.user) {
          st.message = 'activated; no user declared for remote sign-in, the user signs in on the device';
        } else if (b.user === d.user) {
          st.message = `remote sign-in of ${d.user} pending`;
          if (p?.signInRequestedAt) st.signInRequestedAt = p.signInRequestedAt;
        } else {
          try {
            const res = await driver.signIn(mac, d.user);
            st.signInRequestedAt = iso(now);
            log.info({ batch: name, macAddress: mac, user: d.user }, 'remote sign-in requested');
            if (res.accepted && res.record.state === 'SignedIn') st.state = 'SignedIn';
            else if (!res.accepted) st.message = `remote sign-in refused: ${res.reason}`;
            else st.message = `remote sign-in of ${d.user} pending`;
          } catch (err) {
            st.message = `remote sign-in failed: ${(err as Error).message}`;
          }
        }
        continue;
      }

      // Not activated yet: keep a valid code in force.
      const secret = codes[mac];
      const token = annotations[REGENERATE_ANNOTATION_PREFIX + mac];
      const issuedAt = ms(st.codeIssuedAt);
      if (!st.codeHash) item.reason = 'NoCode';
      else if (!secret || secret.codeHash !== st.codeHash) item.reason = 'SecretMissing';
      else if (!(now < ms(st.codeExpiresAt))) item.reason = 'Expired';
      else if (batchRegen) item.reason = 'BatchRegenerationRequested';
      else if (token !== undefined && token !== st.regenerateToken) item.reason = 'DeviceRegenerationRequested';
      else if (requests.some((r) => (r.macAddress === undefined || r.macAddress === mac) && !(ms(r.requestedAt) <= issuedAt))) {
        item.reason = 'RegenerationRequested';
      }
      if (token !== undefined) st.regenerateToken = token;

      holdIfNeeded(st, b);
    }

    // Issue the new codes: the plaintext goes to the secret store before its verifier reaches the back end,
    // so a code the back end accepts is always one a technician can export.
    const toIssue = pending.filter((x) => x.reason);
    for (let i = 0; i < toIssue.length; i += 4) {
      await Promise.all(toIssue.slice(i, i + 4).map(async (x) => {
        const code = generateCode();
        const codeHash = await hashCode(code);
        const expiresAt = iso(now + CODE_LIFETIME_MS);
        codes[x.status.macAddress] = { code, expiresAt, codeHash };
        x.status.codeHash = codeHash;
        x.status.codeIssuedAt = iso(now);
        x.status.codeExpiresAt = expiresAt;
        x.status.codesIssued = (x.status.codesIssued ?? 0) + 1;
      }));
    }
    for (const mac of Object.keys(codes)) if (declaredMacs.get(mac) !== name) delete codes[mac];
    if (JSON.stringify(codes) !== codesBefore) await secrets.save(name, codes);

    for (const x of pending) {
      const st = x.status;
      if (x.reason) {
        log.info({ batch: name, macAddress: st.macAddress, reason: x.reason, expiresAt: st.codeExpiresAt }, 'provisioning code issued');
      }
      const awaiting = st.state === 'AwaitingActivation' || st.state === 'FirmwareTooOld' || st.state === 'LockedOut';
      const b = x.backend;
      const needsRegister = awaiting && st.codeHash !== undefined &&
        (x.reason !== undefined || !b || b.codeExpiresAt !== st.codeExpiresAt || (b.location ?? '') !== (st.location ?? ''));
      if (needsRegister) {
        try {
          const rec = await driver.register({ macAddress: st.macAddress, ...(st.location ? { location: st.location } : {}), codeHash: st.codeHash!, codeExpiresAt: st.codeExpiresAt! });
          // A device that powered on before it was registered is known only now.
          if (rec.manufacturer) st.manufacturer = rec.manufacturer;
          if (rec.model) st.model = rec.model;
          if (rec.firmwareVersion) st.firmwareVersion = rec.firmwareVersion;
          holdIfNeeded(st, rec);
        } catch (err) {
          st.message = `registering the code with the back end failed: ${(err as Error).message}`;
          if (x.reason === 'Expired') st.state = 'Expired';
          log.warn({ batch: name, macAddress: st.macAddress, error: (err as Error).message }, 'provisioning registration failed');
        }
      }
      if (x.previousState !== st.state) {
        log.info({ batch: name, macAddress: st.macAddress, from: x.previousState ?? null, to: st.state }, 'provisioning state changed');
      }
    }

    const status: ProvisioningBatchStatus = {
      batch: name,
      counts: countStates(pending.map((x) => x.status)),
      devices: pending.map((x) => x.status),
      ...(regenerateCodes !== undefined ? { regenerateCodes } : {}),
    };
    // Written only when something changed, so an idle pass touches no file.
    const changed = withoutTimestamp(status) !== withoutTimestamp(prev);
    status.lastReconciledAt = !changed && prev?.lastReconciledAt ? prev.lastReconciledAt : iso(now);
    if (changed) await store.save(status);

    // Devices dropped from this batch (and not moved to another): forget them at the back end.
    for (const old of prev?.devices ?? []) if (!declaredMacs.has(old.macAddress)) await forget(driver, backend, old, name, log);
    results.push(status);
  }

  // Batches no longer declared.
  const declaredBatches = new Set(batches.map((b) => b.metadata.name));
  for (const [name, prev] of previous) {
    if (declaredBatches.has(name)) continue;
    for (const old of prev.devices) if (!declaredMacs.has(old.macAddress)) await forget(driver, backend, old, name, log);
    await store.remove(name);
  }
  for (const name of await secrets.batches()) if (!declaredBatches.has(name)) await secrets.save(name, {});
  return results;
}

/** A device not yet activated is held while locked out or while its firmware is below the seed's minimum. */
function holdIfNeeded(st: ProvisioningDeviceStatus, b: BackendProvisioningRecord | undefined): void {
  delete st.lockedUntil; delete st.requiredFirmware; delete st.message;
  st.state = 'AwaitingActivation';
  const firmware = st.model && st.firmwareVersion ? checkFirmware(st.manufacturer, st.model, st.firmwareVersion) : { ok: true as const };
  if (b?.state === 'LockedOut') {
    st.state = 'LockedOut';
    if (b.lockedUntil) st.lockedUntil = b.lockedUntil;
    st.message = 'too many wrong activation codes; attempts are refused until the lock lapses';
  } else if (!firmware.ok) {
    st.state = 'FirmwareTooOld';
    st.requiredFirmware = firmware.required;
    st.message = `${firmware.row.manufacturer} ${st.model} needs firmware ${firmware.required} or newer; it runs ${st.firmwareVersion}`;
  }
}

async function forget(
  driver: ProvisioningDriver, backend: Map<string, BackendProvisioningRecord>, old: ProvisioningDeviceStatus, batch: string, log: ProvisioningLogger,
): Promise<void> {
  const b = backend.get(old.macAddress);
  if (!b || b.state === 'SignedIn') return; // a signed-in device is in use: leave it be
  await driver.unregister(old.macAddress);
  log.info({ batch, macAddress: old.macAddress }, 'device no longer declared; removed from provisioning');
}
