// Every kind's status is bounded whatever the fleet's size (issue 16.3): at 100,000 devices, every one of them
// failed, held or awaiting something, each status a person reads on the object stays under a fixed byte bound —
// counts, a capped list of examples, a pointer to `fleetward status` / `fleetward provision status` for the rest.
// Device ids are as long as the schema allows (253 characters), the worst case for the capped lists.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { objectStatuses } from '../../controller/reconciler/reconciler.ts';
import { LISTED_PROVISIONING_DEVICES, toResourceStatus } from '../../controller/provisioning/status.ts';
import { countStates } from '../../controller/provisioning/status.ts';
import type { FleetwardObject, Revision } from '../../controller/api/types.ts';
import type { DevicePlan, Plan, ReleasePlan } from '../../controller/planner/types.ts';
import type { ProvisioningBatchStatus, ProvisioningDeviceStatus, ProvisioningState } from '../../controller/store/records.ts';

const DEVICES = 100_000;
/** Far below etcd's 1.5 MiB request limit, with room for the conditions and metadata of the object. */
const BOUND = 256 * 1024;
const AT = '2026-11-23T09:00:00Z';
const id = (i: number): string => `room-${String(i).padStart(6, '0')}-`.padEnd(253, 'x');
const ids = Array.from({ length: DEVICES }, (_, i) => id(i));

function aPlan(): Plan {
  const states = ['Failed', 'Held', 'Due'] as const;
  const devices: DevicePlan[] = ids.map((deviceId, i) => ({
    id: deviceId, group: 'desks', phase: i % 2 ? 'General' : null, ring: i % 2 ? null : 'General', maintenanceWindow: 'default',
    components: [{ component: 'firmware', currentVersion: '58.14.0.1', targetVersion: '58.15.0.124', state: states[i % 3]!, reason: 'RetryBackoff', notBefore: AT, softwareUpdate: 'all-firmware' }],
  }));
  const release: ReleasePlan = {
    component: 'firmware', version: '58.15.0.124', state: 'Paused', reason: 'ReleasePaused', startsAt: AT, endsAt: AT,
    stages: [{ name: 'General', kind: 'ring', startsAt: AT, endsAt: AT, state: 'Paused', devices: DEVICES, updated: 0, failed: DEVICES / 2 }],
    failedDevices: ids, heldDevices: ids, rolledBackDevices: ids,
    pause: { ring: 'General', threshold: 10, targeted: DEVICES, failedDevices: ids },
  };
  return {
    at: AT, revision: 'r1', operations: [], devices, releases: [release], updatePaths: [],
    autoUpdatesPause: { pausedAt: AT, resumeAt: '2026-12-08T09:00:00Z' }, findings: [],
  };
}

const meta = (name: string) => ({ name, generation: 1 });
const OBJECTS = [
  { apiVersion: 'fleetward.dev/v1alpha1', kind: 'DeviceGroup', metadata: meta('desks'), spec: { selector: {}, ring: 'General' } },
  { apiVersion: 'fleetward.dev/v1alpha1', kind: 'Ring', metadata: meta('General'), spec: { order: 2 } },
  { apiVersion: 'fleetward.dev/v1alpha1', kind: 'UpdatePhase', metadata: meta('General'), spec: {} },
  { apiVersion: 'fleetward.dev/v1alpha1', kind: 'MaintenanceWindow', metadata: meta('nights'), spec: { start: '01:00', end: '05:00' } },
  { apiVersion: 'fleetward.dev/v1alpha1', kind: 'SoftwareRelease', metadata: meta('fw-58-15'), spec: { component: 'firmware', version: '58.15.0.124', releasedAt: AT, label: 'verified' } },
  { apiVersion: 'fleetward.dev/v1alpha1', kind: 'SoftwareUpdate', metadata: meta('all-firmware'), spec: { target: { group: 'desks' }, component: 'firmware', version: 'latest', schedule: 'now' } },
  { apiVersion: 'fleetward.dev/v1alpha1', kind: 'FleetPolicy', metadata: meta('default'), spec: { autoUpdates: { pausedAt: AT } } },
  { apiVersion: 'fleetward.dev/v1alpha1', kind: 'ProvisioningBatch', metadata: meta('campus'), spec: { devices: [] } },
] as unknown as FleetwardObject[];

function aBatch(): ProvisioningBatchStatus {
  const states: ProvisioningState[] = ['AwaitingActivation', 'AwaitingSignIn', 'SignedIn', 'FirmwareTooOld', 'LockedOut', 'Expired'];
  const devices: ProvisioningDeviceStatus[] = ids.map((_, i) => ({
    macAddress: `44-DB-D2-${[i >> 16, (i >> 8) & 0xff, i & 0xff].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('-')}`,
    state: states[i % states.length]!, location: `Building ${i % 40}, floor ${i % 12}, desk ${i}`, user: `user${i}@contoso.com`, source: `desks.csv:${i + 2}`,
    codeHash: 'scrypt$4096$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
    codeIssuedAt: AT, codeExpiresAt: '2026-11-24T09:00:00Z', codesIssued: 1, model: 'T58', manufacturer: 'Yealink', firmwareVersion: '58.14.0.1',
    message: 'Yealink T58 needs firmware 58.15.0.124 or newer; it runs 58.14.0.1',
  }));
  return { batch: 'campus', counts: countStates(devices), devices };
}

test('at 100,000 devices every kind\'s status stays under 256 KiB, its counts exact', () => {
  const plan = aPlan();
  const revision: Revision = { id: 'r1', objects: OBJECTS };
  const statuses = objectStatuses({}, plan, revision, AT, new Set());
  const batch = aBatch();
  // The reconciler puts the batch's provisioning status beside its conditions (reconciler.ts #withProvisioning).
  Object.assign(statuses['ProvisioningBatch/campus']!, toResourceStatus(batch));
  const sizes: Record<string, number> = {};
  for (const [key, status] of Object.entries(statuses)) {
    sizes[key] = JSON.stringify(status).length;
    assert.ok(sizes[key]! < BOUND, `${key}: ${sizes[key]} bytes`);
  }
  assert.equal(Object.keys(sizes).sort(), OBJECTS.map((o) => `${o.kind}/${o.metadata.name}`).sort(), 'every kind is measured');
  process.stdout.write(`\n  ${JSON.stringify({ devices: DEVICES, statusBytes: sizes, provisioningBatchBefore: JSON.stringify(batch.devices).length })}\n`);

  const group = statuses['DeviceGroup/desks'] as unknown as { devices: number; failed: number; held: number; failedDevices: string[] };
  assert.equal([group.devices, group.failed + group.held], [DEVICES, Math.ceil((2 * DEVICES) / 3)]);
  assert.is(group.failedDevices.length, 100, 'at most 100 ids listed; the counts say how many');
  assert.is((group as unknown as { details: string }).details, 'every device: fleetward status (or the console)');
  const release = statuses['SoftwareRelease/fw-58-15'] as unknown as { failed: number; failedDevices: string[]; details: string };
  assert.equal([release.failed, release.failedDevices.length, release.details], [DEVICES, 100, 'every device: fleetward status (or the console)']);
  const provisioning = statuses['ProvisioningBatch/campus'] as unknown as ReturnType<typeof toResourceStatus>;
  assert.equal([provisioning.total, provisioning.devices.length, provisioning.moreDevices], [DEVICES, LISTED_PROVISIONING_DEVICES, DEVICES - LISTED_PROVISIONING_DEVICES]);
  assert.is(provisioning.details, 'every device: fleetward provision status campus (or the console)');
});

test('the batch status names the devices that need a person first, then in the batch\'s order, and never a code or its verifier', () => {
  const batch = aBatch();
  const status = toResourceStatus(batch);
  assert.ok(status.devices.every((d) => d.state === 'FirmwareTooOld'), 'FirmwareTooOld needs someone to update the firmware: named first');
  const positions = status.devices.map((d) => batch.devices.findIndex((x) => x.macAddress === d.macAddress));
  assert.equal(positions, [...positions].sort((a, b) => a - b), 'in the batch\'s order');
  assert.not.ok(JSON.stringify(status).includes('scrypt$'), 'no verifier in the object');
  assert.is(Object.values(status.counts).reduce((a, b) => a + b, 0), DEVICES);
});

test.run();
