// Lifecycle (seed 001 "update lifecycle policy", "Ring validation ... catch up updates").
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  aGroup, aPhase, aPhone, aPolicy, aRelease, aRing, aRoom, alwaysOpen, componentOf, config, fleet, planAt,
} from '../support/builders.ts';
import type { SoftwareReleaseSpec } from '../../controller/api/types.ts';

const fw = (v: string, daysAgo: number, o: Partial<SoftwareReleaseSpec> = {}) => aRelease('firmware', v, { daysAgo, ...o });
const phoneObjs = [alwaysOpen(), aPhase('Final', { rolloutDuration: '0d' }), aGroup('vip', { updatePhase: 'Final', maintenanceWindow: 'always' })];
const phonePlan = (current: string, releases: SoftwareReleaseSpec[], ...extra: Parameters<typeof config>) =>
  planAt(config(...phoneObjs, ...extra), fleet([aPhone({ id: 'p', software: { firmware: current } })], releases));

const support: [string, string, SoftwareReleaseSpec[], boolean][] = [
  ['a version released more than 12 months ago is unsupported', '1.0.0.1', [fw('1.0.0.1', 366), fw('1.0.0.2', 10)], true],
  ['a version released less than 12 months ago is supported', '1.0.0.1', [fw('1.0.0.1', 300), fw('1.0.0.2', 10)], false],
  ['a version with more than two newer releases is unsupported', '1.0.0.1', [fw('1.0.0.1', 100), fw('1.0.0.2', 60), fw('1.0.0.3', 30), fw('1.0.0.4', 10)], true],
  ['a version with two newer releases is still supported', '1.0.0.1', [fw('1.0.0.1', 100), fw('1.0.0.2', 60), fw('1.0.0.3', 30)], false],
  ['preview and blocked releases do not count as newer releases', '1.0.0.1', [fw('1.0.0.1', 100), fw('1.0.0.2', 60), fw('1.0.0.3', 30, { label: 'preview' }), fw('1.0.0.4', 10, { blocked: { reason: 'x' } })], false],
];
for (const [name, current, releases, unsupported] of support) {
  test(name, () => {
    const p = phonePlan(current, releases);
    assert.is(componentOf(p, 'p', 'firmware').unsupported === true, unsupported);
    assert.is(p.findings.some((f) => f.code === 'UnsupportedVersion'), unsupported);
  });
}

test('unsupported versions are reported per component and version, with the device count', () => {
  const p = planAt(config(...phoneObjs), fleet([
    aPhone({ id: 'a', software: { firmware: '1.0.0.1', teamsClient: '1449.0.0.1' } }),
    aPhone({ id: 'b', software: { firmware: '1.0.0.1', teamsClient: '1449.0.0.1' } }),
  ], [fw('1.0.0.1', 400), fw('1.0.0.2', 10), aRelease('teamsClient', '1449.0.0.1', { daysAgo: 10 })]));
  assert.equal(p.findings.filter((f) => f.code === 'UnsupportedVersion').map((f) => f.message),
    ['firmware 1.0.0.1 is past its support (12 months, or more than 2 newer releases): 2 devices']);
});

test('FleetPolicy.lifecycle changes the support period and the number of newer releases', () => {
  const p = phonePlan('1.0.0.1', [fw('1.0.0.1', 100), fw('1.0.0.2', 10)], aPolicy({ lifecycle: { supportPeriod: '90d' } }));
  assert.ok(componentOf(p, 'p', 'firmware').unsupported);
  const q = phonePlan('1.0.0.1', [fw('1.0.0.1', 100), fw('1.0.0.2', 60), fw('1.0.0.3', 30)], aPolicy({ lifecycle: { maxNewerReleases: 1 } }));
  assert.ok(componentOf(q, 'p', 'firmware').unsupported);
});

test('a phone on an unsupported version is reported but keeps its phase schedule', () => {
  const c = componentOf(phonePlan('1.0.0.1', [fw('1.0.0.1', 400), fw('1.0.0.2', 10)]), 'p', 'firmware');
  assert.equal([c.state, c.reason, c.targetVersion, c.unsupported], ['Scheduled', 'PhaseDeferral', '1.0.0.2', true]);
});

test('a room on an unsupported version gets a catch-up update outside the ring order', () => {
  const objs = [alwaysOpen(), aRing('Executive', { order: 3 }), aGroup('exec', { ring: 'Executive', maintenanceWindow: 'always' })];
  // 1.0.0.2 entered Staging on Wednesday 11 November; Executive is weeks away.
  const releases = [fw('1.0.0.1', 400), aRelease('firmware', '1.0.0.2', { at: '2026-11-11T00:00:00Z' })];
  const p = planAt(config(...objs), fleet([aRoom({ id: 'r', software: { firmware: '1.0.0.1' } })], releases));
  const c = componentOf(p, 'r', 'firmware');
  assert.equal([c.state, c.reason, c.unsupported], ['Due', 'CatchUpUnsupported', true]);
});

test('a catch-up never jumps ahead of the first ring', () => {
  const objs = [alwaysOpen(), aGroup('exec', { ring: 'Executive', maintenanceWindow: 'always' })];
  // Released Thursday 19 November (tomorrow): it enters the first ring on Wednesday 25 November.
  const releases = [fw('1.0.0.1', 400), aRelease('firmware', '1.0.0.2', { at: '2026-11-19T09:00:00Z' })];
  const p = planAt(config(...objs), fleet([aRoom({ id: 'r', software: { firmware: '1.0.0.1' } })], releases));
  const c = componentOf(p, 'r', 'firmware');
  assert.equal([c.state, c.reason, c.notBefore], ['Scheduled', 'CatchUpUnsupported', '2026-11-25T00:00:00.000Z']);
});

test.run();
