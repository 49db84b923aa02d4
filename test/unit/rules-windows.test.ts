// Maintenance windows (seed 000): at least 3 hours, may cross midnight, HH:MM times, weekdays, IANA zones.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { aWindow, assertLoaded, assertRefused, loadObjects } from '../support/config.ts';
import { windowMinutes } from '../../controller/api/rules.ts';

test('a window crossing midnight counts the hours on both sides: 22:00–01:00 is 3 hours and is accepted', () => {
  assert.is(windowMinutes('22:00', '01:00'), 180);
  assertLoaded(loadObjects(aWindow('nightly', '22:00', '01:00')), ['MaintenanceWindow/nightly']);
});

test('the default-sized window 01:00–04:00 in a named zone on chosen days is accepted', () => {
  assertLoaded(loadObjects(aWindow('sunday', '01:00', '04:00', { days: ['Saturday', 'Sunday'], timeZone: 'Europe/Paris' })), ['MaintenanceWindow/sunday']);
});

test('a window shorter than 3 hours is refused, naming its length', () => {
  assertRefused(loadObjects(aWindow('short', '22:00', '00:30')), [
    'config.yaml:7: MaintenanceWindow/short spec.end: the window 22:00–00:30 lasts 2h30m; a maintenance window must last at least 3 hours (seed 000)',
  ]);
});

test('a window of 2h59m is refused and one of exactly 3h is not', () => {
  assertRefused(loadObjects(aWindow('almost', '01:00', '03:59')), [
    'config.yaml:7: MaintenanceWindow/almost spec.end: the window 01:00–03:59 lasts 2h59m; a maintenance window must last at least 3 hours (seed 000)',
  ]);
  assertLoaded(loadObjects(aWindow('exact', '21:00', '00:00')), ['MaintenanceWindow/exact']);
});

test('a window whose start and end are equal is empty and refused', () => {
  assertRefused(loadObjects(aWindow('empty', '02:00', '02:00')), [
    'config.yaml:7: MaintenanceWindow/empty spec.end: start and end are both 02:00, so the window is empty; a maintenance window must last at least 3 hours (seed 000)',
  ]);
});

test('malformed times are refused with the expected form', () => {
  assertRefused(loadObjects(aWindow('bad', '7:00', '24:00')), [
    'config.yaml:6: MaintenanceWindow/bad spec.start: "7:00" is not a time; write HH:MM on a 24-hour clock, 00:00 to 23:59',
    'config.yaml:7: MaintenanceWindow/bad spec.end: "24:00" is not a time; write HH:MM on a 24-hour clock, 00:00 to 23:59',
  ]);
});

test('an abbreviated weekday is refused, naming the days that are allowed', () => {
  assertRefused(loadObjects(aWindow('bad', '01:00', '04:00', { days: ['Sun'] })), [
    'config.yaml:9: MaintenanceWindow/bad spec.days[0]: "Sun" is not allowed; one of: Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday',
  ]);
});

test('a weekday listed twice is refused', () => {
  assertRefused(loadObjects(aWindow('bad', '01:00', '04:00', { days: ['Sunday', 'Sunday'] })), [
    'config.yaml:10: MaintenanceWindow/bad spec.days[1]: "Sunday" is listed twice',
  ]);
});

test('a time zone that is not an IANA zone is refused with the nearest real one', () => {
  assertRefused(loadObjects(aWindow('bad', '01:00', '04:00', { timeZone: 'Europe/Pariss' })), [
    'config.yaml:8: MaintenanceWindow/bad spec.timeZone: "Europe/Pariss" is not an IANA time zone (did you mean Europe/Paris?); write device or a name such as Europe/Paris',
  ]);
  assertRefused(loadObjects(aWindow('bad', '01:00', '04:00', { timeZone: 'Mars/Olympus' })), [
    'config.yaml:8: MaintenanceWindow/bad spec.timeZone: "Mars/Olympus" is not an IANA time zone; write device or a name such as Europe/Paris',
  ]);
});

test('timeZone device (the device\'s own zone) and IANA names such as America/New_York are accepted', () => {
  assertLoaded(loadObjects(
    aWindow('local', '01:00', '04:00', { timeZone: 'device' }),
    aWindow('nyc', '01:00', '04:00', { timeZone: 'America/New_York' }),
  ), ['MaintenanceWindow/local', 'MaintenanceWindow/nyc']);
});

test.run();
