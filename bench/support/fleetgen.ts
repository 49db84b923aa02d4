// A deterministic fleet generator for benchmarks (and load tests): the same (size, seed) gives the
// same fleet. Mixed device types, models, zones, groups (phases and rings), windows, four components,
// about twenty releases (with a minimumVersion hop, a preview and a blocked one), a little history.
import { API_VERSION, type Component, type DeviceOperation, type DeviceType, type FleetDevice, type FleetwardObject, type ObservedState, type SoftwareReleaseSpec } from '../../controller/api/types.ts';
import { desiredState, type DesiredState } from '../../controller/api/desired.ts';
import { mulberry32 } from '../../controller/util/random.ts';
import YAML from 'yaml';
import { SHARD_LABEL } from '../../controller/operator/source.ts';

export const BENCH_NOW = new Date('2026-11-18T12:00:00Z');
const DAY = 86_400_000;


interface Model { manufacturer: string; model: string; deviceType: DeviceType; weight: number }
const MODELS: Model[] = [
  { manufacturer: 'Yealink', model: 'MP56', deviceType: 'ipPhone', weight: 25 },
  { manufacturer: 'Yealink', model: 'MP58', deviceType: 'ipPhone', weight: 15 },
  { manufacturer: 'Poly', model: 'CCX400', deviceType: 'ipPhone', weight: 15 },
  { manufacturer: 'Poly', model: 'CCX600', deviceType: 'ipPhone', weight: 10 },
  { manufacturer: 'AudioCodes', model: 'C450HD', deviceType: 'lowCostPhone', weight: 10 },
  { manufacturer: 'Logitech', model: 'RallyBar', deviceType: 'teamsRoom', weight: 8 },
  { manufacturer: 'Poly', model: 'StudioX50', deviceType: 'collaborationBar', weight: 6 },
  { manufacturer: 'Lenovo', model: 'ThinkSmartHub', deviceType: 'teamsRoom', weight: 6 },
  { manufacturer: 'Crestron', model: 'TSS-770', deviceType: 'teamsPanel', weight: 5 },
];
const ZONES = ['Europe/London', 'Europe/Paris', 'America/New_York', 'America/Los_Angeles', 'Asia/Kolkata', 'Australia/Sydney', 'Asia/Tokyo', 'UTC'];
const SITES = 40;

const ago = (days: number) => new Date(BENCH_NOW.getTime() - days * DAY).toISOString();

/** About twenty releases across four components. */
export function benchReleases(): SoftwareReleaseSpec[] {
  const r: SoftwareReleaseSpec[] = [];
  for (const [mfr, base] of [['Yealink', '122.15.0'], ['Poly', '8.1.3'], ['AudioCodes', '1.19.0'], ['Logitech', '1.12.0'], ['Lenovo', '2.0.1'], ['Crestron', '1.5.3']] as const) {
    r.push({ component: 'firmware', manufacturer: mfr, version: `${base}.10`, releasedAt: ago(200), label: 'verified' });
    r.push({ component: 'firmware', manufacturer: mfr, version: `${base}.20`, releasedAt: ago(60), label: 'verified' });
    r.push({ component: 'firmware', manufacturer: mfr, version: `${base}.30`, releasedAt: ago(12), label: 'verified', minimumVersion: `${base}.20` });
  }
  r.push({ component: 'firmware', manufacturer: 'Yealink', version: '122.15.0.40', releasedAt: ago(2), label: 'preview' });
  r.push({ component: 'teamsClient', version: '1449.1.0.100', releasedAt: ago(150), label: 'verified' });
  r.push({ component: 'teamsClient', version: '1449.1.0.200', releasedAt: ago(40), label: 'verified' });
  r.push({ component: 'teamsClient', version: '1449.1.0.300', releasedAt: ago(9), label: 'verified', critical: false });
  r.push({ component: 'teamsClient', version: '1449.1.0.310', releasedAt: ago(1), label: 'verified', blocked: { reason: 'crash on join' } });
  r.push({ component: 'adminAgent', version: '1.0.0.2025', releasedAt: ago(120), label: 'verified' });
  r.push({ component: 'adminAgent', version: '1.0.0.2026', releasedAt: ago(20), label: 'verified' });
  r.push({ component: 'companyPortal', version: '5.0.6000', releasedAt: ago(90), label: 'verified' });
  r.push({ component: 'companyPortal', version: '5.0.6100', releasedAt: ago(5), label: 'verified' });
  return r;
}

/** The config the benchmarks plan against, as objects (benchConfig() is their desired state). */
export function benchObjects(): FleetwardObject[] {
  const o: FleetwardObject[] = [];
  const m = (kind: string, name: string, spec: unknown) => o.push({ apiVersion: API_VERSION, kind, metadata: { name }, spec } as FleetwardObject);
  m('MaintenanceWindow', 'nights', { start: '22:00', end: '03:00', days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'] });
  m('MaintenanceWindow', 'weekend', { start: '01:00', end: '06:00', days: ['Saturday', 'Sunday'] });
  m('MaintenanceWindow', 'hq-fixed', { start: '02:00', end: '05:00', days: ['Sunday', 'Wednesday'], timeZone: 'Europe/Paris' });
  m('UpdatePhase', 'Pilot', { deferrals: { firmware: '7d', teamsClient: '3d' }, rolloutDuration: '10d' });
  m('UpdatePhase', 'Conservative', { deferrals: { firmware: '45d', teamsClient: '20d' }, lagVersions: 1 });
  m('Ring', 'Canary', { order: 1, rolloutDuration: '2d', testPeriod: '3d' });
  m('Ring', 'Staging', { order: 2, rolloutDuration: '5d', testPeriod: '5d' });
  m('Ring', 'General', { order: 3 });
  m('Ring', 'Executive', { order: 4 });
  m('DeviceGroup', 'lab', { selector: { matchLabels: { site: 'site-0' } }, updatePhase: 'Validation', maintenanceWindow: 'nights', priority: 50 });
  m('DeviceGroup', 'pilot-phones', { selector: { matchLabels: { tier: 'pilot' }, deviceTypes: ['ipPhone', 'lowCostPhone'] }, updatePhase: 'Pilot', maintenanceWindow: 'nights', priority: 20 });
  m('DeviceGroup', 'execs', { selector: { matchLabels: { tier: 'vip' } }, updatePhase: 'Final', maintenanceWindow: 'weekend', priority: 30 });
  m('DeviceGroup', 'poly-phones', { selector: { manufacturers: ['Poly'], deviceTypes: ['ipPhone'] }, updatePhase: 'Conservative', priority: 10 });
  m('DeviceGroup', 'canary-rooms', { selector: { deviceTypes: ['teamsRoom', 'collaborationBar'], matchLabels: { tier: 'pilot' } }, ring: 'Canary', maintenanceWindow: 'nights', priority: 40 });
  m('DeviceGroup', 'rooms', { selector: { deviceTypes: ['teamsRoom', 'collaborationBar', 'teamsPanel'] }, ring: 'General', maintenanceWindow: 'weekend', priority: 5 });
  m('DeviceGroup', 'exec-rooms', { selector: { deviceTypes: ['teamsRoom'], matchLabels: { tier: 'vip' } }, ring: 'Executive', maintenanceWindow: 'hq-fixed', priority: 35 });
  m('DeviceGroup', 'hq', { selector: { matchLabels: { site: 'site-1' } }, maintenanceWindow: 'hq-fixed', updatePhase: 'General', priority: 15, pin: { teamsClient: '1449.1.0.200' } });
  m('FleetPolicy', 'default', { retry: { maxAttempts: 3 } });
  return o;
}

/**
 * The bench config as Kubernetes objects (multi-document YAML for `kubectl apply`): object names must be
 * lowercase there, so the declared rings and phases, and the references to them, are lowercased; built-in
 * phase names are left as they are.
 */
export function benchKubernetesYaml(): string {
  const objects = benchObjects();
  const declared = new Set(objects.filter((o) => o.kind === 'Ring' || o.kind === 'UpdatePhase').map((o) => `${o.kind}/${o.metadata.name}`));
  return objects.map((o) => {
    const spec: Record<string, unknown> = { ...o.spec };
    if (o.kind === 'DeviceGroup') {
      if (typeof spec.ring === 'string') spec.ring = spec.ring.toLowerCase();
      if (typeof spec.updatePhase === 'string' && declared.has(`UpdatePhase/${spec.updatePhase}`)) spec.updatePhase = spec.updatePhase.toLowerCase();
    }
    return YAML.stringify({ ...o, metadata: { ...o.metadata, name: o.metadata.name.toLowerCase() }, spec });
  }).join('---\n');
}

export function benchConfig(): DesiredState {
  return desiredState(benchObjects());
}

const COMPONENTS_BY_TYPE: Component[] = ['firmware', 'teamsClient', 'adminAgent', 'companyPortal'];

export function generateFleet(size: number, seed = 42): { desired: DesiredState; observed: ObservedState; now: Date } {
  const rand = mulberry32(seed);
  const releases = benchReleases();
  const byComponent = new Map<string, SoftwareReleaseSpec[]>();
  for (const r of releases) {
    const key = r.component === 'firmware' ? `firmware/${r.manufacturer}` : r.component;
    let l = byComponent.get(key);
    if (!l) byComponent.set(key, (l = []));
    l.push(r);
  }
  const totalWeight = MODELS.reduce((s, m) => s + m.weight, 0);
  const devices: FleetDevice[] = new Array(size);
  const operations: DeviceOperation[] = [];
  for (let i = 0; i < size; i++) {
    let w = rand() * totalWeight;
    let model = MODELS[0]!;
    for (const m of MODELS) { if ((w -= m.weight) < 0) { model = m; break; } }
    const software: Partial<Record<Component, string>> = {};
    for (const c of COMPONENTS_BY_TYPE) {
      const list = byComponent.get(c === 'firmware' ? `firmware/${model.manufacturer}` : c)!;
      const x = rand();
      software[c] = x < 0.01 ? '0.0.0.1' : list[Math.min(list.length - 1, Math.floor(rand() * (list.length - 1)))]!.version;
    }
    const tierX = rand();
    const id = `dev-${String(i).padStart(7, '0')}`;
    const act = rand();
    devices[i] = {
      id,
      macAddress: `02-00-${((i >>> 24) & 255).toString(16).padStart(2, '0')}-${((i >>> 16) & 255).toString(16).padStart(2, '0')}-${((i >>> 8) & 255).toString(16).padStart(2, '0')}-${(i & 255).toString(16).padStart(2, '0')}`.toUpperCase(),
      deviceType: model.deviceType,
      manufacturer: model.manufacturer,
      model: model.model,
      timeZone: ZONES[Math.floor(rand() * ZONES.length)]!,
      labels: { site: `site-${Math.floor(rand() * SITES)}`, tier: tierX < 0.05 ? 'pilot' : tierX < 0.08 ? 'vip' : 'standard' },
      online: act > 0.03,
      activityState: act < 0.03 ? 'offline' : act < 0.08 ? 'busy' : 'idle',
      healthStatus: 'healthy',
      software,
    };
    const h = rand();
    if (h < 0.02) {
      const fw = byComponent.get(`firmware/${model.manufacturer}`)!.at(-1)!;
      const n = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < n; k++) {
        operations.push({
          id: `op-${i}-${k}`, deviceId: id, operationType: 'softwareUpdate', component: 'firmware', fromVersion: software.firmware, toVersion: fw.version,
          status: h < 0.005 && k === n - 1 ? 'inProgress' : 'failed', createdAt: ago(3 - k * 0.5), startedAt: ago(3 - k * 0.5), completedAt: ago(3 - k * 0.5 - 0.01),
        });
      }
    }
  }
  return { desired: benchConfig(), observed: { devices, releases, operations }, now: BENCH_NOW };
}

/** The shard name of device i among `shards` (s0, s1, …): round robin, so every shard gets an even share. */
export const benchShard = (i: number, shards: number): string => `s${i % shards}`;

/**
 * Writes what `fleetward plan` reads for a generated fleet: `<dir>/config/*.yaml` (the bench config) and
 * `<dir>/fleet.yaml` (YAML, as the `yaml` library writes it) or `<dir>/fleet.json`. Returns the paths.
 * Devices are written ten thousand at a time, so a million-device file needs no million-device string.
 * With `shards` above 1 each device is labelled `fleetward.dev/shard: benchShard(i, shards)`.
 */
export async function writeBenchInputs(dir: string, size: number, format: 'yaml' | 'json' = 'yaml', opts: { shards?: number } = {}): Promise<{ config: string; fleet: string }> {
  const { appendFileSync, mkdirSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const YAML = (await import('yaml')).default;
  const config = join(dir, 'config');
  mkdirSync(config, { recursive: true });
  for (const o of benchObjects()) writeFileSync(join(config, `${o.kind.toLowerCase()}-${o.metadata.name.toLowerCase()}.yaml`), YAML.stringify(o));
  const { observed } = generateFleet(size);
  const shards = opts.shards ?? 1;
  if (shards > 1) observed.devices.forEach((d, i) => { d.labels = { ...d.labels, [SHARD_LABEL]: benchShard(i, shards) }; });
  const fleet = join(dir, `fleet.${format}`);
  const CHUNK = 10_000;
  if (format === 'json') {
    writeFileSync(fleet, '{\n  "devices": [\n');
    for (let i = 0; i < size; i += CHUNK) {
      const part = observed.devices.slice(i, i + CHUNK).map((d) => '    ' + JSON.stringify(d, null, 2).replaceAll('\n', '\n    '));
      appendFileSync(fleet, part.join(',\n') + (i + CHUNK < size ? ',\n' : '\n'));
    }
    appendFileSync(fleet, `  ],\n  "releases": ${JSON.stringify(observed.releases, null, 2).replaceAll('\n', '\n  ')}\n}`);
  } else {
    // The same text as YAML.stringify({ devices, releases }): items of a nested sequence indented by two.
    writeFileSync(fleet, 'devices:\n');
    for (let i = 0; i < size; i += CHUNK) {
      appendFileSync(fleet, YAML.stringify(observed.devices.slice(i, i + CHUNK)).replace(/^(?=.)/gm, '  '));
    }
    appendFileSync(fleet, YAML.stringify({ releases: observed.releases }));
  }
  return { config, fleet };
}
