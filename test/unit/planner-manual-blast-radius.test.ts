// Blast radius of forced updates (planner/manual.ts): a forced `schedule: now` SoftwareUpdate interrupts
// meetings, so one that would force more devices at once than FleetPolicy maxForcedDevices (default 20) is
// held until its acknowledgeForcedDevices covers them, or it is narrowed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { forcedUpdateHold, type ForcedReach } from '../../controller/planner/manual.ts';
import { Reason } from '../../controller/planner/reasons.ts';
import type { FleetDevice, SoftwareUpdateSpec } from '../../controller/api/types.ts';
import { aGroup, aPhone, aPolicy, aRelease, aSoftwareUpdate, componentOf, config, fleet, planAt } from '../support/builders.ts';

// ---- the rule alone: a table of cases ----------------------------------------------------------------

const cases: [string, ForcedReach, boolean][] = [
  ['up to the limit goes ahead without an acknowledgement', { forced: 20, limit: 20, acknowledged: null }, false],
  ['one device above the limit is held', { forced: 21, limit: 20, acknowledged: null }, true],
  ['an acknowledgement equal to the reach lets it go', { forced: 47, limit: 20, acknowledged: 47 }, false],
  ['an acknowledgement above the reach lets it go', { forced: 30, limit: 20, acknowledged: 47 }, false],
  ['a stale acknowledgement for a group that grew holds it again', { forced: 60, limit: 20, acknowledged: 47 }, true],
  ['limit 0: every forced update needs an acknowledgement', { forced: 1, limit: 0, acknowledged: null }, true],
  ['nothing to force is never held', { forced: 0, limit: 0, acknowledged: null }, false],
];
for (const [name, reach, held] of cases) {
  test(name, () => {
    const hold = forcedUpdateHold('all-phones', reach);
    assert.is(hold !== null, held);
    if (hold) {
      assert.is(hold.reason, Reason.ForcedUpdateNotAcknowledged);
      assert.ok(hold.message.includes(`would force ${reach.forced} devices`), hold.message);
      assert.ok(hold.message.includes(`maxForcedDevices (${reach.limit})`), hold.message);
      assert.ok(hold.message.includes(`acknowledgeForcedDevices is at least ${reach.forced}`), hold.message);
    }
  });
}

test('the message of a stale acknowledgement says the target grew', () => {
  assert.match(forcedUpdateHold('su', { forced: 60, limit: 20, acknowledged: 47 })!.message, /acknowledgeForcedDevices is 47, fewer than it reaches now \(the target grew\)/);
});

// ---- in the plan ---------------------------------------------------------------------------------------

const releases = [aRelease('firmware', '1.0.0.1'), aRelease('firmware', '1.0.0.2', { daysAgo: 10 })];
/** `n` phones, the first `busy` of them in a meeting. */
function phones(n: number, busy = 0, over: (i: number) => Partial<FleetDevice> = () => ({})): FleetDevice[] {
  return Array.from({ length: n }, (_, i) => aPhone({ id: `p${String(i).padStart(3, '0')}`, activityState: i < busy ? 'busy' : 'idle', ...over(i) }));
}
function planWith(devices: FleetDevice[], spec: Partial<SoftwareUpdateSpec> = {}, policy = aPolicy()) {
  return planAt(config(aGroup('all', { selector: { deviceTypes: ['ipPhone'] } }), policy,
    aSoftwareUpdate('all-phones', { target: { group: 'all' }, component: 'firmware', version: '1.0.0.2', force: true, schedule: 'now', ...spec })),
  fleet(devices, releases));
}

test('a forced update now on a group of 47 phones (18 in meetings) is held: nothing issued, each device says why', () => {
  const p = planWith(phones(47, 18));
  assert.is(p.operations.length, 0, 'no meeting interrupted');
  const c = componentOf(p, 'p000', 'firmware');
  assert.equal([c.state, c.reason, c.targetVersion, c.notBefore], ['Held', 'ForcedUpdateNotAcknowledged', '1.0.0.2', null]);
  assert.match(c.message!, /SoftwareUpdate all-phones would force 47 devices at once .*maxForcedDevices \(20\).*acknowledgeForcedDevices is at least 47/);
  const f = p.findings.find((x) => x.code === 'ForcedUpdateHeld');
  assert.ok(f, JSON.stringify(p.findings));
  assert.equal(f!.objects, ['SoftwareUpdate/all-phones']);
  assert.not.ok(p.findings.some((x) => x.code === 'ForcedUpdate'), 'nothing forced');
});

test('acknowledged for 47, it forces all 47, the busy ones included, each operation recorded as forced', () => {
  const p = planWith(phones(47, 18), { acknowledgeForcedDevices: 47 });
  assert.is(p.operations.length, 47);
  assert.ok(p.operations.every((o) => o.forced && o.softwareUpdate === 'all-phones'));
  assert.is(componentOf(p, 'p000', 'firmware').reason, 'ForcedUpdate');
});

test('the same acknowledgement once the group has grown to 60 holds it again', () => {
  const p = planWith(phones(60, 18), { acknowledgeForcedDevices: 47 });
  assert.is(p.operations.length, 0);
  assert.match(componentOf(p, 'p059', 'firmware').message!, /would force 60 devices.*acknowledgeForcedDevices is 47/);
});

test('devices already on the version are not counted: 25 targeted, 6 done, 19 forced without an acknowledgement', () => {
  const p = planWith(phones(25, 5, (i) => (i >= 19 ? { software: { firmware: '1.0.0.2' } } : {})));
  assert.is(p.operations.length, 19);
  assert.is(componentOf(p, 'p024', 'firmware').state, 'UpToDate');
});

test('narrowing the target to 10 devices lets it go', () => {
  const ids = Array.from({ length: 10 }, (_, i) => `p${String(i).padStart(3, '0')}`);
  const p = planWith(phones(47, 18), { target: { devices: ids } });
  assert.is(p.operations.length, 10);
});

test('FleetPolicy maxForcedDevices raises the limit', () => {
  assert.is(planWith(phones(47, 18), {}, aPolicy({ maxForcedDevices: 50 })).operations.length, 47);
  assert.is(planWith(phones(10), {}, aPolicy({ maxForcedDevices: 5 })).operations.length, 0, 'and lowers it');
});

test('a forced update at the next window interrupts no meeting and is not held', () => {
  const p = planWith(phones(47, 18), { schedule: 'nextMaintenanceWindow' });
  assert.is(componentOf(p, 'p000', 'firmware').state, 'Scheduled');
  assert.not.ok(p.findings.some((x) => x.code === 'ForcedUpdateHeld'));
});

test('an update now without force is not held (it waits for meetings to end)', () => {
  const p = planWith(phones(47, 18), { force: false });
  assert.is(p.operations.length, 47 - 18);
  assert.is(componentOf(p, 'p000', 'firmware').reason, 'DeviceBusy');
});

test.run();
