// What the console shows, read from the state store (docs/console.md): the loop's last pass as it recorded
// it. Nothing here decides anything: outcomes are planner/outcomes.ts, release states and stage counts are
// the reconciler's release statuses (planner/releases.ts), update paths are the planner's, the forecast is
// planner/forecast.ts. The console only indexes and counts what those produced, once per pass, so a page at
// 100k devices is a filter over a compact index rather than a scan of every record.
import { IN_FLIGHT_STATUSES } from '../api/types.ts';
import { deviceOutcome, emptyCounts, OUTCOMES, type Outcome, type OutcomeCounts } from '../planner/outcomes.ts';
import type { DeviceRecord, ObjectStatus, ProvisioningBatchStatus, RunStatus } from '../store/records.ts';
import type { StateStore } from '../store/store.ts';

/** The part of a store the console reads: read methods only (it never writes). */
export type ConsoleStore = Pick<StateStore, 'readRun' | 'readObjects' | 'readDevice' | 'listDeviceIds' | 'eachDevice' | 'readLastGoodRevision' | 'readProvisioning' | 'dir'>;

/** Every readable device record: the store's bulk read when it has one, else one read per device. Damaged ones are skipped (status names them). */
export function* allDevices(store: ConsoleStore): Generator<DeviceRecord> {
  if (store.eachDevice) { yield* store.eachDevice(); return; }
  for (const id of store.listDeviceIds()) {
    let rec: DeviceRecord | undefined;
    try { rec = store.readDevice(id); } catch { continue; }
    if (rec) yield rec;
  }
}

/** One device as the list shows it: a few short strings, so 100k of them stay a few tens of MB. */
export interface DeviceRow {
  id: string;
  name: string;
  manufacturer: string;
  model: string;
  deviceType: string;
  group: string | null;
  /** `ring/General`, `phase/Validation`, or `none`. */
  stage: string;
  site: string | null;
  /** `key=value`, sorted. */
  labels: string[];
  outcome: Outcome;
  online: boolean | null;
  /** Firmware and app: current → target (the two components updated automatically). */
  firmware: string | null;
  teamsClient: string | null;
}

export interface Facet { value: string; devices: number }

export interface Snapshot {
  /** Which pass this is (its instant and revision): a new pass makes a new snapshot. */
  key: string;
  run: RunStatus | undefined;
  objects: Record<string, ObjectStatus>;
  /** Every provisioning batch with every device (the objects' status names at most 20 of them). */
  provisioning: ProvisioningBatchStatus[];
  rows: DeviceRow[];
  byId: Map<string, number>;
  facets: { group: Facet[]; stage: Facet[]; model: Facet[]; site: Facet[]; outcome: Facet[]; label: Facet[] };
  /** Outcome counts over every indexed device (the overview's figures come from the run summary). */
  outcomes: OutcomeCounts;
  /** How long indexing took, in ms (bench/console.ts reports it). */
  indexMs: number;
}

/** The key of the pass a store last recorded. */
export function passKey(run: RunStatus | undefined): string {
  return `${run?.lastReconcileAt ?? '-'}|${run?.lastAppliedRevision ?? '-'}|${run?.summary?.operationsIssued ?? 0}`;
}

/** In flight: the driver (or a durable intent of the loop) has an update of the device running. */
export function hasUpdateInFlight(rec: DeviceRecord): boolean {
  if (rec.pending?.length) return true;
  return rec.history.some((h) => h.operationType === 'softwareUpdate' && IN_FLIGHT_STATUSES.includes(h.status));
}

function versions(rec: DeviceRecord, component: string): string | null {
  const c = rec.components?.find((x) => x.component === component);
  if (!c) return null;
  const cur = c.currentVersion ?? '—';
  return c.targetVersion && c.targetVersion !== c.currentVersion ? `${cur} → ${c.targetVersion}` : cur;
}

export function deviceRow(rec: DeviceRecord): DeviceRow {
  const o = rec.observed;
  const labels = Object.entries(o?.labels ?? {}).map(([k, v]) => `${k}=${v}`).sort();
  return {
    id: rec.id,
    name: o?.displayName ?? rec.id,
    manufacturer: o?.manufacturer ?? '',
    model: o?.model ?? '',
    deviceType: o?.deviceType ?? '',
    group: rec.group ?? null,
    stage: rec.ring ? `ring/${rec.ring}` : rec.phase ? `phase/${rec.phase}` : 'none',
    site: o?.labels?.site ?? null,
    labels,
    outcome: deviceOutcome({ id: rec.id, group: rec.group ?? null, phase: rec.phase ?? null, ring: rec.ring ?? null, maintenanceWindow: rec.maintenanceWindow ?? '', components: rec.components ?? [] }, hasUpdateInFlight(rec)),
    online: o?.online ?? null,
    firmware: versions(rec, 'firmware'),
    teamsClient: versions(rec, 'teamsClient'),
  };
}

function facet(counts: Map<string, number>): Facet[] {
  return [...counts].map(([value, devices]) => ({ value, devices })).sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

/** Reads every device record once and indexes it. A damaged record is left out of the index (status names it). */
export function buildSnapshot(store: ConsoleStore, now: () => number = () => performance.now()): Snapshot {
  const t0 = now();
  const run = store.readRun();
  const objects = store.readObjects();
  const rows: DeviceRow[] = [];
  const byId = new Map<string, number>();
  const counts = { group: new Map<string, number>(), stage: new Map<string, number>(), model: new Map<string, number>(), site: new Map<string, number>(), label: new Map<string, number>() };
  const outcomes = emptyCounts();
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const rec of allDevices(store)) rows.push(deviceRow(rec));
  // Sorted by id, whatever order the store read them in: pages are stable.
  rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const row of rows) {
    byId.set(row.id, byId.size);
    add(counts.group, row.group ?? '(none)');
    add(counts.stage, row.stage);
    if (row.model) add(counts.model, row.model);
    if (row.site) add(counts.site, row.site);
    for (const l of row.labels) if (!l.startsWith('site=') && !l.startsWith('fleetward.dev/')) add(counts.label, l);
    outcomes[row.outcome]++;
  }
  const outcomeFacet = OUTCOMES.map((value) => ({ value, devices: outcomes[value] }));
  return {
    key: passKey(run), run, objects, provisioning: store.readProvisioning(), rows, byId,
    facets: { group: facet(counts.group), stage: facet(counts.stage), model: facet(counts.model), site: facet(counts.site), outcome: outcomeFacet, label: facet(counts.label).slice(0, 200) },
    outcomes, indexMs: Math.round(now() - t0),
  };
}

/** The snapshot of the store's last pass, rebuilt only when a new pass was recorded. */
export class SnapshotCache {
  #store: () => ConsoleStore;
  #current: Snapshot | undefined;
  constructor(store: () => ConsoleStore) { this.#store = store; }
  get store(): ConsoleStore { return this.#store(); }
  get(): Snapshot {
    const store = this.#store();
    const key = passKey(store.readRun());
    if (!this.#current || this.#current.key !== key) this.#current = buildSnapshot(store);
    return this.#current;
  }
}
