// Manual updates (seed 000 "Manually update remote devices"; seed 002 deferral cap; seed 001 force).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DAY, NOW, aGroup, aPhase, aPhone, aRelease, aSoftwareUpdate, componentOf, config, daysAgo, fleet, planAt,
} from '../support/builders.ts';
import type { FleetDevice, SoftwareUpdateSpec } from '../../controller/api/types.ts';

// The default window (Sunday 01:00–04:00) is closed at NOW (a Wednesday): manual `now` must not wait for it.
const releases = [
  aRelease('firmware', '1.0.0.1'), aRelease('firmware', '1.0.0.2', { daysAgo: 10 }), aRelease('firmware', '1.0.0.3', { daysAgo: 2, label: 'preview' }),
  aRelease('firmware', '2.0.0.1', { daysAgo: 1, minimumVersion: '1.0.0.2' }),
  aRelease('firmware', '9.0.0.1', { daysAgo: 1, blocked: { reason: 'recalled' } }),
  aRelease('teamsClient', '1449.0.0.1'), aRelease('teamsClient', '1449.0.0.2', { daysAgo: 3 }),
];
type Spec = Partial<SoftwareUpdateSpec> & Pick<SoftwareUpdateSpec, 'component' | 'version'>;
function manual(spec: Spec, device: Partial<FleetDevice> = {}, extra: Parameters<typeof config> = []) {
  const p = planAt(config(aSoftwareUpdate('su', { target: { devices: ['p'] }, ...spec }), ...extra),
    fleet([aPhone({ id: 'p', software: { firmware: '1.0.0.1', teamsClient: '1449.0.0.1' }, ...device })], releases));
  return { p, c: componentOf(p, 'p', spec.component) };
}

test('schedule now starts within minutes, outside any window', () => {
  const { p, c } = manual({ component: 'firmware', version: '1.0.0.2', schedule: 'now' });
  assert.equal([c.state, c.reason, c.notBefore], ['Due', 'ManualUpdate', NOW.toISOString()]);
  assert.equal(p.operations, [{ deviceId: 'p', component: 'firmware', fromVersion: '1.0.0.1', toVersion: '1.0.0.2', reason: 'ManualUpdate', softwareUpdate: 'su' }]);
});

test('a SoftwareUpdate without schedule starts now', () => {
  assert.is(manual({ component: 'firmware', version: '1.0.0.2' }).c.state, 'Due');
});

test('nextMaintenanceWindow waits for the device window', () => {
  const { c } = manual({ component: 'firmware', version: '1.0.0.2', schedule: 'nextMaintenanceWindow' }, { timeZone: 'Europe/Paris' });
  assert.equal([c.state, c.notBefore], ['Scheduled', '2026-11-22T00:00:00.000Z']);
});

const ats: [string, string, string | undefined, Partial<FleetDevice>, string][] = [
  ['schedule at runs at that local time in the given zone', '2026-11-20T09:00', 'Europe/Paris', {}, '2026-11-20T08:00:00.000Z'],
  ["schedule at without a zone uses the device's zone", '2026-11-20T09:00', undefined, { timeZone: 'America/New_York' }, '2026-11-20T14:00:00.000Z'],
  ['a schedule in the past starts now', '2026-11-01T09:00', 'UTC', {}, NOW.toISOString()],
];
for (const [name, at, timeZone, device, expected] of ats) {
  test(name, () => {
    const { c } = manual({ component: 'teamsClient', version: '1449.0.0.2', schedule: { at, ...(timeZone ? { timeZone } : {}) } }, device);
    assert.is(c.notBefore, expected);
    assert.is(c.state, expected === NOW.toISOString() ? 'Due' : 'Scheduled');
  });
}

test('a firmware date later than the phase deferral cap is pulled back to the cap (seed 002)', () => {
  const { c } = manual({ component: 'firmware', version: '1.0.0.2', schedule: { at: '2027-03-01T09:00', timeZone: 'UTC' } });
  // General phase: released 10 days ago, cap at 30 days.
  assert.equal([c.state, c.reason, c.notBefore], ['Scheduled', 'ManualScheduleCapped', new Date(Date.parse(daysAgo(10)) + 30 * DAY).toISOString()]);
});

test('the cap follows the phase (Final: 90 days)', () => {
  const { c } = manual({ component: 'firmware', version: '1.0.0.2', schedule: { at: '2027-06-01T09:00', timeZone: 'UTC' } }, { labels: { vip: 'yes' } },
    [aGroup('vip', { selector: { matchLabels: { vip: 'yes' } }, updatePhase: 'Final' })]);
  assert.is(c.notBefore, new Date(Date.parse(daysAgo(10)) + 90 * DAY).toISOString());
});

test('a Teams app date is not capped', () => {
  const { c } = manual({ component: 'teamsClient', version: '1449.0.0.2', schedule: { at: '2027-03-01T09:00', timeZone: 'UTC' } });
  assert.equal([c.reason, c.notBefore], ['ManualScheduled', '2027-03-01T09:00:00.000Z']);
});

test('a busy device is not interrupted by a manual update', () => {
  const { p, c } = manual({ component: 'firmware', version: '1.0.0.2' }, { activityState: 'busy' });
  assert.equal([c.state, c.reason], ['Scheduled', 'DeviceBusy']);
  assert.is(p.operations.length, 0);
});

test('force with schedule now interrupts a busy device and is recorded', () => {
  const { p, c } = manual({ component: 'firmware', version: '1.0.0.2', force: true, schedule: 'now' }, { activityState: 'busy' });
  assert.equal([c.state, c.reason], ['Due', 'ForcedUpdate']);
  assert.equal(p.operations[0]!.forced, true);
  assert.ok(p.findings.some((f) => f.code === 'ForcedUpdate' && f.objects?.includes('SoftwareUpdate/su')));
});

test('a preview version is reachable manually', () => {
  assert.equal([manual({ component: 'firmware', version: '1.0.0.3' }).c.state, manual({ component: 'firmware', version: '1.0.0.3' }).c.targetVersion], ['Due', '1.0.0.3']);
});

test('a device on an unknown version can be updated manually', () => {
  const { c } = manual({ component: 'firmware', version: '1.0.0.2' }, { software: { firmware: '0.0.0.7' } });
  assert.equal([c.state, c.targetVersion], ['Due', '1.0.0.2']);
});

test('latest is the newest verified, unblocked release, reached hop by hop', () => {
  const { c } = manual({ component: 'firmware', version: 'latest' });
  // 2.0.0.1 needs 1.0.0.2 first.
  assert.equal([c.state, c.targetVersion], ['Due', '1.0.0.2']);
  assert.is(manual({ component: 'firmware', version: 'latest' }, { software: { firmware: '1.0.0.2' } }).c.targetVersion, '2.0.0.1');
});

test('a manual update to a blocked release is refused', () => {
  const { p, c } = manual({ component: 'firmware', version: '9.0.0.1' });
  assert.equal([c.state, c.reason], ['Blocked', 'ReleaseBlocked']);
  assert.is(p.operations.length, 0);
});

test('a manual update to a version the catalog lacks is refused', () => {
  const { c } = manual({ component: 'firmware', version: '7.7.7.7' });
  assert.equal([c.state, c.reason], ['Blocked', 'ManualVersionUnknown']);
});

test('a manual update never downgrades', () => {
  const { p, c } = manual({ component: 'firmware', version: '1.0.0.1' }, { software: { firmware: '1.0.0.2' } });
  assert.equal([c.state, c.reason], ['UpToDate', 'ManualApplied']);
  assert.is(p.operations.length, 0);
});

test('a SoftwareUpdate can target a group', () => {
  const p = planAt(config(aGroup('lab', { selector: { devices: ['p'] } }), aSoftwareUpdate('su', { target: { group: 'lab' }, component: 'firmware', version: '1.0.0.2' })),
    fleet([aPhone({ id: 'p', software: { firmware: '1.0.0.1' } }), aPhone({ id: 'q', software: { firmware: '1.0.0.1' } })], releases));
  assert.equal(p.operations.map((o) => o.deviceId), ['p']);
});

test('a SoftwareUpdate can target a device by MAC address', () => {
  const p = planAt(config(aSoftwareUpdate('su', { target: { devices: ['aa:bb:cc:dd:ee:ff'] }, component: 'firmware', version: '1.0.0.2' })),
    fleet([aPhone({ id: 'p', macAddress: 'AA-BB-CC-DD-EE-FF', software: { firmware: '1.0.0.1' } })], releases));
  assert.is(p.operations.length, 1);
});

test('two SoftwareUpdates for the same device and component: the first by name applies, and it is reported', () => {
  const p = planAt(config(
    aSoftwareUpdate('b-later', { target: { devices: ['p'] }, component: 'firmware', version: '1.0.0.3' }),
    aSoftwareUpdate('a-first', { target: { devices: ['p'] }, component: 'firmware', version: '1.0.0.2' })),
  fleet([aPhone({ id: 'p', software: { firmware: '1.0.0.1' } })], releases));
  assert.is(p.operations[0]!.softwareUpdate, 'a-first');
  assert.ok(p.findings.some((f) => f.code === 'ManualUpdateConflict'));
});

test('an unreadable schedule.at blocks that update only, with a clear message', () => {
  const p = planAt(config(aSoftwareUpdate('su', { target: { devices: ['p'] }, component: 'firmware', version: '1.0.0.2', schedule: { at: 'next tuesday', timeZone: 'UTC' } })),
    fleet([aPhone({ id: 'p', software: { firmware: '1.0.0.1', teamsClient: '1449.0.0.1' } })], releases));
  const c = componentOf(p, 'p', 'firmware');
  assert.equal([c.state, c.reason], ['Blocked', 'InvalidSchedule']);
  assert.match(c.message!, /schedule\.at "next tuesday" in UTC is not a local date-time/);
  assert.is(componentOf(p, 'p', 'teamsClient').reason, 'PhaseDeferral', 'the other component is planned as usual');
  assert.is(p.operations.length, 0);
});

test('a suspended SoftwareUpdate does nothing', () => {
  const { c } = manual({ component: 'firmware', version: '1.0.0.3', suspend: true });
  assert.is.not(c.targetVersion, '1.0.0.3');
});

test.run();
