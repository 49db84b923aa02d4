// Freeze periods (FleetPolicy spec.freezes, controller/planner/freeze.ts): nothing automatic starts inside one;
// SoftwareUpdates run unless the freeze says manualUpdates: frozen. The rule is one file and one line of the
// chain's table, so plan, forecast, manual updates and the release states follow it with no change of their own.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FREEZE_END_AFTER_START, objectSchema } from '../../controller/api/schemas.ts';
import type { FreezePeriod } from '../../controller/api/types.ts';
import { forecast } from '../../controller/planner/forecast.ts';
import { getCondition } from '../../controller/status/conditions.ts';
import { InvalidRevision } from '../../controller/reconciler/reasons.ts';
import {
  NOW, aGroup, aPhone, aPhase, aPolicy, aRelease, aRoom, aSoftwareUpdate, alwaysOpen, componentOf, config, fleet, planAt,
} from '../support/builders.ts';
import { aPolicy as aPolicyObject, assertRefused, loadObjects } from '../support/config.ts';
import { Fixture, aPhone as aFixturePhone, aRelease as aFixtureRelease } from '../support/reconciler-fixture.ts';

// NOW is Wednesday 2026-11-18 12:00 UTC.
const yearEnd = (over: Partial<FreezePeriod> = {}): FreezePeriod => ({
  name: 'year-end', start: '2026-11-16T00:00', end: '2026-11-25T08:00', timeZone: 'Europe/Paris', reason: 'year-end close', ...over,
});
const releases = [aRelease('firmware', '1.0.0.1', { daysAgo: 200 }), aRelease('firmware', '1.0.0.2', { daysAgo: 100 })];
const phones = [aPhone({ id: 'hq-1', labels: { site: 'hq' }, software: { firmware: '1.0.0.1' } }), aPhone({ id: 'lab-1', labels: { site: 'lab' }, software: { firmware: '1.0.0.1' } })];
const groups = [
  aGroup('hq', { selector: { matchLabels: { site: 'hq' } }, maintenanceWindow: 'always' }),
  aGroup('lab', { selector: { matchLabels: { site: 'lab' } }, maintenanceWindow: 'always' }),
];
// 2026-11-25T08:00 in Paris (UTC+1) is 07:00 UTC.
const END = '2026-11-25T07:00:00.000Z';

test('plan: nothing automatic starts during a freeze; it says "frozen until …" and starts when the freeze ends', () => {
  const p = planAt(config(alwaysOpen(), ...groups, aPolicy({ freezes: [yearEnd()] })), fleet(phones, releases));
  const c = componentOf(p, 'hq-1', 'firmware');
  assert.is(c.state, 'Scheduled');
  assert.is(c.reason, 'Frozen');
  assert.is(c.notBefore, END);
  assert.is(c.message, 'frozen until 2026-11-25T07:00:00Z (FleetPolicy freeze year-end: year-end close)');
  assert.equal(p.operations, []);
  assert.ok(p.findings.some((f) => f.code === 'Frozen'
    && f.message === 'automatic updates are frozen from 2026-11-15T23:00:00Z until 2026-11-25T07:00:00Z (FleetPolicy freeze year-end: year-end close)'), JSON.stringify(p.findings));
  const r = p.releases.find((x) => x.version === '1.0.0.2')!;
  assert.is(r.state, 'Paused', 'a freeze for every device pauses the release');
  assert.is(r.reason, 'Frozen');
});

test('plan: once the freeze has ended the update is due, and a past freeze is no finding', () => {
  const p = planAt(config(alwaysOpen(), ...groups, aPolicy({ freezes: [yearEnd()] })), fleet(phones, releases), END);
  assert.is(componentOf(p, 'hq-1', 'firmware').state, 'Due');
  assert.is(p.operations.length, 2);
  assert.not.ok(p.findings.some((f) => f.code === 'Frozen'));
});

test('plan: a freeze for some groups holds only their devices, and does not pause the release', () => {
  const p = planAt(config(alwaysOpen(), ...groups, aPolicy({ freezes: [yearEnd({ groups: ['hq'] })] })), fleet(phones, releases));
  assert.is(componentOf(p, 'hq-1', 'firmware').reason, 'Frozen');
  assert.is(componentOf(p, 'lab-1', 'firmware').state, 'Due');
  assert.equal(p.operations.map((o) => o.deviceId), ['lab-1']);
  assert.not.equal(p.releases.find((x) => x.version === '1.0.0.2')!.state, 'Paused');
  assert.ok(p.findings.some((f) => f.code === 'Frozen' && f.message.includes(' for DeviceGroup hq (FleetPolicy freeze year-end')));
});

test('plan: after a freeze, the start still waits for the device\'s window', () => {
  const p = planAt(config(aPhase('General', { deferrals: { firmware: '0d' }, rolloutDuration: '0d' }), aPolicy({ freezes: [yearEnd()] })), fleet([aPhone({ id: 'p', software: { firmware: '1.0.0.1' } })], releases));
  const c = componentOf(p, 'p', 'firmware');
  assert.is(c.reason, 'Frozen');
  assert.is(c.notBefore, '2026-11-29T01:00:00.000Z', 'the default phone window opens Sunday 01:00 after the freeze ends on Wednesday');
});

test('manual updates: a SoftwareUpdate runs during a freeze unless the freeze says manualUpdates: frozen', () => {
  const su = aSoftwareUpdate('fix', { target: { devices: ['hq-1'] }, component: 'firmware', version: '1.0.0.2' });
  const allowed = planAt(config(alwaysOpen(), ...groups, su, aPolicy({ freezes: [yearEnd()] })), fleet(phones, releases));
  assert.is(componentOf(allowed, 'hq-1', 'firmware').state, 'Due');
  assert.is(componentOf(allowed, 'hq-1', 'firmware').reason, 'ManualUpdate');
  assert.is(componentOf(allowed, 'lab-1', 'firmware').reason, 'Frozen');

  const frozen = planAt(config(alwaysOpen(), ...groups, su, aPolicy({ freezes: [yearEnd({ manualUpdates: 'frozen' })] })), fleet(phones, releases));
  const c = componentOf(frozen, 'hq-1', 'firmware');
  assert.equal([c.state, c.reason, c.notBefore, c.softwareUpdate], ['Scheduled', 'Frozen', END, 'fix']);
  assert.is(c.message, 'frozen until 2026-11-25T07:00:00Z (FleetPolicy freeze year-end: year-end close)');
  assert.equal(frozen.operations, []);
  assert.ok(frozen.findings.some((f) => f.code === 'Frozen' && f.message.startsWith('automatic updates and SoftwareUpdates are frozen from')));
});

test('forecast: the adoption dates move past a freeze, with no change to forecast.ts', () => {
  const rooms = Array.from({ length: 10 }, (_, i) => aRoom({ id: `r${i}`, software: { firmware: '1.0.0.1' } }));
  const desired = (freezes: FreezePeriod[]) => config(alwaysOpen('default-rooms'), aPolicy({ freezes }));
  const observed = fleet(rooms, [aRelease('firmware', '1.0.0.1', { daysAgo: 200 }), aRelease('firmware', '1.0.0.2', { daysAgo: 40 })]);
  const release = { component: 'firmware' as const, version: '1.0.0.2' };
  const free = forecast(desired([]), observed, release, NOW, { horizonDays: 30 });
  const held = forecast(desired([yearEnd({ timeZone: 'UTC', end: '2026-12-01T00:00' })]), observed, release, NOW, { horizonDays: 30 });
  const at = (f: typeof free, iso: string) => f.adoption.find((a) => a.at === iso)!.devices;
  assert.is(at(free, '2026-11-18T23:59:59.999Z'), 10, 'without a freeze the ring has reached every room');
  assert.is(at(held, '2026-11-18T23:59:59.999Z'), 0);
  assert.is(at(held, '2026-11-30T23:59:59.999Z'), 0, 'nothing during the freeze');
  assert.is(at(held, '2026-12-01T23:59:59.999Z'), 10, 'every room on the day it ends');
  assert.is(held.eligibleDevices, free.eligibleDevices);
  assert.ok(held.notes.includes('automatic updates are frozen from 2026-11-16T00:00:00Z until 2026-12-01T00:00:00Z (FleetPolicy freeze year-end: year-end close)'), held.notes.join('\n'));
});

test('forecast: a freeze of another group changes nothing for this one', () => {
  const rooms = Array.from({ length: 4 }, (_, i) => aRoom({ id: `r${i}`, software: { firmware: '1.0.0.1' } }));
  const observed = fleet(rooms, [aRelease('firmware', '1.0.0.1', { daysAgo: 200 }), aRelease('firmware', '1.0.0.2', { daysAgo: 40 })]);
  const release = { component: 'firmware' as const, version: '1.0.0.2' };
  const free = forecast(config(alwaysOpen('default-rooms'), ...groups), observed, release, NOW, { horizonDays: 10 });
  const other = forecast(config(alwaysOpen('default-rooms'), ...groups, aPolicy({ freezes: [yearEnd({ groups: ['lab'] })] })), observed, release, NOW, { horizonDays: 10 });
  assert.equal(other.adoption, free.adoption);
});

// ---- bad input ----------------------------------------------------------------------------------

test('validation: a freeze ending before it starts is refused with a clear error, and nothing of the revision is handed on', () => {
  assertRefused(loadObjects(aPolicyObject('default', { freezes: [{ name: 'year-end', start: '2026-12-20T00:00', end: '2026-12-01T00:00', timeZone: 'Europe/Paris' }] })), [
    `config.yaml:9: FleetPolicy/default spec.freezes[0].end: freeze year-end ends at 2026-12-01T00:00, not after its start 2026-12-20T00:00: ${FREEZE_END_AFTER_START}`,
  ]);
});

test('validation: a freeze in an unknown zone or for a group that does not exist is refused, naming what exists', () => {
  assertRefused(loadObjects(
    { apiVersion: 'fleetward.dev/v1alpha1', kind: 'DeviceGroup', metadata: { name: 'hq' }, spec: { selector: {} } },
    aPolicyObject('default', { freezes: [{ name: 'x', start: '2026-12-20T00:00', end: '2026-12-21T00:00', timeZone: 'Europe/Pariss', groups: ['hq', 'hq-rooms'] }] }),
  ), [
    'config.yaml:17: FleetPolicy/default spec.freezes[0].timeZone: "Europe/Pariss" is not an IANA time zone (did you mean Europe/Paris?); write a name such as Europe/Paris',
    'config.yaml:20: FleetPolicy/default spec.freezes[0].groups[1]: freeze x: DeviceGroup "hq-rooms" does not exist; declared: hq',
  ]);
});

test('the CRD refuses the same freeze with the same message (CEL rule on each freeze)', () => {
  const items = ((objectSchema('FleetPolicy') as { properties: { spec: { properties: { freezes: { items: Record<string, unknown> } } } } }).properties.spec.properties.freezes.items);
  assert.equal(items['x-kubernetes-validations'], [{ rule: 'self.end > self.start', message: FREEZE_END_AFTER_START }]);
});

test('a freeze edited to end before it starts is refused: the last good revision, freeze included, stays in force and nothing is issued', async () => {
  const policy = (start: string, end: string) => `apiVersion: fleetward.dev/v1alpha1
kind: FleetPolicy
metadata:
  name: default
spec:
  freezes:
    - name: year-end
      start: "${start}"
      end: "${end}"
`;
  const f = new Fixture({ devices: [aFixturePhone('p1'), aFixturePhone('p2')], releases: [aFixtureRelease('122.15.0.30', { releasedAt: '2026-06-01T00:00:00Z' }), aFixtureRelease('122.15.0.44')] });
  f.writeConfig({ 'policy.yaml': policy('2026-11-20T00:00', '2026-12-01T00:00'), 'release.yaml': `apiVersion: fleetward.dev/v1alpha1
kind: SoftwareRelease
metadata:
  name: fw-44
spec:
  component: firmware
  version: 122.15.0.44
  manufacturer: Yealink
  models: [MP54]
  releasedAt: "2026-10-01T00:00:00Z"
  label: verified
` });
  const good = await f.reconciler.reconcile();
  assert.ok(good.ok);
  assert.is(good.issued, 0, 'frozen: nothing issued');
  const release = f.store.readObjects()['SoftwareRelease/fw-44']!;
  const releaseReady = getCondition(release.conditions, 'Ready')!;
  assert.equal([releaseReady.status, releaseReady.reason], ['False', 'Frozen']);
  assert.is(releaseReady.message, 'frozen until 2026-12-01T00:00:00Z (FleetPolicy freeze year-end); release 122.15.0.44 resumes then');
  assert.is(getCondition(release.conditions, 'Stalled'), undefined, 'a freeze ends by itself: nothing for a person to fix');
  f.writeConfig({ 'policy.yaml': policy('2026-11-20T00:00', '2026-11-01T00:00') });
  const bad = await f.reconciler.reconcile();
  assert.is(bad.reason, InvalidRevision);
  assert.is(bad.revision, good.revision);
  const ready = getCondition(f.store.readRun()!.conditions, 'Ready')!;
  assert.match(ready.message, 'policy.yaml:9: FleetPolicy/default spec.freezes[0].end: freeze year-end ends at 2026-11-01T00:00, not after its start 2026-11-20T00:00');
  assert.is(f.updates().length, 0, 'the refused edit did not lift the freeze');
  // Ending the freeze properly (a valid end, now past) lets the updates start.
  f.writeConfig({ 'policy.yaml': policy('2026-11-20T00:00', '2026-11-23T00:00') });
  const ended = await f.reconciler.reconcile();
  assert.ok(ended.ok);
  assert.is(ended.issued, 2);
  await f.close();
});

test.run();
