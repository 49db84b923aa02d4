// Rings (seed 001 "Rings", "Specifying rollout timeline", "Scheduling", update states): Wednesday
// start of the first ring, critical releases, deferment / rollout / test period between rings,
// failureThreshold pausing a release, superseded releases.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  aGroup, aPolicy, aRelease, aRing, aRoom, alwaysOpen, anOperation, componentOf, config, fleet, hoursAgo, planAt,
} from '../support/builders.ts';
import type { Plan } from '../../controller/planner/types.ts';

const stagesOf = (p: Plan, version: string) => p.releases.find((r) => r.version === version)!.stages.map((s) => [s.name, s.startsAt, s.endsAt]);
const room = (id: string, ring = 'Staging', fw = '1.0.0.1') => aRoom({ id, labels: { ring }, software: { firmware: fw } });
const byRing = ['Staging', 'General', 'Executive'].map((r) => aGroup(`ring-${r}`, { ring: r, selector: { matchLabels: { ring: r } }, maintenanceWindow: 'always' }));
const base = aRelease('firmware', '1.0.0.1', { daysAgo: 100 });

const table: [string, string, boolean, string][] = [
  ['a release out on a Thursday enters the first ring the next Wednesday', '2026-11-12T09:00:00Z', false, '2026-11-18T00:00:00.000Z'],
  ['a release out on a Monday enters the first ring that Wednesday', '2026-11-16T09:00:00Z', false, '2026-11-18T00:00:00.000Z'],
  ['a release out on a Wednesday enters the first ring at once', '2026-11-18T10:00:00Z', false, '2026-11-18T10:00:00.000Z'],
  ['a critical release bypasses the Wednesday start', '2026-11-13T09:00:00Z', true, '2026-11-13T09:00:00.000Z'],
];
for (const [name, releasedAt, critical, start] of table) {
  test(name, () => {
    const p = planAt(config(alwaysOpen(), ...byRing), fleet([room('r1')], [base, aRelease('firmware', '1.0.0.2', { at: releasedAt, critical })]));
    assert.is(stagesOf(p, '1.0.0.2')[0]![1], start);
  });
}

test('ring k starts after ring k-1 finished its rollout and test period, plus its own deferment', () => {
  const desired = config(alwaysOpen(), ...byRing, aRing('General', { order: 2, deferment: '2d' }));
  const p = planAt(desired, fleet([room('r1')], [base, aRelease('firmware', '1.0.0.2', { at: '2026-11-18T00:00:00Z' })]));
  assert.equal(stagesOf(p, '1.0.0.2'), [
    ['Staging', '2026-11-18T00:00:00.000Z', '2026-11-28T00:00:00.000Z'], // 5d rollout + 5d test
    ['General', '2026-11-30T00:00:00.000Z', '2026-12-21T00:00:00.000Z'], // 2d deferment, 14d + 7d
    ['Executive', '2026-12-21T00:00:00.000Z', '2027-01-04T00:00:00.000Z'], // 7d + 7d
  ]);
});

test('custom start days and custom rings take their place in the order', () => {
  const desired = config(alwaysOpen(), ...byRing, aRing('Canary', { order: 1, rolloutDuration: '1d', testPeriod: '1d', startDays: ['Monday'] }), aRing('Staging', { order: 2 }), aRing('General', { order: 3 }), aRing('Executive', { order: 4 }));
  const p = planAt(desired, fleet([room('r1')], [base, aRelease('firmware', '1.0.0.2', { at: '2026-11-18T09:00:00Z' })]));
  const s = stagesOf(p, '1.0.0.2');
  assert.equal(s.map((x) => x[0]), ['Canary', 'Staging', 'General', 'Executive']);
  assert.equal(s[0], ['Canary', '2026-11-23T00:00:00.000Z', '2026-11-25T00:00:00.000Z']);
  assert.is(s[1]![1], '2026-11-25T00:00:00.000Z');
});

test('a room in a later ring waits for the release to reach its ring', () => {
  const p = planAt(config(alwaysOpen(), ...byRing), fleet([room('r1', 'Staging'), room('r2', 'General')], [base, aRelease('firmware', '1.0.0.2', { at: '2026-11-11T00:00:00Z' })]));
  const r2 = componentOf(p, 'r2', 'firmware');
  assert.is(r2.state, 'Scheduled');
  assert.is(r2.reason, 'RingNotStarted');
  assert.ok(Date.parse(r2.notBefore!) >= Date.parse('2026-11-21T00:00:00Z'));
  const r1 = componentOf(p, 'r1', 'firmware');
  assert.ok(r1.state === 'Due' || r1.reason === 'RolloutSlot', `staging room is in its rollout (${r1.state} ${r1.reason})`);
});

test('an unclaimed room system is in the General ring', () => {
  const p = planAt(config(), fleet([aRoom({ id: 'r' })], []));
  assert.is(p.devices[0]!.ring, 'General');
  assert.is(p.devices[0]!.phase, null);
});

// Failure threshold: 10 staging rooms, some failed attempts of 1.0.0.2.
function thresholdPlan(failedRooms: number, threshold?: number, policy?: number): Plan {
  const rooms = Array.from({ length: 10 }, (_, i) => room(`s${i}`));
  const ops = Array.from({ length: failedRooms }, (_, i) => anOperation(`s${i}`, 'firmware', '1.0.0.2', { createdAt: hoursAgo(2) }));
  const objs = [alwaysOpen(), ...byRing, ...(threshold === undefined ? [] : [aRing('Staging', { order: 1, failureThreshold: threshold })]), ...(policy === undefined ? [] : [aPolicy({ failureThreshold: policy })])];
  return planAt(config(...objs), fleet([...rooms, room('g1', 'General')], [base, aRelease('firmware', '1.0.0.2', { at: '2026-10-07T00:00:00Z' })], ops));
}
const thresholds: [string, number, number | undefined, number | undefined, boolean][] = [
  ['failures beyond the default 10% threshold pause the release', 2, undefined, undefined, true],
  ['failures at the threshold do not pause the release', 1, undefined, undefined, false],
  ["the ring's own failureThreshold applies", 2, 25, undefined, false],
  ["FleetPolicy's failureThreshold is the default for rings without one", 3, undefined, 20, true],
];
for (const [name, failed, threshold, policy, paused] of thresholds) {
  test(name, () => {
    const p = thresholdPlan(failed, threshold, policy);
    const rel = p.releases.find((r) => r.version === '1.0.0.2')!;
    assert.is(rel.state === 'Paused', paused, rel.state);
    const g1 = componentOf(p, 'g1', 'firmware');
    if (paused) {
      assert.is(rel.reason, 'ReleasePaused');
      assert.equal(rel.failedDevices, Array.from({ length: failed }, (_, i) => `s${i}`));
      assert.is(g1.state, 'Blocked');
      assert.is(g1.reason, 'ReleasePaused');
      assert.is(rel.stages.find((s) => s.name === 'General')!.state, 'Paused');
      assert.ok(p.findings.some((f) => f.code === 'ReleasePaused'));
      assert.not.ok(p.operations.some((o) => o.toVersion === '1.0.0.2'));
    } else {
      assert.is.not(g1.reason, 'ReleasePaused');
    }
  });
}

test('a superseded release is Deprecated for rings and rooms wait for the newest one', () => {
  const releases = [base, aRelease('firmware', '1.0.0.2', { at: '2026-10-07T00:00:00Z' }), aRelease('firmware', '1.0.0.3', { at: '2026-11-17T00:00:00Z' })];
  const p = planAt(config(alwaysOpen(), ...byRing), fleet([room('g1', 'General')], releases));
  assert.is(p.releases.find((r) => r.version === '1.0.0.2')!.state, 'Deprecated');
  const c = componentOf(p, 'g1', 'firmware');
  assert.is(c.targetVersion, '1.0.0.3');
  assert.is(c.reason, 'RingNotStarted');
});

test('release states follow the rings: Scheduled before the first ring, InProgress, Completed', () => {
  const rel = aRelease('firmware', '1.0.0.2', { at: '2026-11-25T00:00:00Z' });
  const scheduled = planAt(config(alwaysOpen(), ...byRing), fleet([room('r1')], [base, rel]));
  assert.is(scheduled.releases.find((r) => r.version === '1.0.0.2')!.state, 'Scheduled');
  const inProgress = planAt(config(alwaysOpen(), ...byRing), fleet([room('r1'), room('r2', 'Staging', '1.0.0.2')], [base, rel]), '2026-11-26T00:00:00Z');
  assert.is(inProgress.releases.find((r) => r.version === '1.0.0.2')!.state, 'InProgress');
  const done = planAt(config(alwaysOpen(), ...byRing), fleet([room('r1', 'Staging', '1.0.0.2')], [base, rel]), '2026-11-26T00:00:00Z');
  assert.is(done.releases.find((r) => r.version === '1.0.0.2')!.state, 'Completed');
});

test('later rings show NotRequired until the release reaches them', () => {
  const p = planAt(config(alwaysOpen(), ...byRing), fleet([room('r1'), room('r2', 'General')], [base, aRelease('firmware', '1.0.0.2', { at: '2026-11-18T00:00:00Z' })]));
  const st = p.releases.find((r) => r.version === '1.0.0.2')!.stages;
  assert.is(st.find((s) => s.name === 'General')!.state, 'NotRequired');
  assert.is(st.find((s) => s.name === 'Staging')!.state, 'Scheduled');
});

test.run();
