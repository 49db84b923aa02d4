// Failures (seed 000 FAQ "updates are automatically retried"; seed 001 "Retry all failed"; seed 003
// 409): in-flight operations, retries with backoff, the in-progress timeout, the per-device hold.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  HOUR, NOW, aGroup, aPhase, aPhone, aPolicy, aRelease, aSoftwareUpdate, alwaysOpen, anOperation, componentOf, config, fleet, hoursAgo, planAt,
} from '../support/builders.ts';
import type { DeviceOperation, FleetPolicySpec } from '../../controller/api/types.ts';

const releases = [aRelease('firmware', '1.0.0.1'), aRelease('firmware', '1.0.0.2', { daysAgo: 60 })];
const objs = [alwaysOpen(), aPhase('General', { rolloutDuration: '0d' }), aGroup('all', { updatePhase: 'General', maintenanceWindow: 'always' })];
function run(ops: DeviceOperation[], policy?: FleetPolicySpec, ...extra: Parameters<typeof config>) {
  const p = planAt(config(...objs, ...(policy ? [aPolicy(policy)] : []), ...extra), fleet([aPhone({ id: 'p', software: { firmware: '1.0.0.1' } })], releases, ops));
  return { p, c: componentOf(p, 'p', 'firmware') };
}
const failed = (hAgo: number, to = '1.0.0.2') => anOperation('p', 'firmware', to, { status: 'failed', createdAt: hoursAgo(hAgo + 0.5), completedAt: hoursAgo(hAgo) });
const at = (msFromNow: number) => new Date(NOW.getTime() + msFromNow).toISOString();

for (const status of ['queued', 'scheduled', 'inProgress'] as const) {
  test(`an operation ${status} at the driver is InProgress and never planned again`, () => {
    const { p, c } = run([anOperation('p', 'firmware', '1.0.0.2', { status, createdAt: hoursAgo(1), startedAt: hoursAgo(1) })]);
    assert.equal([c.state, c.reason, c.targetVersion, c.notBefore], ['InProgress', 'OperationInFlight', '1.0.0.2', null]);
    assert.is(p.operations.length, 0);
  });
}

// Default retry policy: backoff 30m doubling, at most 12h, 3 attempts (controller/api/builtins.ts).
const backoffs: [string, DeviceOperation[], FleetPolicySpec | undefined, string, string][] = [
  ['a failed attempt is retried after the backoff', [failed(0.1)], undefined, 'Failed', at(-0.1 * HOUR + 0.5 * HOUR)],
  ['the backoff doubles with each failed attempt', [failed(3), failed(0.1)], undefined, 'Failed', at(-0.1 * HOUR + HOUR)],
  ['the backoff never exceeds maxBackoff', [failed(3), failed(0.1)], { retry: { backoff: '10h', maxBackoff: '12h', maxAttempts: 5 } }, 'Failed', at(-0.1 * HOUR + 12 * HOUR)],
  ['once the backoff has passed the retry is due', [failed(2)], undefined, 'Due', NOW.toISOString()],
];
for (const [name, ops, policy, state, notBefore] of backoffs) {
  test(name, () => {
    const { p, c } = run(ops, policy);
    assert.equal([c.state, c.notBefore], [state, notBefore]);
    if (state === 'Failed') { assert.is(c.reason, 'RetryBackoff'); assert.is(p.operations.length, 0); }
    else { assert.is(c.reason, 'RetryAfterFailure'); assert.is(p.operations.length, 1); }
  });
}

test('after maxAttempts failures of the same hop the device is held and reported', () => {
  const { p, c } = run([failed(30), failed(20), failed(10)]);
  assert.equal([c.state, c.reason, c.targetVersion, c.notBefore], ['Held', 'FailureHold', '1.0.0.2', null]);
  assert.is(p.operations.length, 0);
  assert.ok(p.findings.some((f) => f.code === 'DevicesHeld' && f.message === 'firmware 1.0.0.1 → 1.0.0.2 (Yealink MP56) failed 3 times: 1 device held until a person acts (a SoftwareUpdate or a newer release)'));
});

test('FleetPolicy.retry.maxAttempts sets how many failures hold a device', () => {
  assert.is(run([failed(30), failed(20), failed(10)], { retry: { maxAttempts: 5 } }).c.state, 'Due');
  assert.is(run([failed(30)], { retry: { maxAttempts: 1 } }).c.state, 'Held');
});

test('a held device stays held however much time passes', () => {
  const p = planAt(config(...objs), fleet([aPhone({ id: 'p', software: { firmware: '1.0.0.1' } })], releases, [failed(30), failed(20), failed(10)]), new Date(NOW.getTime() + 90 * 24 * HOUR));
  assert.is(componentOf(p, 'p', 'firmware').state, 'Held');
});

test('a SoftwareUpdate (a person acting) releases a held device', () => {
  const { c } = run([failed(30), failed(20), failed(10)], undefined, aSoftwareUpdate('retry', { target: { devices: ['p'] }, component: 'firmware', version: '1.0.0.2' }));
  assert.equal([c.state, c.reason], ['Due', 'ManualUpdate']);
});

test('a manual update that keeps failing is Failed once its own attempts are spent', () => {
  const su = aSoftwareUpdate('retry', { target: { devices: ['p'] }, component: 'firmware', version: '1.0.0.2' }, hoursAgo(40));
  const { c } = run([failed(30), failed(20), failed(10)], undefined, su);
  assert.equal([c.state, c.reason], ['Failed', 'RetriesExhausted']);
});

test('a SoftwareUpdate whose attempts are spent gets fresh ones from its fleetward.dev/attempts-since annotation', () => {
  const su = aSoftwareUpdate('retry', { target: { devices: ['p'] }, component: 'firmware', version: '1.0.0.2' }, hoursAgo(40));
  const rearmed = { ...su, metadata: { ...su.metadata, annotations: { 'fleetward.dev/attempts-since': hoursAgo(5) } } };
  const { c } = run([failed(30), failed(20), failed(10)], undefined, rearmed);
  assert.equal([c.state, c.reason], ['Due', 'ManualUpdate']);
  // Failures after it count again; an annotation older than the creation changes nothing.
  assert.equal(run([failed(30), failed(20), failed(4), failed(3), failed(2)], undefined, rearmed).c.reason, 'RetriesExhausted');
  const older = { ...su, metadata: { ...su.metadata, annotations: { 'fleetward.dev/attempts-since': hoursAgo(50) } } };
  assert.equal(run([failed(30), failed(20), failed(10)], undefined, older).c.reason, 'RetriesExhausted');
});

test('a newer release (a new hop) releases a held device', () => {
  const p = planAt(config(...objs), fleet([aPhone({ id: 'p', software: { firmware: '1.0.0.1' } })], [...releases, aRelease('firmware', '1.0.0.3', { daysAgo: 40 })], [failed(30), failed(20), failed(10)]));
  const c = componentOf(p, 'p', 'firmware');
  assert.equal([c.state, c.targetVersion], ['Due', '1.0.0.3']);
});

test('an operation in progress past operationTimeout counts as failed and does not stall the device', () => {
  const hung = anOperation('p', 'firmware', '1.0.0.2', { status: 'inProgress', createdAt: hoursAgo(5), startedAt: hoursAgo(5) });
  const { c } = run([hung]);
  // timed out at started + 4h = 1h ago; first backoff 30m has passed.
  assert.equal([c.state, c.reason], ['Due', 'RetryAfterFailure']);
  const { c: c2 } = run([hung], { operationTimeout: '4h50m' });
  assert.equal([c2.state, c2.reason, c2.notBefore], ['Failed', 'OperationTimedOut', at(-5 * HOUR + (4 * 60 + 50 + 30) * 60_000)]);
});

test('an operation queued past operationTimeout without starting counts as failed too (not InProgress forever)', () => {
  const stuck = anOperation('p', 'firmware', '1.0.0.2', { status: 'queued', createdAt: hoursAgo(10 * 24) });
  const { c } = run([stuck]);
  assert.equal([c.state, c.reason], ['Due', 'RetryAfterFailure']);
  // Timed out 4h after it was queued; with a long backoff the retry still waits, and says why.
  const { c: c2 } = run([stuck], { retry: { backoff: '300h', maxBackoff: '300h', maxAttempts: 3 } });
  assert.equal([c2.state, c2.reason, c2.notBefore], ['Failed', 'OperationTimedOut', at(-240 * HOUR + 304 * HOUR)]);
  const scheduled = anOperation('p', 'firmware', '1.0.0.2', { status: 'scheduled', createdAt: hoursAgo(5) });
  assert.is(run([scheduled]).c.reason, 'RetryAfterFailure');
});

test('after a WindowMissed cancellation the update waits for the next window and says why', () => {
  const missed = anOperation('p', 'firmware', '1.0.0.2', {
    id: 'op-7', status: 'cancelled', createdAt: hoursAgo(30), completedAt: hoursAgo(29), error: { code: 'WindowMissed', message: 'not started in its window' },
  });
  const p = planAt(config(aPhase('General', { rolloutDuration: '0d' })), fleet([aPhone({ id: 'p', software: { firmware: '1.0.0.1' } })], releases, [missed]));
  const c = componentOf(p, 'p', 'firmware');
  assert.equal([c.state, c.reason, c.notBefore], ['Scheduled', 'WindowMissed', '2026-11-22T01:00:00.000Z']);
  assert.is(c.message, `operation op-7 had not started when its window ended at ${hoursAgo(29)} and was cancelled; planned again for the next window`);
  // Once a later attempt exists, the miss is history.
  const later = anOperation('p', 'firmware', '1.0.0.2', { status: 'failed', createdAt: hoursAgo(5), completedAt: hoursAgo(5) });
  const p2 = planAt(config(aPhase('General', { rolloutDuration: '0d' })), fleet([aPhone({ id: 'p', software: { firmware: '1.0.0.1' } })], releases, [missed, later]));
  assert.is(componentOf(p2, 'p', 'firmware').reason, 'OutsideWindow');
});

test('operations cancelled because their window ended are no failures: three of them hold nothing', () => {
  const missed = (h: number) => anOperation('p', 'firmware', '1.0.0.2', {
    status: 'cancelled', createdAt: hoursAgo(h + 1), completedAt: hoursAgo(h), error: { code: 'WindowMissed', message: 'the update had not started when its maintenance window ended' },
  });
  const { p, c } = run([missed(72), missed(48), missed(24)]);
  assert.equal([c.state, c.reason], ['Due', 'PhaseRollout']);
  assert.is(p.operations.length, 1);
});

test('three hung operations hold the device like three failures', () => {
  const hung = (h: number) => anOperation('p', 'firmware', '1.0.0.2', { status: 'inProgress', createdAt: hoursAgo(h), startedAt: hoursAgo(h) });
  assert.is(run([hung(30), hung(20), hung(10)]).c.state, 'Held');
});

test('a success ends the run of failures of that hop', () => {
  const ok = anOperation('p', 'firmware', '1.0.0.2', { status: 'successful', createdAt: hoursAgo(5) });
  // Two older failures no longer count: the device is not held for them. It reports 1.0.0.1 after the
  // success, though: it rolled back, which holds the hop until a person acts (not FailureHold).
  const { c } = run([failed(30), failed(20), ok]);
  assert.is(c.state, 'Held');
  assert.is(c.reason, 'RolledBack');
});

test('an operation cancelled because it could not start in its window is planned again for the next window', () => {
  const cancelled = anOperation('p', 'firmware', '1.0.0.2', { status: 'cancelled', createdAt: hoursAgo(30) });
  const p = planAt(config(aPhase('General', { rolloutDuration: '0d' })), fleet([aPhone({ id: 'p', software: { firmware: '1.0.0.1' } })], releases, [cancelled]));
  const c = componentOf(p, 'p', 'firmware');
  assert.equal([c.state, c.reason, c.notBefore], ['Scheduled', 'OutsideWindow', '2026-11-22T01:00:00.000Z']);
});

test('failures of another component do not count', () => {
  const other = anOperation('p', 'teamsClient', '1449.0.0.2', { status: 'failed' });
  assert.is(run([other, other, other].map((o, i) => ({ ...o, id: `o${i}` }))).c.state, 'Due');
});

test.run();
