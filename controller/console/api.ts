// The console's JSON API (docs/console.md "API"): every figure a page shows, computed on the server from the
// store's last pass. The browser renders; it computes no rule. Lists page (`offset`, `limit`), so a page at
// 100k devices carries at most MAX_LIMIT rows.
import { desiredState, observedFromFleet } from '../api/desired.ts';
import { COMPONENTS, type Component, type FleetwardObject } from '../api/types.ts';
import { compareVersions } from '../api/version.ts';
import { devicesToRetry, softwareUpdateDocument } from '../admin/software-updates.ts';
import { fleetFromRecords } from '../store/live-fleet.ts';
import { forecast, type Forecast } from '../planner/forecast.ts';
import { plan as makePlan } from '../planner/index.ts';
import { componentOutcome, deviceOutcome, emptyCounts, OUTCOMES, type Outcome } from '../planner/outcomes.ts';
import type { UpdatePath } from '../planner/types.ts';
import type { ProvisioningDeviceStatus } from '../provisioning/status.ts';
import type { DeviceRecord } from '../store/records.ts';
import { allDevices, hasUpdateInFlight, type ConsoleStore, type DeviceRow, type Snapshot } from './snapshot.ts';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

export class NotFound extends Error {}
export class BadQuery extends Error {}

// ---- overview -----------------------------------------------------------------------------------

export function overview(s: Snapshot) {
  const run = s.run;
  const summary = run?.summary;
  // The figures `fleetward status` shows: the run summary of the last pass, one outcome per device.
  const outcomes = emptyCounts();
  for (const st of summary?.stages ?? []) for (const o of OUTCOMES) outcomes[o] += st[o] ?? 0;
  const ready = run?.conditions.find((c) => c.type === 'Ready');
  return {
    at: run?.lastReconcileAt ?? null,
    source: run?.source ?? null,
    driver: run?.driver ?? null,
    revision: run?.lastAppliedRevision ?? null,
    newestRevision: run?.lastAttemptedRevision ?? null,
    revisionErrors: run?.revisionErrors ?? [],
    ready: ready ? { status: ready.status, reason: ready.reason, message: ready.message, since: ready.lastTransitionTime } : null,
    devices: summary?.devices ?? 0,
    outcomes,
    operationsIssued: summary?.operationsIssued ?? 0,
    operationsInFlight: summary?.operationsInFlight ?? 0,
    autoUpdatesPausedUntil: summary?.autoUpdatesPausedUntil ?? null,
    stages: summary?.stages ?? [],
    // Releases in progress (seed 001 states), the paused first, then the newest: the overview's list.
    releases: inProgress(run?.releases ?? []).slice(0, OVERVIEW_RELEASES),
    releasesInProgress: inProgress(run?.releases ?? []).length,
    releasesTotal: run?.releases?.length ?? 0,
    quarantined: run?.quarantined?.length ?? 0,
    indexed: s.rows.length,
  };
}

/** Releases listed on the overview; the releases page lists all. */
export const OVERVIEW_RELEASES = 8;
const MOVING = new Set(['Paused', 'InProgress', 'Scheduled']);
const STATE_ORDER = ['Paused', 'InProgress', 'Scheduled', 'CompletedWithFailures', 'Completed', 'Deprecated', 'NotRequired'];

function byAttention<T extends { state: string; startsAt?: string | null; component: string; version: string }>(a: T, b: T): number {
  return STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state) || (b.startsAt ?? '').localeCompare(a.startsAt ?? '')
    || a.component.localeCompare(b.component) || compareVersions(b.version, a.version);
}

function inProgress<T extends { state: string; startsAt?: string | null; component: string; version: string }>(rs: readonly T[]): T[] {
  return rs.filter((r) => MOVING.has(r.state)).sort(byAttention);
}

/** Every release of the last pass, the ones needing attention first. */
export function releases(s: Snapshot) {
  return { releases: [...(s.run?.releases ?? [])].sort(byAttention) };
}

// ---- device list --------------------------------------------------------------------------------

export interface DeviceQuery {
  group?: string; stage?: string; model?: string; site?: string; label?: string; outcome?: string; q?: string;
  offset: number; limit: number;
}

export function parseDeviceQuery(params: URLSearchParams): DeviceQuery {
  const num = (name: string, dflt: number, max: number): number => {
    const v = params.get(name);
    if (v === null || v === '') return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new BadQuery(`${name}=${v}: expected a whole number`);
    return Math.min(n, max);
  };
  const q: DeviceQuery = { offset: num('offset', 0, Number.MAX_SAFE_INTEGER), limit: num('limit', DEFAULT_LIMIT, MAX_LIMIT) };
  for (const k of ['group', 'stage', 'model', 'site', 'label', 'outcome', 'q'] as const) {
    const v = params.get(k);
    if (v !== null && v !== '') q[k] = v;
  }
  if (q.outcome !== undefined && !(OUTCOMES as readonly string[]).includes(q.outcome)) {
    throw new BadQuery(`outcome=${q.outcome}: expected one of ${OUTCOMES.join(', ')}`);
  }
  return q;
}

function matches(r: DeviceRow, q: DeviceQuery, needle: string | undefined): boolean {
  if (q.group !== undefined && (r.group ?? '(none)') !== q.group) return false;
  if (q.stage !== undefined && r.stage !== q.stage) return false;
  if (q.model !== undefined && r.model !== q.model) return false;
  if (q.site !== undefined && r.site !== q.site) return false;
  if (q.outcome !== undefined && r.outcome !== q.outcome) return false;
  if (q.label !== undefined && !r.labels.includes(q.label)) return false;
  if (needle !== undefined && !r.id.toLowerCase().includes(needle) && !r.name.toLowerCase().includes(needle)) return false;
  return true;
}

export function deviceList(s: Snapshot, q: DeviceQuery) {
  const needle = q.q?.toLowerCase();
  const items: DeviceRow[] = [];
  const outcomes = emptyCounts();
  let total = 0;
  for (const r of s.rows) {
    if (!matches(r, q, needle)) continue;
    if (total >= q.offset && items.length < q.limit) items.push(r);
    outcomes[r.outcome]++;
    total++;
  }
  return { total, offset: q.offset, limit: q.limit, items, outcomes, facets: s.facets };
}

// ---- one device ---------------------------------------------------------------------------------

export function device(store: ConsoleStore, s: Snapshot, id: string) {
  const rec = store.readDevice(id);
  if (!rec) throw new NotFound(`device ${JSON.stringify(id)} is not in the state store`);
  const row = s.rows[s.byId.get(id) ?? -1];
  const o = rec.observed;
  return {
    id: rec.id,
    name: o?.displayName ?? rec.id,
    manufacturer: o?.manufacturer ?? null,
    model: o?.model ?? null,
    deviceType: o?.deviceType ?? null,
    macAddress: o?.macAddress ?? null,
    timeZone: o?.timeZone ?? null,
    labels: o?.labels ?? {},
    online: o?.online ?? null,
    activityState: o?.activityState ?? null,
    healthStatus: o?.healthStatus ?? null,
    group: rec.group ?? null,
    phase: rec.phase ?? null,
    ring: rec.ring ?? null,
    maintenanceWindow: rec.maintenanceWindow ?? null,
    outcome: row?.outcome ?? deviceOutcome({ id: rec.id, group: null, phase: null, ring: null, maintenanceWindow: '', components: rec.components ?? [] }, hasUpdateInFlight(rec)),
    // "Why not updated, and when": the planner's reason, its message and the earliest start, per component.
    components: (rec.components ?? []).map((c) => ({ ...c, outcome: componentOutcome(c) })),
    pending: rec.pending ?? [],
    historyLost: rec.historyLost ?? null,
    history: [...rec.history].reverse(),
    provisioning: provisioningOf(s, o?.macAddress),
  };
}

function provisioningOf(s: Snapshot, mac: string | undefined) {
  if (!mac) return null;
  for (const b of provisioning(s).batches) {
    const d = b.devices.find((x) => x.macAddress === mac);
    if (d) return { batch: b.batch, ...d };
  }
  return null;
}

// ---- provisioning -------------------------------------------------------------------------------

/**
 * Batches (seed 004), per-device state and code expiry, from the state store's provisioning rows as the last
 * run recorded them (the same in the standalone store and the operator's; the objects' status names at most
 * 20 devices a batch). Never a code, nor its verifier.
 */
export function provisioning(s: Snapshot) {
  const batches = s.provisioning.map((b) => ({
    batch: b.batch,
    counts: b.counts as Record<string, number>,
    lastReconciledAt: b.lastReconciledAt ?? s.run?.lastReconcileAt ?? null,
    devices: b.devices.map(({ codeHash: _h, regenerateToken: _t, ...d }: ProvisioningDeviceStatus) => d),
  }));
  return { batches };
}

// ---- whole-fleet reads: the planner over the live fleet, once per pass ---------------------------

type LiveInputs = { desired: ReturnType<typeof desiredState>; observed: ReturnType<typeof observedFromFleet>; at: Date; revision: string };

/**
 * The live fleet as `fleetward plan --state` plans it: the store's inventory, catalog and history. Read for
 * each whole-fleet answer and dropped after it (the answers are kept for the pass, see ./http.ts): holding
 * every device's inventory and history between requests would cost the operator more memory per device than
 * the loop itself.
 */
function liveInputs(store: ConsoleStore, s: Snapshot): LiveInputs {
  const rev = store.readLastGoodRevision();
  if (!rev) throw new NotFound('no revision has been applied yet');
  const desired = desiredState(rev.objects as FleetwardObject[]);
  const at = s.run?.lastReconcileAt ?? new Date(0).toISOString();
  const live = fleetFromRecords(allDevices(store), s.run?.catalog ?? [], at);
  return { desired, observed: observedFromFleet(live.fleet, desired, live.operations), at: new Date(at), revision: rev.id };
}

/**
 * What `fleetward retry-failed` reads, from one scan of the store rather than a query per device: the
 * records are held only while the retry list is made.
 */
function retryReader(store: ConsoleStore) {
  const records = new Map<string, DeviceRecord>();
  for (const rec of allDevices(store)) records.set(rec.id, rec);
  const ids = [...records.keys()].sort();
  return { listDeviceIds: () => ids, readDevice: (id: string) => records.get(id), readLastGoodRevision: () => store.readLastGoodRevision() };
}

export interface PathRow extends UpdatePath {
  /** Devices of this model on this current version held or blocked for this component, by reason. */
  blocked: { reason: string; devices: number }[];
}

/** Seed 000's "Software auto-updates" widget: per model, devices per current → new version, and the blocked. */
export function updatePaths(store: ConsoleStore, s: Snapshot) {
  const { desired, observed, at, revision } = liveInputs(store, s);
  const p = makePlan(desired, observed, at, { revision });
  const models = new Map<string, { manufacturer: string; model: string }>();
  for (const d of observed.devices) models.set(d.id, { manufacturer: d.manufacturer, model: d.model });
  // Held components by model, component, current version, reason: the planner's own reason codes.
  const blocked = new Map<string, Map<string, number>>();
  const blockedOnly: { manufacturer: string; model: string; component: Component; currentVersion: string; targetVersion: string | null }[] = [];
  for (const d of p.devices) {
    const m = models.get(d.id);
    if (!m) continue;
    for (const c of d.components) {
      const o = componentOutcome(c);
      if (o !== 'held' && o !== 'rolledBack') continue;
      const key = `${m.manufacturer}\u0000${m.model}\u0000${c.component}\u0000${c.currentVersion ?? ''}`;
      let reasons = blocked.get(key);
      if (!reasons) {
        blocked.set(key, (reasons = new Map()));
        blockedOnly.push({ ...m, component: c.component, currentVersion: c.currentVersion ?? '', targetVersion: c.targetVersion });
      }
      reasons.set(c.reason, (reasons.get(c.reason) ?? 0) + 1);
    }
  }
  const list = (key: string) => [...(blocked.get(key) ?? [])].map(([reason, devices]) => ({ reason, devices })).sort((a, b) => b.devices - a.devices);
  const keyOf = (x: { manufacturer: string; model: string; component: string; currentVersion: string }) => `${x.manufacturer}\u0000${x.model}\u0000${x.component}\u0000${x.currentVersion}`;
  const paths: PathRow[] = p.updatePaths.map((u) => ({ ...u, blocked: list(keyOf(u)) }));
  const seen = new Set(paths.map(keyOf));
  // Versions from which nothing moves: only blocked devices.
  const stuck = blockedOnly.filter((b) => !seen.has(keyOf(b))).map((b) => ({
    manufacturer: b.manufacturer, model: b.model, component: b.component, currentVersion: b.currentVersion, newVersion: b.targetVersion ?? '',
    eligibleDevices: 0, activeStage: null, blocked: list(keyOf(b)),
  }));
  const rows = [...paths, ...stuck].sort((a, b) => a.manufacturer.localeCompare(b.manufacturer) || a.model.localeCompare(b.model)
    || a.component.localeCompare(b.component) || compareVersions(a.currentVersion || '0', b.currentVersion || '0'));
  return { at: p.at, paths: rows };
}

/** One release: its seed-001 state and stages, the forecast beside what happened, failed and held devices, the retry. */
export function release(store: ConsoleStore, s: Snapshot, component: string, version: string) {
  if (!(COMPONENTS as readonly string[]).includes(component)) throw new NotFound(`no component ${JSON.stringify(component)}`);
  const status = (s.run?.releases ?? []).find((r) => r.component === component && r.version === version);
  if (!status) throw new NotFound(`release ${component}@${version} is not in the last pass's release list`);
  const { desired, observed, at } = liveInputs(store, s);
  let fc: Forecast | null = null;
  let forecastError: string | null = null;
  try { fc = forecast(desired, observed, { component: component as Component, version }, at); } catch (err) { forecastError = (err as Error).message; }
  // What really happened: successful updates to this version, per UTC day, as a share of the forecast's eligible devices.
  const done: number[] = [];
  for (const op of observed.operations) {
    if (op.operationType === 'softwareUpdate' && op.component === component && op.toVersion === version && op.status === 'successful') {
      const t = Date.parse(op.completedAt ?? op.createdAt);
      if (Number.isFinite(t)) done.push(t);
    }
  }
  done.sort((a, b) => a - b);
  const eligible = fc?.eligibleDevices ?? 0;
  const already = (fc?.adoption[0]?.devices ?? 0) - done.length;
  const actual: { at: string; devices: number; share: number }[] = [];
  const DAY = 86_400_000;
  if (done.length) {
    const end = at.getTime();
    let k = 0;
    for (let t = Math.floor(done[0]! / DAY) * DAY + DAY - 1; t < end + DAY; t += DAY) {
      while (k < done.length && done[k]! <= t) k++;
      const devices = Math.max(0, already) + k;
      actual.push({ at: new Date(Math.min(t, end)).toISOString(), devices, share: eligible ? Math.round((devices / eligible) * 10_000) / 10_000 : 0 });
    }
  }
  const retry = devicesToRetry(retryReader(store), component as Component, version);
  const retryYaml = retry.devices.length ? softwareUpdateDocument({
    name: `retry-${component.toLowerCase()}-${version}`, devices: retry.devices.map((d) => d.id), component: component as Component, version,
    schedule: 'nextMaintenanceWindow', force: false, now: at,
    comment: `Retry all failed (seed 001): ${retry.devices.length} device(s). \`fleetward retry-failed ${component}@${version}\` writes this for you.`,
  }).toString() : null;
  return {
    release: status,
    forecast: fc,
    forecastError,
    actual,
    retry: { command: `fleetward retry-failed ${component}@${version}`, devices: retry.devices.slice(0, 100), total: retry.devices.length, yaml: retryYaml },
  };
}

export function outcomeOf(o: string): Outcome | undefined {
  return (OUTCOMES as readonly string[]).includes(o) ? (o as Outcome) : undefined;
}
