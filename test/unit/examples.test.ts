// The example config repo and simulated fleet (examples/): what the quick start runs, so it must
// stay loadable, deterministic and interesting (every case the planner has a rule for appears in it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { parse as parseCsv } from 'csv-parse/sync';
import { FLEET_PATH, REFERENCE_DATE, generateExampleFleet, renderExampleFleet } from '../../scripts/gen-example-fleet.ts';
import { compareVersions, isVendorVersion } from '../../controller/api/version.ts';
import { normalizeMac } from '../../controller/api/mac.ts';
import { formatConfigError, loadConfigDir } from '../../controller/sources/load.ts';
import { fleetFileIssues } from '../../controller/api/validate.ts';
import type { FleetDevice, FleetFile, FleetwardObject, ProvisioningBatch, SoftwareReleaseSpec } from '../../controller/api/types.ts';

/** Seed 004's table, as the fleet spells the models. */
const SEED_004_MINIMUMS: { models: string[]; version: string }[] = [
  { models: ['T55', 'T56', 'T58'], version: '58.15.0.124' },
  { models: ['VP59'], version: '91.15.0.58' },
  { models: ['CP960'], version: '73.15.0.117' },
  { models: ['MP54', 'MP56', 'MP58'], version: '122.15.0.36' },
  { models: ['UC-2'], version: '1.0.3.52' },
  { models: ['Trio C60'], version: '7.0.2.1071' },
  { models: ['CCX400', 'CCX500', 'CCX600'], version: '7.0.2.1072' },
  { models: ['C448HD', 'C450HD', 'C470HD'], version: '1.10.120' },
  { models: ['TSS-770', 'TSS-1070'], version: '1.004.0115' },
];
const belowMinimum = (d: FleetDevice) => {
  const row = SEED_004_MINIMUMS.find((r) => r.models.includes(d.model));
  return row !== undefined && compareVersions(d.software.firmware!, row.version) < 0;
};

const CONFIG_DIR = join(import.meta.dirname, '..', '..', 'examples', 'config');
const committed = readFileSync(FLEET_PATH, 'utf8');
const fleet = YAML.parse(committed) as FleetFile;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(n) ? [p] : [];
  });
}
const objects = yamlFiles(CONFIG_DIR).flatMap((f) =>
  YAML.parseAllDocuments(readFileSync(f, 'utf8')).map((d) => d.toJS() as FleetwardObject));
const ofKind = <K extends FleetwardObject['kind']>(kind: K) =>
  objects.filter((o): o is Extract<FleetwardObject, { kind: K }> => o.kind === kind);

function releasesFor(d: FleetDevice, component: string): SoftwareReleaseSpec[] {
  return fleet.releases.filter((r) => r.component === component &&
    (!r.manufacturer || r.manufacturer === d.manufacturer) && (!r.models?.length || r.models.includes(d.model)));
}
const known = (d: FleetDevice, component: string) =>
  releasesFor(d, component).some((r) => r.version === d.software[component as keyof typeof d.software]);

// ---- The generator ---------------------------------------------------------------------------------

test('the generator writes the same fleet every time, and it is the committed examples/fleet.yaml', () => {
  const a = renderExampleFleet();
  assert.is(renderExampleFleet(generateExampleFleet()), a);
  assert.ok(a === committed, 'examples/fleet.yaml is stale: run npm run gen:fleet and commit it');
});

test('the fleet has about 200 devices of every device type the brief names, in eight time zones', () => {
  assert.ok(fleet.devices.length >= 180 && fleet.devices.length <= 220, String(fleet.devices.length));
  const types = new Set(fleet.devices.map((d) => d.deviceType));
  for (const t of ['ipPhone', 'lowCostPhone', 'teamsRoom', 'collaborationBar', 'teamsPanel']) assert.ok(types.has(t as never), t);
  assert.equal([...new Set(fleet.devices.map((d) => d.timeZone))].sort(), [
    'America/Chicago', 'America/Los_Angeles', 'America/New_York', 'Asia/Kolkata', 'Asia/Singapore',
    'Australia/Sydney', 'Europe/London', 'Europe/Paris',
  ]);
});

test('every model of seed 004 table is in the fleet', () => {
  const models = new Set(fleet.devices.map((d) => d.model));
  for (const m of SEED_004_MINIMUMS.flatMap((r) => r.models)) assert.ok(models.has(m), m);
});

test('device ids and MAC addresses are unique, and MACs are in the canonical AA-BB-CC-DD-EE-FF form', () => {
  assert.is(new Set(fleet.devices.map((d) => d.id)).size, fleet.devices.length);
  const macs = fleet.devices.map((d) => d.macAddress!);
  assert.is(new Set(macs).size, macs.length);
  for (const m of macs) assert.is(normalizeMac(m), m);
});

test('every device model has firmware and Teams releases, and every version string is a vendor version', () => {
  for (const d of fleet.devices) {
    assert.ok(releasesFor(d, 'firmware').length >= 3, `${d.id} ${d.model} firmware`);
    assert.ok(releasesFor(d, 'teamsClient').length >= 3, `${d.id} ${d.model} teamsClient`);
    for (const [c, v] of Object.entries(d.software)) assert.ok(isVendorVersion(v!), `${d.id} ${c} ${v}`);
  }
  for (const r of fleet.releases) {
    assert.ok(isVendorVersion(r.version), r.version);
    if (r.minimumVersion) assert.ok(compareVersions(r.minimumVersion, r.version) < 0, `${r.version} needs ${r.minimumVersion}`);
  }
});

test('release dates fall in the 14 months before the reference date, on weekdays', () => {
  const ref = Date.parse(REFERENCE_DATE);
  for (const r of fleet.releases) {
    const t = Date.parse(r.releasedAt);
    assert.ok(t < ref && ref - t < 440 * 86_400_000, `${r.version} ${r.releasedAt}`);
    assert.ok(![0, 6].includes(new Date(t).getUTCDay()), `${r.version} ${r.releasedAt} is a weekend`);
  }
});

test('the catalog holds a blocked, a critical and preview releases, and minimumVersion chains', () => {
  assert.is(fleet.releases.filter((r) => r.blocked).length, 1);
  assert.is(fleet.releases.filter((r) => r.critical).length, 1);
  assert.ok(fleet.releases.filter((r) => r.label === 'preview').length >= 2);
  // A chain: a release whose minimum is itself a release with a minimum.
  const byVersion = new Map(fleet.releases.map((r) => [`${r.component} ${r.models?.join()} ${r.version}`, r]));
  const chained = fleet.releases.filter((r) => r.minimumVersion &&
    byVersion.get(`${r.component} ${r.models?.join()} ${r.minimumVersion}`)?.minimumVersion);
  assert.ok(chained.length >= 5, String(chained.length));
});

test('the fleet shows every case the planner handles: unknown, preview, far behind, below the provisioning minimum, offline, busy', () => {
  const unknownFirmware = fleet.devices.filter((d) => !known(d, 'firmware'));
  const unknownTeams = fleet.devices.filter((d) => !known(d, 'teamsClient'));
  assert.ok(unknownFirmware.length >= 3, `unknown firmware ${unknownFirmware.length}`);
  assert.ok(unknownTeams.length >= 1, `unknown teams ${unknownTeams.length}`);
  const preview = fleet.devices.filter((d) => releasesFor(d, 'firmware').some((r) => r.label === 'preview' && r.version === d.software.firmware));
  assert.ok(preview.length >= 1, 'a device on a preview firmware');
  // Several releases behind: at least three newer verified firmware releases exist for the device.
  const farBehind = fleet.devices.filter((d) => known(d, 'firmware') &&
    releasesFor(d, 'firmware').filter((r) => r.label === 'verified' && compareVersions(r.version, d.software.firmware!) > 0).length >= 3);
  assert.ok(farBehind.length >= 10, `far behind ${farBehind.length}`);
  const tooOld = fleet.devices.filter(belowMinimum);
  assert.ok(tooOld.length >= 5, `below the provisioning minimum ${tooOld.length}`);
  assert.ok(fleet.devices.filter((d) => d.online === false).length >= 5, 'offline');
  assert.ok(fleet.devices.filter((d) => d.activityState === 'busy').length >= 5, 'busy');
});

// ---- The config repo --------------------------------------------------------------------------------

test('examples/config validates clean, and its provisioning CSV rows are part of the revision', async () => {
  const result = await loadConfigDir(CONFIG_DIR);
  assert.ok(result.ok, result.ok ? '' : result.errors.map(formatConfigError).join('\n'));
  assert.is(result.revision.objects.length, objects.length);
  const paris = result.revision.provisioningDevices?.['paris-floor-4'] ?? [];
  assert.is(paris.length, 12, 'ten CSV rows and two inline devices');
  assert.ok(paris.some((d) => d.macAddress === '00-90-8F-F4-00-08'), 'the colon-separated lowercase MAC is normalised');
});

test('examples/fleet.yaml passes the fleet file schema', () => {
  assert.equal(fleetFileIssues(fleet), []);
});

test('every config object is fleetward.dev/v1alpha1 with a unique kind and name', () => {
  assert.ok(objects.length >= 20, String(objects.length));
  for (const o of objects) assert.is(o.apiVersion, 'fleetward.dev/v1alpha1', `${o.kind}/${o.metadata.name}`);
  const keys = objects.map((o) => `${o.kind}/${o.metadata.name}`);
  assert.is(new Set(keys).size, keys.length);
});

test('every object name is a lowercase Kubernetes name, so examples/config can be kubectl-applied as is', () => {
  const dns1123 = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
  for (const o of objects) assert.ok(dns1123.test(o.metadata.name), `${o.kind}/${o.metadata.name}`);
});

test('lobby phones are in Validation, executive phones in Final, executive rooms on the Executive ring', () => {
  const groups = new Map(ofKind('DeviceGroup').map((g) => [g.metadata.name, g.spec]));
  assert.is(groups.get('lobby-phones')?.updatePhase, 'Validation');
  assert.is(groups.get('executive-phones')?.updatePhase, 'Final');
  assert.is(groups.get('executive-rooms')?.ring, 'Executive');
  assert.is(groups.get('lab-rooms')?.ring, 'Staging');
  // Each label selector matches devices of the fleet.
  for (const [name, g] of groups) {
    const matches = fleet.devices.filter((d) =>
      (!g.selector.deviceTypes || g.selector.deviceTypes.includes(d.deviceType)) &&
      (!g.selector.models || g.selector.models.includes(d.model)) &&
      Object.entries(g.selector.matchLabels ?? {}).every(([k, v]) => d.labels?.[k] === v));
    assert.ok(matches.length > 0, `group ${name} selects no device`);
  }
});

test('the rooms window is nightly 00:00-05:00 and the phones window is on Sunday', () => {
  const windows = new Map(ofKind('MaintenanceWindow').map((w) => [w.metadata.name, w.spec]));
  assert.equal(windows.get('rooms-nightly'), {
    start: '00:00', end: '05:00', timeZone: 'device',
    days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'],
  });
  assert.equal(windows.get('phones-sunday')?.days, ['Sunday']);
});

test('the rings add up to less than 60 days', () => {
  const days = (d: string | undefined) => Number(/^(\d+)d$/.exec(d ?? '0d')![1]);
  const total = ofKind('Ring').reduce((s, r) => s + days(r.spec.deferment) + days(r.spec.rolloutDuration) + days(r.spec.testPeriod), 0);
  assert.is(total, 48);
});

test('the provisioning CSV has quoted locations and remote sign-in users, and no MAC collides with the fleet or another batch', () => {
  const batches = ofKind('ProvisioningBatch') as ProvisioningBatch[];
  const withFile = batches.find((b) => b.spec.devicesFile && b.spec.devices?.length);
  assert.ok(withFile, 'a batch with inline devices and a devicesFile');
  const rows = parseCsv(readFileSync(join(CONFIG_DIR, withFile.spec.devicesFile!), 'utf8'), { columns: true }) as Record<string, string>[];
  assert.equal(Object.keys(rows[0]!), ['macAddress', 'location', 'user']);
  assert.ok(rows.some((r) => r.location!.includes(',')), 'a location with a comma');
  assert.ok(rows.some((r) => r.user) && rows.some((r) => !r.user), 'some rows sign a user in, some do not');
  const macs = [
    ...rows.map((r) => r.macAddress!),
    ...batches.flatMap((b) => (b.spec.devices ?? []).map((d) => d.macAddress)),
  ].map((m) => normalizeMac(m));
  assert.not.ok(macs.includes(undefined), 'every MAC is well formed');
  assert.is(new Set(macs).size, macs.length, 'no MAC twice across batches');
  const fleetMacs = new Set(fleet.devices.map((d) => d.macAddress));
  for (const m of macs) assert.not.ok(fleetMacs.has(m), `${m} is already a fleet device`);
});

test('the pinned and manually updated versions exist in the catalog', () => {
  const trio = ofKind('DeviceGroup').find((g) => g.spec.pin)!;
  assert.ok(fleet.releases.some((r) => r.component === 'firmware' && r.version === trio.spec.pin!.firmware));
  for (const u of ofKind('SoftwareUpdate')) {
    if (u.spec.version === 'latest') continue;
    assert.ok(fleet.releases.some((r) => r.component === u.spec.component && r.version === u.spec.version), u.metadata.name);
  }
});

test.run();
