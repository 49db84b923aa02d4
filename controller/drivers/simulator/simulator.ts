// The simulated fleet (docs/design.md section 1): devices from a fleet file, software updates that
// queue, run and succeed or fail, devices that go offline and come back, rooms that are busy during
// local business-hour meetings, and devices that silently roll back a "successful" update.
//
// State advances lazily: every call first brings the fleet to `clock.now()`, event by event (operations
// start when their device is online, finish after their install duration, rollbacks fire later). Nothing
// runs in the background, so a ManualClock or ScaledClock can move a month of rollout in seconds.
//
// Randomness is seeded (./random.ts). Whether a device is offline or in a meeting is a pure function of
// (seed, device, time slot); what an operation will do (duration, outcome) is drawn when it is accepted
// and recorded with it, so replaying the journal after a restart gives the same history.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DateTime } from 'luxon';
import type { Clock } from '../../util/clock.ts';
import type {
  ActivityState, Component, DeviceOperation, FleetDevice, FleetFile, HealthStatus, SoftwareReleaseSpec,
} from '../../api/types.ts';
import { COMPONENTS } from '../../api/types.ts';
import { compareVersions, isVendorVersion } from '../../api/version.ts';
import { DriverError, WINDOW_MISSED, type StartOperationRequest, type StartOperationResult, type VersionRefusal } from '../driver.ts';
import { resolveBehaviour, type ResolvedBehaviour, type SimulatorBehaviour } from './behaviour.ts';
import { chance, seededUuid } from './random.ts';
import { Journal, type JournalEntry } from './journal.ts';
import { diagnosticsLog } from './logs.ts';
import { EventQueue } from './events.ts';
import { fleetLookup, SimulatedProvisioningBackend } from './provisioning.ts';

export interface SimulatorOptions {
  fleet: FleetFile;
  /** Seed of every random draw. Default 1. */
  seed?: number;
  clock: Clock;
  /** Where state survives restarts (snapshot + journal). Without it, state lives in memory only. */
  stateDir?: string;
  behaviour?: SimulatorBehaviour;
  /** Journal entries between two snapshots. Default 20 000. */
  compactEvery?: number;
}

/** An operation with what the simulator decided about it when it was accepted. */
interface SimOperation {
  op: DeviceOperation;
  /** ms: earliest start (acceptance + queue delay). */
  readyAt: number;
  /** ms: the start deadline (StartOperationRequest.startBy); still queued then, it is cancelled. */
  startBy?: number;
  durationMs: number;
  outcome: 'successful' | 'failed' | 'rolledBack';
  /** What a successful update does to the device (behaviour unhealthyAfterUpdateRate / offlineAfterUpdateRate). */
  after?: 'unhealthy' | 'offline';
  error?: { code: string; message: string };
  /** ms, once started. */
  completeAt?: number;
}

interface DeviceState {
  base: FleetDevice;
  /** One-entry caches of the hashed draws (inventory of a large fleet asks the same slot again and again). */
  offlineDraw?: { slot: number; value: number };
  meetingDraw?: { slot: number; value: number };
  /** Added at run time (provisioning), not from the fleet file. */
  added: boolean;
  software: Partial<Record<Component, string>>;
  onlineOverride?: boolean;
  activityOverride?: ActivityState;
  /** Set by an update that left the device unhealthy; cleared by its next successful update. */
  healthOverride?: HealthStatus;
  ops: SimOperation[];
  update?: SimOperation;
  diagnostics?: SimOperation;
}

interface Rollback {
  at: number;
  deviceId: string;
  component: Component;
  toVersion: string;
  fromVersion: string | undefined;
  operationId: string;
}

interface Snapshot {
  format: 1;
  seq: number;
  lastAdvanced: number;
  devices: { id: string; software: Partial<Record<Component, string>>; onlineOverride?: boolean; activityOverride?: ActivityState; healthOverride?: HealthStatus; added?: FleetDevice }[];
  operations: SimOperation[];
  rollbacks: Rollback[];
  interruptions: Interruption[];
}

/** A meeting interrupted by an operation that started while the device was busy. */
export interface Interruption {
  deviceId: string;
  operationId: string;
  at: string;
}

const ERRORS = [
  { code: 'DownloadFailed', message: 'The package could not be downloaded from the update service.' },
  { code: 'InstallFailed', message: 'The package was downloaded but failed to install.' },
  { code: 'DeviceRebootTimeout', message: 'The device did not come back after restarting to apply the update.' },
] as const;

const iso = (ms: number): string => new Date(ms).toISOString();
const clone = <T>(v: T): T => structuredClone(v);

export class Simulator {
  readonly seed: number;
  readonly clock: Clock;
  readonly behaviour: ResolvedBehaviour;
  /**
   * Remote provisioning (seed 004): this simulator's own back end, shared by its driver and its HTTP server.
   * With a state directory it keeps its registrations in `provisioning.json` there, so they survive a restart
   * like the rest of the simulated fleet.
   */
  readonly provisioning: SimulatedProvisioningBackend;
  /**
   * Base of diagnostics `logsUrl`s: with a state directory, `file://…/logs/` (each finished diagnostics run
   * writes `<id>.log` there); else `simulator:logs/`. The HTTP server points it at its own logs route.
   */
  logsBaseUrl: string;
  readonly #logsDir: string | undefined;
  readonly #releases: SoftwareReleaseSpec[];
  readonly #devices = new Map<string, DeviceState>();
  /** #devices in fleet order, for paging; rebuilt after a device is added. */
  #deviceList: DeviceState[] | undefined;
  readonly #operations = new Map<string, SimOperation>();
  /** Every operation, in the order accepted. */
  readonly #history: SimOperation[] = [];
  /** When each in-flight operation next needs looking at (absent: parked until its device is back online). */
  readonly #due = new Map<SimOperation, number>();
  readonly #events = new EventQueue<SimOperation>();
  #rollbacks: Rollback[] = [];
  #interruptions: Interruption[] = [];
  #lastAdvanced = -Infinity;
  #seq = 0;
  readonly #journal: Journal | undefined;
  readonly #compactEvery: number;
  #zoneOffsets = new Map<string, { hour: number; offsetMs: number }>();

  constructor(options: SimulatorOptions) {
    this.seed = options.seed ?? 1;
    this.clock = options.clock;
    this.behaviour = resolveBehaviour(options.behaviour);
    this.#compactEvery = options.compactEvery ?? 20_000;
    this.#logsDir = options.stateDir ? join(options.stateDir, 'logs') : undefined;
    this.logsBaseUrl = this.#logsDir ? `${pathToFileURL(this.#logsDir).href}/` : 'simulator:logs/';
    this.#releases = clone(options.fleet.releases ?? []);
    this.provisioning = new SimulatedProvisioningBackend({
      clock: this.clock,
      lookupDevice: fleetLookup(this.clock, () => this.inventory()),
      ...(options.stateDir ? { persistPath: join(options.stateDir, 'provisioning.json') } : {}),
    });
    for (const d of options.fleet.devices ?? []) {
      if (this.#devices.has(d.id)) throw new Error(`fleet: device ${d.id} appears twice`);
      this.#devices.set(d.id, { base: clone(d), added: false, software: { ...d.software }, ops: [] });
    }
    if (options.stateDir) {
      const { journal, loaded } = Journal.openSync<Snapshot>(options.stateDir);
      this.#journal = journal;
      if (loaded.snapshot) this.#restore(loaded.snapshot);
      for (const entry of loaded.entries) {
        this.#advanceTo(entry.at);
        this.#apply(entry);
      }
      if (!loaded.snapshot) journal.writeSnapshotSync(this.#snapshot());
    }
  }

  // ---- reading ------------------------------------------------------------------------------

  /** The simulated instant the fleet has been brought to (never goes backwards). */
  now(): Date {
    return new Date(this.#tick());
  }

  /** The latest instant the fleet was brought to, restored from the state directory; undefined when fresh. */
  get simulatedUntil(): Date | undefined {
    return Number.isFinite(this.#lastAdvanced) ? new Date(this.#lastAdvanced) : undefined;
  }

  inventory(): FleetDevice[] {
    const t = this.#tick();
    return [...this.#devices.values()].map((d) => this.#view(d, t));
  }

  /** One page of the inventory, in fleet order (a paging server need not build every device per page). */
  inventoryPage(offset: number, limit: number): { items: FleetDevice[]; total: number } {
    const t = this.#tick();
    this.#deviceList ??= [...this.#devices.values()];
    return { items: this.#deviceList.slice(offset, offset + limit).map((d) => this.#view(d, t)), total: this.#deviceList.length };
  }

  /** One page of every device's operations, oldest first. */
  operationsPage(offset: number, limit: number): { items: DeviceOperation[]; total: number } {
    this.#tick();
    return { items: this.#history.slice(offset, offset + limit).map((s) => this.#public(s)), total: this.#history.length };
  }

  device(id: string): FleetDevice | undefined {
    const t = this.#tick();
    const d = this.#devices.get(id);
    return d && this.#view(d, t);
  }

  catalog(): SoftwareReleaseSpec[] {
    return clone(this.#releases);
  }

  /** Oldest first; all devices, or one (throws DeviceNotFound). */
  operations(deviceId?: string): DeviceOperation[] {
    this.#tick();
    const list = deviceId === undefined ? this.#history : this.#need(deviceId).ops;
    return list.map((s) => this.#public(s));
  }

  operation(deviceId: string, operationId: string): DeviceOperation | undefined {
    this.#tick();
    const s = this.#operations.get(operationId);
    return s && s.op.deviceId === deviceId ? this.#public(s) : undefined;
  }

  /** Log text of a diagnostics operation (what its `logsUrl` serves), or undefined. */
  logs(operationId: string): string | undefined {
    const t = this.#tick();
    const s = this.#operations.get(operationId);
    if (!s || s.op.operationType !== 'deviceDiagnostics') return undefined;
    return this.#logText(s, t);
  }

  #logText(s: SimOperation, t: number): string {
    const d = this.#devices.get(s.op.deviceId)!;
    const created = Date.parse(s.op.createdAt);
    return diagnosticsLog({
      operation: this.#public(s),
      device: this.#view(d, Math.min(t, created)),
      history: d.ops.filter((o) => o.op.operationType === 'softwareUpdate' && Date.parse(o.op.createdAt) <= created).map((o) => this.#public(o)),
      seed: this.seed,
    });
  }


  /** Operations that started while their device was in a meeting (the planner should make this empty). */
  interruptions(): Interruption[] {
    this.#tick();
    return clone(this.#interruptions);
  }

  // ---- acting -------------------------------------------------------------------------------

  async startUpdate(req: StartOperationRequest): Promise<StartOperationResult> {
    const t = this.#tick();
    const d = this.#need(req.deviceId);
    if (!(COMPONENTS as readonly string[]).includes(req.component)) {
      throw new DriverError('InvalidRequest', `unknown softwareType ${JSON.stringify(req.component)}; valid types are ${COMPONENTS.join(', ')}`);
    }
    if (typeof req.version !== 'string' || !isVendorVersion(req.version)) {
      throw new DriverError('InvalidRequest', `softwareVersion ${JSON.stringify(req.version)} is not a version such as 1.0.96.22`);
    }
    const startBy = req.startBy === undefined ? undefined : Date.parse(req.startBy);
    if (startBy !== undefined && Number.isNaN(startBy)) {
      throw new DriverError('InvalidRequest', `startBy ${JSON.stringify(req.startBy)} is not an ISO date-time`);
    }
    const refused = this.#refusal(d, req.component, req.version);
    if (refused) throw new DriverError('VersionRefused', refused.message, { refusal: refused.code });
    if (d.update) return { accepted: false, reason: 'AlreadyInFlight', operation: this.#public(d.update) };
    const id = seededUuid(this.seed, d.base.id, d.ops.length, t);
    const rates = { ...this.behaviour.rates, ...this.behaviour.devices[d.base.id] };
    const b = this.behaviour;
    let outcome: SimOperation['outcome'] = 'successful';
    let error: SimOperation['error'];
    if (chance(this.seed, 'fail', id) < rates.failureRate) {
      outcome = 'failed';
      error = { ...ERRORS[Math.floor(chance(this.seed, 'error', id) * ERRORS.length)]! };
    } else if (chance(this.seed, 'rollback', id) < rates.rollbackRate) {
      outcome = 'rolledBack';
    }
    let after: SimOperation['after'];
    if (outcome !== 'failed') {
      if (chance(this.seed, 'offlineAfter', id) < rates.offlineAfterUpdateRate) after = 'offline';
      else if (chance(this.seed, 'unhealthyAfter', id) < rates.unhealthyAfterUpdateRate) after = 'unhealthy';
    }
    const sim: SimOperation = {
      op: {
        id,
        deviceId: d.base.id,
        operationType: 'softwareUpdate',
        component: req.component,
        fromVersion: d.software[req.component],
        toVersion: req.version,
        status: 'queued',
        createdAt: iso(t),
        ...(req.forced ? { forced: true } : {}),
        ...(startBy !== undefined ? { startBy: iso(startBy) } : {}),
      },
      readyAt: t + b.queueDelayMs,
      ...(startBy !== undefined ? { startBy } : {}),
      ...(after ? { after } : {}),
      durationMs: Math.round((b.installMinMs + chance(this.seed, 'duration', id) * (b.installMaxMs - b.installMinMs)) / 1000) * 1000,
      outcome,
      ...(error ? { error } : {}),
    };
    await this.#record({ type: 'start', operation: sim }, t);
    return { accepted: true, operation: this.#public(this.#operations.get(id)!) };
  }

  /**
   * Why a tenant would refuse this version for this device (seed 000: "only tested versions" are offered),
   * or undefined. A version not in the catalog for the device's manufacturer and model is refused unless
   * behaviour `acceptVersions: any`; a blocked one and a downgrade always are.
   */
  #refusal(d: DeviceState, component: Component, version: string): { code: VersionRefusal; message: string } | undefined {
    const { manufacturer, model } = d.base;
    const forModel = this.#releases.filter((r) => r.component === component
      && (!r.manufacturer || r.manufacturer.toLowerCase() === manufacturer.toLowerCase())
      && (!r.models || r.models.length === 0 || r.models.includes(model)));
    const release = forModel.find((r) => r.version === version);
    if (release?.blocked) {
      return { code: 'VersionBlocked', message: `${component} ${version} is blocked for ${manufacturer} ${model}: ${release.blocked.reason}` };
    }
    if (!release && this.behaviour.acceptVersions === 'released') {
      const offered = forModel.filter((r) => !r.blocked).map((r) => r.version).sort(compareVersions).slice(-5);
      return {
        code: 'VersionNotReleased',
        message: `${component} ${version} is not released for ${manufacturer} ${model}; ${offered.length ? `released versions: ${offered.join(', ')}` : 'no version of it is released for this model'}`,
      };
    }
    const current = d.software[component];
    if (current !== undefined && isVendorVersion(current) && compareVersions(version, current) < 0) {
      return { code: 'DowngradeRefused', message: `${component} ${version} is older than the installed ${current} on ${d.base.id}: updates never downgrade (a factory reset is the way back)` };
    }
    return undefined;
  }

  async runDiagnostics(deviceId: string): Promise<DeviceOperation> {
    const t = this.#tick();
    const d = this.#need(deviceId);
    if (d.diagnostics) return this.#public(d.diagnostics);
    const id = seededUuid(this.seed, d.base.id, d.ops.length, t);
    const sim: SimOperation = {
      op: { id, deviceId: d.base.id, operationType: 'deviceDiagnostics', status: 'queued', createdAt: iso(t) },
      readyAt: t + this.behaviour.queueDelayMs,
      durationMs: this.behaviour.diagnosticsMs,
      outcome: 'successful',
    };
    await this.#record({ type: 'start', operation: sim }, t);
    return this.#public(this.#operations.get(id)!);
  }

  /** Forces a device online (true) or offline (false) from now on; undefined returns it to its simulated outages. */
  async setOnline(deviceId: string, online: boolean | undefined): Promise<void> {
    const t = this.#tick();
    this.#need(deviceId);
    await this.#record({ type: 'online', deviceId, online: online ?? null }, t);
  }

  /** Forces a device's activity state from now on; undefined returns it to its simulated meetings. */
  async setActivity(deviceId: string, activity: ActivityState | undefined): Promise<void> {
    const t = this.#tick();
    this.#need(deviceId);
    await this.#record({ type: 'activity', deviceId, activity: activity ?? null }, t);
  }

  /** Adds a device at run time (remote provisioning brings new devices in); it survives restarts. */
  async addDevice(device: FleetDevice): Promise<void> {
    const t = this.#tick();
    if (this.#devices.has(device.id)) throw new DriverError('InvalidRequest', `device ${device.id} already exists`);
    await this.#record({ type: 'addDevice', device: clone(device) }, t);
  }

  /** Writes a snapshot now (also done every `compactEvery` journal entries). */
  async compact(): Promise<void> {
    if (this.#journal) await this.#journal.compact(this.#snapshot());
  }

  /** Flushes the journal; the simulator must not be used afterwards. */
  async close(): Promise<void> {
    if (this.#journal) {
      await this.#journal.compact(this.#snapshot());
      await this.#journal.close();
    }
  }

  // ---- time ---------------------------------------------------------------------------------

  /** Brings the fleet to the clock's instant (or keeps it where it is if the clock is behind). */
  #tick(): number {
    const t = this.clock.now().getTime();
    this.#advanceTo(t);
    return Math.max(t, this.#lastAdvanced);
  }

  #advanceTo(t: number): void {
    if (!(t > this.#lastAdvanced)) return;
    // Events in time order; handling one may schedule another (a start schedules its completion).
    for (let e = this.#events.peek(); e && e.at <= t; e = this.#events.peek()) {
      this.#events.pop();
      if (this.#due.get(e.item) !== e.at) continue; // superseded
      this.#due.delete(e.item);
      this.#step(e.item, e.at, t);
    }
    if (this.#rollbacks.length > 0) {
      this.#rollbacks.sort((a, b) => a.at - b.at);
      while (this.#rollbacks.length > 0 && this.#rollbacks[0]!.at <= t) {
        const r = this.#rollbacks.shift()!;
        const d = this.#devices.get(r.deviceId);
        // Only if nothing newer replaced the version meanwhile.
        if (d && d.software[r.component] === r.toVersion) {
          if (r.fromVersion === undefined) delete d.software[r.component];
          else d.software[r.component] = r.fromVersion;
        }
      }
    }
    this.#lastAdvanced = t;
  }

  #schedule(s: SimOperation, at: number): void {
    this.#due.set(s, at);
    this.#events.push(at, s);
  }

  /** Handles an operation's event at `at` (≤ `to`, the instant being advanced to). */
  #step(s: SimOperation, at: number, to: number): void {
    const d = this.#devices.get(s.op.deviceId)!;
    if (s.op.status === 'queued') {
      // Seed 000: an operation that cannot start within its maintenance window is cancelled (and the
      // caller plans it again for the next window). It must start strictly before the deadline.
      const deadline = s.startBy ?? Infinity;
      if (at >= deadline) return this.#missWindow(d, s, deadline);
      const start = this.#firstOnline(d, at, Math.min(to, deadline - 1));
      if (start === undefined) {
        if (to >= deadline) return this.#missWindow(d, s, deadline);
        // Offline until `to`: look again at the next outage slot, or, if forced offline, when that changes;
        // at the deadline at the latest.
        const slot = this.#forcedOnline(d) !== false ? (Math.floor(to / this.behaviour.offlineSlotMs) + 1) * this.behaviour.offlineSlotMs : Infinity;
        const next = Math.min(slot, deadline);
        if (Number.isFinite(next)) this.#schedule(s, next);
        return;
      }
      s.op.status = 'inProgress';
      s.op.startedAt = iso(start);
      s.completeAt = start + s.durationMs;
      if (s.op.operationType === 'softwareUpdate' && this.#activity(d, start) === 'busy') {
        this.#interruptions.push({ deviceId: d.base.id, operationId: s.op.id, at: iso(start) });
      }
      this.#schedule(s, s.completeAt);
      return;
    }
    if (s.op.status === 'inProgress') this.#complete(d, s);
  }

  #missWindow(d: DeviceState, s: SimOperation, deadline: number): void {
    // A deadline already past on acceptance (clocks that disagree) cancels it at once, never before it existed.
    const at = Math.max(deadline, Date.parse(s.op.createdAt));
    s.op.status = 'cancelled';
    s.op.completedAt = iso(at);
    s.op.error = {
      code: WINDOW_MISSED,
      message: `the update had not started when its maintenance window ended at ${iso(at)}: cancelled, to be planned again for the next window`,
    };
    this.#due.delete(s);
    if (d.update === s) d.update = undefined;
    if (d.diagnostics === s) d.diagnostics = undefined;
  }

  /** When a queued operation is first looked at: when it is ready, or at its deadline if that comes first. */
  #firstLook(s: SimOperation): number {
    return Math.max(Math.min(s.readyAt, s.startBy ?? Infinity), this.#lastAdvanced);
  }

  #complete(d: DeviceState, s: SimOperation): void {
    const at = s.completeAt!;
    s.op.completedAt = iso(at);
    this.#due.delete(s);
    if (s.op.operationType === 'deviceDiagnostics') {
      s.op.status = 'successful';
      d.diagnostics = undefined;
      if (this.#logsDir) {
        try {
          mkdirSync(this.#logsDir, { recursive: true, mode: 0o700 });
          writeFileSync(join(this.#logsDir, `${s.op.id}.log`), this.#logText(s, at), { mode: 0o600 });
        } catch {
          // The logs stay readable through logs(); a full disk must not stop the simulation.
        }
      }
      return;
    }
    d.update = undefined;
    if (s.outcome === 'failed') {
      s.op.status = 'failed';
      s.op.error = s.error ? { ...s.error } : { code: 'InstallFailed', message: 'The update failed.' };
      return;
    }
    s.op.status = 'successful';
    const component = s.op.component!;
    d.software[component] = s.op.toVersion!;
    // A good update heals what an earlier one broke; a bad one breaks the device from now on.
    d.healthOverride = s.after === 'unhealthy' ? 'critical' : undefined;
    if (s.after === 'offline') d.onlineOverride = false;
    if (s.outcome === 'rolledBack') {
      this.#rollbacks.push({
        at: at + this.behaviour.rollbackAfterMs, deviceId: d.base.id, component, toVersion: s.op.toVersion!, fromVersion: s.op.fromVersion, operationId: s.op.id,
      });
    }
  }

  // ---- simulated facts as functions of time -------------------------------------------------------

  #forcedOnline(d: DeviceState): boolean | undefined {
    return d.onlineOverride ?? (d.base.online === false ? false : undefined);
  }

  /** The first instant in [from, to] at which the device is online, or undefined. */
  #firstOnline(d: DeviceState, from: number, to: number): number | undefined {
    if (from > to) return undefined;
    const forced = this.#forcedOnline(d);
    if (forced !== undefined) return forced ? from : undefined;
    const rate = this.behaviour.devices[d.base.id]?.offlineRate ?? this.behaviour.rates.offlineRate;
    if (rate <= 0) return from;
    if (rate >= 1) return undefined;
    const slotMs = this.behaviour.offlineSlotMs;
    for (let slot = Math.floor(from / slotMs), n = 0; slot * slotMs <= to && n < 100_000; slot++, n++) {
      if (this.#draw(d, 'offline', slot) >= rate) return Math.max(from, slot * slotMs);
    }
    return undefined;
  }

  #online(d: DeviceState, t: number): boolean {
    return this.#firstOnline(d, t, t) !== undefined;
  }

  #activity(d: DeviceState, t: number, online = this.#online(d, t)): ActivityState {
    if (!online) return 'offline';
    if (d.activityOverride) return d.activityOverride;
    if (d.base.activityState === 'busy' || d.base.activityState === 'unknown') return d.base.activityState;
    return this.#inMeeting(d, t) ? 'busy' : 'idle';
  }

  #inMeeting(d: DeviceState, t: number): boolean {
    const rate = this.behaviour.devices[d.base.id]?.busyDuringMeetings ?? this.behaviour.rates.busyDuringMeetings;
    if (rate <= 0) return false;
    const local = t + this.#offset(d.base.timeZone, t);
    const day = new Date(local);
    const minute = day.getUTCHours() * 60 + day.getUTCMinutes();
    const b = this.behaviour;
    if (!b.businessDays.has(day.getUTCDay()) || minute < b.businessStart || minute >= b.businessEnd) return false;
    return this.#draw(d, 'meeting', Math.floor(local / b.meetingSlotMs)) < rate;
  }

  /** chance(seed, kind, device, slot), remembering the last slot asked per device. */
  #draw(d: DeviceState, kind: 'offline' | 'meeting', slot: number): number {
    const key = kind === 'offline' ? 'offlineDraw' : 'meetingDraw';
    const hit = d[key];
    if (hit && hit.slot === slot) return hit.value;
    const value = chance(this.seed, kind, d.base.id, slot);
    d[key] = { slot, value };
    return value;
  }

  /** The zone's UTC offset at t, cached per zone and hour (inventory of 100k devices stays cheap). */
  #offset(zone: string, t: number): number {
    const hour = Math.floor(t / 3_600_000);
    const hit = this.#zoneOffsets.get(zone);
    if (hit && hit.hour === hour) return hit.offsetMs;
    const dt = DateTime.fromMillis(t, { zone });
    const offsetMs = dt.isValid ? dt.offset * 60_000 : 0;
    this.#zoneOffsets.set(zone, { hour, offsetMs });
    return offsetMs;
  }

  #view(d: DeviceState, t: number): FleetDevice {
    const online = this.#online(d, t);
    const lastUpdate = d.ops.findLast((o) => o.op.operationType === 'softwareUpdate' && o.op.status !== 'queued' && o.op.status !== 'inProgress');
    let healthStatus: HealthStatus = d.base.healthStatus ?? 'healthy';
    if (!online) healthStatus = 'offline';
    else if (d.healthOverride) healthStatus = d.healthOverride;
    else if (lastUpdate?.op.status === 'failed' && healthStatus === 'healthy') healthStatus = 'nonUrgent';
    // Shallow copies: callers may not change the simulator's state through what it returns.
    return {
      ...d.base,
      ...(d.base.labels ? { labels: { ...d.base.labels } } : {}),
      software: { ...d.software },
      online,
      activityState: this.#activity(d, t, online),
      healthStatus,
    };
  }

  #public(s: SimOperation): DeviceOperation {
    const op: DeviceOperation = { ...s.op, ...(s.op.error ? { error: { ...s.op.error } } : {}) };
    if (op.operationType === 'deviceDiagnostics') op.logsUrl = `${this.logsBaseUrl}${op.id}${this.logsBaseUrl.startsWith('file:') ? '.log' : ''}`;
    return op;
  }

  #need(deviceId: string): DeviceState {
    const d = this.#devices.get(deviceId);
    if (!d) throw new DriverError('DeviceNotFound', `no device ${JSON.stringify(deviceId)}`);
    return d;
  }

  // ---- state changes, journal and snapshot ----------------------------------------------------------

  /** Applies a change in memory at once (so a concurrent second start sees it), then makes it durable. */
  async #record(change: { type: string; [key: string]: unknown }, at: number): Promise<void> {
    const entry: JournalEntry = { seq: ++this.#seq, at, ...change };
    this.#apply(entry);
    if (!this.#journal) return;
    const durable = this.#journal.append(entry);
    if (this.#journal.sinceSnapshot >= this.#compactEvery) void this.#journal.compact(this.#snapshot()).catch(() => {});
    try {
      await durable;
    } catch (err) {
      // Not on disk, so it did not happen: an operation the caller is told failed must not run anyway.
      this.#undo(entry);
      throw new DriverError('Unavailable', `the simulator could not record the change in ${this.#journal.dir}: ${(err as Error).message}`, { cause: err });
    }
  }

  #undo(entry: JournalEntry): void {
    if (entry.type !== 'start') return; // forced states and added devices stay; the next change retries the write
    const s = this.#operations.get((entry.operation as SimOperation).op.id);
    if (!s) return;
    const d = this.#devices.get(s.op.deviceId)!;
    this.#operations.delete(s.op.id);
    this.#due.delete(s);
    const i = this.#history.lastIndexOf(s);
    if (i >= 0) this.#history.splice(i, 1);
    d.ops = d.ops.filter((o) => o !== s);
    if (d.update === s) d.update = undefined;
    if (d.diagnostics === s) d.diagnostics = undefined;
  }

  #apply(entry: JournalEntry): void {
    this.#seq = Math.max(this.#seq, entry.seq);
    switch (entry.type) {
      case 'start': {
        const sim = clone(entry.operation as SimOperation);
        const d = this.#devices.get(sim.op.deviceId);
        if (!d) return; // removed from the fleet file since
        this.#track(d, sim);
        return;
      }
      case 'online': {
        const d = this.#devices.get(entry.deviceId as string);
        if (!d) return;
        d.onlineOverride = (entry.online as boolean | null) ?? undefined;
        // Queued operations parked while the device was forced offline look again from now on.
        for (const s of [d.update, d.diagnostics]) if (s?.op.status === 'queued') this.#schedule(s, this.#firstLook(s));
        return;
      }
      case 'activity': {
        const d = this.#devices.get(entry.deviceId as string);
        if (d) d.activityOverride = (entry.activity as ActivityState | null) ?? undefined;
        return;
      }
      case 'addDevice': {
        const device = entry.device as FleetDevice;
        if (!this.#devices.has(device.id)) this.#devices.set(device.id, { base: clone(device), added: true, software: { ...device.software }, ops: [] });
        this.#deviceList = undefined;
        return;
      }
      default:
        throw new Error(`simulator journal: unknown entry type ${JSON.stringify(entry.type)} (seq ${entry.seq})`);
    }
  }

  #track(d: DeviceState, sim: SimOperation): void {
    d.ops.push(sim);
    this.#history.push(sim);
    this.#operations.set(sim.op.id, sim);
    const inFlight = sim.op.status === 'queued' || sim.op.status === 'inProgress';
    if (inFlight) {
      this.#schedule(sim, sim.op.status === 'queued' ? this.#firstLook(sim) : sim.completeAt!);
      if (sim.op.operationType === 'deviceDiagnostics') d.diagnostics = sim;
      else d.update = sim;
    }
  }

  #snapshot(): Snapshot {
    return {
      format: 1,
      seq: this.#seq,
      lastAdvanced: this.#lastAdvanced,
      devices: [...this.#devices.values()].map((d) => ({
        id: d.base.id,
        software: d.software,
        ...(d.onlineOverride !== undefined ? { onlineOverride: d.onlineOverride } : {}),
        ...(d.activityOverride !== undefined ? { activityOverride: d.activityOverride } : {}),
        ...(d.healthOverride !== undefined ? { healthOverride: d.healthOverride } : {}),
        ...(d.added ? { added: d.base } : {}),
      })),
      operations: this.#history,
      rollbacks: this.#rollbacks,
      interruptions: this.#interruptions,
    };
  }

  /** Device metadata comes from the fleet file; versions, overrides and history from the snapshot. */
  #restore(s: Snapshot): void {
    if (s.format !== 1) throw new Error(`simulator state: unknown snapshot format ${s.format}`);
    this.#seq = s.seq;
    this.#lastAdvanced = s.lastAdvanced ?? -Infinity;
    for (const saved of s.devices) {
      let d = this.#devices.get(saved.id);
      if (!d && saved.added) {
        d = { base: saved.added, added: true, software: {}, ops: [] };
        this.#devices.set(saved.id, d);
        this.#deviceList = undefined;
      }
      if (!d) continue;
      d.software = { ...saved.software };
      d.onlineOverride = saved.onlineOverride;
      d.activityOverride = saved.activityOverride;
      d.healthOverride = saved.healthOverride;
    }
    for (const sim of s.operations) {
      const d = this.#devices.get(sim.op.deviceId);
      if (d) this.#track(d, sim);
    }
    this.#rollbacks = s.rollbacks.filter((r) => this.#devices.has(r.deviceId));
    this.#interruptions = s.interruptions ?? [];
  }
}
