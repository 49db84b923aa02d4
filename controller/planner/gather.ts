// The gather step (docs/style.md, after cert-manager's policy chains): compile the desired state once
// (phases, rings, windows, groups, policy, the release catalog indexed by component and model, the
// operation history by device), then build one DeviceInput per device. Every rule file reads these
// shapes and nothing else; nothing here decides anything.
import { DateTime, IANAZone } from 'luxon';
import {
  ATTEMPTS_SINCE_ANNOTATION, autoUpdatesPause, DEFAULT_FAILURE_THRESHOLD, DEFAULT_LIFECYCLE, DEFAULT_MAX_FORCED_DEVICES, DEFAULT_OPERATION_TIMEOUT, DEFAULT_PHASE,
  DEFAULT_RETRY, DEFAULT_RING, DEFAULT_ROOM_WINDOW, DEFAULT_ROOM_WINDOW_NAME, DEFAULT_WINDOW_NAME, canonicalPhaseName, canonicalRingName, canonicalWindowName,
  resolvePhases, resolveRings,
} from '../api/builtins.ts';
import type { DesiredState } from '../api/desired.ts';
import { durationMs } from '../api/duration.ts';
import { normalizeMac } from '../api/mac.ts';
import {
  COMPONENTS, WEEKDAYS,
  type AutoUpdateComponent, type Cloud, type Component, type DeviceGroup, type DeviceOperation, type FleetPolicySpec,
  type FleetDevice, type ObservedState, type SoftwareReleaseSpec, type UpdateSchedule,
} from '../api/types.ts';
import { compareVersions, isVendorVersion } from '../api/version.ts';
import { Finding, Reason } from './reasons.ts';
import { versionKey } from './slots.ts';
import { Calendars, DEFAULT_COMPILED_WINDOW, compileWindow, type CompiledWindow, type WindowCalendar } from './windows.ts';

import type { ComponentState } from './types.ts';

const DAY = 86_400_000;

// ---- compiled desired state ---------------------------------------------------------------------

export interface CompiledPhase {
  name: string;
  deferralMs: Record<AutoUpdateComponent, number>;
  rolloutMs: number;
  lag: number;
}

export interface CompiledRing {
  name: string;
  order: number;
  /** Position in PlanContext.rings (0 = first ring). */
  index: number;
  defermentMs: number;
  rolloutMs: number;
  testMs: number;
  /** Indexed by luxon weekday (1 = Monday). */
  startDays: boolean[];
  /** Percent; already defaulted from FleetPolicy. */
  failureThreshold: number;
}

/** A phase or a ring: the unit of the per-release report. */
export interface Stage {
  index: number;
  kind: 'phase' | 'ring';
  name: string;
  phase: CompiledPhase | null;
  ring: CompiledRing | null;
}

export interface CompiledGroup {
  name: string;
  priority: number;
  deviceTypes: Set<string> | null;
  manufacturers: Set<string> | null;
  models: Set<string> | null;
  labels: [string, string][] | null;
  devices: Set<string> | null;
  stage: Stage | null;
  /** Null when the group names none: the device's stage picks the default (phones Sunday, rooms nightly). */
  window: CompiledWindow | null;
  pin: Partial<Record<Component, string>>;
  autoComponents: Set<Component> | null;
  suspend: boolean;
}

export interface CompiledPolicy {
  /** Automatic updates may not start in [pauseFrom, pauseUntil). */
  pauseFrom: number;
  pauseUntil: number;
  cloud: Cloud;
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  timeoutMs: number;
  supportMs: number;
  maxNewerReleases: number;
  /** Most devices a forced `schedule: now` update may reach without an acknowledgement. */
  maxForcedDevices: number;
}

export interface CompiledRelease {
  /** Position in PlanContext.releases (sorted by component, then version, then applicability). */
  id: number;
  component: Component;
  version: string;
  /** Sort key of the version (slots.ts versionKey): compare keys, not strings. */
  vkey: string;
  releasedAt: number;
  verified: boolean;
  blocked: string | null;
  minimumVersion: string | null;
  critical: boolean;
  manufacturer: string | null;
  models: string[] | null;
  spec: SoftwareReleaseSpec;
}

/** The releases of one component for one (manufacturer, model), oldest first. */
export interface CatalogEntry {
  component: Component;
  manufacturer: string;
  model: string;
  releases: CompiledRelease[];
  versions: Map<string, CompiledRelease>;
  /** Per version: how many verified, unblocked releases are newer (seed 001 lifecycle). */
  newerVerified: Map<string, number>;
  /** Per stage index: current version → device count (filled by the stage census). */
  census: Map<string, number>[];
}

export interface CompiledManual {
  name: string;
  component: Component;
  version: string;
  schedule: UpdateSchedule;
  force: boolean;
  /** spec.acknowledgeForcedDevices, or null. */
  acknowledged: number | null;
  createdAt: number | null;
}

export interface PlanContext {
  now: number;
  phases: Map<string, CompiledPhase>;
  rings: CompiledRing[];
  stages: Stage[];
  defaultPhaseStage: Stage;
  defaultRingStage: Stage;
  groups: CompiledGroup[];
  /** Seed 000's Sunday window for phones (phases); seed 001's nightly window for rooms (rings). */
  defaultWindows: Record<Stage['kind'], CompiledWindow>;
  policy: CompiledPolicy;
  /**
   * The FleetPolicy spec as written ({} without one): a rule with settings of its own compiles them from
   * here, once per context (freeze.ts), so adding it needs no change to this file.
   */
  policySpec: FleetPolicySpec;
  releases: CompiledRelease[];
  catalog: Catalog;
  opsByDevice: Map<string, DeviceOperation[]>;
  manualByDevice: Map<string, CompiledManual[]>;
  manualByGroup: Map<string, CompiledManual[]>;
  calendars: Calendars;
  findings: Findings;
  /** Per release id: the start of each ring (index = ring index); filled lazily by rings.ts. */
  ringStarts: (number[] | undefined)[];
  /** Per release id: the first ring index where the release is paused (failures beyond threshold). */
  ringPausedFrom: Map<number, { ring: number; failed: string[]; targeted: number }>;
  /**
   * Per forced `schedule: now` SoftwareUpdate (by name): the devices it would force this pass; filled by
   * manual.ts (forcedReach) before any decision, null while it is being counted.
   */
  forcedReach: Map<string, number> | null;
}

/** Plan.findings, aggregated by (code, message) so a million devices give a handful of lines. */
export class Findings {
  readonly #byKey = new Map<string, { code: string; message: string; objects: Set<string>; count: number }>();
  add(code: string, message: string, objects: readonly string[] = []): void {
    const key = `${code}\u0000${message}`;
    let f = this.#byKey.get(key);
    if (!f) this.#byKey.set(key, (f = { code, message, objects: new Set(), count: 0 }));
    for (const o of objects) f.objects.add(o);
    f.count++;
  }
  readonly #tallies = new Map<string, Map<object, Map<string, { code: string; message: () => string; count: number }>>>();
  /**
   * Like add, for per-device findings in hot loops: keyed by an object and a string; `message` is only
   * called for the first device, so callers pass a closure only when `bump` said the key is new.
   */
  bump(code: string, owner: object, sub: string): boolean {
    const t = this.#tallies.get(code)?.get(owner)?.get(sub);
    if (!t) return false;
    t.count++;
    return true;
  }
  tally(code: string, owner: object, sub: string, message: () => string): void {
    if (this.bump(code, owner, sub)) return;
    let byOwner = this.#tallies.get(code);
    if (!byOwner) this.#tallies.set(code, (byOwner = new Map()));
    let m = byOwner.get(owner);
    if (!m) byOwner.set(owner, (m = new Map()));
    m.set(sub, { code, message, count: 1 });
  }
  list(): { code: string; message: string; objects?: string[] }[] {
    for (const byOwner of this.#tallies.values()) {
      for (const m of byOwner.values()) for (const t of m.values()) {
        this.add(t.code, t.message());
        this.#byKey.get(`${t.code}\u0000${t.message()}`)!.count += t.count - 1;
      }
    }
    this.#tallies.clear();
    return [...this.#byKey.values()]
      .map((f) => {
        const message = f.message.replace('{count}', String(f.count)).replace('{s}', f.count === 1 ? '' : 's');
        return f.objects.size ? { code: f.code, message, objects: [...f.objects].sort() } : { code: f.code, message };
      })
      .sort((a, b) => cmp(a.code, b.code) || cmp(a.message, b.message));
  }
}

export const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

// ---- decisions (what every check returns) ---------------------------------------------------------

export interface Decision {
  state: ComponentState;
  reason: Reason;
  target: string | null;
  notBefore: number | null;
  message?: string;
  forced?: boolean;
  softwareUpdate?: string;
  /** For a Due decision bound to a maintenance window: when that window closes (the start deadline). */
  windowEnd?: number;
  /** For automatic decisions with a target: when the device's stage opened for it (update-paths widget). */
  stageStart?: number;
  stageName?: string;
}

/**
 * What a time bound is asked (chain.ts): may an operation start at `t`? `ci` is null when the question is
 * fleet-wide (a release's state): bounds that need a device answer null then. `version` is the target.
 */
export interface StartQuery {
  ci: ComponentInput | null;
  version: string | null;
  /** A SoftwareUpdate asks (a person acted): the tenant pause does not hold it, a freeze only when it says so. */
  manual: boolean;
}

/** A bound's answer: not before `at`, because of `reason` (and `message`, when a person needs more than the code). */
export interface Hold {
  at: number;
  reason: Reason;
  message?: string;
}

/** Something fleet-wide a person should know (a pause, a freeze): a finding of the plan, a note of the forecast. */
export interface Notice {
  code: string;
  message: string;
  objects?: string[];
}

// ---- per-device input ------------------------------------------------------------------------------

export interface DeviceInput {
  device: FleetDevice;
  group: CompiledGroup | null;
  stage: Stage;
  window: CompiledWindow;
  /** The device's IANA zone (UTC when it reports an invalid one). */
  zone: string;
  calendar: WindowCalendar;
  ops: DeviceOperation[] | undefined;
  now: number;
  /** Per component index (COMPONENTS), computed once when the device has operations. */
  histories: (ComponentHistory | undefined)[] | null;
  /** The catalog entries of the device's model, indexed like COMPONENTS. */
  row: (CatalogEntry | undefined)[];
}

export interface HopFailures {
  count: number;
  lastAt: number;
  timedOut: boolean;
}

export interface ComponentHistory {
  inFlight: DeviceOperation | null;
  /** toVersion → failed attempts of that hop since its last success (timeouts included). */
  failures: Map<string, HopFailures>;
  /** Every failure of each hop with its instant, for manual budgets. */
  failureTimes: Map<string, number[]>;
  /**
   * The last update of the component when it succeeded and nothing but cancellations came after it: what
   * the device should run now. Compared with what it reports, it tells a rollback (failures.ts) and the
   * start of a test period (health.ts).
   */
  lastSuccess: DeviceOperation | null;
  /** Per version, the successful updates to it the device rolled back before (`rolledBackAt`, recorded by the reconciler). */
  rollbacks: Map<string, number>;
  /** The component's newest operation when the back end cancelled it at the end of its window (seed 000). */
  windowMissed: DeviceOperation | null;
}

export interface ComponentInput {
  d: DeviceInput;
  component: Component;
  current: string | null;
  entry: CatalogEntry | undefined;
  /** The catalog's release for the current version, if known. */
  currentRelease: CompiledRelease | undefined;
  history: ComponentHistory;
  manual: CompiledManual | null;
}

export const EMPTY_HISTORY: ComponentHistory = { inFlight: null, failures: new Map(), failureTimes: new Map(), lastSuccess: null, rollbacks: new Map(), windowMissed: null };

// ---- compile ------------------------------------------------------------------------------------------

function weekdays(days: readonly string[]): boolean[] {
  const out = new Array<boolean>(8).fill(false);
  for (const d of days) out[WEEKDAYS.indexOf(d as (typeof WEEKDAYS)[number]) + 1] = true;
  return out;
}

function compilePolicy(desired: DesiredState): CompiledPolicy {
  const spec = desired.fleetPolicy?.spec ?? {};
  const pause = autoUpdatesPause(spec.autoUpdates?.pausedAt);
  return {
    pauseFrom: pause?.from ?? Infinity,
    pauseUntil: pause?.until ?? Infinity,
    cloud: spec.cloud ?? 'commercial',
    maxAttempts: spec.retry?.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
    backoffMs: durationMs(spec.retry?.backoff, DEFAULT_RETRY.backoff),
    maxBackoffMs: durationMs(spec.retry?.maxBackoff, DEFAULT_RETRY.maxBackoff),
    timeoutMs: durationMs(spec.operationTimeout, DEFAULT_OPERATION_TIMEOUT),
    supportMs: durationMs(spec.lifecycle?.supportPeriod, DEFAULT_LIFECYCLE.supportPeriod),
    maxNewerReleases: spec.lifecycle?.maxNewerReleases ?? DEFAULT_LIFECYCLE.maxNewerReleases,
    maxForcedDevices: spec.maxForcedDevices ?? DEFAULT_MAX_FORCED_DEVICES,
  };
}

function releaseKey(r: SoftwareReleaseSpec): string {
  return `${r.component}\u0000${r.version}\u0000${r.manufacturer ?? ''}\u0000${[...(r.models ?? [])].sort().join('\u0001')}`;
}

/** The driver's catalog plus committed SoftwareRelease objects; a committed one replaces a driver entry of the same component, version and applicability. */
function compileReleases(desired: DesiredState, observed: ObservedState, findings: Findings): CompiledRelease[] {
  const byKey = new Map<string, SoftwareReleaseSpec>();
  const usable = (r: SoftwareReleaseSpec) => {
    if (typeof r.version === 'string' && isVendorVersion(r.version) && !Number.isNaN(Date.parse(r.releasedAt))) return true;
    findings.add(Finding.InvalidRelease, `release ${r.component} ${JSON.stringify(r.version)} is left out: it needs a vendor version and a valid releasedAt`);
    return false;
  };
  for (const r of observed.releases) if (usable(r)) byKey.set(releaseKey(r), r);
  for (const r of desired.softwareReleases) if (usable(r.spec)) byKey.set(releaseKey(r.spec), r.spec);
  const keyed = [...byKey].sort(([ka, a], [kb, b]) =>
    cmp(a.component, b.component) || compareVersions(a.version, b.version) || cmp(ka, kb));
  return keyed.map(([, spec], id) => ({
    id,
    component: spec.component,
    version: spec.version,
    vkey: versionKey(spec.version),
    releasedAt: Date.parse(spec.releasedAt),
    verified: spec.label === 'verified',
    blocked: spec.blocked ? spec.blocked.reason || 'blocked' : null,
    minimumVersion: spec.minimumVersion ?? null,
    critical: spec.critical === true,
    manufacturer: spec.manufacturer ?? null,
    models: spec.models && spec.models.length ? spec.models : null,
    spec,
  }));
}

/** Catalog entries by (component, manufacturer, model), built on first use. */
export class Catalog {
  readonly #releasesByComponent = new Map<Component, CompiledRelease[]>();
  readonly #byModel = new Map<string, Map<string, (CatalogEntry | undefined)[]>>();
  readonly #entries: CatalogEntry[] = [];
  readonly #stageCount: number;

  constructor(releases: CompiledRelease[], stageCount: number) {
    for (const r of releases) {
      let l = this.#releasesByComponent.get(r.component);
      if (!l) this.#releasesByComponent.set(r.component, (l = []));
      l.push(r);
    }
    this.#stageCount = stageCount;
  }

  /** Entries of one model, indexed like COMPONENTS (undefined when no release applies). */
  forModel(manufacturer: string, model: string): (CatalogEntry | undefined)[] {
    let byModel = this.#byModel.get(manufacturer);
    if (!byModel) this.#byModel.set(manufacturer, (byModel = new Map()));
    let row = byModel.get(model);
    if (row) return row;
    const mfr = String(manufacturer).toLowerCase();
    row = COMPONENTS.map((component) => {
      const all = this.#releasesByComponent.get(component) ?? [];
      const releases: CompiledRelease[] = [];
      const versions = new Map<string, CompiledRelease>();
      for (const r of all) {
        if (r.manufacturer && r.manufacturer.toLowerCase() !== mfr) continue;
        if (r.models && !r.models.includes(model)) continue;
        // Two entries for one version and model: the later (more specific by sort) wins.
        const seen = versions.get(r.version);
        if (seen) releases.splice(releases.indexOf(seen), 1);
        versions.set(r.version, r);
        releases.push(r);
      }
      if (!releases.length) return undefined;
      const newerVerified = new Map<string, number>();
      let n = 0;
      for (let i = releases.length - 1; i >= 0; i--) {
        const r = releases[i]!;
        newerVerified.set(r.version, n);
        if (r.verified && !r.blocked) n++;
      }
      const entry: CatalogEntry = {
        component, manufacturer, model, releases, versions, newerVerified,
        census: Array.from({ length: this.#stageCount }, () => new Map()),
      };
      this.#entries.push(entry);
      return entry;
    });
    byModel.set(model, row);
    return row;
  }

  entries(): CatalogEntry[] {
    return this.#entries;
  }
}

function compileGroup(
  g: DeviceGroup, phases: Map<string, Stage>, rings: Map<string, Stage>,
  windows: Map<string, CompiledWindow>, findings: Findings,
): CompiledGroup {
  const s = g.spec.selector ?? {};
  const name = g.metadata.name;
  let stage: Stage | null = null;
  if (g.spec.updatePhase) {
    stage = phases.get(canonicalPhaseName(g.spec.updatePhase)) ?? null;
    if (!stage) findings.add(Finding.UnknownReference, `DeviceGroup/${name} names UpdatePhase ${g.spec.updatePhase}, which does not exist; its devices use the default`, [`DeviceGroup/${name}`]);
  } else if (g.spec.ring) {
    stage = rings.get(canonicalRingName(g.spec.ring)) ?? null;
    if (!stage) findings.add(Finding.UnknownReference, `DeviceGroup/${name} names Ring ${g.spec.ring}, which does not exist; its devices use the default`, [`DeviceGroup/${name}`]);
  }
  let window: CompiledWindow | null = null;
  if (g.spec.maintenanceWindow) {
    const w = windows.get(canonicalWindowName(g.spec.maintenanceWindow));
    if (w) window = w;
    else findings.add(Finding.UnknownReference, `DeviceGroup/${name} names MaintenanceWindow ${g.spec.maintenanceWindow}, which does not exist; its devices use the default window`, [`DeviceGroup/${name}`]);
  }
  const devices = s.devices?.length ? new Set<string>() : null;
  for (const d of s.devices ?? []) {
    devices!.add(d);
    const mac = normalizeMac(d);
    if (mac) devices!.add(mac);
  }
  return {
    name,
    priority: g.spec.priority ?? 0,
    deviceTypes: s.deviceTypes?.length ? new Set(s.deviceTypes) : null,
    manufacturers: s.manufacturers?.length ? new Set(s.manufacturers.map((m) => m.toLowerCase())) : null,
    models: s.models?.length ? new Set(s.models) : null,
    labels: s.matchLabels && Object.keys(s.matchLabels).length ? Object.entries(s.matchLabels).sort(([a], [b]) => cmp(a, b)) : null,
    devices,
    stage,
    window,
    pin: g.spec.pin ?? {},
    autoComponents: g.spec.autoUpdate?.components ? new Set(g.spec.autoUpdate.components) : null,
    suspend: g.spec.suspend === true,
  };
}

function compileSchedule(s: UpdateSchedule | undefined): UpdateSchedule {
  return s ?? 'now';
}

export function compile(desired: DesiredState, observed: ObservedState, now: Date): PlanContext {
  const nowMs = now.getTime();
  if (Number.isNaN(nowMs)) throw new Error('plan: `now` is not a valid date');
  const findings = new Findings();
  const policy = compilePolicy(desired);

  const phases = new Map<string, CompiledPhase>();
  for (const [name, p] of resolvePhases(desired.updatePhases)) {
    phases.set(name, {
      name,
      deferralMs: { firmware: durationMs(p.deferrals.firmware, '0d'), teamsClient: durationMs(p.deferrals.teamsClient, '0d') },
      rolloutMs: durationMs(p.rolloutDuration, '0d'),
      lag: p.lagVersions,
    });
  }
  const rings: CompiledRing[] = resolveRings(desired.rings).map((r, index) => ({
    name: r.name, order: r.order, index,
    defermentMs: durationMs(r.deferment, '0d'),
    rolloutMs: durationMs(r.rolloutDuration, '0d'),
    testMs: durationMs(r.testPeriod, '0d'),
    startDays: weekdays(r.startDays),
    failureThreshold: r.failureThreshold ?? desired.fleetPolicy?.spec.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD,
  }));

  const stages: Stage[] = [];
  const phaseStages = new Map<string, Stage>();
  const ringStages = new Map<string, Stage>();
  for (const ring of rings) {
    const st: Stage = { index: stages.length, kind: 'ring', name: ring.name, phase: null, ring };
    stages.push(st);
    ringStages.set(ring.name, st);
  }
  for (const phase of [...phases.values()].sort((a, b) => cmp(a.name, b.name))) {
    const st: Stage = { index: stages.length, kind: 'phase', name: phase.name, phase, ring: null };
    stages.push(st);
    phaseStages.set(phase.name, st);
  }

  const windows = new Map<string, CompiledWindow>();
  for (const w of desired.maintenanceWindows) {
    const name = canonicalWindowName(w.metadata.name);
    windows.set(name, compileWindow(name, w.spec));
  }
  const defaultWindow = windows.get(DEFAULT_WINDOW_NAME) ?? DEFAULT_COMPILED_WINDOW;
  if (!windows.has(DEFAULT_WINDOW_NAME)) windows.set(DEFAULT_WINDOW_NAME, defaultWindow);
  const defaultRoomWindow = windows.get(DEFAULT_ROOM_WINDOW_NAME) ?? compileWindow(DEFAULT_ROOM_WINDOW_NAME, DEFAULT_ROOM_WINDOW);
  if (!windows.has(DEFAULT_ROOM_WINDOW_NAME)) windows.set(DEFAULT_ROOM_WINDOW_NAME, defaultRoomWindow);
  const defaults = { phase: defaultWindow, ring: defaultRoomWindow };

  const groups = desired.deviceGroups
    .map((g) => compileGroup(g, phaseStages, ringStages, windows, findings))
    .sort((a, b) => b.priority - a.priority || cmp(a.name, b.name));

  const releases = compileReleases(desired, observed, findings);

  const opsByDevice = new Map<string, DeviceOperation[]>();
  for (const op of observed.operations) {
    if (op.operationType !== 'softwareUpdate') continue;
    let l = opsByDevice.get(op.deviceId);
    if (!l) opsByDevice.set(op.deviceId, (l = []));
    l.push(op);
  }
  for (const l of opsByDevice.values()) l.sort((a, b) => cmp(a.createdAt, b.createdAt) || cmp(a.id, b.id));

  const manualByDevice = new Map<string, CompiledManual[]>();
  const manualByGroup = new Map<string, CompiledManual[]>();
  for (const su of desired.softwareUpdates) {
    if (su.spec.suspend) continue;
    // Its own attempts count from its creation, or from a later `fleetward.dev/attempts-since` (a retry re-armed:
    // Kubernetes keeps creationTimestamp, so a second "retry all failed" moves the annotation instead).
    const since = [su.metadata.creationTimestamp, su.metadata.annotations?.[ATTEMPTS_SINCE_ANNOTATION]].map((t) => (t ? Date.parse(t) : NaN)).filter((t) => !Number.isNaN(t));
    const created = since.length ? Math.max(...since) : NaN;
    const m: CompiledManual = {
      name: su.metadata.name,
      component: su.spec.component,
      version: su.spec.version,
      schedule: compileSchedule(su.spec.schedule),
      force: su.spec.force === true,
      acknowledged: typeof su.spec.acknowledgeForcedDevices === 'number' ? su.spec.acknowledgeForcedDevices : null,
      createdAt: Number.isNaN(created) ? null : created,
    };
    for (const id of su.spec.target.devices ?? []) {
      const key = normalizeMac(id) ?? id;
      const push = (k: string) => { let l = manualByDevice.get(k); if (!l) manualByDevice.set(k, (l = [])); if (!l.includes(m)) l.push(m); };
      push(id);
      if (key !== id) push(key);
    }
    if (su.spec.target.group) {
      let l = manualByGroup.get(su.spec.target.group);
      if (!l) manualByGroup.set(su.spec.target.group, (l = []));
      l.push(m);
    }
  }

  return {
    now: nowMs, phases, rings, stages,
    defaultPhaseStage: phaseStages.get(DEFAULT_PHASE)!,
    defaultRingStage: ringStages.get(DEFAULT_RING)!,
    groups, defaultWindows: defaults, policy, policySpec: desired.fleetPolicy?.spec ?? {}, releases,
    catalog: new Catalog(releases, stages.length),
    opsByDevice, manualByDevice, manualByGroup,
    calendars: new Calendars(),
    findings,
    ringStarts: new Array(releases.length),
    ringPausedFrom: new Map(),
    forcedReach: null,
  };
}

// ---- gather ------------------------------------------------------------------------------------------

const validZones = new Map<string, boolean>();
/** The device's zone, or UTC (reported) when it is not an IANA zone: one bad inventory entry must not stop the plan. */
function zoneOf(ctx: PlanContext, device: FleetDevice): string {
  const z = device.timeZone;
  let ok = validZones.get(z);
  if (ok === undefined) validZones.set(z, (ok = typeof z === 'string' && IANAZone.isValidZone(z)));
  if (ok) return z;
  if (!ctx.findings.bump(Finding.UnknownTimeZone, validZones, String(z))) ctx.findings.tally(Finding.UnknownTimeZone, validZones, String(z), () => `time zone ${JSON.stringify(z)} is not an IANA zone, UTC is used: {count} device{s}`);
  return 'UTC';
}

/** Builds the input of one device; `group` comes from groups.ts (assignGroup). */
export function deviceInput(ctx: PlanContext, device: FleetDevice, group: CompiledGroup | null): DeviceInput {
  const stage = group?.stage ?? (device.deviceType === 'teamsRoom' ? ctx.defaultRingStage : ctx.defaultPhaseStage);
  const window = group?.window ?? ctx.defaultWindows[stage.kind];
  const zone = zoneOf(ctx, device);
  return {
    device, group, stage, window, zone,
    calendar: ctx.calendars.get(window, zone),
    ops: ctx.opsByDevice.get(device.id),
    now: ctx.now,
    histories: null,
    row: ctx.catalog.forModel(device.manufacturer, device.model),
  };
}

/** Operation history of one component (cached on the input). */
export function historyOf(ctx: PlanContext, d: DeviceInput, component: Component): ComponentHistory {
  if (!d.ops) return EMPTY_HISTORY;
  d.histories ??= [];
  const i = COMPONENTS.indexOf(component);
  return (d.histories[i] ??= componentHistory(ctx, d.ops, component));
}

/** Operation history of one component: what is in flight, and the failed attempts of each hop. */
export function componentHistory(ctx: PlanContext, ops: DeviceOperation[] | undefined, component: Component): ComponentHistory {
  if (!ops) return EMPTY_HISTORY;
  let inFlight: DeviceOperation | null = null;
  let failures: Map<string, HopFailures> | null = null;
  let failureTimes: Map<string, number[]> | null = null;
  let lastSuccess: DeviceOperation | null = null;
  let rollbacks: Map<string, number> | null = null;
  // The component's newest operation (by creation; recorded history may follow the driver's list).
  let newest: DeviceOperation | null = null;
  const fail = (to: string, at: number, timedOut: boolean) => {
    failures ??= new Map();
    failureTimes ??= new Map();
    const f = failures.get(to);
    if (f) { f.count++; if (at >= f.lastAt) { f.lastAt = at; f.timedOut = timedOut; } } else failures.set(to, { count: 1, lastAt: at, timedOut });
    const t = failureTimes.get(to);
    if (t) t.push(at); else failureTimes.set(to, [at]);
  };
  for (const op of ops) {
    if (op.component !== component) continue;
    const to = op.toVersion ?? '';
    if (!newest || op.createdAt >= newest.createdAt) newest = op;
    if (op.status !== 'cancelled') lastSuccess = op.status === 'successful' ? op : null;
    switch (op.status) {
      case 'failed':
        fail(to, Date.parse(op.completedAt ?? op.startedAt ?? op.createdAt), false);
        break;
      case 'successful':
        if (op.rolledBackAt) { rollbacks ??= new Map(); rollbacks.set(to, (rollbacks.get(to) ?? 0) + 1); }
        // A success ends that hop's run of failures.
        (failures as Map<string, HopFailures> | null)?.delete(to);
        (failureTimes as Map<string, number[]> | null)?.delete(to);
        break;
      case 'inProgress': {
        const started = Date.parse(op.startedAt ?? op.createdAt);
        if (started + ctx.policy.timeoutMs <= ctx.now) fail(to, started + ctx.policy.timeoutMs, true);
        else inFlight = op;
        break;
      }
      case 'queued':
      case 'scheduled': {
        // Never started: the same timeout, counted from acceptance (an operation queued for ten days
        // must not read InProgress forever).
        const created = Date.parse(op.createdAt);
        if (created + ctx.policy.timeoutMs <= ctx.now) fail(to, created + ctx.policy.timeoutMs, true);
        else inFlight = op;
        break;
      }
      case 'cancelled':
        break;
    }
  }
  // Seed 000: cancelled because it could not start in its window (the driver's error code, the planner's reason).
  const n = newest as DeviceOperation | null;
  const windowMissed = n && n.status === 'cancelled' && n.error?.code === Reason.WindowMissed ? n : null;
  if (!inFlight && !failures && !lastSuccess && !rollbacks && !windowMissed) return EMPTY_HISTORY;
  return { inFlight, failures: failures ?? new Map(), failureTimes: failureTimes ?? new Map(), lastSuccess, rollbacks: rollbacks ?? new Map(), windowMissed };
}

/** The SoftwareUpdates that target this device and component (first by name applies; a conflict is a finding). */
export function manualFor(ctx: PlanContext, d: DeviceInput, component: Component): CompiledManual | null {
  if (ctx.manualByDevice.size === 0 && ctx.manualByGroup.size === 0) return null;
  let found: CompiledManual[] | null = null;
  const collect = (l: CompiledManual[] | undefined) => {
    if (!l) return;
    for (const m of l) if (m.component === component) (found ??= []).includes(m) || found.push(m);
  };
  collect(ctx.manualByDevice.get(d.device.id));
  if (d.device.macAddress) collect(ctx.manualByDevice.get(normalizeMac(d.device.macAddress) ?? d.device.macAddress));
  if (d.group) collect(ctx.manualByGroup.get(d.group.name));
  if (!found) return null;
  const list = (found as CompiledManual[]).sort((a, b) => cmp(a.name, b.name));
  if (list.length > 1) {
    ctx.findings.add(Finding.ManualUpdateConflict,
      `SoftwareUpdates ${list.map((m) => m.name).join(', ')} all target ${component} of the same devices; ${list[0]!.name} applies`,
      list.map((m) => `SoftwareUpdate/${m.name}`));
  }
  return list[0]!;
}

/** Local date-time of a `schedule.at` in its zone (the device's when none is given), as UTC ms. */
/** Local date-time of a `schedule.at` in its zone, as UTC ms; NaN when either is invalid. */
export function scheduledAt(at: string, zone: string): number {
  const dt = DateTime.fromISO(at, { zone });
  return dt.isValid ? dt.toMillis() : NaN;
}
