import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { diffPlans, formatShift, formatSpan } from '../../controller/planner/diff.ts';
import { formatDiffMarkdown } from '../../controller/cli/format/markdown.ts';
import { formatDiffTable } from '../../controller/cli/format/table.ts';
import { stableStringify } from '../../controller/cli/format/json.ts';
import { matchesGolden } from '../support/golden.ts';
import { aComponent, aDevice, anOperation, aPlan, scheduled } from '../support/plans.ts';

const H = 3_600_000;
const D = 24 * H;
const room = (i: number): string => `room-${String(i).padStart(3, '0')}`;
const rooms = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

test('identical plans differ in nothing, and say so', () => {
  const p = aPlan({ devices: [aDevice('phone-1', {}, [scheduled('firmware', '1.0', '1.1', '2026-11-29T01:00:00.000Z')])] });
  const diff = diffPlans(p, structuredClone(p));
  assert.equal(diff.assignments, []);
  assert.equal(diff.updates, []);
  assert.equal(diff.operations, []);
  assert.is(diff.summary, "No change to the fleet's plan.");
});

test('devices that move to another window, and whose update moves earlier, are summed up in one sentence', () => {
  const before = aPlan({
    devices: rooms(12).map((i) => aDevice(room(i), { group: 'rooms', phase: null, ring: 'General', maintenanceWindow: 'default' },
      [scheduled('firmware', '1.0', '1.1', '2026-11-29T01:00:00.000Z')])),
  });
  const after = aPlan({
    devices: rooms(12).map((i) => aDevice(room(i), { group: 'rooms', phase: null, ring: 'General', maintenanceWindow: 'rooms-nightly' },
      [scheduled('firmware', '1.0', '1.1', '2026-11-26T22:00:00.000Z')])),
  });
  const diff = diffPlans(before, after);
  assert.is(diff.summary, '12 devices move to window rooms-nightly; next firmware update for 12 devices moves earlier by 2d 3h.');
  assert.is(diff.assignments.length, 12);
  assert.equal(diff.assignments[0], { deviceId: 'room-001', field: 'maintenanceWindow', from: 'default', to: 'rooms-nightly' });
  assert.is(diff.updates[0]!.shiftMs, -(2 * D + 3 * H));
});

test('a change of group, phase and ring is reported field by field', () => {
  const before = aPlan({ devices: [aDevice('phone-1', { group: 'phones', phase: 'General' })] });
  const after = aPlan({ devices: [aDevice('phone-1', { group: 'exec-rooms', phase: null, ring: 'Executive' })] });
  const diff = diffPlans(before, after);
  assert.equal(diff.assignments, [
    { deviceId: 'phone-1', field: 'group', from: 'phones', to: 'exec-rooms' },
    { deviceId: 'phone-1', field: 'phase', from: 'General', to: null },
    { deviceId: 'phone-1', field: 'ring', from: null, to: 'Executive' },
  ]);
  assert.is(diff.summary, '1 device moves to group exec-rooms; 1 device leaves phase General; 1 device moves to ring Executive.');
});

test('updates that move later by different amounts give the range of the shift', () => {
  const before = aPlan({ devices: [
    aDevice('a', {}, [scheduled('teamsClient', '1.0', '1.1', '2026-11-29T01:00:00.000Z')]),
    aDevice('b', {}, [scheduled('teamsClient', '1.0', '1.1', '2026-11-29T01:00:00.000Z')]),
  ] });
  const after = aPlan({ devices: [
    aDevice('a', {}, [scheduled('teamsClient', '1.0', '1.1', '2026-11-29T02:30:00.000Z')]),
    aDevice('b', {}, [scheduled('teamsClient', '1.0', '1.1', '2026-12-06T01:00:00.000Z')]),
  ] });
  const diff = diffPlans(before, after);
  assert.equal(diff.updates.map((u) => u.shiftMs), [1.5 * H, 7 * D]);
  assert.is(diff.summary, 'Next teamsClient update for 2 devices moves later by 1h 30m to 7d.');
});

test('updates of one component that move both ways get a clause each, the larger group first', () => {
  const at = (d: number) => new Date(Date.parse('2026-11-29T01:00:00.000Z') + d * D).toISOString();
  const before = aPlan({ devices: ['a', 'b', 'c'].map((id) => aDevice(id, {}, [scheduled('firmware', '1.0', '1.1', at(0))])) });
  const after = aPlan({ devices: [
    aDevice('a', {}, [scheduled('firmware', '1.0', '1.1', at(-1))]),
    aDevice('b', {}, [scheduled('firmware', '1.0', '1.1', at(2))]),
    aDevice('c', {}, [scheduled('firmware', '1.0', '1.1', at(3))]),
  ] });
  assert.is(diffPlans(before, after).summary,
    'Next firmware update for 2 devices moves later by 2d to 3d; next firmware update for 1 device moves earlier by 1d.');
});

test('an update planned only under one config is newly planned or no longer planned, without a shift', () => {
  const before = aPlan({ devices: [
    aDevice('a', {}, [aComponent('firmware', { currentVersion: '1.1' })]),
    aDevice('b', {}, [scheduled('firmware', '1.0', '1.1', '2026-11-29T01:00:00.000Z')]),
  ] });
  const after = aPlan({ devices: [
    aDevice('a', {}, [scheduled('firmware', '1.1', '1.2', '2026-11-29T01:00:00.000Z')]),
    aDevice('b', {}, [aComponent('firmware', { currentVersion: '1.0', state: 'Held', reason: 'Pinned' })]),
  ] });
  const diff = diffPlans(before, after);
  assert.equal(diff.updates.map((u) => [u.deviceId, u.shiftMs]), [['a', null], ['b', null]]);
  assert.is(diff.updates[1]!.after.state, 'Held');
  assert.is(diff.summary, 'Firmware update newly planned for 1 device; firmware update no longer planned for 1 device.');
});

test('a new target at the same instant, and a state change alone, are reported', () => {
  const when = '2026-11-29T01:00:00.000Z';
  const before = aPlan({ devices: [
    aDevice('a', {}, [scheduled('firmware', '1.0', '1.1', when)]),
    aDevice('b', {}, [aComponent('firmware', { state: 'UpToDate' })]),
  ] });
  const after = aPlan({ devices: [
    aDevice('a', {}, [scheduled('firmware', '1.0', '1.2', when)]),
    aDevice('b', {}, [aComponent('firmware', { state: 'Blocked', reason: 'UnknownVersion' })]),
  ] });
  const diff = diffPlans(before, after);
  assert.is(diff.summary, 'Firmware target changes for 1 device (now 1.2); firmware becomes Blocked for 1 device.');
});

test('operations that start now under only one of the plans appear as added or removed', () => {
  const before = aPlan({ operations: [anOperation('a', 'firmware', '1.0', '1.1'), anOperation('b', 'firmware', '1.0', '1.1')] });
  const after = aPlan({ operations: [anOperation('b', 'firmware', '1.0', '1.1'), anOperation('c', 'teamsClient', '2.0', '2.1')] });
  const diff = diffPlans(before, after);
  assert.equal(diff.operations.map((o) => [o.change, o.deviceId, o.component]), [['removed', 'a', 'firmware'], ['added', 'c', 'teamsClient']]);
  assert.is(diff.summary, '1 more operation starts now; 1 operation no longer starts now.');
});

test('devices in only one plan are listed, not compared', () => {
  const before = aPlan({ devices: [aDevice('a'), aDevice('gone')] });
  const after = aPlan({ devices: [aDevice('new', { group: 'x' }), aDevice('a')] });
  const diff = diffPlans(before, after);
  assert.equal(diff.devicesAdded, ['new']);
  assert.equal(diff.devicesRemoved, ['gone']);
  assert.equal(diff.assignments, []);
});

test('the diff does not depend on the order of devices or operations in either plan', () => {
  const devs = [aDevice('b', { maintenanceWindow: 'w1' }), aDevice('a', { maintenanceWindow: 'w1' })];
  const ops = [anOperation('b', 'firmware', '1', '2'), anOperation('a', 'firmware', '1', '2')];
  const after = aPlan({ devices: devs, operations: ops });
  const afterReversed = aPlan({ devices: [...devs].reverse(), operations: [...ops].reverse() });
  const before = aPlan({ devices: [aDevice('a'), aDevice('b')] });
  assert.is(stableStringify(diffPlans(before, after)), stableStringify(diffPlans(before, afterReversed)));
});

test('diffing does not change either plan', () => {
  const before = aPlan({ devices: [aDevice('a')], operations: [anOperation('a', 'firmware', '1', '2')] });
  const after = aPlan({ devices: [aDevice('a', { group: 'g' })] });
  const copies = [structuredClone(before), structuredClone(after)];
  diffPlans(before, after);
  assert.equal([before, after], copies);
});

test('spans read as the two largest units, rounded down, with a sign for shifts', () => {
  assert.is(formatSpan(2 * D + 3 * H + 59 * 60_000), '2d 3h');
  assert.is(formatSpan(2 * D + 30 * 60_000), '2d');
  assert.is(formatSpan(-45 * 60_000), '45m');
  assert.is(formatSpan(90_000), '1m 30s');
  assert.is(formatSpan(0), '0s');
  assert.is(formatShift(-(D + H)), '-1d 1h');
  assert.is(formatShift(H), '+1h');
});

function sampleDiff() {
  const before = aPlan({
    revision: 'old1234',
    devices: [
      ...[1, 2, 3].map((i) => aDevice(room(i), { group: 'rooms', phase: null, ring: 'General' }, [scheduled('firmware', '1.0', '1.1', '2026-11-29T01:00:00.000Z')])),
      aDevice('phone-001', { group: 'phones', phase: 'General' }, [scheduled('teamsClient', '1.6.00.3052', '1.6.00.3598', '2026-12-06T01:00:00.000Z')]),
    ],
    operations: [anOperation('phone-002', 'firmware', '122.15.0.52', '122.15.0.58')],
  });
  const after = aPlan({
    revision: 'new5678',
    devices: [
      ...[1, 2, 3].map((i) => aDevice(room(i), { group: 'rooms', phase: null, ring: 'General', maintenanceWindow: 'rooms-nightly' }, [scheduled('firmware', '1.0', '1.1', '2026-11-26T22:00:00.000Z')])),
      aDevice('phone-001', { group: 'phones', phase: 'Final' }, [scheduled('teamsClient', '1.6.00.3052', '1.6.00.3598', '2027-01-03T01:00:00.000Z')]),
    ],
    operations: [anOperation('room-004', 'teamsClient', '5.1', '5.2')],
  });
  return diffPlans(before, after);
}

test('the diff as a terminal table', () => {
  const text = formatDiffTable(sampleDiff(), { color: false, beforeLabel: 'git:HEAD~1', afterLabel: 'config' });
  assert.not.match(text, /\u001b\[/);
  matchesGolden('plan-diff.txt', text);
});

test('the diff as a pull-request comment leads with the summary and folds the details', () => {
  const md = formatDiffMarkdown(sampleDiff(), { beforeLabel: 'git:HEAD~1', afterLabel: 'config' });
  const firstDetails = md.indexOf('<details>');
  assert.ok(md.indexOf('3 devices move to window rooms-nightly') < firstDetails);
  matchesGolden('plan-diff.md', md);
});

test.run();
