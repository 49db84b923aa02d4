// The back end's side of remote provisioning, simulated (seed 004): MACs registered with a code verifier,
// devices that power on and activate with MAC + code, remote sign-in. Embedded by the simulator driver and
// served over HTTP by the simulator's Graph-shaped server (./provisioning-routes.ts). Each Simulator owns one
// (`simulator.provisioning`): its state belongs to that simulator, not to the module. Time comes from the
// injected clock.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { FleetDevice, Instant } from '../../api/types.ts';
import { normalizeMac } from '../../api/mac.ts';
import type { Clock } from '../../util/clock.ts';
import { isCodeHash, verifyCode } from '../code-verifier.ts';
import type {
  BackendProvisioningRecord, BackendProvisioningState, ProvisioningDriver, RegisterProvisioningRequest, SignInResult,
} from '../provisioning.ts';
import { checkFirmware } from '../../api/minimum-firmware.ts';

/** Seed 004 leaves the limit to the back end; 5 wrong codes in 15 minutes locks the MAC for 15 minutes. */
export const ACTIVATION_ATTEMPT_LIMIT = 5;
export const ACTIVATION_WINDOW_MS = 15 * 60_000;

/** What a powered-on device tells the back end about itself. */
export interface PoweredOnDevice {
  manufacturer?: string;
  model: string;
  firmwareVersion: string;
}

export type ActivationResult =
  | { activated: true; record: BackendProvisioningRecord }
  | {
      activated: false;
      reason: 'UnknownDevice' | 'NotPoweredOn' | 'WrongCode' | 'CodeExpired' | 'LockedOut' | 'AlreadyActivated' | 'FirmwareTooOld';
      /** LockedOut: when attempts are accepted again. */
      retryAt?: Instant;
      /** FirmwareTooOld: the version the model needs. */
      requiredFirmware?: string;
    };

interface Entry {
  macAddress: string;
  state: Exclude<BackendProvisioningState, 'LockedOut'>;
  location?: string;
  codeHash?: string;
  codeExpiresAt?: Instant;
  user?: string;
}

const iso = (t: number): Instant => new Date(t).toISOString().replace(/\.000Z$/, 'Z');

export interface SimulatedProvisioningBackendOptions {
  clock: Clock;
  /** How the simulator's fleet answers "which device has this MAC, and what does it run?" once powered on. */
  lookupDevice?: (macAddress: string) => PoweredOnDevice | undefined;
  attemptLimit?: number;
  attemptWindowMs?: number;
  /**
   * A JSON file that keeps the back end's state (registrations with their verifiers, activations, lock-outs)
   * across restarts, as a real back end would. Never a plaintext code: the back end never has one.
   */
  persistPath?: string;
}

interface Persisted {
  format: 1;
  entries: Entry[];
  powered: [string, PoweredOnDevice][];
  failures: [string, number[]][];
  lockedUntil: [string, number][];
}

export class SimulatedProvisioningBackend implements ProvisioningDriver {
  readonly #clock: Clock;
  readonly #lookup: (mac: string) => PoweredOnDevice | undefined;
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #powered = new Map<string, PoweredOnDevice>();
  /** MAC → instants of refused attempts within the window; known and unknown MACs alike. */
  readonly #failures = new Map<string, number[]>();
  readonly #lockedUntil = new Map<string, number>();
  readonly #persistPath: string | undefined;

  constructor(opts: SimulatedProvisioningBackendOptions) {
    this.#clock = opts.clock;
    this.#lookup = opts.lookupDevice ?? (() => undefined);
    this.#limit = opts.attemptLimit ?? ACTIVATION_ATTEMPT_LIMIT;
    this.#windowMs = opts.attemptWindowMs ?? ACTIVATION_WINDOW_MS;
    this.#persistPath = opts.persistPath;
    if (this.#persistPath) this.#load(this.#persistPath);
  }

  #load(path: string): void {
    let saved: Persisted;
    try {
      saved = JSON.parse(readFileSync(path, 'utf8')) as Persisted;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new Error(`simulated provisioning state ${path} is unreadable: ${(err as Error).message}`);
    }
    for (const e of saved.entries ?? []) this.#entries.set(e.macAddress, e);
    for (const [mac, d] of saved.powered ?? []) this.#powered.set(mac, d);
    for (const [mac, t] of saved.failures ?? []) this.#failures.set(mac, t);
    for (const [mac, t] of saved.lockedUntil ?? []) this.#lockedUntil.set(mac, t);
  }

  /** Atomic replace; called after every change, so a crash loses nothing acknowledged. */
  #save(): void {
    if (!this.#persistPath) return;
    const state: Persisted = {
      format: 1,
      entries: [...this.#entries.values()],
      powered: [...this.#powered],
      failures: [...this.#failures],
      lockedUntil: [...this.#lockedUntil],
    };
    const tmp = `${this.#persistPath}.tmp`;
    // Code hashes: readable by this user only (docs/run.md, "The state directory").
    writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
    renameSync(tmp, this.#persistPath);
  }

  now(): Date {
    return this.#clock.now();
  }

  // ---- the device side ---------------------------------------------------------------------------

  /** A device is plugged in and reaches the back end; firmware and model become known. */
  powerOn(macAddress: string, device: PoweredOnDevice): void {
    this.#powered.set(mustMac(macAddress), { ...device });
    this.#save();
  }

  /** A firmware update landed on a powered-on device. */
  setFirmware(macAddress: string, firmwareVersion: string): void {
    const mac = mustMac(macAddress);
    const d = this.#device(mac);
    if (!d) throw new Error(`device ${mac} is not powered on`);
    this.#powered.set(mac, { ...d, firmwareVersion });
    this.#save();
  }

  /** A technician types the code on the device ("Provision device" on its Settings screen). */
  async activate(macAddress: string, code: string): Promise<ActivationResult> {
    const mac = normalizeMac(macAddress);
    if (!mac) return { activated: false, reason: 'UnknownDevice' };
    const now = this.#clock.now().getTime();
    const locked = this.#lockState(mac, now);
    if (locked !== undefined) return { activated: false, reason: 'LockedOut', retryAt: iso(locked) };

    const e = this.#entries.get(mac);
    if (e?.state === 'AwaitingSignIn' || e?.state === 'SignedIn') return { activated: false, reason: 'AlreadyActivated' };
    const device = this.#device(mac);
    if (!device) return { activated: false, reason: 'NotPoweredOn' };
    // Old firmware has no "Provision device" screen: nothing was tried, so nothing counts against the limit.
    const fw = checkFirmware(device.manufacturer, device.model, device.firmwareVersion);
    if (!fw.ok) return { activated: false, reason: 'FirmwareTooOld', requiredFirmware: fw.required };

    if (!e || !e.codeHash || !(await verifyCode(code, e.codeHash))) return this.#refuse(mac, now, 'WrongCode');
    if (!(now < Date.parse(e.codeExpiresAt ?? ''))) return this.#refuse(mac, now, 'CodeExpired');
    e.state = 'AwaitingSignIn';
    delete e.codeHash;
    delete e.codeExpiresAt;
    this.#failures.delete(mac);
    this.#save();
    return { activated: true, record: this.#record(mac, now)! };
  }

  /** The user signs in on the device themselves (no remote sign-in declared). */
  signInOnDevice(macAddress: string, user: string): boolean {
    const e = this.#entries.get(mustMac(macAddress));
    if (e?.state !== 'AwaitingSignIn') return false;
    e.state = 'SignedIn';
    e.user = user;
    this.#save();
    return true;
  }

  #refuse(mac: string, now: number, reason: 'WrongCode' | 'CodeExpired'): ActivationResult {
    const recent = (this.#failures.get(mac) ?? []).filter((t) => t > now - this.#windowMs);
    recent.push(now);
    this.#failures.set(mac, recent);
    if (recent.length >= this.#limit) {
      this.#lockedUntil.set(mac, now + this.#windowMs);
      this.#failures.delete(mac);
    }
    this.#save();
    return { activated: false, reason };
  }

  #lockState(mac: string, now: number): number | undefined {
    const until = this.#lockedUntil.get(mac);
    if (until === undefined) return undefined;
    if (now < until) return until;
    this.#lockedUntil.delete(mac);
    return undefined;
  }

  #device(mac: string): PoweredOnDevice | undefined {
    return this.#powered.get(mac) ?? this.#lookup(mac);
  }

  #record(mac: string, now: number): BackendProvisioningRecord | undefined {
    const e = this.#entries.get(mac);
    if (!e) return undefined;
    const locked = e.state === 'AwaitingActivation' ? this.#lockState(mac, now) : undefined;
    const device = this.#device(mac);
    return {
      macAddress: mac,
      state: locked !== undefined ? 'LockedOut' : e.state,
      ...(e.location ? { location: e.location } : {}),
      ...(e.codeExpiresAt ? { codeExpiresAt: e.codeExpiresAt } : {}),
      ...(locked !== undefined ? { lockedUntil: iso(locked) } : {}),
      poweredOn: device !== undefined,
      ...(device?.manufacturer ? { manufacturer: device.manufacturer } : {}),
      ...(device ? { model: device.model, firmwareVersion: device.firmwareVersion } : {}),
      ...(e.user ? { user: e.user } : {}),
    };
  }

  // ---- the admin side (ProvisioningDriver) --------------------------------------------------------

  async register(req: RegisterProvisioningRequest): Promise<BackendProvisioningRecord> {
    const mac = mustMac(req.macAddress);
    if (!isCodeHash(req.codeHash)) throw new Error('codeHash is not a code verifier');
    if (Number.isNaN(Date.parse(req.codeExpiresAt))) throw new Error('codeExpiresAt is not an ISO-8601 instant');
    const e = this.#entries.get(mac);
    if (e && e.state !== 'AwaitingActivation') {
      // Activated already: a new code has nothing to do. Only the location may change.
      if (req.location !== undefined) e.location = req.location;
    } else {
      this.#entries.set(mac, {
        macAddress: mac, state: 'AwaitingActivation', codeHash: req.codeHash, codeExpiresAt: req.codeExpiresAt,
        ...(req.location !== undefined ? { location: req.location } : {}),
      });
    }
    this.#save();
    return this.#record(mac, this.#clock.now().getTime())!;
  }

  async list(): Promise<BackendProvisioningRecord[]> {
    const now = this.#clock.now().getTime();
    return [...this.#entries.keys()].sort().map((mac) => this.#record(mac, now)!);
  }

  async get(macAddress: string): Promise<BackendProvisioningRecord | undefined> {
    const mac = normalizeMac(macAddress);
    return mac ? this.#record(mac, this.#clock.now().getTime()) : undefined;
  }

  async signIn(macAddress: string, user: string): Promise<SignInResult> {
    const mac = normalizeMac(macAddress);
    const e = mac ? this.#entries.get(mac) : undefined;
    if (!mac || !e) return { accepted: false, reason: 'UnknownDevice' };
    const now = this.#clock.now().getTime();
    if (e.state !== 'AwaitingSignIn') return { accepted: false, reason: 'NotAwaitingSignIn', record: this.#record(mac, now)! };
    e.state = 'SignedIn';
    e.user = user;
    this.#save();
    return { accepted: true, record: this.#record(mac, now)! };
  }

  async unregister(macAddress: string): Promise<void> {
    const mac = normalizeMac(macAddress);
    if (mac && this.#entries.delete(mac)) this.#save();
  }
}

function mustMac(text: string): string {
  const mac = normalizeMac(text);
  if (!mac) throw new Error(`not a MAC address: ${JSON.stringify(text)}`);
  return mac;
}

/**
 * MAC → what the simulated fleet's device runs, rebuilt at most once per simulated instant: a device is
 * powered on when the fleet has it online, and its firmware is what the simulator reports (so a simulated
 * firmware update makes a FirmwareTooOld device eligible by itself).
 */
export function fleetLookup(clock: Clock, inventory: () => readonly FleetDevice[]): (mac: string) => PoweredOnDevice | undefined {
  let at = Number.NaN;
  let byMac = new Map<string, PoweredOnDevice>();
  return (mac) => {
    const now = clock.now().getTime();
    if (now !== at) {
      at = now;
      byMac = new Map();
      for (const d of inventory()) {
        const m = d.macAddress ? normalizeMac(d.macAddress) : undefined;
        if (!m || d.online === false || d.activityState === 'offline') continue;
        byMac.set(m, { manufacturer: d.manufacturer, model: d.model, firmwareVersion: d.software.firmware ?? '0' });
      }
    }
    return byMac.get(mac);
  };
}
