// Tenant rules (seed 000 "Pause automatic updates", GCC High / DoD note, FAQ on components).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DAY, NOW, aGroup, aPhase, aPhone, aPolicy, aRelease, aSoftwareUpdate, alwaysOpen, componentOf, config, daysAgo, fleet, planAt,
} from '../support/builders.ts';
import type { FleetPolicySpec } from '../../controller/api/types.ts';

const phone = aPhone({ id: 'p', software: { firmware: '1.0.0.1', teamsClient: '1449.0.0.1', adminAgent: '1.0.0.1', companyPortal: '5.0.0.1' } });
const releases = [
  aRelease('firmware', '1.0.0.1'), aRelease('firmware', '1.0.0.2', { daysAgo: 60 }),
  aRelease('teamsClient', '1449.0.0.1'), aRelease('teamsClient', '1449.0.0.2', { daysAgo: 60 }),
  aRelease('adminAgent', '1.0.0.1'), aRelease('adminAgent', '1.0.0.2', { daysAgo: 60 }),
  aRelease('companyPortal', '5.0.0.1'), aRelease('companyPortal', '5.0.0.2', { daysAgo: 60 }),
];
const objs = [alwaysOpen(), aPhase('General', { rolloutDuration: '0d' }), aGroup('all', { updatePhase: 'General', maintenanceWindow: 'always' })];
const run = (policy?: FleetPolicySpec, ...extra: Parameters<typeof config>) =>
  planAt(config(...objs, ...(policy ? [aPolicy(policy)] : []), ...extra), fleet([phone], releases));

const pauses: [string, number | null, string, string | null][] = [
  ['a paused tenant gets no automatic update until 15 days after the pause', 3, 'Scheduled', new Date(Date.parse(daysAgo(3)) + 15 * DAY).toISOString()],
  ['automatic updates resume by themselves 15 days after the pause', 15, 'Due', NOW.toISOString()],
  ['removing pausedAt resumes automatic updates at once', null, 'Due', NOW.toISOString()],
];
for (const [name, pausedDaysAgo, state, notBefore] of pauses) {
  test(name, () => {
    const p = run(pausedDaysAgo === null ? {} : { autoUpdates: { pausedAt: daysAgo(pausedDaysAgo) } });
    const c = componentOf(p, 'p', 'firmware');
    assert.is(c.state, state);
    assert.is(c.notBefore, notBefore);
    if (state === 'Scheduled') {
      assert.is(c.reason, 'TenantPaused');
      assert.ok(p.findings.some((f) => f.code === 'TenantPaused'));
      assert.is(p.releases.find((r) => r.version === '1.0.0.2')!.state, 'Paused');
      assert.is(p.operations.length, 0);
    }
  });
}

test('a pause in the future lets updates start before it and pushes later ones past it', () => {
  const p = run({ autoUpdates: { pausedAt: new Date(NOW.getTime() + DAY).toISOString() } });
  assert.is(componentOf(p, 'p', 'firmware').state, 'Due');
});

for (const cloud of ['gcch', 'dod'] as const) {
  test(`a ${cloud} tenant gets no automatic updates`, () => {
    const p = run({ cloud });
    const c = componentOf(p, 'p', 'firmware');
    assert.equal([c.state, c.reason, c.targetVersion], ['Blocked', 'CloudManualOnly', '1.0.0.2']);
    assert.is(p.operations.length, 0);
  });
  test(`a ${cloud} tenant can still update manually`, () => {
    const p = run({ cloud }, aSoftwareUpdate('fw', { component: 'firmware', version: '1.0.0.2', target: { devices: ['p'] } }));
    assert.is(componentOf(p, 'p', 'firmware').state, 'Due');
  });
}

test('a paused tenant can still update manually', () => {
  const p = run({ autoUpdates: { pausedAt: daysAgo(1) } }, aSoftwareUpdate('fw', { component: 'firmware', version: '1.0.0.2', target: { devices: ['p'] } }));
  assert.equal([componentOf(p, 'p', 'firmware').state, componentOf(p, 'p', 'firmware').reason], ['Due', 'ManualUpdate']);
});

test('only firmware and the Teams app update automatically (firmware first: one update per device at a time)', () => {
  const p = run();
  assert.equal(p.operations.map((o) => o.component), ['firmware']);
  assert.equal([componentOf(p, 'p', 'teamsClient').state, componentOf(p, 'p', 'teamsClient').reason], ['Scheduled', 'OneUpdateAtATime']);
  for (const c of ['adminAgent', 'companyPortal'] as const) {
    assert.equal([componentOf(p, 'p', c).state, componentOf(p, 'p', c).reason], ['Blocked', 'ManualOnlyComponent']);
  }
});

test('a manual-only component with nothing newer is simply up to date', () => {
  const p = planAt(config(...objs), fleet([aPhone({ id: 'p', software: { adminAgent: '1.0.0.2' } })], releases));
  assert.is(componentOf(p, 'p', 'adminAgent').state, 'UpToDate');
});

test('a SoftwareUpdate updates a manual-only component', () => {
  const update = aSoftwareUpdate('agent', { component: 'adminAgent', version: 'latest', target: { devices: ['p'] } });
  const p = planAt(config(...objs, update), fleet([aPhone({ id: 'p', software: { adminAgent: '1.0.0.1' } })], releases));
  assert.equal(p.operations.map((o) => [o.component, o.toVersion, o.softwareUpdate]), [['adminAgent', '1.0.0.2', 'agent']]);
});

test.run();
