// Builders for reconcile-loop tests: a config directory written from small YAML builders, a simulated fleet
// with a ManualClock, and a Reconciler wired to the real planner, simulator and state directory.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FleetDevice, FleetFile, SoftwareReleaseSpec } from '../../controller/api/types.ts';
import type { SimulatorBehaviour } from '../../controller/drivers/simulator/behaviour.ts';
import { SimulatorDriver } from '../../controller/drivers/simulator/driver.ts';
import { plan } from '../../controller/planner/index.ts';
import type { Logger } from 'pino';
import { silentLogger } from '../../controller/reconciler/log.ts';
import { Reconciler, type NotifyStep } from '../../controller/reconciler/reconciler.ts';
import { Metrics } from '../../controller/server/metrics.ts';
import { DirSource } from '../../controller/sources/dir.ts';
import type { Source } from '../../controller/sources/source.ts';
import { SqliteStore } from '../../controller/store/sqlite.ts';
import type { StateStore } from '../../controller/store/store.ts';
import type { Driver } from '../../controller/drivers/driver.ts';
import { ManualClock } from '../../controller/util/clock.ts';

export const NOW = '2026-11-23T12:00:00Z';

export function aPhone(id: string, over: Partial<FleetDevice> = {}): FleetDevice {
  return {
    id, deviceType: 'ipPhone', manufacturer: 'Yealink', model: 'MP54', timeZone: 'Europe/Paris',
    online: true, activityState: 'idle', healthStatus: 'healthy', software: { firmware: '122.15.0.30' }, ...over,
  };
}

export function aRelease(version: string, over: Partial<SoftwareReleaseSpec> = {}): SoftwareReleaseSpec {
  return { component: 'firmware', version, manufacturer: 'Yealink', models: ['MP54'], releasedAt: '2026-10-01T00:00:00Z', label: 'verified', ...over };
}

/** A window open 00:00–23:00 every day, so tests are not about windows. */
export function anAlwaysWindow(name = 'always', days = '[Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday]', start = '00:00', end = '23:00'): string {
  return `apiVersion: fleetward.dev/v1alpha1
kind: MaintenanceWindow
metadata:
  name: ${name}
spec:
  start: "${start}"
  end: "${end}"
  days: ${days}
  timeZone: device
`;
}

/** SoftwareUpdate `all-phones`: firmware 122.15.0.44 on group `phones`, `schedule: now`, forced; acknowledged for `ack` devices when given. */
export function aForcedPhoneUpdate(ack?: number): string {
  return `apiVersion: fleetward.dev/v1alpha1
kind: SoftwareUpdate
metadata:
  name: all-phones
spec:
  target: { group: phones }
  component: firmware
  version: 122.15.0.44
  schedule: now
  force: true
${ack ? `  acknowledgeForcedDevices: ${ack}\n` : ''}`;
}

export function aGroup(name: string, windowName: string, phase = 'Validation', deviceTypes = ['ipPhone']): string {
  return `apiVersion: fleetward.dev/v1alpha1
kind: DeviceGroup
metadata:
  name: ${name}
spec:
  selector:
    deviceTypes: [${deviceTypes.join(', ')}]
  updatePhase: ${phase}
  maintenanceWindow: ${windowName}
`;
}

// Teams rooms on rings: the ring, threshold and release-view tests use these (phones above have no ring).

/** A Logitech Tap Teams room on teamsClient 5.1.0.0. */
export function aRoom(id: string, over: Partial<FleetDevice> = {}): FleetDevice {
  return aPhone(id, { deviceType: 'teamsRoom', manufacturer: 'Logitech', model: 'Tap', software: { teamsClient: '5.1.0.0' }, ...over });
}

/**
 * What the vendor published for Tap rooms: 5.1.0.0, and 5.2.0.0 at `published` (the simulator installs only
 * released versions, like a tenant).
 */
export function aRoomCatalog(published = '2026-11-23T11:00:00Z'): SoftwareReleaseSpec[] {
  return [
    aRelease('5.1.0.0', { component: 'teamsClient', manufacturer: 'Logitech', models: ['Tap'], releasedAt: '2026-06-01T00:00:00Z' }),
    aRelease('5.2.0.0', { component: 'teamsClient', manufacturer: 'Logitech', models: ['Tap'], releasedAt: published }),
  ];
}

/** A Ring; `spec` is its fields after `order`, one per line. */
export function aRing(name: string, order: number, spec = 'rolloutDuration: 1h\n  testPeriod: 1d\n  failureThreshold: 10'): string {
  return `apiVersion: fleetward.dev/v1alpha1
kind: Ring
metadata:
  name: ${name}
spec:
  order: ${order}
  ${spec}
`;
}

/** A DeviceGroup of the rooms (or only `devices`) on `ring`, in window `always`; `priority` ranks it above others. */
export function aRoomsGroup(name = 'rooms', ring = 'Staging', opts: { devices?: string[]; priority?: number } = {}): string {
  return `apiVersion: fleetward.dev/v1alpha1
kind: DeviceGroup
metadata:
  name: ${name}
spec:
${opts.priority === undefined ? '' : `  priority: ${opts.priority}\n`}  selector:
    ${opts.devices ? `devices: [${opts.devices.join(', ')}]` : 'deviceTypes: [teamsRoom]'}
  ring: ${ring}
  maintenanceWindow: always
`;
}

/** The committed SoftwareRelease rooms-5-2: teamsClient 5.2.0.0 for Tap rooms, marked critical. */
export function aCriticalRoomRelease(releasedAt = '2026-11-23T11:00:00Z'): string {
  return `apiVersion: fleetward.dev/v1alpha1
kind: SoftwareRelease
metadata:
  name: rooms-5-2
spec:
  component: teamsClient
  version: 5.2.0.0
  manufacturer: Logitech
  models: [Tap]
  releasedAt: "${releasedAt}"
  label: verified
  critical: true
`;
}

/** A config of rooms in ring Staging (`ring`), an always-open window and the critical release rooms-5-2. */
export function aRoomConfig(ring = aRing('Staging', 1), releasedAt?: string): Record<string, string> {
  return { 'w.yaml': anAlwaysWindow(), 'ring.yaml': ring, 'group.yaml': aRoomsGroup(), 'release.yaml': aCriticalRoomRelease(releasedAt) };
}

export class Fixture {
  readonly root = mkdtempSync(join(tmpdir(), 'fw-rec-'));
  readonly configDir = join(this.root, 'config');
  readonly stateDir = join(this.root, 'state');
  readonly clock: ManualClock;
  readonly fleet: FleetFile;
  readonly behaviour: SimulatorBehaviour;
  driver!: SimulatorDriver;
  store!: SqliteStore;
  reconciler!: Reconciler;
  metrics = new Metrics();
  readonly #drivers: SimulatorDriver[] = [];

  /** The reconciler's logger (silent unless a test reads the log). */
  readonly logger: Logger;

  constructor(opts: { devices: FleetDevice[]; releases: SoftwareReleaseSpec[]; behaviour?: SimulatorBehaviour; config?: Record<string, string>; now?: string; logger?: Logger }) {
    this.clock = new ManualClock(opts.now ?? NOW);
    this.logger = opts.logger ?? silentLogger;
    this.fleet = { devices: opts.devices, releases: opts.releases };
    this.behaviour = {
      failureRate: 0, offlineRate: 0, busyDuringMeetings: 0, rollbackRate: 0, installDuration: '20m', queueDelay: '1m',
      ...opts.behaviour,
    };
    mkdirSync(this.configDir, { recursive: true });
    this.writeConfig(opts.config ?? { 'window.yaml': anAlwaysWindow(), 'group.yaml': aGroup('phones', 'always') });
    this.start();
  }

  writeConfig(files: Record<string, string | null>): void {
    for (const [p, text] of Object.entries(files)) {
      const abs = join(this.configDir, p);
      if (text === null) rmSync(abs, { force: true });
      else { mkdirSync(dirname(abs), { recursive: true }); writeFileSync(abs, text); }
    }
  }

  /** (Re)builds driver, store and reconciler from the directories, as a new process would. */
  start(opts: { driver?: (d: SimulatorDriver) => Driver; source?: Source; maxOperationsPerPass?: number; maxOperationsPerMinute?: number; logger?: Logger; store?: StateStore; historyRetentionMs?: number; notifier?: NotifyStep } = {}): Reconciler {
    this.driver = new SimulatorDriver({ fleet: this.fleet, seed: 7, clock: this.clock, stateDir: join(this.stateDir, 'simulator'), behaviour: this.behaviour });
    this.#drivers.push(this.driver);
    void this.store?.close();
    this.store = new SqliteStore(this.stateDir);
    this.metrics = new Metrics();
    this.reconciler = new Reconciler({
      source: opts.source ?? new DirSource(this.configDir), driver: opts.driver ? opts.driver(this.driver) : this.driver,
      store: opts.store ?? this.store, clock: this.clock, plan, logger: opts.logger ?? this.logger, metrics: this.metrics,
      ...(opts.maxOperationsPerPass ? { maxOperationsPerPass: opts.maxOperationsPerPass } : {}),
      ...(opts.maxOperationsPerMinute ? { maxOperationsPerMinute: opts.maxOperationsPerMinute } : {}),
      ...(opts.historyRetentionMs ? { historyRetentionMs: opts.historyRetentionMs } : {}),
      ...(opts.notifier ? { notifier: opts.notifier } : {}),
    });
    return this.reconciler;
  }

  async restart(opts: Parameters<Fixture['start']>[0] = {}): Promise<Reconciler> {
    await this.reconciler.settle();
    await this.driver.close();
    await this.store.close();
    return this.start(opts);
  }

  async close(): Promise<void> {
    await this.reconciler.settle();
    for (const d of this.#drivers) await d.close();
    await this.store.close();
    rmSync(this.root, { recursive: true, force: true });
  }

  /** The stored text of the run, revision or objects record, as the store holds it. */
  stored(name: 'run' | 'revision' | 'objects'): string | undefined {
    return (this.store.db.prepare('SELECT value FROM state WHERE name = ?').get(name) as { value: string } | undefined)?.value;
  }

  updates(): { deviceId: string; toVersion?: string; status: string }[] {
    return this.driver.simulator.operations().filter((o) => o.operationType === 'softwareUpdate');
  }
}
