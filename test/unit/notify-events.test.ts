// What each pass says is worth a message (controller/notify/events.ts), read from the pass's own result: the
// planner's reasons and release views, the provisioning statuses recorded. Fixed instants; no clock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deriveEvents } from '../../controller/notify/events.ts';
import type { ComponentPlan, DevicePlan, Plan, ReleasePlan } from '../../controller/planner/types.ts';
import type { PassFacts } from '../../controller/reconciler/reconciler.ts';
import type { ObjectStatus } from '../../controller/store/records.ts';

const AT = '2026-11-23T12:00:00.000Z';
const SHA = 'a'.repeat(40);

function device(id: string, reason: string, state: ComponentPlan['state'] = 'Held'): DevicePlan {
  return {
    id, group: 'phones', phase: 'General', ring: null, maintenanceWindow: 'nights',
    components: [{ component: 'firmware', currentVersion: '1.0.0.1', targetVersion: '1.0.0.2', state, reason, notBefore: null }],
  };
}
function facts(over: { devices?: DevicePlan[]; releases?: ReleasePlan[]; objects?: Record<string, ObjectStatus>; complete?: boolean; revision?: string } = {}): PassFacts {
  const plan: Plan = { at: AT, revision: over.revision ?? 'r1', operations: [], devices: over.devices ?? [], releases: over.releases ?? [], updatePaths: [], findings: [] };
  return { at: AT, plan, revision: { id: over.revision ?? 'r1', objects: [] }, objects: over.objects ?? {}, complete: over.complete ?? false };
}
const keys = (f: PassFacts) => deriveEvents(f).map((e) => `${e.key} ${e.severity} ${e.deviceCount}`);

test('stuck operations and missed windows are one event per release each, with their devices', () => {
  const f = facts({ devices: [device('p1', 'OperationTimedOut', 'Failed'), device('p2', 'OperationTimedOut', 'Failed'), device('p3', 'WindowMissed', 'Scheduled'), device('p4', 'UpToDate', 'UpToDate')] });
  assert.equal(keys(f), ['OperationsTimedOut/firmware/1.0.0.2 warning 2', 'WindowMissed/firmware/1.0.0.2 info 1']);
  assert.equal(deriveEvents(f)[0]!.devices, ['p1', 'p2']);
});

test('devices that rolled a release back are one error event about the release', () => {
  const rel: ReleasePlan = { component: 'firmware', version: '1.0.0.2', state: 'InProgress', stages: [], rolledBackDevices: ['p2', 'p1'] };
  const [e] = deriveEvents(facts({ releases: [rel] }));
  assert.equal([e!.key, e!.severity, e!.devices, e!.object], ['DevicesRolledBack/firmware/1.0.0.2', 'error', ['p1', 'p2'], 'FleetPolicy/default']);
});

test('provisioning: codes expiring within the horizon with the device not activated, and firmware too old, per batch', () => {
  const batch: ObjectStatus = {
    kind: 'ProvisioningBatch', name: 'lobby', conditions: [],
    devices: [
      { macAddress: 'AA-BB-CC-DD-EE-01', state: 'AwaitingActivation', codeExpiresAt: '2026-11-23T15:00:00.000Z' },
      { macAddress: 'AA-BB-CC-DD-EE-02', state: 'AwaitingActivation', codeExpiresAt: '2026-11-24T09:00:00.000Z' },
      { macAddress: 'AA-BB-CC-DD-EE-03', state: 'SignedIn', codeExpiresAt: '2026-11-23T13:00:00.000Z' },
      { macAddress: 'AA-BB-CC-DD-EE-04', state: 'FirmwareTooOld', requiredFirmware: '1.0.0.9' },
    ],
  };
  const events = deriveEvents(facts({ objects: { 'ProvisioningBatch/lobby': batch } }));
  assert.equal(events.map((e) => [e.key, e.object, e.devices]), [
    ['CodesExpiring/lobby/2026-11-23T15:00:00.000Z', 'ProvisioningBatch/lobby', ['AA-BB-CC-DD-EE-01']],
    ['FirmwareTooOld/lobby', 'ProvisioningBatch/lobby', ['AA-BB-CC-DD-EE-04']],
  ]);
  // A wider horizon (a rule's codesExpiringWithin) takes the second code too.
  assert.is(deriveEvents(facts({ objects: { 'ProvisioningBatch/lobby': batch } }), { codesExpiringWithinMs: 24 * 3_600_000 })[0]!.deviceCount, 2);
});

test('the commit status follows the revision: pending while rolling out, success once complete, failure with a paused release', () => {
  const status = (f: PassFacts) => deriveEvents(f).filter((e) => e.reason === 'RevisionStatus').map((e) => `${e.revision} ${e.state}`);
  assert.equal(status(facts({ revision: SHA })), [`${SHA} pending`]);
  assert.equal(status(facts({ revision: SHA, complete: true })), [`${SHA} success`]);
  const paused: ReleasePlan = { component: 'firmware', version: '1.0.0.2', state: 'Paused', stages: [], pause: { ring: 'Staging', threshold: 10, targeted: 4, failedDevices: ['p1'] } };
  assert.equal(status(facts({ revision: SHA, releases: [paused], complete: true })), [`${SHA} failure`]);
  assert.equal(status(facts({ revision: 'sha256:0123' })), [], 'a directory revision has no commit');
});

test.run();
