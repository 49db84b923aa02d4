// How the simulated fleet behaves: install durations, failures, outages, meetings and silent rollbacks.
// Every knob has a default meant to look like a real fleet; tests set the ones they rely on.
import type { Duration, Weekday } from '../../api/types.ts';
import { WEEKDAYS } from '../../api/types.ts';
import { parseDuration } from '../../api/duration.ts';

/** Rates a single device may override (`behaviour.devices[id]`). */
export interface DeviceBehaviour {
  /** Share of software updates that fail (0–1). */
  failureRate?: number;
  /** Share of `offlineSlot`-long periods during which the device is offline (0–1). */
  offlineRate?: number;
  /** Share of business-hour `meetingSlot`s during which the device reports `busy` (0–1). */
  busyDuringMeetings?: number;
  /** Share of successful updates the device silently undoes `rollbackAfter` later (0–1). */
  rollbackRate?: number;
  /** Share of successful updates after which the device reports `healthStatus: critical` until its next good update (0–1). */
  unhealthyAfterUpdateRate?: number;
  /** Share of successful updates after which the device goes offline and stays there until `setOnline` (0–1). */
  offlineAfterUpdateRate?: number;
}

export interface SimulatorBehaviour extends DeviceBehaviour {
  /** How long an install runs once started: a fixed duration, or uniform between min and max. Default 10m–40m. */
  installDuration?: Duration | { min: Duration; max: Duration };
  /** Between acceptance and start, when the device is online. Default 1m. */
  queueDelay?: Duration;
  /** Length of the periods a device is online or offline. Default 1h. */
  offlineSlot?: Duration;
  /** Local business hours during which meetings happen. Default 08:00–18:00, Monday to Friday. */
  businessHours?: { start: string; end: string; days?: Weekday[] };
  /** Length of one meeting. Default 30m. */
  meetingSlot?: Duration;
  /** How long after a "successful" update a rollback happens. Default 2h. */
  rollbackAfter?: Duration;
  /** How long a diagnostics run takes. Default 5m. */
  diagnosticsDuration?: Duration;
  /**
   * Which versions an update may install: `released` (default) — only a version the catalog holds for the
   * device's manufacturer and model, like a real tenant; `any` — any well-formed version (a fleet file whose
   * releases are committed as SoftwareRelease objects instead). Blocked versions and downgrades are
   * refused either way.
   */
  acceptVersions?: 'released' | 'any';
  /** Per-device overrides of the rates, by device id. */
  devices?: Record<string, DeviceBehaviour>;
}

export const DEFAULT_BEHAVIOUR = {
  installDuration: { min: '10m', max: '40m' },
  queueDelay: '1m',
  failureRate: 0.02,
  offlineRate: 0.01,
  offlineSlot: '1h',
  busyDuringMeetings: 0.3,
  businessHours: { start: '08:00', end: '18:00', days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'] },
  meetingSlot: '30m',
  rollbackRate: 0.01,
  rollbackAfter: '2h',
  unhealthyAfterUpdateRate: 0,
  offlineAfterUpdateRate: 0,
  acceptVersions: 'released',
  diagnosticsDuration: '5m',
} as const satisfies SimulatorBehaviour;

/** Behaviour with every duration in ms and every default filled in. */
export interface ResolvedBehaviour {
  installMinMs: number;
  installMaxMs: number;
  queueDelayMs: number;
  offlineSlotMs: number;
  meetingSlotMs: number;
  rollbackAfterMs: number;
  diagnosticsMs: number;
  /** Minutes after local midnight. */
  businessStart: number;
  businessEnd: number;
  /** JS getUTCDay numbers (Sunday = 0) of the business days. */
  businessDays: Set<number>;
  acceptVersions: 'released' | 'any';
  rates: Required<DeviceBehaviour>;
  devices: Record<string, DeviceBehaviour>;
}

/** A behaviour setting that cannot be used; the message names the setting and what would be right. */
export class SimulatorBehaviourError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulatorBehaviourError';
  }
}

const KNOWN = [
  'installDuration', 'queueDelay', 'failureRate', 'offlineRate', 'offlineSlot', 'busyDuringMeetings', 'businessHours',
  'meetingSlot', 'rollbackRate', 'rollbackAfter', 'diagnosticsDuration', 'devices', 'unhealthyAfterUpdateRate',
  'offlineAfterUpdateRate', 'acceptVersions',
] as const satisfies readonly (keyof SimulatorBehaviour)[];
const DEVICE_KNOWN = [
  'failureRate', 'offlineRate', 'busyDuringMeetings', 'rollbackRate', 'unhealthyAfterUpdateRate', 'offlineAfterUpdateRate',
] as const satisfies readonly (keyof DeviceBehaviour)[];

function onlyKnown(where: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new SimulatorBehaviourError(`simulator behaviour${where}: unknown setting ${JSON.stringify(key)}; known settings are ${known.join(', ')}`);
  }
}

function ms(field: string, text: string): number {
  const value = typeof text === 'string' ? parseDuration(text) : undefined;
  if (value === undefined) throw new SimulatorBehaviourError(`simulator behaviour ${field}: ${JSON.stringify(text)} is not a duration such as 30m or 2h`);
  return value;
}

function minutes(field: string, text: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(String(text));
  if (!m) throw new SimulatorBehaviourError(`simulator behaviour ${field}: ${JSON.stringify(text)} is not a time such as 08:00`);
  return Number(m[1]) * 60 + Number(m[2]);
}

function rate(field: string, value: number): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new SimulatorBehaviourError(`simulator behaviour ${field}: ${value} is not a rate between 0 and 1`);
  return value;
}

/** Fills in defaults and checks every setting; throws SimulatorBehaviourError naming the first bad one. */
export function resolveBehaviour(b: SimulatorBehaviour = {}): ResolvedBehaviour {
  if (b === null || typeof b !== 'object' || Array.isArray(b)) throw new SimulatorBehaviourError('simulator behaviour: expected a mapping such as {failureRate: 0.1}');
  onlyKnown('', b, KNOWN);
  const install = b.installDuration ?? DEFAULT_BEHAVIOUR.installDuration;
  const [min, max] = typeof install === 'string' ? [install, install] : [install.min, install.max];
  const installMinMs = ms('installDuration', min);
  const installMaxMs = ms('installDuration', max);
  if (installMaxMs < installMinMs) throw new SimulatorBehaviourError('simulator behaviour installDuration: max is shorter than min');
  const hours = b.businessHours ?? DEFAULT_BEHAVIOUR.businessHours;
  const days = hours.days ?? DEFAULT_BEHAVIOUR.businessHours.days;
  const devices = b.devices ?? {};
  const acceptVersions = b.acceptVersions ?? DEFAULT_BEHAVIOUR.acceptVersions;
  if (acceptVersions !== 'released' && acceptVersions !== 'any') {
    throw new SimulatorBehaviourError(`simulator behaviour acceptVersions: ${JSON.stringify(acceptVersions)} is not released or any`);
  }
  for (const [id, d] of Object.entries(devices)) {
    onlyKnown(` devices.${id}`, d ?? {}, DEVICE_KNOWN);
    for (const [k, v] of Object.entries(d ?? {})) rate(`devices.${id}.${k}`, v as number);
  }
  return {
    installMinMs,
    installMaxMs,
    queueDelayMs: ms('queueDelay', b.queueDelay ?? DEFAULT_BEHAVIOUR.queueDelay),
    offlineSlotMs: Math.max(1000, ms('offlineSlot', b.offlineSlot ?? DEFAULT_BEHAVIOUR.offlineSlot)),
    meetingSlotMs: Math.max(60_000, ms('meetingSlot', b.meetingSlot ?? DEFAULT_BEHAVIOUR.meetingSlot)),
    rollbackAfterMs: ms('rollbackAfter', b.rollbackAfter ?? DEFAULT_BEHAVIOUR.rollbackAfter),
    diagnosticsMs: ms('diagnosticsDuration', b.diagnosticsDuration ?? DEFAULT_BEHAVIOUR.diagnosticsDuration),
    businessStart: minutes('businessHours.start', hours.start),
    businessEnd: minutes('businessHours.end', hours.end),
    businessDays: new Set(days.map((d) => (WEEKDAYS.indexOf(d) + 1) % 7)),
    acceptVersions,
    rates: {
      failureRate: rate('failureRate', b.failureRate ?? DEFAULT_BEHAVIOUR.failureRate),
      offlineRate: rate('offlineRate', b.offlineRate ?? DEFAULT_BEHAVIOUR.offlineRate),
      busyDuringMeetings: rate('busyDuringMeetings', b.busyDuringMeetings ?? DEFAULT_BEHAVIOUR.busyDuringMeetings),
      rollbackRate: rate('rollbackRate', b.rollbackRate ?? DEFAULT_BEHAVIOUR.rollbackRate),
      unhealthyAfterUpdateRate: rate('unhealthyAfterUpdateRate', b.unhealthyAfterUpdateRate ?? DEFAULT_BEHAVIOUR.unhealthyAfterUpdateRate),
      offlineAfterUpdateRate: rate('offlineAfterUpdateRate', b.offlineAfterUpdateRate ?? DEFAULT_BEHAVIOUR.offlineAfterUpdateRate),
    },
    devices,
  };
}
