// Maintenance windows (seed 000 "Configure Maintenance window", FAQ "When do automatic updates happen?";
// seed 001 "when next the room is available"): device-local, fixed zone, days, crossing midnight,
// DST, the Sunday 01:00–04:00 default; an operation only starts inside a window; busy devices wait.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { aGroup, aPhase, aPhone, aRelease, aSoftwareUpdate, aWindow, componentOf, config, fleet, planAt } from '../support/builders.ts';
import { WindowCalendar, compileWindow } from '../../controller/planner/windows.ts';
import type { FleetDevice, FleetwardObject, MaintenanceWindowSpec } from '../../controller/api/types.ts';

// A Validation phone with a firmware release long out: only the window decides.
const releases = [aRelease('firmware', '1.0.0.1'), aRelease('firmware', '1.0.0.2', { daysAgo: 60 })];
const noSlot = aPhase('Validation', { rolloutDuration: '0d' });
function notBefore(device: Partial<FleetDevice>, window: MaintenanceWindowSpec | null, now: string): { state: string; reason: string; notBefore: string | null } {
  const objs: FleetwardObject[] = [noSlot, aGroup('all', { updatePhase: 'Validation', ...(window ? { maintenanceWindow: 'w' } : {}) })];
  if (window) objs.push(aWindow('w', window));
  const c = componentOf(planAt(config(...objs), fleet([aPhone({ id: 'p', software: { firmware: '1.0.0.1' }, ...device })], releases), now), 'p', 'firmware');
  return { state: c.state, reason: c.reason, notBefore: c.notBefore };
}

const nights: MaintenanceWindowSpec = { start: '22:00', end: '03:00', days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'] };
const table: [string, Partial<FleetDevice>, MaintenanceWindowSpec | null, string, string][] = [
  // name, device, window (null = default), now, expected notBefore
  ['the default window is Sunday 01:00–04:00 in the device zone (UTC)', {}, null, '2026-11-18T12:00:00Z', '2026-11-22T01:00:00.000Z'],
  ['the default window follows the device zone (Paris, winter time)', { timeZone: 'Europe/Paris' }, null, '2026-11-18T12:00:00Z', '2026-11-22T00:00:00.000Z'],
  ['the default window follows the device zone (New York)', { timeZone: 'America/New_York' }, null, '2026-11-18T12:00:00Z', '2026-11-22T06:00:00.000Z'],
  ['the default window follows the device zone (Kolkata, half-hour offset)', { timeZone: 'Asia/Kolkata' }, null, '2026-11-18T12:00:00Z', '2026-11-21T19:30:00.000Z'],
  ['inside an open window the operation starts now', {}, null, '2026-11-22T02:00:00Z', '2026-11-22T02:00:00.000Z'],
  ['once the window has closed the operation waits a week', {}, null, '2026-11-22T04:00:00Z', '2026-11-29T01:00:00.000Z'],
  ['a window crossing midnight opens in the evening', {}, nights, '2026-11-18T12:00:00Z', '2026-11-18T22:00:00.000Z'],
  ['a window crossing midnight is still open after midnight', {}, nights, '2026-11-19T02:30:00Z', '2026-11-19T02:30:00.000Z'],
  ["Friday's window crossing midnight is open early on Saturday", {}, nights, '2026-11-21T01:00:00Z', '2026-11-21T01:00:00.000Z'],
  ['after the last night of the week the next window is Monday evening', {}, nights, '2026-11-21T03:00:00Z', '2026-11-23T22:00:00.000Z'],
  ["Sunday's window crossing midnight is open early on Monday (across the week boundary)", {}, { start: '22:00', end: '03:00', days: ['Sunday'] }, '2026-11-23T01:00:00Z', '2026-11-23T01:00:00.000Z'],
  ['a window in a fixed zone ignores the device zone', { timeZone: 'Asia/Tokyo' }, { start: '02:00', end: '05:00', days: ['Sunday'], timeZone: 'Europe/Paris' }, '2026-11-18T12:00:00Z', '2026-11-22T01:00:00.000Z'],
  ['London, spring forward: a 01:00 opening that does not exist starts at 02:00 BST', { timeZone: 'Europe/London' }, null, '2027-03-27T12:00:00Z', '2027-03-28T01:00:00.000Z'],
  ['London, the Sunday after spring forward opens at 01:00 BST', { timeZone: 'Europe/London' }, null, '2027-03-28T04:00:00Z', '2027-04-04T00:00:00.000Z'],
  ['New York, spring forward: a 02:30 opening moves to 03:30 EDT', { timeZone: 'America/New_York' }, { start: '02:30', end: '05:30', days: ['Sunday'] }, '2027-03-13T12:00:00Z', '2027-03-14T07:30:00.000Z'],
  ['New York, fall back: the window opens at 01:00 local', { timeZone: 'America/New_York' }, null, '2026-10-31T12:00:00Z', '2026-11-01T05:00:00.000Z'],
  ['Sydney, DST begins: 01:00 AEST is 15:00 UTC the day before', { timeZone: 'Australia/Sydney' }, null, '2026-10-03T00:00:00Z', '2026-10-03T15:00:00.000Z'],
  ['Sydney, DST ends: 01:00 AEDT is 14:00 UTC the day before', { timeZone: 'Australia/Sydney' }, null, '2027-04-03T00:00:00Z', '2027-04-03T14:00:00.000Z'],
];
for (const [name, device, window, now, expected] of table) {
  test(name, () => {
    const r = notBefore(device, window, now);
    assert.is(r.notBefore, expected);
    assert.is(r.state, expected === new Date(now).toISOString() ? 'Due' : 'Scheduled');
    if (r.state === 'Scheduled') assert.is(r.reason, 'OutsideWindow');
  });
}

// Seed 000: "If an update operation is unable to start execution within the maintenance window it is
// scheduled for, it is cancelled and rescheduled": every due operation carries its window's end.
function due(device: Partial<FleetDevice>, window: MaintenanceWindowSpec | null, now: string, ...extra: FleetwardObject[]) {
  const objs: FleetwardObject[] = [noSlot, aGroup('all', { updatePhase: 'Validation', ...(window ? { maintenanceWindow: 'w' } : {}) }), ...extra];
  if (window) objs.push(aWindow('w', window));
  return planAt(config(...objs), fleet([aPhone({ id: 'p', software: { firmware: '1.0.0.1' }, ...device })], releases), now).operations;
}
const twoToFive: MaintenanceWindowSpec = { start: '02:00', end: '05:00', days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] };
const deadlines: [string, Partial<FleetDevice>, MaintenanceWindowSpec | null, string, string][] = [
  ['the default window: Sunday 01:00–04:00 UTC closes at 04:00', {}, null, '2026-11-22T02:00:00Z', '2026-11-22T04:00:00.000Z'],
  ['02:00–05:00 in Paris (winter) closes at 04:00 UTC', { timeZone: 'Europe/Paris' }, twoToFive, '2026-11-23T03:00:00Z', '2026-11-23T04:00:00.000Z'],
  ['a window crossing midnight closes the next morning', {}, nights, '2026-11-18T23:00:00Z', '2026-11-19T03:00:00.000Z'],
  ['New York, fall back: 01:00–04:00 local lasts four hours and closes at 09:00 UTC', { timeZone: 'America/New_York' }, null, '2026-11-01T06:30:00Z', '2026-11-01T09:00:00.000Z'],
  ['Kolkata, half-hour offset: 02:00–05:00 closes at 23:30 UTC', { timeZone: 'Asia/Kolkata' }, twoToFive, '2026-11-22T22:00:00Z', '2026-11-22T23:30:00.000Z'],
];
for (const [name, device, window, now, end] of deadlines) {
  test(`the start deadline is the end of the window: ${name}`, () => {
    const ops = due(device, window, now);
    assert.is(ops.length, 1);
    assert.is(ops[0]!.windowEndsAt, end);
  });
}

test('a manual update bound to no window (schedule now) has no start deadline; nextMaintenanceWindow has its window end', () => {
  const now = '2026-11-23T03:00:00Z';
  const su = (schedule: 'now' | 'nextMaintenanceWindow') => aSoftwareUpdate('su', { target: { devices: ['p'] }, component: 'firmware', version: '1.0.0.2', schedule });
  const [immediate] = due({ timeZone: 'Europe/Paris', software: { firmware: '1.0.0.1' } }, twoToFive, now, su('now'));
  assert.is(immediate?.reason, 'ManualUpdate');
  assert.is(immediate?.windowEndsAt, undefined);
  const [windowed] = due({ timeZone: 'Europe/Paris' }, twoToFive, now, su('nextMaintenanceWindow'));
  assert.is(windowed?.reason, 'ManualUpdate');
  assert.is(windowed?.windowEndsAt, '2026-11-23T04:00:00.000Z');
});

test('a device in a meeting is not interrupted: the update waits until it is idle', () => {
  const r = notBefore({ activityState: 'busy' }, null, '2026-11-22T02:00:00Z');
  assert.equal(r, { state: 'Scheduled', reason: 'DeviceBusy', notBefore: '2026-11-22T02:00:00.000Z' });
});

test('an offline device gets its update when it is back, not now', () => {
  assert.is(notBefore({ online: false }, null, '2026-11-22T02:00:00Z').reason, 'DeviceOffline');
  assert.is(notBefore({ activityState: 'offline' }, null, '2026-11-22T02:00:00Z').reason, 'DeviceOffline');
});

test('a busy device outside its window is reported as waiting for the window', () => {
  assert.is(notBefore({ activityState: 'busy' }, null, '2026-11-18T12:00:00Z').reason, 'OutsideWindow');
});

test('a window calendar tells whether it is open and when it closes, across midnight', () => {
  const cal = new WindowCalendar(compileWindow('w', nights), 'Europe/Paris');
  const t = Date.parse('2026-11-18T22:30:00Z'); // 23:30 Paris, Wednesday
  assert.ok(cal.isOpen(t));
  assert.is(new Date(cal.closeAfter(t)).toISOString(), '2026-11-19T02:00:00.000Z');
  assert.not.ok(cal.isOpen(Date.parse('2026-11-19T02:00:00Z')));
});

test('a window that never opens blocks automatic updates instead of looping', () => {
  const r = notBefore({}, { start: '01:00', end: '04:00', days: [] }, '2026-11-18T12:00:00Z');
  assert.is(r.state, 'Blocked');
  assert.is(r.reason, 'NoWindow');
});

test('a device reporting an unknown zone is planned in UTC and reported', () => {
  const p = planAt(config(noSlot), fleet([aPhone({ id: 'p', timeZone: 'Mars/Olympus', software: { firmware: '1.0.0.1' } })], releases));
  assert.is(componentOf(p, 'p', 'firmware').notBefore, '2026-11-22T01:00:00.000Z');
  assert.ok(p.findings.some((f) => f.code === 'UnknownTimeZone' && f.message === 'time zone "Mars/Olympus" is not an IANA zone, UTC is used: 1 device'));
});

test.run();
