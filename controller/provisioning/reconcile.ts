// The provisioning step of each reconcile pass (seed 004), staged like the update reconciler: gather (the
// statuses the last run kept, the back end's listing, the codes kept), decide (./decisions.ts: pure, one
// reason code per answer), act (issue codes, keep them, register verifiers, sign users in, forget devices no
// longer declared), record (the batch status, written only when it changed). Level-triggered: every pass
// re-derives each declared device's state, so running it twice in a row changes nothing.
import type { Instant, ProvisioningBatch } from '../api/types.ts';
import { normalizeMac } from '../api/mac.ts';
import type { Clock } from '../util/clock.ts';
import { hashCode } from '../drivers/code-verifier.ts';
import type { BackendProvisioningRecord, ProvisioningDriver } from '../drivers/provisioning.ts';
import { CODE_LIFETIME_MS, generateCode } from './codes.ts';
import {
  activatedStanding, awaitingStanding, codeReason, forgetReason, isActivated, registerReason, signInStanding,
  type CodeReason, type Standing,
} from './decisions.ts';
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

const silent: ProvisioningLogger = { info() {}, warn() {} };
const iso = (t: number): Instant => new Date(t).toISOString().replace(/\.000Z$/, 'Z');
const ms = (t: Instant | undefined): number => (t === undefined ? Number.NaN : Date.parse(t));

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

/** One declared device during a pass: its status being built, and what was decided for it. */
interface DeviceInPass {
  declared: ResolvedProvisioningDevice;
  status: ProvisioningDeviceStatus;
  backend?: BackendProvisioningRecord;
  previousState?: ProvisioningState;
  /** Set when the device gets a new code on this pass. */
  newCode?: CodeReason;
  /** Set when the declared user is to be signed in remotely on this pass (decision SignInNeeded). */
  signIn?: string;
}

/** Codes issued a few at a time: scrypt runs on libuv's pool of four threads. */
const HASH_CONCURRENCY = 4;

export async function reconcileProvisioning(input: ReconcileProvisioningInput): Promise<ProvisioningBatchStatus[]> {
  const { driver, store, secrets, clock } = input;
  const log = input.log ?? silent;
  const now = clock.now().getTime();

  // Gather.
  const previous = new Map((await store.loadAll()).map((s) => [s.batch, s]));
  const backend = new Map((await driver.list()).map((r) => [r.macAddress, r]));
  const batches = [...input.batches].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  const devicesOf = (batch: ProvisioningBatch) => input.resolvedDevices?.[batch.metadata.name] ?? inlineDevices(batch);
  const claims = claimedBy(batches, devicesOf);
  const results: ProvisioningBatchStatus[] = [];

  for (const batch of batches) {
    const name = batch.metadata.name;
    if (batch.spec.devicesFile && !input.resolvedDevices?.[name]) {
      log.warn({ batch: name, devicesFile: batch.spec.devicesFile }, 'provisioning batch devicesFile not resolved; only inline devices used');
    }
    const prev = previous.get(name);
    const codes: BatchCodes = await secrets.load(name);
    const codesBefore = JSON.stringify(codes);

    // Decide.
    const devices = decideBatch(batch, devicesOf(batch), {
      previous: prev, backend, codes, claims, now, requests: input.requests ?? [], log,
    });

    // Act: remote sign-in where the decision asks for it.
    for (const x of devices) {
      const user = x.signIn;
      if (!user) continue;
      try {
        const res = await driver.signIn(x.status.macAddress, user);
        x.status.signInRequestedAt = iso(now);
        log.info({ batch: name, macAddress: x.status.macAddress, user }, 'remote sign-in requested');
        applyStanding(x.status, signInStanding(res, user));
      } catch (err) {
        x.status.message = `remote sign-in failed: ${(err as Error).message}`;
      }
    }

    // Act: issue the new codes. The plaintext goes to the secret store before its verifier reaches the back
    // end, so a code the back end accepts is always one a technician can export.
    const toIssue = devices.filter((x) => x.newCode !== undefined);
    for (let i = 0; i < toIssue.length; i += HASH_CONCURRENCY) {
      await Promise.all(toIssue.slice(i, i + HASH_CONCURRENCY).map(async (x) => {
        const code = generateCode();
        const codeHash = await hashCode(code);
        const expiresAt = iso(now + CODE_LIFETIME_MS);
        codes[x.status.macAddress] = { code, expiresAt, codeHash, ...(x.status.location ? { location: x.status.location } : {}) };
        Object.assign(x.status, { codeHash, codeIssuedAt: iso(now), codeExpiresAt: expiresAt, codesIssued: (x.status.codesIssued ?? 0) + 1 });
      }));
    }
    for (const mac of Object.keys(codes)) if (claims.get(mac) !== name) delete codes[mac];
    // A device moved to another desk keeps its code; the export names its new place.
    for (const x of devices) {
      const kept = codes[x.status.macAddress];
      if (kept && (kept.location ?? '') !== (x.status.location ?? '')) {
        if (x.status.location) kept.location = x.status.location;
        else delete kept.location;
      }
    }
    if (JSON.stringify(codes) !== codesBefore) await secrets.save(name, codes);

    // Act: register verifiers the back end lacks or holds out of date.
    for (const x of devices) {
      const st = x.status;
      if (x.newCode) log.info({ batch: name, macAddress: st.macAddress, reason: x.newCode, expiresAt: st.codeExpiresAt }, 'provisioning code issued');
      if (registerReason(st, x.newCode !== undefined, x.backend)) {
        try {
          const rec = await driver.register({ macAddress: st.macAddress, ...(st.location ? { location: st.location } : {}), codeHash: st.codeHash!, codeExpiresAt: st.codeExpiresAt! });
          // A device that powered on before it was registered is known only now.
          if (rec.manufacturer) st.manufacturer = rec.manufacturer;
          if (rec.model) st.model = rec.model;
          if (rec.firmwareVersion) st.firmwareVersion = rec.firmwareVersion;
          applyStanding(st, awaitingStanding(st, rec));
        } catch (err) {
          st.message = `registering the code with the back end failed: ${(err as Error).message}`;
          if (x.newCode === 'Expired') st.state = 'Expired';
          log.warn({ batch: name, macAddress: st.macAddress, error: (err as Error).message }, 'provisioning registration failed');
        }
      }
      if (x.previousState !== st.state) {
        log.info({ batch: name, macAddress: st.macAddress, from: x.previousState ?? null, to: st.state }, 'provisioning state changed');
      }
    }

    // Record: written only when something changed, so an idle pass touches nothing.
    const regenerateCodes = batch.spec.regenerateCodes;
    const status: ProvisioningBatchStatus = {
      batch: name,
      counts: countStates(devices.map((x) => x.status)),
      devices: devices.map((x) => x.status),
      ...(regenerateCodes !== undefined ? { regenerateCodes } : {}),
    };
    const changed = withoutTimestamp(status) !== withoutTimestamp(prev);
    status.lastReconciledAt = !changed && prev?.lastReconciledAt ? prev.lastReconciledAt : iso(now);
    if (changed) await store.save(status);

    // Act: devices dropped from this batch (and not moved to another) are forgotten at the back end.
    for (const old of prev?.devices ?? []) if (!claims.has(old.macAddress)) await forget(driver, backend, old, name, log);
    results.push(status);
  }

  // Batches no longer declared.
  const declaredBatches = new Set(batches.map((b) => b.metadata.name));
  for (const [name, prev] of previous) {
    if (declaredBatches.has(name)) continue;
    for (const old of prev.devices) if (!claims.has(old.macAddress)) await forget(driver, backend, old, name, log);
    await store.remove(name);
  }
  for (const name of await secrets.batches()) if (!declaredBatches.has(name)) await secrets.save(name, {});
  return results;
}

/** MAC → the batch that claims it. The loader rejects a MAC in two batches; should one slip through, the first batch by name keeps it. */
function claimedBy(batches: readonly ProvisioningBatch[], devicesOf: (b: ProvisioningBatch) => readonly ResolvedProvisioningDevice[]): Map<string, string> {
  const claims = new Map<string, string>();
  for (const batch of batches) for (const d of devicesOf(batch)) if (!claims.has(d.macAddress)) claims.set(d.macAddress, batch.metadata.name);
  return claims;
}

interface BatchFacts {
  previous: ProvisioningBatchStatus | undefined;
  backend: ReadonlyMap<string, BackendProvisioningRecord>;
  /** The batch's kept codes; the codes of devices that activated are dropped from it here. */
  codes: BatchCodes;
  claims: ReadonlyMap<string, string>;
  now: number;
  requests: readonly RegenerationRequest[];
  log: ProvisioningLogger;
}

/** Each declared device's status from what the last run kept and the back end reports, and whether it needs a new code. */
function decideBatch(batch: ProvisioningBatch, declared: readonly ResolvedProvisioningDevice[], f: BatchFacts): DeviceInPass[] {
  const name = batch.metadata.name;
  const prevByMac = new Map((f.previous?.devices ?? []).map((d) => [d.macAddress, d]));
  const regenerateCodes = batch.spec.regenerateCodes;
  const batchRegeneration = f.previous !== undefined && regenerateCodes !== undefined && regenerateCodes !== f.previous.regenerateCodes;
  const annotations = batch.metadata.annotations ?? {};
  const requests = f.requests.filter((r) => r.batch === name && ms(r.requestedAt) <= f.now);
  const seen = new Set<string>();
  const out: DeviceInPass[] = [];
  for (const d of declared) {
    const mac = d.macAddress;
    if (f.claims.get(mac) !== name || seen.has(mac)) {
      f.log.warn({ batch: name, macAddress: mac, claimedBy: f.claims.get(mac) }, 'MAC address declared twice; the first declaration keeps it');
      continue;
    }
    seen.add(mac);
    const p = prevByMac.get(mac);
    const b = f.backend.get(mac);
    const status = carriedOver(d, p ?? keptCode(mac, f.codes), b);
    const x: DeviceInPass = { declared: d, status, ...(b ? { backend: b } : {}), ...(p ? { previousState: p.state } : {}) };
    out.push(x);

    if (isActivated(b)) {
      // Activated: the code has done its job and must not linger.
      delete status.codeHash; delete status.codeIssuedAt; delete status.codeExpiresAt;
      delete f.codes[mac];
      const standing = activatedStanding(status, b!, d.user);
      applyStanding(status, standing);
      if (standing.state === 'SignedIn' && b!.user) status.user = b!.user;
      if (standing.reason === 'SignInPending' && p?.signInRequestedAt) status.signInRequestedAt = p.signInRequestedAt;
      if (standing.reason === 'SignInNeeded') x.signIn = d.user;
      continue;
    }
    // Not activated yet: keep a valid code in force.
    const token = annotations[REGENERATE_ANNOTATION_PREFIX + mac];
    const reason = codeReason({
      device: status, keptCodeHash: f.codes[mac]?.codeHash, now: f.now, batchRegeneration, annotationToken: token, requests,
    });
    if (reason) x.newCode = reason;
    if (token !== undefined) status.regenerateToken = token;
    applyStanding(status, awaitingStanding(status, b));
  }
  return out;
}

/** The device's status to build on: what is declared, what the last run kept (code, token), what the back end reports. */
function carriedOver(d: ResolvedProvisioningDevice, p: Partial<ProvisioningDeviceStatus> | undefined, b: BackendProvisioningRecord | undefined): ProvisioningDeviceStatus {
  return {
    macAddress: d.macAddress,
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
}

/**
 * A device the store has no status for, but whose code is kept (a new leader on an empty store: the state
 * store of an operator may be a scratch SQLite file): its code, verifier and expiry come back from what is
 * kept, so the code a technician holds stays valid instead of being issued again.
 */
function keptCode(mac: string, codes: BatchCodes): Pick<ProvisioningDeviceStatus, 'macAddress' | 'state' | 'codeHash' | 'codeIssuedAt' | 'codeExpiresAt'> | undefined {
  const c = codes[mac];
  if (!c) return undefined;
  return { macAddress: mac, state: 'AwaitingActivation', codeHash: c.codeHash, codeIssuedAt: iso(ms(c.expiresAt) - CODE_LIFETIME_MS), codeExpiresAt: c.expiresAt };
}

/** Sets the state and the fields that go with it, clearing those of any other state. */
function applyStanding(st: ProvisioningDeviceStatus, s: Standing): void {
  delete st.lockedUntil; delete st.requiredFirmware; delete st.message;
  st.state = s.state;
  if (s.lockedUntil) st.lockedUntil = s.lockedUntil;
  if (s.requiredFirmware) st.requiredFirmware = s.requiredFirmware;
  if (s.message) st.message = s.message;
}

async function forget(
  driver: ProvisioningDriver, backend: ReadonlyMap<string, BackendProvisioningRecord>, old: ProvisioningDeviceStatus, batch: string, log: ProvisioningLogger,
): Promise<void> {
  if (!forgetReason(backend.get(old.macAddress))) return; // unknown there, or signed in and in use: leave it be
  await driver.unregister(old.macAddress);
  log.info({ batch, macAddress: old.macAddress }, 'device no longer declared; removed from provisioning');
}
