// Built-in objects and defaults that exist without being declared (docs/design.md sections 3 and 4).
// One place for them: validation (controller/api/rules.ts) and the planner both import from here.
// A user object with the same kind and name overrides a built-in; fields the user object omits
// take the built-in's value (for built-in names) or the generic defaults below (for custom names).
import type {
  AutoUpdateComponent, Duration, MaintenanceWindowSpec, RingSpec, UpdatePhaseSpec, Weekday,
} from './types.ts';

// ---- Update phases (seed 000: Validation / General / Final) ----------------------------------

/** Devices in a phase are spread over this unless the phase says otherwise (seed 000: "a few weeks"). */
export const DEFAULT_PHASE_ROLLOUT_DURATION: Duration = '21d';

export interface ResolvedPhase {
  name: string;
  builtIn: boolean;
  deferrals: Record<AutoUpdateComponent, Duration>;
  rolloutDuration: Duration;
  lagVersions: number;
}

/** Seed 000 FAQ: firmware 0 / 30 / 90 days, Teams app 0 / 15 / 45 days after the release. */
export const BUILTIN_PHASES: Readonly<Record<'Validation' | 'General' | 'Final', Required<UpdatePhaseSpec>>> = {
  Validation: { deferrals: { firmware: '0d', teamsClient: '0d' }, rolloutDuration: DEFAULT_PHASE_ROLLOUT_DURATION, lagVersions: 0 },
  General: { deferrals: { firmware: '30d', teamsClient: '15d' }, rolloutDuration: DEFAULT_PHASE_ROLLOUT_DURATION, lagVersions: 0 },
  Final: { deferrals: { firmware: '90d', teamsClient: '45d' }, rolloutDuration: DEFAULT_PHASE_ROLLOUT_DURATION, lagVersions: 0 },
};
export const BUILTIN_PHASE_NAMES = Object.keys(BUILTIN_PHASES) as (keyof typeof BUILTIN_PHASES)[];
/** Seed 000: phones no group claims are in the General phase. */
export const DEFAULT_PHASE = 'General';
/** A custom phase that omits a component's deferral defers it like the General phase. */
export const DEFAULT_PHASE_DEFERRALS: Record<AutoUpdateComponent, Duration> = { firmware: '30d', teamsClient: '15d' };

// ---- Rings (seed 001: Staging / General / Executive, custom orders 1–9, 60-day cap) ----------

export const RING_ORDER_MIN = 1;
export const RING_ORDER_MAX = 9;
/** Seed 001: "Updates cannot exceed 60 days to complete across all rings." */
export const MAX_RING_TOTAL_DAYS = 60;

export interface ResolvedRing {
  name: string;
  builtIn: boolean;
  order: number;
  deferment: Duration;
  rolloutDuration: Duration;
  testPeriod: Duration;
  startDays: Weekday[];
  /** Percent; undefined means "use FleetPolicy.failureThreshold, else DEFAULT_FAILURE_THRESHOLD". */
  failureThreshold: number | undefined;
}

/**
 * Fleetward's choice (the seed gives no numbers): a short staging pass, the bulk of the rooms over
 * two weeks, executive rooms last and carefully. Total 0+5+5 + 0+14+7 + 0+7+7 = 45 days, under the cap.
 */
export const BUILTIN_RINGS: Readonly<Record<'Staging' | 'General' | 'Executive', Omit<Required<RingSpec>, 'failureThreshold'>>> = {
  Staging: { order: 1, deferment: '0d', rolloutDuration: '5d', testPeriod: '5d', startDays: ['Wednesday'] },
  General: { order: 2, deferment: '0d', rolloutDuration: '14d', testPeriod: '7d', startDays: ['Wednesday'] },
  Executive: { order: 3, deferment: '0d', rolloutDuration: '7d', testPeriod: '7d', startDays: ['Wednesday'] },
};
export const BUILTIN_RING_NAMES = Object.keys(BUILTIN_RINGS) as (keyof typeof BUILTIN_RINGS)[];
/** Seed 001: "By default, all rooms are placed in this ring." */
export const DEFAULT_RING = 'General';
/** Generic defaults for a custom ring's omitted fields. */
export const DEFAULT_RING_DEFERMENT: Duration = '0d';
export const DEFAULT_RING_ROLLOUT_DURATION: Duration = '7d';
export const DEFAULT_RING_TEST_PERIOD: Duration = '7d';
/** A release enters the first ring on the first of these days on or after its releasedAt (seed 001). */
export const DEFAULT_START_DAYS: Weekday[] = ['Wednesday'];

// ---- Maintenance windows (seed 000: 01:00–04:00 device-local, at least 3 hours) --------------

export const MIN_WINDOW_MINUTES = 180;
/** The window a group without `maintenanceWindow` uses. Not a declared object; its name is reserved. */
export const DEFAULT_WINDOW_NAME = 'default';
export const DEFAULT_WINDOW: Readonly<Required<MaintenanceWindowSpec>> = {
  start: '01:00', end: '04:00', days: ['Sunday'], timeZone: 'device',
};
/** The window a device on a ring (a room system) uses when its group names none: seed 001, "our nightly
 *  maintenance window – which is room local time 12:00am – 5:00am". Seed 000's Sunday default is for phones. */
export const DEFAULT_ROOM_WINDOW_NAME = 'default-rooms';
export const DEFAULT_ROOM_WINDOW: Readonly<Required<MaintenanceWindowSpec>> = {
  start: '00:00', end: '05:00', days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'], timeZone: 'device',
};
export const BUILTIN_WINDOW_NAMES = [DEFAULT_WINDOW_NAME, DEFAULT_ROOM_WINDOW_NAME] as const;
/** `timeZone: device` means the device's own zone. */
export const DEVICE_TIME_ZONE = 'device';

// ---- Tenant (FleetPolicy defaults) ------------------------------------------------------------

/** Seed 000: a pause of automatic updates lifts by itself after 15 days. */
export const AUTO_UPDATE_PAUSE_DAYS = 15;
/**
 * The pause FleetPolicy `autoUpdates.pausedAt` declares, in ms: from that instant until it lifts by itself
 * 15 days later (seed 000). Null when unset or not an instant. The planner, the status and `fleetward
 * pause` all read the pause from here.
 */
export function autoUpdatesPause(pausedAt: string | undefined): { from: number; until: number } | null {
  const from = pausedAt ? Date.parse(pausedAt) : NaN;
  if (Number.isNaN(from)) return null;
  return { from, until: from + AUTO_UPDATE_PAUSE_DAYS * 86_400_000 };
}
export const FLEET_POLICY_NAME = 'default';

// ---- SoftwareUpdate --------------------------------------------------------------------------

/**
 * A SoftwareUpdate's own attempts (retry.maxAttempts) count failures from its creation, or from the instant in
 * this annotation when later: `fleetward retry-failed` sets it to re-arm an update whose attempts are spent.
 */
export const ATTEMPTS_SINCE_ANNOTATION = 'fleetward.dev/attempts-since';
/** Percent of a ring's targeted devices that may fail before the release pauses. */
export const DEFAULT_FAILURE_THRESHOLD = 10;
export const DEFAULT_RETRY = { maxAttempts: 3, backoff: '30m', maxBackoff: '12h' } as const;
export const DEFAULT_OPERATION_TIMEOUT: Duration = '4h';
/** FleetPolicy maxForcedDevices: a forced `schedule: now` update reaching more devices needs an acknowledgement. */
export const DEFAULT_MAX_FORCED_DEVICES = 20;
/** Seed 001 lifecycle: unsupported 12 months after release or once two newer releases exist. */
export const DEFAULT_LIFECYCLE = { supportPeriod: '365d', maxNewerReleases: 2 } as const;

// ---- Provisioning (seed 004) -------------------------------------------------------------------

export const VERIFICATION_CODE_VALIDITY: Duration = '24h';

// ---- Names ----------------------------------------------------------------------------------
// Kubernetes object names are lowercase, so a Ring named `general` must be able to override the
// built-in `General`: built-in names match case-insensitively, in object names and in references
// (`ring: executive` and `ring: Executive` are the same ring). Custom names are case-sensitive.

function builtinSpelling<N extends string>(names: readonly N[], name: string): N | undefined {
  const lower = name.toLowerCase();
  return names.find((n) => n.toLowerCase() === lower);
}
/** `Staging` / `General` / `Executive` when `name` is one of them in any case, else undefined. */
export const builtinRingName = (name: string) => builtinSpelling(BUILTIN_RING_NAMES, name);
/** `Validation` / `General` / `Final` when `name` is one of them in any case, else undefined. */
export const builtinPhaseName = (name: string) => builtinSpelling(BUILTIN_PHASE_NAMES, name);
/** The name a ring or phase reference resolves to: the built-in spelling, or the name unchanged. */
export const canonicalRingName = (name: string): string => builtinRingName(name) ?? name;
export const canonicalPhaseName = (name: string): string => builtinPhaseName(name) ?? name;
/** A built-in window (`default`, `default-rooms`) in any case; a MaintenanceWindow of that name replaces it. */
export const builtinWindowName = (name: string) => builtinSpelling(BUILTIN_WINDOW_NAMES, name);
export const canonicalWindowName = (name: string): string => builtinWindowName(name) ?? name;

// ---- Resolution: built-ins merged with the user's objects -------------------------------------

interface Named<S> { metadata: { name: string }; spec: S }

/**
 * Every phase in force, keyed by canonical name: the built-ins (overridden field by field by user objects of
 * the same name, any case) plus custom ones. Look a group's `updatePhase` up with canonicalPhaseName().
 */
export function resolvePhases(userPhases: readonly Named<UpdatePhaseSpec>[]): Map<string, ResolvedPhase> {
  const out = new Map<string, ResolvedPhase>();
  const user = new Map(userPhases.map((p) => [canonicalPhaseName(p.metadata.name), p.spec] as const));
  for (const name of BUILTIN_PHASE_NAMES) {
    const b = BUILTIN_PHASES[name];
    const u = user.get(name);
    out.set(name, {
      name, builtIn: true,
      deferrals: { ...b.deferrals, ...u?.deferrals } as Record<AutoUpdateComponent, Duration>,
      rolloutDuration: u?.rolloutDuration ?? b.rolloutDuration,
      lagVersions: u?.lagVersions ?? b.lagVersions,
    });
  }
  for (const [name, u] of user) {
    if (out.has(name)) continue;
    out.set(name, {
      name, builtIn: false,
      deferrals: { ...DEFAULT_PHASE_DEFERRALS, ...u.deferrals } as Record<AutoUpdateComponent, Duration>,
      rolloutDuration: u.rolloutDuration ?? DEFAULT_PHASE_ROLLOUT_DURATION,
      lagVersions: u.lagVersions ?? 0,
    });
  }
  return out;
}

/**
 * Every ring in force, sorted by order then name: built-ins (overridable by a Ring of the same name, any case)
 * plus custom rings. Built-ins appear under their built-in spelling; look a group's `ring` up with canonicalRingName().
 */
export function resolveRings(userRings: readonly Named<Partial<RingSpec>>[]): ResolvedRing[] {
  const out: ResolvedRing[] = [];
  const user = new Map(userRings.map((r) => [canonicalRingName(r.metadata.name), r.spec] as const));
  for (const name of BUILTIN_RING_NAMES) {
    const b = BUILTIN_RINGS[name];
    const u = user.get(name);
    out.push({
      name, builtIn: true,
      order: u?.order ?? b.order,
      deferment: u?.deferment ?? b.deferment,
      rolloutDuration: u?.rolloutDuration ?? b.rolloutDuration,
      testPeriod: u?.testPeriod ?? b.testPeriod,
      startDays: u?.startDays ?? b.startDays,
      failureThreshold: u?.failureThreshold,
    });
  }
  for (const [name, u] of user) {
    if (name in BUILTIN_RINGS) continue;
    out.push({
      name, builtIn: false,
      order: u.order ?? RING_ORDER_MAX,
      deferment: u.deferment ?? DEFAULT_RING_DEFERMENT,
      rolloutDuration: u.rolloutDuration ?? DEFAULT_RING_ROLLOUT_DURATION,
      testPeriod: u.testPeriod ?? DEFAULT_RING_TEST_PERIOD,
      startDays: u.startDays ?? DEFAULT_START_DAYS,
      failureThreshold: u.failureThreshold,
    });
  }
  return out.sort((a, b) => a.order - b.order || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
