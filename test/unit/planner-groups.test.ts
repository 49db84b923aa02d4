// Device groups (docs/design.md section 3): selectors, priority and ties, defaults for unclaimed devices,
// suspend, autoUpdate.components, unknown references.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { aGroup, aPhone, aRelease, aRoom, alwaysOpen, componentOf, config, fleet, planAt } from '../support/builders.ts';
import type { DeviceGroupSpec, FleetDevice } from '../../controller/api/types.ts';

const groupOf = (groups: [string, Partial<DeviceGroupSpec>][], device: FleetDevice) => {
  const p = planAt(config(...groups.map(([n, s]) => aGroup(n, s))), fleet([device]));
  return { p, d: p.devices[0]! };
};

const selectors: [string, Partial<DeviceGroupSpec>['selector'], Partial<FleetDevice>, boolean][] = [
  ['a selector by device type matches', { deviceTypes: ['ipPhone'] }, {}, true],
  ['a selector by another device type does not match', { deviceTypes: ['teamsRoom'] }, {}, false],
  ['manufacturers match regardless of case', { manufacturers: ['yealink'] }, {}, true],
  ['a selector by model matches', { models: ['MP56'] }, {}, true],
  ['every label of matchLabels must match', { matchLabels: { site: 'paris', floor: '3' } }, { labels: { site: 'paris', floor: '3' } }, true],
  ['a missing label does not match', { matchLabels: { site: 'paris', floor: '3' } }, { labels: { site: 'paris' } }, false],
  ['a device id matches', { devices: ['p'] }, {}, true],
  ['a MAC address matches in any notation', { devices: ['aa:bb:cc:dd:ee:ff'] }, { macAddress: 'AA-BB-CC-DD-EE-FF' }, true],
  ['all criteria must hold together', { deviceTypes: ['ipPhone'], models: ['CCX400'] }, {}, false],
];
for (const [name, selector, device, matches] of selectors) {
  test(name, () => {
    const { d } = groupOf([['g', { selector: selector ?? {} }]], aPhone({ id: 'p', ...device }));
    assert.is(d.group, matches ? 'g' : null);
  });
}

test('the group with the highest priority claims the device', () => {
  const { d, p } = groupOf([['low', { selector: {}, priority: 1, updatePhase: 'Final' }], ['high', { selector: {}, priority: 5, updatePhase: 'Validation' }]], aPhone({ id: 'p' }));
  assert.equal([d.group, d.phase], ['high', 'Validation']);
  assert.not.ok(p.findings.some((f) => f.code === 'GroupPriorityTie'));
});

test('a priority tie is broken by name and reported', () => {
  const { d, p } = groupOf([['zeta', { selector: {} }], ['alpha', { selector: {} }]], aPhone({ id: 'p' }));
  assert.is(d.group, 'alpha');
  const f = p.findings.find((x) => x.code === 'GroupPriorityTie')!;
  assert.equal(f.objects, ['DeviceGroup/alpha', 'DeviceGroup/zeta']);
  assert.match(f.message, /^DeviceGroups alpha and zeta both claim devices at priority 0, alpha wins by name: 1 device$/);
});

test('an unclaimed phone is in the General phase with the default window', () => {
  const { d } = groupOf([], aPhone({ id: 'p' }));
  assert.equal([d.group, d.phase, d.ring, d.maintenanceWindow], [null, 'General', null, 'default']);
});

test('an unclaimed room system is in the General ring with the nightly room window (seed 001)', () => {
  const { d } = groupOf([], aRoom({ id: 'r' }));
  assert.equal([d.group, d.phase, d.ring, d.maintenanceWindow], [null, null, 'General', 'default-rooms']);
});

test('a ring group without a window takes the nightly room window; a phase group the Sunday one', () => {
  const { d: room } = groupOf([['rooms', { selector: {}, ring: 'Executive' }]], aRoom({ id: 'r' }));
  const { d: phone } = groupOf([['phones', { selector: {}, updatePhase: 'Final' }]], aPhone({ id: 'p' }));
  assert.equal([room.maintenanceWindow, phone.maintenanceWindow], ['default-rooms', 'default']);
});

test('a group without phase or ring uses the defaults for its devices', () => {
  const { d } = groupOf([['g', { selector: {} }]], aRoom({ id: 'r' }));
  assert.equal([d.group, d.ring], ['g', 'General']);
});

test('built-in ring and phase names are matched in any case', () => {
  assert.is(groupOf([['g', { selector: {}, ring: 'executive' }]], aRoom({ id: 'r' })).d.ring, 'Executive');
  assert.is(groupOf([['g', { selector: {}, updatePhase: 'final' }]], aPhone({ id: 'p' })).d.phase, 'Final');
});

test('a reference to a missing phase, ring or window falls back to the default and is reported', () => {
  const { d, p } = groupOf([['g', { selector: {}, updatePhase: 'Nope', maintenanceWindow: 'nowhere' }]], aPhone({ id: 'p' }));
  assert.equal([d.phase, d.maintenanceWindow], ['General', 'default']);
  assert.is(p.findings.filter((f) => f.code === 'UnknownReference').length, 2);
});

const releases = [aRelease('firmware', '1.0.0.1'), aRelease('firmware', '1.0.0.2', { daysAgo: 60 }), aRelease('teamsClient', '1449.0.0.1'), aRelease('teamsClient', '1449.0.0.2', { daysAgo: 60 })];
const phone = aPhone({ id: 'p', software: { firmware: '1.0.0.1', teamsClient: '1449.0.0.1' } });

test('a suspended group gets no automatic updates', () => {
  const p = planAt(config(alwaysOpen(), aGroup('g', { selector: {}, suspend: true, updatePhase: 'Validation', maintenanceWindow: 'always' })), fleet([phone], releases));
  assert.equal([componentOf(p, 'p', 'firmware').state, componentOf(p, 'p', 'firmware').reason], ['Blocked', 'GroupSuspended']);
  assert.is(p.operations.length, 0);
});

test('autoUpdate.components leaves the other component to manual updates', () => {
  const p = planAt(config(alwaysOpen(), aGroup('g', { selector: {}, autoUpdate: { components: ['firmware'] }, updatePhase: 'Validation', maintenanceWindow: 'always' })), fleet([phone], releases));
  assert.equal(p.operations.map((o) => o.component), ['firmware']);
  assert.is(componentOf(p, 'p', 'teamsClient').reason, 'AutoUpdateDisabled');
});

test.run();
