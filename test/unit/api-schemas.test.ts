// The JSON Schemas (controller/api/schemas.ts) and the TypeScript types (controller/api/types.ts) describe
// the same objects: one object per kind sets every field, typed by the compiler and checked by ajv, and
// every field the schema knows appears in it. Plus the fleet file schema and the CSV parser.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type {
  DeviceGroup, DeviceInventory, FleetPolicy, FleetwardObject, MaintenanceWindow, NotificationProvider, NotificationRule, ProvisioningBatch, Ring, SoftwareRelease, SoftwareUpdate, UpdatePhase,
} from '../../controller/api/types.ts';
import { KINDS } from '../../controller/api/types.ts';
import { schemaIssues, fleetFileIssues, formatPath } from '../../controller/api/validate.ts';
import { specSchema, type Schema } from '../../controller/api/schemas.ts';
import { parseDevicesCsv } from '../../controller/provisioning/csv.ts';

const meta = (name: string) => ({ name, namespace: 'fleet', labels: { team: 'av' }, annotations: { note: 'x' } });
const v = 'fleetward.dev/v1alpha1' as const;

const EVERY_FIELD: FleetwardObject[] = [
  {
    apiVersion: v, kind: 'DeviceGroup', metadata: meta('rooms'),
    spec: {
      selector: { deviceTypes: ['teamsRoom'], manufacturers: ['Logitech'], models: ['Rally Bar'], matchLabels: { site: 'nyc' }, devices: ['dev-1', '00-11-22-33-44-55'] },
      ring: 'Executive', maintenanceWindow: 'nightly', autoUpdate: { components: ['firmware', 'teamsClient'] },
      pin: { firmware: '1.2.3.4', teamsClient: '1.0.96.22', adminAgent: '1.0', companyPortal: '5.0.1', operatingSystem: '10.0', partnerAgent: '2' },
      priority: 10, suspend: false,
    },
  } satisfies DeviceGroup,
  {
    apiVersion: v, kind: 'DeviceGroup', metadata: meta('phones'),
    spec: { selector: {}, updatePhase: 'General' },
  } satisfies DeviceGroup,
  {
    apiVersion: v, kind: 'UpdatePhase', metadata: meta('slow'),
    spec: { deferrals: { firmware: '45d', teamsClient: '20d' }, rolloutDuration: '14d', lagVersions: 1 },
  } satisfies UpdatePhase,
  {
    apiVersion: v, kind: 'Ring', metadata: meta('pilot'),
    spec: { order: 4, deferment: '1d', rolloutDuration: '2d', testPeriod: '2d', startDays: ['Tuesday', 'Thursday'], failureThreshold: 20 },
  } satisfies Ring,
  {
    apiVersion: v, kind: 'MaintenanceWindow', metadata: meta('nightly'),
    spec: { start: '00:00', end: '05:00', days: ['Monday', 'Tuesday'], timeZone: 'Asia/Singapore' },
  } satisfies MaintenanceWindow,
  {
    apiVersion: v, kind: 'ProvisioningBatch', metadata: meta('paris'),
    spec: { devices: [{ macAddress: '00-11-22-33-44-66', location: 'Desk 1', signIn: { user: 'a@contoso.com' } }], devicesFile: 'p.csv', regenerateCodes: '2026-11-23' },
  } satisfies ProvisioningBatch,
  {
    apiVersion: v, kind: 'SoftwareUpdate', metadata: meta('fw'),
    spec: { target: { group: 'rooms' }, component: 'firmware', version: '1.2.3.5', schedule: { at: '2026-12-01T02:00', timeZone: 'Europe/Paris' }, force: true, acknowledgeForcedDevices: 30, suspend: false },
  } satisfies SoftwareUpdate,
  {
    apiVersion: v, kind: 'SoftwareUpdate', metadata: meta('portal'),
    spec: { target: { devices: ['dev-1'] }, component: 'companyPortal', version: 'latest', schedule: 'now' },
  } satisfies SoftwareUpdate,
  {
    apiVersion: v, kind: 'FleetPolicy', metadata: meta('default'),
    spec: {
      autoUpdates: { pausedAt: '2026-11-20T09:00:00Z' }, cloud: 'gcch', retry: { maxAttempts: 3, backoff: '30m', maxBackoff: '12h' },
      failureThreshold: 10, operationTimeout: '4h', lifecycle: { supportPeriod: '365d', maxNewerReleases: 2 }, maxForcedDevices: 20,
      freezes: [{ name: 'year-end', start: '2026-12-18T18:00', end: '2027-01-04T08:00', timeZone: 'Europe/Paris', groups: ['hq'], manualUpdates: 'frozen', reason: 'year-end close' }],
    },
  } satisfies FleetPolicy,
  {
    apiVersion: v, kind: 'SoftwareRelease', metadata: meta('fw-1-2-3-5'),
    spec: {
      component: 'firmware', version: '1.2.3.5', manufacturer: 'Yealink', models: ['T58'], releasedAt: '2026-10-01T00:00:00Z',
      label: 'verified', minimumVersion: '1.2.0', critical: true, blocked: { reason: 'boot loop on T58' },
    },
  } satisfies SoftwareRelease,
  {
    apiVersion: v, kind: 'NotificationProvider', metadata: meta('config-repo'),
    spec: {
      type: 'gitea', address: 'https://gitea.example.test', secretRef: { secret: { name: 'notify-gitea', key: 'token' } }, repository: 'fleet/config',
      channel: '#rooms', context: 'fleetward/rollout', timeout: '10s', rateLimit: { messages: 20, per: '1m' }, suspend: false,
    },
  } satisfies NotificationProvider,
  {
    apiVersion: v, kind: 'NotificationProvider', metadata: meta('hook'),
    spec: { type: 'generic', address: 'https://hooks.example.test/fleet', secretRef: { env: 'FLEETWARD_NOTIFY_HOOK', file: 'hook-key' } },
  } satisfies NotificationProvider,
  {
    apiVersion: v, kind: 'NotificationRule', metadata: meta('on-call'),
    spec: {
      providerRef: { name: 'config-repo' }, events: ['RevisionStatus'], severity: 'warning', objects: [{ kind: 'SoftwareRelease', name: '*' }],
      codesExpiringWithin: '6h', suspend: false,
    },
  } satisfies NotificationRule,
  {
    apiVersion: v, kind: 'DeviceInventory', metadata: meta('berlin'),
    spec: {
      defaults: { timeZone: 'Europe/Berlin', site: 'berlin-hq', labels: { country: 'de' } },
      // Every field at once passes the schema; the rules (not checked here) want exactly one key per entry.
      devices: [{ id: 'dev-1', serialNumber: 'SN1', macAddress: 'AA-BB-CC-00-00-01', timeZone: 'Europe/Paris', site: 'paris', labels: { floor: '3' } }],
    },
  } satisfies DeviceInventory,
];

test('an object of each kind setting every field of the TypeScript type passes the schema', () => {
  for (const o of EVERY_FIELD) assert.equal(schemaIssues(o.kind, o), [], `${o.kind}/${o.metadata.name}`);
  assert.equal([...new Set(EVERY_FIELD.map((o) => o.kind))].sort(), [...KINDS].sort());
});

/** Every property path a schema declares, `spec.a.b`, lists as `a[]`. */
function schemaPaths(s: Schema, prefix: string): string[] {
  const out: string[] = [];
  for (const [k, sub] of Object.entries((s.properties as Record<string, Schema>) ?? {})) {
    const p = `${prefix}.${k}`;
    out.push(p, ...schemaPaths(sub, p));
    if (sub.items) out.push(...schemaPaths(sub.items as Schema, `${p}[]`));
  }
  return out;
}
function valuePaths(v: unknown, prefix: string): string[] {
  if (Array.isArray(v)) return v.flatMap((x) => valuePaths(x, `${prefix}[]`));
  if (v === null || typeof v !== 'object') return [];
  return Object.entries(v).flatMap(([k, x]) => [`${prefix}.${k}`, ...valuePaths(x, `${prefix}.${k}`)]);
}

test('every field the schemas declare is set in those objects, so the types cannot lag behind the schemas', () => {
  for (const kind of KINDS) {
    const used = new Set(EVERY_FIELD.filter((o) => o.kind === kind).flatMap((o) => valuePaths(o.spec, 'spec')));
    const missing = schemaPaths(specSchema(kind), 'spec').filter((p) => !used.has(p));
    assert.equal(missing, [], kind);
  }
});

test('the fleet file schema accepts a device with every field and reports bad ones with their path', () => {
  const device = {
    id: 'd1', macAddress: '00:11:22:33:44:55', deviceType: 'ipPhone', manufacturer: 'Yealink', model: 'T58', timeZone: 'Europe/Paris',
    displayName: 'Desk 1', serialNumber: 'S1', labels: { site: 'paris' }, online: true, activityState: 'idle', healthStatus: 'healthy',
    software: { firmware: '58.15.0.124', teamsClient: '1.0.96.22' },
  };
  assert.equal(fleetFileIssues({ devices: [device], releases: [EVERY_FIELD.find((o) => o.kind === 'SoftwareRelease')!.spec] }), []);
  const issues = fleetFileIssues({ devices: [{ ...device, deviceType: 'phone', software: { firmware: 'latest' } }], releases: [{}] });
  assert.equal(issues.map((i) => `${formatPath(i.path)}: ${i.message}`), [
    'devices[0].deviceType: "phone" is not allowed (did you mean ipPhone?); one of: ipPhone, lowCostPhone, teamsRoom, collaborationBar, teamsPanel, teamsDisplay, touchConsole, surfaceHub, sip',
    'devices[0].software.firmware: "latest" is not a version; write dotted numbers such as 58.15.0.124',
    'releases[0].component: is required',
    'releases[0].version: is required',
    'releases[0].releasedAt: is required',
    'releases[0].label: is required',
  ]);
});

test('a devices CSV with a BOM, CRLF line ends, quoted commas and blank lines reads with its line numbers', () => {
  const r = parseDevicesCsv('\ufeffmacAddress,location,user\r\n\r\n00:11:22:33:44:55,"Paris, desk 1",a@contoso.com\r\n"00-11-22-33-44-56",,\r\n');
  assert.equal(r, {
    rows: [
      { line: 3, macAddress: '00:11:22:33:44:55', location: 'Paris, desk 1', user: 'a@contoso.com' },
      { line: 4, macAddress: '00-11-22-33-44-56' },
    ],
    problems: [],
  });
});

test('a devices CSV header may name the columns in any order and case; a row without a MAC is reported', () => {
  const r = parseDevicesCsv('Location,MACADDRESS\nLobby,00:11:22:33:44:55\nNowhere,\n');
  assert.equal(r, {
    rows: [{ line: 2, macAddress: '00:11:22:33:44:55', location: 'Lobby' }],
    problems: [{ line: 3, column: 'macAddress', message: 'macAddress is empty' }],
  });
});

test('an unterminated quote in a devices CSV is one clear problem', () => {
  const r = parseDevicesCsv('macAddress,location\n00:11:22:33:44:55,"Paris\n');
  assert.equal(r.rows, []);
  assert.equal(r.problems.map((p) => p.line), [2]);
  assert.match(r.problems[0]!.message, /^not a readable CSV file: Quote Not Closed/);
});

test.run();
