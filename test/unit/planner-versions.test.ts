// Versions (seed 000 "Software versions on Teams Admin Center", step-wise FAQ; docs/design.md section 3 pins,
// blocked releases): verified / preview / unknown, minimumVersion hops, pins, blocked releases.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  aCommittedRelease, aGroup, aPhase, aPhone, aRelease, alwaysOpen, componentOf, config, fleet, planAt,
} from '../support/builders.ts';
import type { SoftwareReleaseSpec } from '../../controller/api/types.ts';

const desired = (...extra: Parameters<typeof config>) =>
  config(alwaysOpen(), aPhase('Validation', { rolloutDuration: '0d' }), aGroup('all', { updatePhase: 'Validation', maintenanceWindow: 'always', ...(extra.length ? {} : {}) }), ...extra);
const fw = (version: string, o: Parameters<typeof aRelease>[2] = {}) => aRelease('firmware', version, o);
function firmwarePlan(current: string, releases: SoftwareReleaseSpec[], d = desired()) {
  return componentOf(planAt(d, fleet([aPhone({ id: 'p', software: { firmware: current } })], releases)), 'p', 'firmware');
}

const steps = [fw('1.0.0.1'), fw('2.0.0.1'), fw('3.0.0.1', { minimumVersion: '2.0.0.0' }), fw('4.0.0.1', { minimumVersion: '3.0.0.0' })];
const hops: [string, string, string][] = [
  ['a device at N-3 goes to N-2 first (step-wise)', '1.0.0.1', '2.0.0.1'],
  ['a device at N-2 goes to N-1 next', '2.0.0.1', '3.0.0.1'],
  ['a device at N-1 goes to N', '3.0.0.1', '4.0.0.1'],
];
for (const [name, current, target] of hops) {
  test(name, () => {
    const c = firmwarePlan(current, steps);
    assert.is(c.state, 'Due');
    assert.is(c.targetVersion, target);
  });
}

test('a device too old for every newer release has no update path', () => {
  const c = firmwarePlan('1.0.0.1', [fw('1.0.0.1'), fw('3.0.0.1', { minimumVersion: '2.0.0.0' })]);
  assert.is(c.state, 'Blocked');
  assert.is(c.reason, 'NoUpdatePath');
});

test('a device on an unknown version gets no automatic update', () => {
  const p = planAt(desired(), fleet([aPhone({ id: 'p', software: { firmware: '0.9.9.9' } })], [fw('1.0.0.1'), fw('2.0.0.1')]));
  const c = componentOf(p, 'p', 'firmware');
  assert.equal([c.state, c.reason, c.targetVersion], ['Blocked', 'UnknownVersion', '2.0.0.1']);
  assert.is(p.operations.length, 0);
  assert.ok(p.findings.some((f) => f.code === 'UnknownVersion' && f.message === 'firmware 0.9.9.9 is not in the release catalog, so no automatic update: 1 device'));
});

test('preview releases are not installed automatically', () => {
  const c = firmwarePlan('1.0.0.1', [fw('1.0.0.1'), fw('2.0.0.1', { label: 'preview' })]);
  assert.equal([c.state, c.reason], ['UpToDate', 'PreviewManualOnly']);
});

test('a device on a preview version stays eligible for later verified releases', () => {
  const c = firmwarePlan('2.0.0.1', [fw('1.0.0.1'), fw('2.0.0.1', { label: 'preview' }), fw('3.0.0.1')]);
  assert.equal([c.state, c.targetVersion], ['Due', '3.0.0.1']);
});

test('a blocked release is never targeted; the newest unblocked one is', () => {
  const c = firmwarePlan('1.0.0.1', [fw('1.0.0.1'), fw('2.0.0.1'), fw('3.0.0.1', { blocked: { reason: 'bricks the speaker' } })]);
  assert.equal([c.state, c.targetVersion], ['Due', '2.0.0.1']);
});

test('when only a blocked release is newer the component is Blocked with its reason', () => {
  const c = firmwarePlan('1.0.0.1', [fw('1.0.0.1'), fw('2.0.0.1', { blocked: { reason: 'bricks the speaker' } })]);
  assert.equal([c.state, c.reason, c.targetVersion], ['Blocked', 'ReleaseBlocked', '2.0.0.1']);
  assert.match(c.message!, /bricks the speaker/);
});

test('a committed SoftwareRelease replaces the driver catalog entry (here: to block it)', () => {
  const d = desired(aCommittedRelease('block-2', fw('2.0.0.1', { blocked: { reason: 'regression' } })));
  const c = firmwarePlan('1.0.0.1', [fw('1.0.0.1'), fw('2.0.0.1')], d);
  assert.is(c.reason, 'ReleaseBlocked');
});

test('a pin holds the group at the pinned version', () => {
  const d = config(alwaysOpen(), aPhase('Validation', { rolloutDuration: '0d' }), aGroup('pinned', { updatePhase: 'Validation', maintenanceWindow: 'always', pin: { firmware: '2.0.0.1' } }));
  const rel = [fw('1.0.0.1'), fw('2.0.0.1'), fw('3.0.0.1')];
  assert.equal([firmwarePlan('1.0.0.1', rel, d).state, firmwarePlan('1.0.0.1', rel, d).targetVersion], ['Due', '2.0.0.1']);
  const at = firmwarePlan('2.0.0.1', rel, d);
  assert.equal([at.state, at.reason], ['UpToDate', 'Pinned']);
});

test('versions compare numerically part by part (58.15.0.124 is newer than 58.15.0.99)', () => {
  const c = firmwarePlan('58.15.0.99', [fw('58.15.0.99'), fw('58.15.0.124')]);
  assert.is(c.targetVersion, '58.15.0.124');
});

test('releases for another model or manufacturer do not apply', () => {
  const c = firmwarePlan('1.0.0.1', [fw('1.0.0.1'), fw('2.0.0.1', { models: ['CCX400'] }), fw('3.0.0.1', { manufacturer: 'Poly' })]);
  assert.equal([c.state, c.reason], ['UpToDate', 'UpToDate']);
});

test('a catalog release with a malformed version or date is left out and reported; the others still apply', () => {
  const p = planAt(desired(), fleet([aPhone({ id: 'p', software: { firmware: '1.0.0.1' } })],
    [fw('1.0.0.1'), fw('2.0.0.1'), fw('3.0-beta'), { ...fw('4.0.0.1'), releasedAt: 'soon' }]));
  assert.equal([componentOf(p, 'p', 'firmware').state, componentOf(p, 'p', 'firmware').targetVersion], ['Due', '2.0.0.1']);
  assert.equal(p.findings.filter((f) => f.code === 'InvalidRelease').map((f) => f.message), [
    'release firmware "3.0-beta" is left out: it needs a vendor version and a valid releasedAt',
    'release firmware "4.0.0.1" is left out: it needs a vendor version and a valid releasedAt',
  ]);
  assert.equal(p.releases.map((r) => r.version), ['1.0.0.1', '2.0.0.1']);
});

test('a device already on the newest release is up to date', () => {
  const c = firmwarePlan('2.0.0.1', [fw('1.0.0.1'), fw('2.0.0.1')]);
  assert.equal([c.state, c.reason, c.targetVersion, c.notBefore], ['UpToDate', 'UpToDate', null, null]);
});

test.run();
