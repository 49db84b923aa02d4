// Rules beyond the schema (issue 2, item 4): each a small pure function over the whole revision,
// returning issues with a message a person can act on. They run on objects that passed the schema,
// so fields have the right types; references may point at objects that failed it (those still exist).
import { IANAZone, DateTime } from 'luxon';
import type {
  DeviceGroup, DeviceInventoryEntry, FleetwardObject, Kind, MaintenanceWindow, ProviderType, SoftwareRelease, SoftwareUpdate,
} from './types.ts';
import {
  BUILTIN_PHASE_NAMES, BUILTIN_RING_NAMES, BUILTIN_RINGS, BUILTIN_WINDOW_NAMES, DEVICE_TIME_ZONE, FLEET_POLICY_NAME,
  MAX_RING_TOTAL_DAYS, MIN_WINDOW_MINUTES, builtinPhaseName, builtinRingName, builtinWindowName, resolveRings,
} from './builtins.ts';
import { formatDuration, parseDuration } from './duration.ts';
import { compareVersions } from './version.ts';
import { normalizeMac } from './mac.ts';
import { quote } from './quote.ts';
import { ACKNOWLEDGE_NEEDS_FORCE, FREEZE_END_AFTER_START, INVENTORY_ONE_KEY, LOCAL_DATE_TIME_PATTERN, PROVIDER_ADDRESS_IN_SECRET } from './schemas.ts';
import { closest, typeName, type FieldPath } from './validate.ts';

/** One object of the revision, by its position in the input. */
export interface RuleObject { index: number; obj: FleetwardObject }
export interface RuleInput {
  /** Objects that passed the schema. */
  valid: RuleObject[];
  /** Every name declared per kind, valid objects or not (references to a broken object are not "missing"). */
  declared: Map<Kind, Set<string>>;
  /** Where an object is, for messages that name another object: `config/a.yaml:3`, or '' when unknown. */
  where: (index: number) => string;
}
export interface RuleIssue { index: number; path: FieldPath; message: string }
export type Rule = (input: RuleInput) => RuleIssue[];

const DAY_MS = 86_400_000;
const of = <K extends Kind>(input: RuleInput, kind: K) =>
  input.valid.filter((o): o is { index: number; obj: Extract<FleetwardObject, { kind: K }> } => o.obj.kind === kind);
const ref = (kind: Kind, name: string) => `${kind}/${name}`;
const at = (where: string) => (where ? ` (${where})` : '');

// ---- Maintenance windows (seed 000: at least 3 hours; may cross midnight) -------------------

export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}
/** Length of a window in minutes; a window ending at or before its start crosses midnight. */
export function windowMinutes(start: string, end: string): number {
  return (minutesOf(end) - minutesOf(start) + 1440) % 1440;
}

export const windowAtLeastThreeHours: Rule = (input) =>
  of(input, 'MaintenanceWindow').flatMap(({ index, obj }: { index: number; obj: MaintenanceWindow }) => {
    const { start, end } = obj.spec;
    const len = windowMinutes(start, end);
    if (len >= MIN_WINDOW_MINUTES) return [];
    const what = len === 0 ? `start and end are both ${start}, so the window is empty`
      : `the window ${start}–${end} lasts ${formatDuration(len * 60_000)}`;
    return [{ index, path: ['spec', 'end'], message: `${what}; a maintenance window must last at least 3 hours (seed 000)` }];
  });

// ---- Time zones ----------------------------------------------------------------------------

let zoneNames: string[] | undefined;
/** isValidZone builds an Intl formatter per call; a fleet repeats a handful of zones thousands of times. */
const zoneValid = new Map<string, boolean>();
export function timeZoneProblem(zone: string, allowDevice: boolean): string | undefined {
  if (allowDevice && zone === DEVICE_TIME_ZONE) return undefined;
  let valid = zoneValid.get(zone);
  if (valid === undefined) {
    valid = IANAZone.isValidZone(zone);
    if (zoneValid.size < 10_000) zoneValid.set(zone, valid);
  }
  if (valid) return undefined;
  zoneNames ??= Intl.supportedValuesOf('timeZone');
  const near = closest(zone, zoneNames);
  return `${quote(zone)} is not an IANA time zone${near ? ` (did you mean ${near}?)` : ''}; write ${allowDevice ? 'device or ' : ''}a name such as Europe/Paris`;
}

export const timeZonesExist: Rule = (input) => {
  const out: RuleIssue[] = [];
  for (const { index, obj } of of(input, 'MaintenanceWindow')) {
    const p = obj.spec.timeZone !== undefined ? timeZoneProblem(obj.spec.timeZone, true) : undefined;
    if (p) out.push({ index, path: ['spec', 'timeZone'], message: p });
  }
  // A device's own zone must be a real one: `device` would point back at itself.
  for (const { index, obj } of of(input, 'DeviceInventory')) {
    const d = obj.spec.defaults?.timeZone;
    const p = d !== undefined ? timeZoneProblem(d, false) : undefined;
    if (p) out.push({ index, path: ['spec', 'defaults', 'timeZone'], message: p });
    obj.spec.devices.forEach((e, i) => {
      const q = e.timeZone !== undefined ? timeZoneProblem(e.timeZone, false) : undefined;
      if (q) out.push({ index, path: ['spec', 'devices', i, 'timeZone'], message: q });
    });
  }
  return out;
};

// ---- Device inventory (docs/spec/deviceinventories.md) -------------------------------------------

/** The key an inventory entry names its device by, normalised as matching compares it; undefined unless exactly one. */
export function inventoryKey(e: DeviceInventoryEntry): { field: 'id' | 'serialNumber' | 'macAddress'; key: string } | undefined {
  const keys = (['id', 'serialNumber', 'macAddress'] as const).filter((f) => e[f] !== undefined);
  if (keys.length !== 1) return undefined;
  const field = keys[0]!;
  const v = e[field]!;
  if (field === 'macAddress') {
    const mac = normalizeMac(v);
    return mac ? { field, key: `mac:${mac}` } : undefined;
  }
  return { field, key: field === 'id' ? `id:${v}` : `serial:${v.trim().toLowerCase()}` };
}

/** Each entry names one device by exactly one key; no device is named twice; `site` is not also a label. */
export const inventoryEntriesWellFormed: Rule = (input) => {
  const out: RuleIssue[] = [];
  const first = new Map<string, { index: number; name: string; entry: number }>();
  for (const { index, obj } of of(input, 'DeviceInventory')) {
    if (obj.spec.defaults?.site !== undefined && obj.spec.defaults.labels?.site !== undefined) {
      out.push({ index, path: ['spec', 'defaults', 'labels', 'site'], message: 'site is already set by defaults.site (it becomes the label site); set it once' });
    }
    obj.spec.devices.forEach((e, i) => {
      const count = [e.id, e.serialNumber, e.macAddress].filter((v) => v !== undefined).length;
      if (count !== 1) {
        out.push({ index, path: ['spec', 'devices', i], message: `${INVENTORY_ONE_KEY}${count > 1 ? ` (this entry names ${count})` : ''}` });
        return;
      }
      if (e.site !== undefined && e.labels?.site !== undefined) {
        out.push({ index, path: ['spec', 'devices', i, 'labels', 'site'], message: 'site is already set by the entry\'s site field (it becomes the label site); set it once' });
      }
      const k = inventoryKey(e);
      if (!k) return; // a MAC the schema let through but mac.ts refuses is reported by the schema's pattern
      const f = first.get(k.key);
      if (f === undefined) { first.set(k.key, { index, name: obj.metadata.name, entry: i }); return; }
      out.push({
        index, path: ['spec', 'devices', i, k.field],
        message: `${quote(e[k.field]!)} is already listed by ${ref('DeviceInventory', f.name)} spec.devices[${f.entry}]${at(input.where(f.index))}; list each device once`,
      });
    });
  }
  return out;
};

// ---- Rings (seed 001) -------------------------------------------------------------------------

/** The sum over rings of deferment + rollout + test period may not exceed 60 days; the message names each share. */
export const ringsWithinSixtyDays: Rule = (input) => {
  const rings = of(input, 'Ring');
  if (rings.length === 0) return [];
  const resolved = resolveRings(rings.map((r) => r.obj));
  let total = 0;
  const shares = resolved.map((r) => {
    const parts = [r.deferment, r.rolloutDuration, r.testPeriod].map((d) => parseDuration(d) ?? 0);
    const sum = parts[0]! + parts[1]! + parts[2]!;
    total += sum;
    return `${r.name} ${fmt(sum)} (${fmt(parts[0]!)} + ${fmt(parts[1]!)} + ${fmt(parts[2]!)})`;
  });
  if (total <= MAX_RING_TOTAL_DAYS * DAY_MS) return [];
  // An absurd duration is reported by durationsBounded; a sum of it would only add noise.
  if (resolved.some((r) => [r.deferment, r.rolloutDuration, r.testPeriod].some((d) => (parseDuration(d) ?? 0) > MAX_DURATION_DAYS * DAY_MS))) return [];
  // Reported on the user ring that comes last, the one most likely just added or lengthened.
  const last = [...rings].sort((a, b) => a.obj.spec.order - b.obj.spec.order || a.index - b.index).at(-1)!;
  return [{
    index: last.index, path: ['spec'],
    message: `rings take ${fmt(total)} in total, more than the ${MAX_RING_TOTAL_DAYS} days allowed (seed 001); ` +
      `each ring's deferment + rolloutDuration + testPeriod: ${shares.join(', ')}`,
  }];
};
const fmt = (ms: number) => (ms % DAY_MS === 0 ? `${ms / DAY_MS}d` : formatDuration(ms));

/** Each ring needs its own order; built-in rings keep theirs unless overridden by name. */
export const ringOrdersUnique: Rule = (input) => {
  const out: RuleIssue[] = [];
  const rings = of(input, 'Ring');
  const overridden = new Set(rings.map((r) => builtinRingName(r.obj.metadata.name)).filter(Boolean));
  const overriddenTwice = new Set(builtinOverridesUnique(input).map((i) => i.index));
  const taken = new Map<number, string>();
  for (const name of BUILTIN_RING_NAMES) {
    if (!overridden.has(name)) taken.set(BUILTIN_RINGS[name].order, `the built-in ring ${name}`);
  }
  for (const { index, obj } of [...rings].sort((a, b) => a.index - b.index)) {
    if (overriddenTwice.has(index)) continue;
    const holder = taken.get(obj.spec.order);
    if (holder !== undefined) {
      const advice = holder.startsWith('the built-in ring') ? ` (or override ${holder.slice('the built-in ring '.length)} with a Ring of that name)` : '';
      out.push({ index, path: ['spec', 'order'], message: `order ${obj.spec.order} is already used by ${holder}; give each ring its own order from 1 to 9${advice}` });
    } else {
      taken.set(obj.spec.order, `${ref('Ring', obj.metadata.name)}${at(input.where(index))}`);
    }
  }
  return out;
};

/** `General` and `general` both override the built-in General: one must go (names of built-ins match in any case). */
export const builtinOverridesUnique: Rule = (input) => {
  const out: RuleIssue[] = [];
  const checks: [Kind, (name: string) => string | undefined, string][] = [
    ['Ring', builtinRingName, 'ring'],
    ['UpdatePhase', builtinPhaseName, 'phase'],
    ['MaintenanceWindow', builtinWindowName, 'window'],
  ];
  for (const [kind, builtin, noun] of checks) {
    const first = new Map<string, RuleObject>();
    for (const o of input.valid) {
      if (o.obj.kind !== kind) continue;
      const b = builtin(o.obj.metadata.name);
      if (!b) continue;
      const f = first.get(b);
      if (!f) { first.set(b, o); continue; }
      out.push({
        index: o.index, path: ['metadata', 'name'],
        message: `${ref(kind, o.obj.metadata.name)} and ${ref(kind, f.obj.metadata.name)}${at(input.where(f.index))} both override the built-in ${noun} ${b}; keep one`,
      });
    }
  }
  return out;
};

// ---- Device groups -------------------------------------------------------------------------

export const groupPhaseOrRing: Rule = (input) =>
  of(input, 'DeviceGroup').flatMap(({ index, obj }: { index: number; obj: DeviceGroup }) =>
    obj.spec.updatePhase !== undefined && obj.spec.ring !== undefined
      ? [{ index, path: ['spec', 'ring'], message: 'set either updatePhase or ring, not both (phones follow update phases, room systems follow rings)' }]
      : []);

function known(input: RuleInput, kind: Kind, name: string): boolean {
  return input.declared.get(kind)?.has(name) ?? false;
}
function declaredList(input: RuleInput, kind: Kind, builtins: readonly string[]): string {
  const names = [...builtins, ...[...(input.declared.get(kind) ?? [])].filter((n) => !builtins.some((b) => b.toLowerCase() === n.toLowerCase())).sort()];
  return names.join(', ') || 'none';
}

export const groupReferencesExist: Rule = (input) => {
  const out: RuleIssue[] = [];
  for (const { index, obj } of of(input, 'DeviceGroup')) {
    const { updatePhase, ring, maintenanceWindow } = obj.spec;
    if (updatePhase !== undefined && !builtinPhaseName(updatePhase) && !known(input, 'UpdatePhase', updatePhase)) {
      out.push({ index, path: ['spec', 'updatePhase'], message: `UpdatePhase ${quote(updatePhase)} does not exist; declared or built in: ${declaredList(input, 'UpdatePhase', BUILTIN_PHASE_NAMES)}` });
    }
    if (ring !== undefined && !builtinRingName(ring) && !known(input, 'Ring', ring)) {
      out.push({ index, path: ['spec', 'ring'], message: `Ring ${quote(ring)} does not exist; declared or built in: ${declaredList(input, 'Ring', BUILTIN_RING_NAMES)}` });
    }
    if (maintenanceWindow !== undefined && !builtinWindowName(maintenanceWindow) && !known(input, 'MaintenanceWindow', maintenanceWindow)) {
      out.push({ index, path: ['spec', 'maintenanceWindow'], message: `MaintenanceWindow ${quote(maintenanceWindow)} does not exist; declared or built in: ${declaredList(input, 'MaintenanceWindow', BUILTIN_WINDOW_NAMES)}` });
    }
  }
  for (const { index, obj } of of(input, 'SoftwareUpdate')) {
    const g = obj.spec.target.group;
    if (g !== undefined && !known(input, 'DeviceGroup', g)) {
      out.push({ index, path: ['spec', 'target', 'group'], message: `DeviceGroup ${quote(g)} does not exist; declared: ${declaredList(input, 'DeviceGroup', [])}` });
    }
  }
  return out;
};

// ---- SoftwareUpdate ----------------------------------------------------------------------------

export const updateTargetExactlyOne: Rule = (input) =>
  of(input, 'SoftwareUpdate').flatMap(({ index, obj }: { index: number; obj: SoftwareUpdate }) => {
    const t = obj.spec.target;
    if ((t.group === undefined) === (t.devices === undefined)) {
      return [{ index, path: ['spec', 'target'], message: 'set exactly one of group or devices' }];
    }
    if (t.devices !== undefined && t.devices.length === 0) return [{ index, path: ['spec', 'target', 'devices'], message: 'must list at least 1 device' }];
    return [];
  });

/** acknowledgeForcedDevices only means something on a forced update (planner/manual.ts, blast radius). */
export const acknowledgementNeedsForce: Rule = (input) =>
  of(input, 'SoftwareUpdate').flatMap(({ index, obj }: { index: number; obj: SoftwareUpdate }) =>
    obj.spec.acknowledgeForcedDevices !== undefined && obj.spec.force !== true
      ? [{ index, path: ['spec', 'acknowledgeForcedDevices'], message: ACKNOWLEDGE_NEEDS_FORCE }]
      : []);

const LOCAL_DATE_TIME = new RegExp(LOCAL_DATE_TIME_PATTERN);
const SCHEDULE_SHAPE = 'write now, nextMaintenanceWindow, or {at: YYYY-MM-DDTHH:MM, timeZone: device or an IANA zone}';

/** `schedule` has two shapes, which a structural schema cannot say: this is its whole validation. */
export const scheduleWellFormed: Rule = (input) => {
  const out: RuleIssue[] = [];
  for (const { index, obj } of of(input, 'SoftwareUpdate')) {
    const s: unknown = obj.spec.schedule;
    const path = ['spec', 'schedule'];
    if (s === undefined) continue;
    if (typeof s === 'string') {
      if (s !== 'now' && s !== 'nextMaintenanceWindow') out.push({ index, path, message: `${quote(s)} is not a schedule; ${SCHEDULE_SHAPE}` });
      continue;
    }
    if (s === null || typeof s !== 'object' || Array.isArray(s)) {
      out.push({ index, path, message: `must be text or a mapping (got ${typeName(s)}); ${SCHEDULE_SHAPE}` });
      continue;
    }
    const o = s as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (k !== 'at' && k !== 'timeZone') out.push({ index, path: [...path, k], message: `unknown field; a schedule has at and timeZone` });
    }
    let zone = 'UTC';
    if (o.timeZone !== undefined) {
      if (typeof o.timeZone !== 'string') out.push({ index, path: [...path, 'timeZone'], message: `must be text (got ${typeName(o.timeZone)})` });
      else {
        const p = timeZoneProblem(o.timeZone, true);
        if (p) out.push({ index, path: [...path, 'timeZone'], message: p });
        else if (o.timeZone !== DEVICE_TIME_ZONE) zone = o.timeZone;
      }
    }
    if (o.at === undefined) out.push({ index, path: [...path, 'at'], message: 'is required' });
    else if (typeof o.at !== 'string' || !LOCAL_DATE_TIME.test(o.at) || !DateTime.fromISO(o.at, { zone }).isValid) {
      out.push({ index, path: [...path, 'at'], message: `${quote(o.at)} is not a local date and time; write YYYY-MM-DDTHH:MM (the zone is timeZone)` });
    }
  }
  return out;
};

// ---- FleetPolicy, ProvisioningBatch, SoftwareRelease -------------------------------------------

/**
 * FleetPolicy freezes: end after start (compared as written, like the CRD's CEL rule), an IANA zone, groups
 * that exist. A freeze the rule refuses refuses the revision: nothing of it is applied.
 */
export const freezesWellFormed: Rule = (input) => {
  const out: RuleIssue[] = [];
  for (const { index, obj } of of(input, 'FleetPolicy')) {
    (obj.spec.freezes ?? []).forEach((f, i) => {
      const path = ['spec', 'freezes', i];
      if (!(f.end > f.start)) out.push({ index, path: [...path, 'end'], message: `freeze ${f.name} ends at ${f.end}, not after its start ${f.start}: ${FREEZE_END_AFTER_START}` });
      const zone = f.timeZone !== undefined ? timeZoneProblem(f.timeZone, false) : undefined;
      if (zone) out.push({ index, path: [...path, 'timeZone'], message: zone });
      (f.groups ?? []).forEach((g, k) => {
        if (!known(input, 'DeviceGroup', g)) out.push({ index, path: [...path, 'groups', k], message: `freeze ${f.name}: DeviceGroup ${quote(g)} does not exist; declared: ${declaredList(input, 'DeviceGroup', [])}` });
      });
    });
  }
  return out;
};

export const fleetPolicyNamedDefault: Rule = (input) =>
  of(input, 'FleetPolicy').flatMap(({ index, obj }) =>
    obj.metadata.name === FLEET_POLICY_NAME ? [] : [{
      index, path: ['metadata', 'name'],
      message: `a FleetPolicy must be named ${FLEET_POLICY_NAME} (there is one per fleet; got ${quote(obj.metadata.name)})`,
    }]);

export const batchHasDevices: Rule = (input) =>
  of(input, 'ProvisioningBatch').flatMap(({ index, obj }) =>
    obj.spec.devices === undefined && obj.spec.devicesFile === undefined
      ? [{ index, path: ['spec'], message: 'list devices, a devicesFile, or both' }]
      : []);

export const releaseMinimumNotAbove: Rule = (input) =>
  of(input, 'SoftwareRelease').flatMap(({ index, obj }: { index: number; obj: SoftwareRelease }) => {
    const { minimumVersion: min, version } = obj.spec;
    return min !== undefined && compareVersions(min, version) > 0
      ? [{ index, path: ['spec', 'minimumVersion'], message: `${min} is newer than the release itself (${version}); a release cannot require a newer version than it installs` }]
      : [];
  });

export const retryBackoffWithinMax: Rule = (input) =>
  of(input, 'FleetPolicy').flatMap(({ index, obj }) => {
    const { backoff, maxBackoff } = obj.spec.retry ?? {};
    if (backoff === undefined || maxBackoff === undefined) return [];
    return parseDuration(backoff)! > parseDuration(maxBackoff)!
      ? [{ index, path: ['spec', 'retry', 'backoff'], message: `${backoff} is longer than maxBackoff (${maxBackoff}); the first delay cannot exceed the longest` }]
      : [];
  });

/** Two SoftwareRelease objects for the same component, version and devices leave the catalog ambiguous. */
export const releasesUnique: Rule = (input) => {
  const first = new Map<string, { index: number; name: string }>();
  const out: RuleIssue[] = [];
  for (const { index, obj } of of(input, 'SoftwareRelease')) {
    const s = obj.spec;
    const key = [s.component, s.version, (s.manufacturer ?? '').toLowerCase(), [...(s.models ?? [])].map((m) => m.toLowerCase()).sort().join(',')].join('\u0000');
    const f = first.get(key);
    if (f === undefined) { first.set(key, { index, name: obj.metadata.name }); continue; }
    out.push({ index, path: ['spec', 'version'], message: `${s.component} ${s.version} for the same devices is already declared by ${ref('SoftwareRelease', f.name)}${at(input.where(f.index))}; keep one` });
  }
  return out;
};

/** Longest duration accepted anywhere: keeps untrusted numbers such as `99999999999d` out of date arithmetic. */
export const MAX_DURATION_DAYS = 3650;
const DURATION_FIELDS: Partial<Record<Kind, string[][]>> = {
  UpdatePhase: [['deferrals', 'firmware'], ['deferrals', 'teamsClient'], ['rolloutDuration']],
  Ring: [['deferment'], ['rolloutDuration'], ['testPeriod']],
  FleetPolicy: [['retry', 'backoff'], ['retry', 'maxBackoff'], ['operationTimeout'], ['lifecycle', 'supportPeriod']],
  NotificationProvider: [['timeout'], ['rateLimit', 'per']],
  NotificationRule: [['codesExpiringWithin']],
};
export const durationsBounded: Rule = (input) => {
  const out: RuleIssue[] = [];
  for (const { index, obj } of input.valid) {
    for (const path of DURATION_FIELDS[obj.kind] ?? []) {
      let v: unknown = obj.spec;
      for (const k of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
      if (typeof v !== 'string') continue;
      if ((parseDuration(v) ?? 0) > MAX_DURATION_DAYS * DAY_MS) {
        out.push({ index, path: ['spec', ...path], message: `${v} is longer than ${MAX_DURATION_DAYS} days; no Fleetward duration needs that` });
      }
    }
  }
  return out;
};

// ---- Notifications (docs/spec/notificationproviders.md, notificationrules.md) ----------------------

/** What each provider type needs besides its type: the fields a delivery cannot go without. */
const PROVIDER_NEEDS: Record<ProviderType, { address?: 'required' | 'forbidden'; secret?: string; repository?: boolean }> = {
  generic: { address: 'required', secret: 'the HMAC-SHA256 key the body is signed with' },
  teams: { address: 'forbidden', secret: 'the Teams webhook (or Workflows) URL' },
  slack: { address: 'forbidden', secret: 'the Slack incoming webhook URL' },
  ticket: { address: 'required' },
  github: { secret: 'a token allowed to set commit statuses', repository: true },
  gitlab: { secret: 'a token allowed to set commit statuses (api scope)', repository: true },
  gitea: { address: 'required', secret: 'a token allowed to set commit statuses', repository: true },
};

export const notificationProvidersComplete: Rule = (input) => {
  const out: RuleIssue[] = [];
  for (const { index, obj } of of(input, 'NotificationProvider')) {
    const s = obj.spec;
    const need = PROVIDER_NEEDS[s.type];
    if (need.address === 'required' && s.address === undefined) {
      out.push({ index, path: ['spec', 'address'], message: `is required for type ${s.type} (${s.type === 'gitea' ? 'the Gitea server, e.g. https://gitea.example.com' : 'the URL messages are posted to'})` });
    }
    if (need.address === 'forbidden' && s.address !== undefined) out.push({ index, path: ['spec', 'address'], message: PROVIDER_ADDRESS_IN_SECRET });
    if (need.secret && s.secretRef === undefined) out.push({ index, path: ['spec', 'secretRef'], message: `is required for type ${s.type}: ${need.secret}` });
    if (need.repository && s.repository === undefined) out.push({ index, path: ['spec', 'repository'], message: `is required for type ${s.type}: the config repository, owner/name` });
    if (!need.repository && s.repository !== undefined) out.push({ index, path: ['spec', 'repository'], message: `only commit status providers (github, gitlab, gitea) take a repository` });
    if (s.secretRef) {
      const set = (['env', 'file', 'secret'] as const).filter((k) => s.secretRef![k] !== undefined);
      if (set.length !== 1) out.push({ index, path: ['spec', 'secretRef'], message: `set exactly one of env, file or secret${set.length ? ` (found ${set.join(' and ')})` : ''}` });
    }
  }
  return out;
};

export const notificationRuleProviderExists: Rule = (input) => {
  const out: RuleIssue[] = [];
  for (const { index, obj } of of(input, 'NotificationRule')) {
    const p = obj.spec.providerRef.name;
    if (!known(input, 'NotificationProvider', p)) {
      out.push({ index, path: ['spec', 'providerRef', 'name'], message: `NotificationProvider ${quote(p)} does not exist; declared: ${declaredList(input, 'NotificationProvider', [])}` });
    }
  }
  return out;
};

/** The rules over objects, in the order their messages are most useful. */
export const RULES: readonly Rule[] = [
  fleetPolicyNamedDefault,
  groupPhaseOrRing,
  groupReferencesExist,
  windowAtLeastThreeHours,
  timeZonesExist,
  durationsBounded,
  builtinOverridesUnique,
  ringOrdersUnique,
  ringsWithinSixtyDays,
  updateTargetExactlyOne,
  acknowledgementNeedsForce,
  scheduleWellFormed,
  batchHasDevices,
  releaseMinimumNotAbove,
  releasesUnique,
  retryBackoffWithinMax,
  freezesWellFormed,
  notificationProvidersComplete,
  notificationRuleProviderExists,
  inventoryEntriesWellFormed,
];

export function runRules(input: RuleInput): RuleIssue[] {
  return RULES.flatMap((r) => r(input));
}

// ---- Duplicate Kind/name ----------------------------------------------------------------------

export interface Identified { index: number; kind: Kind; name: string; namespace: string }
/** A kind/name declared twice (per namespace): an issue on every later one, naming the first. */
export function duplicateNames(objects: Identified[], where: (index: number) => string): RuleIssue[] {
  const first = new Map<string, number>();
  const out: RuleIssue[] = [];
  for (const o of objects) {
    const key = `${o.namespace}\u0000${o.kind}\u0000${o.name}`;
    const f = first.get(key);
    if (f === undefined) first.set(key, o.index);
    else out.push({ index: o.index, path: ['metadata', 'name'], message: `${ref(o.kind, o.name)} is declared twice${where(f) ? `; the first is at ${where(f)}` : ''}` });
  }
  return out;
}

// ---- MAC addresses (seed 004: normalised, validated, de-duplicated, also across batches) -------

export interface MacEntry<W> {
  batch: string;
  raw: string;
  /** Where to report a problem with this entry (the loader's location type). */
  where: W;
  /** How another entry's message names this one: `ProvisioningBatch/lobby (config/lobby.csv:4)`. */
  describe: string;
}
export interface MacIssue<W> { where: W; message: string }

/** Malformed and duplicate MACs; a duplicate is reported on the later entry, naming the first. */
export function checkMacs<W>(entries: readonly MacEntry<W>[]): { issues: MacIssue<W>[]; normalized: (string | undefined)[] } {
  const issues: MacIssue<W>[] = [];
  const firstByMac = new Map<string, MacEntry<W>>();
  const normalized = entries.map((e) => {
    const mac = normalizeMac(e.raw);
    if (mac === undefined) {
      issues.push({ where: e.where, message: `${quote(e.raw)} is not a MAC address; write 12 hex digits such as AA-BB-CC-DD-EE-FF` });
      return undefined;
    }
    const first = firstByMac.get(mac);
    if (first === undefined) firstByMac.set(mac, e);
    else if (first.batch === e.batch) issues.push({ where: e.where, message: `${mac} is listed twice in this batch; the first is ${first.describe}` });
    else issues.push({ where: e.where, message: `${mac} is also in ${first.describe}; a device belongs to one batch only` });
    return mac;
  });
  return { issues, normalized };
}

