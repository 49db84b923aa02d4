// Rollbacks and health after an update (seed 001 test period; issue 9 item 4), and the outcome each plan
// state reads as (planner/outcomes.ts), table-driven against the pure planner.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DAY, NOW, aGroup, aPhase, aPhone, aRelease, aRing, aRoom, aSoftwareUpdate, alwaysOpen, anOperation, componentOf, config, fleet, hoursAgo, planAt,
} from '../support/builders.ts';
import type { DeviceOperation, FleetDevice } from '../../controller/api/types.ts';
import { componentOutcome, deviceOutcome } from '../../controller/planner/outcomes.ts';
import type { ComponentPlan } from '../../controller/planner/types.ts';
import { groupStatus } from '../../controller/reconciler/reconciler.ts';

const releases = [aRelease('firmware', '1.0.0.1', { daysAgo: 300 }), aRelease('firmware', '1.0.0.2', { daysAgo: 60 })];
const succeeded = (id: string, hAgo: number, o: Partial<DeviceOperation> = {}) =>
  anOperation(id, 'firmware', '1.0.0.2', { status: 'successful', fromVersion: '1.0.0.1', createdAt: hoursAgo(hAgo + 0.5), startedAt: hoursAgo(hAgo + 0.5), completedAt: hoursAgo(hAgo), ...o });

function phones(ops: DeviceOperation[], extra: Parameters<typeof config> = [], rel = releases) {
  const objs = [alwaysOpen(), aPhase('General', { rolloutDuration: '0d' }), aGroup('all', { updatePhase: 'General', maintenanceWindow: 'always' }), ...extra];
  return planAt(config(...objs), fleet([aPhone({ id: 'p', software: { firmware: '1.0.0.1' } })], rel, ops));
}

test('a device reporting its old version after a successful update is held as rolled back, and said so', () => {
  const p = phones([succeeded('p', 3)]);
  const c = componentOf(p, 'p', 'firmware');
  assert.equal([c.state, c.reason, c.targetVersion, c.notBefore], ['Held', 'RolledBack', '1.0.0.2', null]);
  assert.match(c.message!, /the update to 1\.0\.0\.2 succeeded .* but the device reports 1\.0\.0\.1: rolled back; not issued again until a person acts/);
  assert.is(p.operations.length, 0);
  assert.ok(p.findings.some((f) => f.code === 'DevicesRolledBack' && /1 device rolled back/.test(f.message)));
  assert.is(deviceOutcome(p.devices[0]!), 'rolledBack');
});

test('a newer release supersedes the rolled-back one: the device is updated to it', () => {
  const p = phones([succeeded('p', 3)], [], [...releases, aRelease('firmware', '1.0.0.3', { daysAgo: 40 })]);
  const c = componentOf(p, 'p', 'firmware');
  assert.equal([c.state, c.targetVersion], ['Due', '1.0.0.3']);
});

test('a device that moved on after the success, or whose later update failed, is not a rollback', () => {
  const moved = planAt(config(alwaysOpen(), aPhase('General', { rolloutDuration: '0d' }), aGroup('all', { updatePhase: 'General', maintenanceWindow: 'always' })),
    fleet([aPhone({ id: 'p', software: { firmware: '1.0.0.2' } })], releases, [succeeded('p', 3)]));
  assert.is(componentOf(moved, 'p', 'firmware').state, 'UpToDate');
  const later = anOperation('p', 'firmware', '1.0.0.2', { status: 'failed', createdAt: hoursAgo(2), completedAt: hoursAgo(1.5) });
  assert.is.not(componentOf(phones([succeeded('p', 3), later]), 'p', 'firmware').reason, 'RolledBack');
});

test('a SoftwareUpdate is the person acting: issued once after a rollback, held when its own operation is rolled back', () => {
  const su = (created: string) => aSoftwareUpdate('retry-p', { target: { devices: ['p'] }, component: 'firmware', version: '1.0.0.2' }, created);
  const before = phones([succeeded('p', 3)], [su(hoursAgo(1))]);
  assert.equal([componentOf(before, 'p', 'firmware').state, before.operations.length], ['Due', 1]);
  const after = phones([succeeded('p', 3)], [su(hoursAgo(10))]);
  const c = componentOf(after, 'p', 'firmware');
  assert.equal([c.state, c.reason], ['Held', 'RolledBack']);
  assert.match(c.message!, /rolled 1\.0\.0\.2 back again after this SoftwareUpdate's operation/);
  // Without a creation time: the second rollback of the version is the SoftwareUpdate's.
  const undated = aSoftwareUpdate('retry-p', { target: { devices: ['p'] }, component: 'firmware', version: '1.0.0.2' });
  assert.is(componentOf(phones([succeeded('p', 3)], [undated]), 'p', 'firmware').state, 'Due');
  assert.is(componentOf(phones([succeeded('p', 30, { rolledBackAt: hoursAgo(20) }), succeeded('p', 3)], [undated]), 'p', 'firmware').state, 'Held');
});

// ---- rings: rollbacks and poor health count against the threshold -------------------------------------

const roomReleases = [aRelease('firmware', '1.0.0.1', { daysAgo: 300 }), aRelease('firmware', '1.0.0.2', { at: new Date(NOW.getTime() - 2 * DAY).toISOString(), critical: true })];
function rooms(devices: FleetDevice[], ops: DeviceOperation[], now: Date = NOW) {
  const objs = [
    alwaysOpen(),
    aRing('Staging', { order: 1, rolloutDuration: '1h', testPeriod: '1d', failureThreshold: 10 }),
    aRing('General', { order: 2, rolloutDuration: '1h', testPeriod: '1d' }),
    aGroup('staging', { selector: { devices: ['s1', 's2'] }, ring: 'Staging', maintenanceWindow: 'always', priority: 1 }),
    aGroup('general', { selector: { devices: ['g1'] }, ring: 'General', maintenanceWindow: 'always' }),
  ];
  return planAt(config(...objs), fleet(devices, roomReleases, ops), now);
}
const room = (id: string, version: string, over: Partial<FleetDevice> = {}) => aRoom({ id, software: { firmware: version }, ...over });

test('a rollback in a ring counts against its failure threshold and pauses the release there', () => {
  const p = rooms([room('s1', '1.0.0.2'), room('s2', '1.0.0.1'), room('g1', '1.0.0.1')], [succeeded('s2', 20)]);
  const rel = p.releases.find((r) => r.version === '1.0.0.2')!;
  assert.is(rel.state, 'Paused');
  assert.equal(rel.pause, { ring: 'Staging', threshold: 10, targeted: 2, failedDevices: ['s2'] });
  assert.equal(rel.rolledBackDevices, ['s2']);
  assert.is(componentOf(p, 'g1', 'firmware').reason, 'ReleasePaused');
});

test('rooms held after their retries under a paused release: the group says the release is paused, and where', () => {
  const failed = (id: string, h: number) => anOperation(id, 'firmware', '1.0.0.2', { status: 'failed', createdAt: hoursAgo(h + 0.5), completedAt: hoursAgo(h) });
  const p = rooms([room('s1', '1.0.0.1'), room('s2', '1.0.0.1'), room('g1', '1.0.0.1')], [failed('s1', 30), failed('s1', 20), failed('s1', 10)]);
  assert.equal([componentOf(p, 's1', 'firmware').state, componentOf(p, 's1', 'firmware').reason], ['Held', 'FailureHold']);
  const g = groupStatus(p, 'staging', new Set());
  assert.equal([g.fields.held, g.fields.paused, g.condition.reason, g.condition.stalled], [2, 2, 'ReleasePaused', true]);
  assert.match(g.condition.message, /^2 device\(s\) held by a paused release: s1, s2\. firmware 1\.0\.0\.2 is paused in ring Staging: 1 of 2 targeted devices failed, above its failure threshold of 10% \(s1\); see the releases in `fleetward status`/);
  assert.is(groupStatus(p, 'general', new Set()).condition.reason, 'ReleasePaused', 'the later ring is held by it too');
});

const offline = { online: false, activityState: 'offline' as const };
const cases: [string, Partial<FleetDevice>, Partial<DeviceOperation>, number, string, string][] = [
  ['offline 6 h after its update, inside the 1-day test period', offline, {}, 6, 'Failed', 'UnhealthyAfterUpdate'],
  ['healthStatus critical inside the test period', { healthStatus: 'critical' }, {}, 6, 'Failed', 'UnhealthyAfterUpdate'],
  ['healthy inside the test period', {}, {}, 6, 'UpToDate', 'UpToDate'],
  ['offline, but only after the test period ended', offline, {}, 30, 'UpToDate', 'UpToDate'],
  ['offline since it was seen so inside the test period (recorded)', offline, { unhealthyAfter: hoursAgo(20) }, 30, 'Failed', 'UnhealthyAfterUpdate'],
  ['back online after it was seen offline inside the test period', {}, { unhealthyAfter: hoursAgo(20) }, 30, 'UpToDate', 'UpToDate'],
];
for (const [name, health, op, hAgo, state, reason] of cases) {
  test(`a room ${name}: ${state}`, () => {
    const p = rooms([room('s1', '1.0.0.2', health), room('s2', '1.0.0.2'), room('g1', '1.0.0.1')], [succeeded('s1', hAgo, op)]);
    const c = componentOf(p, 's1', 'firmware');
    assert.equal([c.state, c.reason], [state, reason]);
    const rel = p.releases.find((r) => r.version === '1.0.0.2')!;
    assert.is(rel.state === 'Paused', state === 'Failed', 'a failure pauses the release (1 of 2 > 10%)');
    if (state === 'Failed') {
      assert.match(c.message!, /within ring Staging's test period after the update to 1\.0\.0\.2/);
      assert.is(componentOf(p, 'g1', 'firmware').reason, 'ReleasePaused');
    }
  });
}

test('a phone has no test period: offline after its update it is still updated', () => {
  const objs = [alwaysOpen(), aPhase('General', { rolloutDuration: '0d' }), aGroup('all', { updatePhase: 'General', maintenanceWindow: 'always' })];
  const p = planAt(config(...objs), fleet([aPhone({ id: 'p', software: { firmware: '1.0.0.2' }, ...offline })], releases, [succeeded('p', 1)]));
  assert.is(componentOf(p, 'p', 'firmware').state, 'UpToDate');
});

// ---- the outcome of each plan state -------------------------------------------------------------------

const comp = (state: ComponentPlan['state'], reason: string): ComponentPlan =>
  ({ component: 'firmware', currentVersion: '1', targetVersion: '2', state, reason, notBefore: null });
const table: [ComponentPlan['state'], string, string][] = [
  ['UpToDate', 'UpToDate', 'updated'],
  ['Blocked', 'ManualOnlyComponent', 'updated'],
  ['Blocked', 'AutoUpdateDisabled', 'updated'],
  ['Blocked', 'ReleaseBlocked', 'updated'],
  ['Blocked', 'PreviewManualOnly', 'updated'],
  ['Due', 'PhaseRollout', 'waiting'],
  ['Scheduled', 'OutsideWindow', 'waiting'],
  ['Scheduled', 'WindowMissed', 'windowMissed'],
  ['InProgress', 'OperationInFlight', 'inProgress'],
  ['Failed', 'RetryBackoff', 'failed'],
  ['Failed', 'RetriesExhausted', 'failed'],
  ['Failed', 'UnhealthyAfterUpdate', 'failed'],
  ['Failed', 'ReleasePaused', 'failed'],
  ['Held', 'FailureHold', 'held'],
  ['Held', 'RolledBack', 'rolledBack'],
  ['Blocked', 'ReleasePaused', 'held'],
  ['Blocked', 'UnknownVersion', 'held'],
  ['Blocked', 'GroupSuspended', 'held'],
];
for (const [state, reason, outcome] of table) {
  test(`a component ${state} / ${reason} reads ${outcome}`, () => assert.is(componentOutcome(comp(state, reason)), outcome));
}

test('a device takes the most serious outcome of its components; an update in flight outranks waiting, never a failure', () => {
  const d = (...c: ComponentPlan[]) => ({ id: 'x', group: null, phase: null, ring: null, maintenanceWindow: 'w', components: c });
  assert.is(deviceOutcome(d(comp('UpToDate', 'UpToDate'), comp('Held', 'FailureHold'))), 'held');
  assert.is(deviceOutcome(d(comp('Failed', 'RetryBackoff'), comp('Held', 'RolledBack'))), 'rolledBack');
  assert.is(deviceOutcome(d(comp('Due', 'PhaseRollout')), true), 'inProgress');
  assert.is(deviceOutcome(d(comp('Failed', 'RetryBackoff')), true), 'failed');
  assert.is(deviceOutcome(d()), 'updated');
});

test.run();
