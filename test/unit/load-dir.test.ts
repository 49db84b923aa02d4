// Loading a config directory: recursive, multi-document, content-hashed revision ids, symlinks that
// escape the directory refused; and validateObjects, the same checks for objects from Kubernetes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aBatch, aGroup, aRing, aWindow, assertRefused, inConfigDir, yamlOf } from '../support/config.ts';
import { formatConfigError, loadConfigDir, validateObjects } from '../../controller/sources/load.ts';

/** The test, on a temporary config directory holding `files`. */
const withDir = (files: Record<string, string>, fn: (dir: string) => Promise<void>) => () => inConfigDir(files, fn);

const CONFIG = {
  'groups/phones.yaml': yamlOf(aGroup('phones', { maintenanceWindow: 'sunday' }), aGroup('lobby', { updatePhase: 'Validation' })),
  'windows/sunday.yml': `---\n${yamlOf(aWindow('sunday', '01:00', '05:00'))}---\n`,
  'batches/b.yaml': yamlOf(aBatch('b', { devicesFile: 'batches/b.csv' })),
  'batches/b.csv': 'macAddress\n00:11:22:33:44:55\n',
};

test('every YAML document of every file, recursively, is loaded; empty documents are skipped', withDir(CONFIG, async (dir) => {
  const r = await loadConfigDir(dir);
  assert.equal(r.ok ? r.revision.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort() : r.errors.map(formatConfigError),
    ['DeviceGroup/lobby', 'DeviceGroup/phones', 'MaintenanceWindow/sunday', 'ProvisioningBatch/b']);
  assert.equal(r.ok && r.revision.provisioningDevices, { b: [{ macAddress: '00-11-22-33-44-55', source: `${join(dir, 'batches/b.csv')}:2` }] });
}));

test('the revision id is a content hash: the same files give the same id, a changed CSV a new one', withDir(CONFIG, async (dir) => {
  const a = await loadConfigDir(dir);
  const b = await loadConfigDir(dir);
  assert.ok(a.ok && b.ok);
  const id = a.ok ? a.revision.id : '';
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  assert.is(b.ok && b.revision.id, id);
  writeFileSync(join(dir, 'batches/b.csv'), 'macAddress\n00:11:22:33:44:56\n');
  const c = await loadConfigDir(dir);
  assert.ok(c.ok && c.revision.id !== id);
}));

test('errors name the file as the user wrote the directory, with the line of the field', withDir({
  'rings/r.yaml': yamlOf(aRing('pilot', { order: 4, rolloutDuration: '5 days' })),
}, async (dir) => {
  assertRefused(await loadConfigDir(dir), [
    `${join(dir, 'rings/r.yaml')}:7: Ring/pilot spec.rolloutDuration: "5 days" is not a duration; write days, hours, minutes, seconds such as 30d, 12h, 90m or 1d12h`,
  ]);
}));

test('a devicesFile that is a symlink leading outside the config directory is refused', async () => {
  const outside = mkdtempSync(join(tmpdir(), 'fw-outside-'));
  try {
    writeFileSync(join(outside, 'secret.csv'), 'macAddress\n00:11:22:33:44:55\n');
    await withDir({ 'b.yaml': yamlOf(aBatch('b', { devicesFile: 'devices.csv' })) }, async (dir) => {
      symlinkSync(join(outside, 'secret.csv'), join(dir, 'devices.csv'));
      assertRefused(await loadConfigDir(dir), [
        `${join(dir, 'b.yaml')}:6: ProvisioningBatch/b spec.devicesFile: "devices.csv" is a symlink that leads outside the config directory; a devicesFile must stay inside it`,
      ]);
    })();
  } finally {
    rmSync(outside, { recursive: true, force: true });
  }
});

test('a devicesFile symlink that stays inside the config directory is followed', withDir({
  'b.yaml': yamlOf(aBatch('b', { devicesFile: 'current.csv' })),
  'lists/2026-11.csv': 'macAddress\n00:11:22:33:44:55\n',
}, async (dir) => {
  symlinkSync('lists/2026-11.csv', join(dir, 'current.csv'));
  const r = await loadConfigDir(dir);
  assert.equal(r.ok ? r.revision.provisioningDevices?.b?.map((d) => d.macAddress) : r.errors, ['00-11-22-33-44-55']);
}));

test('a YAML symlink leading outside the config directory is refused and not read', async () => {
  const outside = mkdtempSync(join(tmpdir(), 'fw-outside-'));
  try {
    writeFileSync(join(outside, 'x.yaml'), yamlOf(aGroup('outsider')));
    await withDir({ 'g.yaml': yamlOf(aGroup('phones')) }, async (dir) => {
      symlinkSync(join(outside, 'x.yaml'), join(dir, 'x.yaml'));
      assertRefused(await loadConfigDir(dir), [
        `${join(dir, 'x.yaml')}: is a symlink that leads outside the config directory (or nowhere); it was not read`,
      ]);
    })();
  } finally {
    rmSync(outside, { recursive: true, force: true });
  }
});

test('a directory that does not exist is one clear error', async () => {
  assertRefused(await loadConfigDir('/nonexistent/fleetward-config'), ['/nonexistent/fleetward-config: no such directory']);
});

test('validateObjects applies the same schema and rules to objects from Kubernetes, without file or line', () => {
  const errors = validateObjects([
    aGroup('phones', { ring: 'Missing' }),
    aWindow('short', '01:00', '02:00'),
    aWindow('ok', '01:00', '04:00'),
    { apiVersion: 'fleetward.dev/v1alpha1', kind: 'Nope', metadata: { name: 'x' } },
  ]);
  assert.equal(errors.map(formatConfigError), [
    'kind: unknown kind "Nope"; known kinds: DeviceGroup, UpdatePhase, Ring, MaintenanceWindow, ProvisioningBatch, SoftwareUpdate, FleetPolicy, SoftwareRelease, NotificationProvider, NotificationRule, DeviceInventory',
    'DeviceGroup/phones spec.ring: Ring "Missing" does not exist; declared or built in: Staging, General, Executive',
    'MaintenanceWindow/short spec.end: the window 01:00–02:00 lasts 1h; a maintenance window must last at least 3 hours (seed 000)',
  ]);
  assert.ok(errors.every((e) => e.file === '' && e.line === 0));
  assert.equal(validateObjects([aGroup('phones'), aWindow('ok', '01:00', '04:00')]), []);
});

test('server-managed metadata and status from Kubernetes do not make an object invalid', () => {
  const fromServer = {
    ...aGroup('phones'),
    metadata: { name: 'phones', namespace: 'fleet', uid: 'u1', resourceVersion: '42', generation: 3, creationTimestamp: null, managedFields: [{ manager: 'kubectl' }], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
    status: { conditions: [], observedGeneration: 2 },
  };
  assert.equal(validateObjects([fromServer]), []);
});

test.run();
