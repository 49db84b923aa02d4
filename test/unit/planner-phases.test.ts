// Phases (seed 000 "Assign phones to update phases"; seed 002 N-1): deferrals from releasedAt,
// custom phases, gradual rollout by a stable slot, lagVersions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DAY, NOW, aGroup, aPhase, aPhone, aRelease, alwaysOpen, componentOf, config, daysAgo, fleet, planAt,
} from '../support/builders.ts';
import type { AutoUpdateComponent as Component } from '../../controller/api/types.ts';

// Every phase with rolloutDuration 0 so the deferral alone decides; windows always open.
const instant = (name: string, extra = {}) => aPhase(name, { rolloutDuration: '0d', ...extra });
const phone = aPhone({ id: 'p', software: { firmware: '1.0.0.1', teamsClient: '1449.0.0.1' } });
const base = { firmware: '1.0.0.1', teamsClient: '1449.0.0.1' } as const;
const next = { firmware: '1.0.0.2', teamsClient: '1449.0.0.2' } as const;

const table: [string, string, Component, number, 'Due' | 'Scheduled'][] = [
  ['a Validation phone takes firmware the day it is released', 'Validation', 'firmware', 0, 'Due'],
  ['a Validation phone takes the Teams app the day it is released', 'Validation', 'teamsClient', 0, 'Due'],
  ['a General phone waits 30 days for firmware', 'General', 'firmware', 29, 'Scheduled'],
  ['a General phone takes firmware after 30 days', 'General', 'firmware', 30, 'Due'],
  ['a General phone waits 15 days for the Teams app', 'General', 'teamsClient', 14, 'Scheduled'],
  ['a General phone takes the Teams app after 15 days', 'General', 'teamsClient', 15, 'Due'],
  ['a Final phone waits 90 days for firmware', 'Final', 'firmware', 89, 'Scheduled'],
  ['a Final phone takes firmware after 90 days', 'Final', 'firmware', 90, 'Due'],
  ['a Final phone waits 45 days for the Teams app', 'Final', 'teamsClient', 44, 'Scheduled'],
  ['a Final phone takes the Teams app after 45 days', 'Final', 'teamsClient', 45, 'Due'],
];
for (const [name, phase, component, ago, state] of table) {
  test(name, () => {
    const desired = config(instant(phase), alwaysOpen(), aGroup('all', { updatePhase: phase, maintenanceWindow: 'always' }));
    const releases = [aRelease(component, base[component], { daysAgo: 300 }), aRelease(component, next[component], { daysAgo: ago })];
    const p = planAt(desired, fleet([phone], releases));
    const c = componentOf(p, 'p', component);
    assert.is(c.state, state);
    assert.is(c.targetVersion, next[component]);
    if (state === 'Scheduled') {
      assert.is(c.reason, 'PhaseDeferral');
      const deferral = { Validation: 0, General: component === 'firmware' ? 30 : 15, Final: component === 'firmware' ? 90 : 45 }[phase]!;
      assert.is(c.notBefore, new Date(Date.parse(daysAgo(ago)) + deferral * DAY).toISOString());
      assert.is(p.operations.length, 0);
    } else {
      assert.is(c.reason, 'PhaseRollout');
      assert.equal(p.operations.map((o) => [o.deviceId, o.component, o.toVersion]), [['p', component, next[component]]]);
    }
  });
}

test('an unclaimed phone is in the General phase', () => {
  const p = planAt(config(instant('General'), alwaysOpen('default')), fleet([phone], [aRelease('firmware', '1.0.0.1'), aRelease('firmware', '1.0.0.2', { daysAgo: 20 })]));
  assert.is(p.devices[0]!.phase, 'General');
  assert.is(componentOf(p, 'p', 'firmware').reason, 'PhaseDeferral');
});

test('a custom phase defers by its own durations, and a missing component defers like General', () => {
  const desired = config(alwaysOpen(), aPhase('Pilot', { deferrals: { firmware: '7d' }, rolloutDuration: '0d' }), aGroup('pilot', { updatePhase: 'Pilot', maintenanceWindow: 'always' }));
  const releases = [aRelease('firmware', '1.0.0.1'), aRelease('firmware', '1.0.0.2', { daysAgo: 8 }), aRelease('teamsClient', '1449.0.0.1'), aRelease('teamsClient', '1449.0.0.2', { daysAgo: 8 })];
  const p = planAt(desired, fleet([phone], releases));
  assert.is(componentOf(p, 'p', 'firmware').state, 'Due');
  const tc = componentOf(p, 'p', 'teamsClient');
  assert.is(tc.state, 'Scheduled');
  assert.is(tc.notBefore, new Date(Date.parse(daysAgo(8)) + 15 * DAY).toISOString());
});

test('a user object named like a built-in phase overrides its deferral', () => {
  const desired = config(alwaysOpen('default'), aPhase('general', { deferrals: { firmware: '5d' }, rolloutDuration: '0d' }));
  const p = planAt(desired, fleet([phone], [aRelease('firmware', '1.0.0.1'), aRelease('firmware', '1.0.0.2', { daysAgo: 6 })]));
  assert.is(componentOf(p, 'p', 'firmware').state, 'Due');
});

test('devices of a phase are spread over its rollout duration, each always in the same slot', () => {
  const phones = Array.from({ length: 200 }, (_, i) => aPhone({ id: `p${i}`, software: { firmware: '1.0.0.1' } }));
  const desired = config(alwaysOpen(), aPhase('Validation', { rolloutDuration: '20d' }), aGroup('all', { updatePhase: 'Validation', maintenanceWindow: 'always' }));
  const releases = [aRelease('firmware', '1.0.0.1'), aRelease('firmware', '1.0.0.2', { daysAgo: 10 })];
  const p1 = planAt(desired, fleet(phones, releases));
  const due = p1.operations.length;
  assert.ok(due > 70 && due < 130, `about half the devices are due half way through the rollout (${due})`);
  const start = Date.parse(daysAgo(10));
  for (const d of p1.devices) {
    const c = d.components[0]!;
    if (c.state === 'Scheduled') {
      assert.is(c.reason, 'RolloutSlot');
      const t = Date.parse(c.notBefore!);
      assert.ok(t > NOW.getTime() && t < start + 20 * DAY, `${d.id} starts inside the rollout`);
    }
  }
  // The same inputs a day later: every device due before is still due (slots do not move).
  const p2 = planAt(desired, fleet(phones, releases), new Date(NOW.getTime() + DAY));
  const dueBefore = new Set(p1.operations.map((o) => o.deviceId));
  const dueAfter = new Set(p2.operations.map((o) => o.deviceId));
  for (const id of dueBefore) assert.ok(dueAfter.has(id), id);
  assert.ok(dueAfter.size > dueBefore.size);
});

test('the rollout order depends on the target version', () => {
  const phones = Array.from({ length: 60 }, (_, i) => aPhone({ id: `p${i}`, software: { firmware: '1.0.0.1' } }));
  const desired = config(alwaysOpen(), aPhase('Validation', { rolloutDuration: '20d' }), aGroup('all', { updatePhase: 'Validation', maintenanceWindow: 'always' }));
  const order = (v: string) => {
    const p = planAt(desired, fleet(phones, [aRelease('firmware', '1.0.0.1'), aRelease('firmware', v, { daysAgo: 1 })]));
    return p.devices.map((d) => d.components[0]!.notBefore).join();
  };
  assert.is.not(order('1.0.0.2'), order('1.0.0.3'));
});

test('lagVersions 1 keeps a phone one verified version behind the newest (N-1)', () => {
  const desired = config(alwaysOpen(), instant('Lag', { deferrals: { firmware: '0d' }, lagVersions: 1 }), aGroup('lag', { updatePhase: 'Lag', maintenanceWindow: 'always' }));
  const v10 = aRelease('firmware', '10.0.0.0'), v11 = aRelease('firmware', '11.0.0.0', { daysAgo: 20 });
  const on10 = aPhone({ id: 'p', software: { firmware: '10.0.0.0' } });
  const held = componentOf(planAt(desired, fleet([on10], [v10, v11])), 'p', 'firmware');
  assert.is(held.state, 'UpToDate');
  assert.is(held.reason, 'LagVersions');
  const moved = componentOf(planAt(desired, fleet([on10], [v10, v11, aRelease('firmware', '12.0.0.0', { daysAgo: 1 })])), 'p', 'firmware');
  assert.is(moved.state, 'Due');
  assert.is(moved.targetVersion, '11.0.0.0');
});

test('a phone takes the newest release whose deferral has passed, not one still deferred', () => {
  const desired = config(alwaysOpen('default'), instant('General'));
  const releases = [aRelease('firmware', '1.0.0.1'), aRelease('firmware', '1.0.0.2', { daysAgo: 40 }), aRelease('firmware', '1.0.0.3', { daysAgo: 5 })];
  const c = componentOf(planAt(desired, fleet([phone], releases)), 'p', 'firmware');
  assert.is(c.state, 'Due');
  assert.is(c.targetVersion, '1.0.0.2');
});

test.run();
