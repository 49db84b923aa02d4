// What a conformance check runs against (docs/drivers.md "Checking a driver"): a fresh back end per check,
// set up with a small known fleet, whose time the check can move forward. The checks only need "time
// passes" and "these devices' updates fail", so any back end with a sandbox can provide it: the simulator
// in process, the graph driver against `fleetward simulator serve`, or an out-of-process driver through
// the protocol's /v1/test routes (./remote-harness.ts).
import type { FleetFile } from '../../api/types.ts';
import type { Driver } from '../driver.ts';

export interface ConformanceScenario {
  fleet: FleetFile;
  /** Devices whose software updates fail. Every other update succeeds. */
  failing: string[];
  /** How long every accepted update stays queued before it starts (the back end's queue). */
  queueMs: number;
}

/** What a driver can do beyond the core interface; checks of an absent capability are skipped. */
export interface ConformanceCapabilities {
  cancel?: boolean;
  provisioning?: boolean;
}

export interface ConformanceBackend {
  driver: Driver;
  /** The back end's current instant (deadlines are given in its time). */
  now(): Date;
  /** Moves the back end's clock forward. Updates and diagnostics finish within 2 hours of being accepted. */
  advance(ms: number): Promise<void> | void;
  capabilities?: ConformanceCapabilities;
  close(): Promise<void>;
}

export type ConformanceHarness = (scenario: ConformanceScenario) => Promise<ConformanceBackend>;

const MIN = 60_000;
/** Every update stays queued this long before it starts. */
export const QUEUE_MS = 30 * MIN;

function aDevice(id: string, over: Partial<FleetFile['devices'][number]> = {}): FleetFile['devices'][number] {
  return {
    id,
    deviceType: 'ipPhone',
    manufacturer: 'Yealink',
    model: 'MP54',
    timeZone: 'Europe/Paris',
    macAddress: `00-15-65-00-00-${String(id.length).padStart(2, '0')}`,
    online: true,
    activityState: 'idle',
    healthStatus: 'healthy',
    software: { firmware: '122.15.0.36', teamsClient: '1449.1.0.7' },
    ...over,
  };
}

/** The fleet every check starts from. */
export const CONFORMANCE_FLEET: FleetFile = {
  devices: [
    aDevice('phone-1'),
    aDevice('phone-2', { macAddress: '00-15-65-00-00-02' }),
    aDevice('room-1', { deviceType: 'teamsRoom', manufacturer: 'Logitech', model: 'Tap', timeZone: 'America/New_York', macAddress: undefined, software: { teamsClient: '5.2.115.0', operatingSystem: '10.0.19045' } }),
    aDevice('phone-broken', { macAddress: '00-15-65-00-00-09' }),
  ].map((d) => JSON.parse(JSON.stringify(d))),
  releases: [
    { component: 'firmware', version: '122.15.0.58', manufacturer: 'Yealink', models: ['MP54'], releasedAt: '2026-10-01T00:00:00Z', label: 'verified' },
    { component: 'teamsClient', version: '1449.1.0.9', releasedAt: '2026-10-15T00:00:00Z', label: 'verified' },
    { component: 'firmware', version: '122.15.0.61', manufacturer: 'Yealink', models: ['MP54'], releasedAt: '2026-11-10T00:00:00Z', label: 'verified', blocked: { reason: 'reboot loop' } },
    { component: 'firmware', version: '122.15.0.30', manufacturer: 'Yealink', models: ['MP54'], releasedAt: '2026-06-01T00:00:00Z', label: 'verified' },
    { component: 'firmware', version: '2.0.0.9', manufacturer: 'Logitech', models: ['Tap'], releasedAt: '2026-10-01T00:00:00Z', label: 'verified' },
  ],
};

/** The scenario of every check: the fleet above, phone-broken's updates failing, a 30-minute queue. */
export function conformanceScenario(): ConformanceScenario {
  return { fleet: structuredClone(CONFORMANCE_FLEET), failing: ['phone-broken'], queueMs: QUEUE_MS };
}
