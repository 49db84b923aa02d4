// Forecast (issue 3 item 5): stage schedule and adoption share by date, assuming every update succeeds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { forecast } from '../../controller/planner/forecast.ts';
import { DAY, NOW, aGroup, aPhase, aPhone, aPolicy, aRelease, aRoom, aWindow, alwaysOpen, config, daysAgo, fleet, planAt } from '../support/builders.ts';

const rooms = (n: number, ring: string, fw = '1.0.0.1') => Array.from({ length: n }, (_, i) => aRoom({ id: `${ring}-${i}`, labels: { ring }, software: { firmware: fw } }));
const byRing = ['Staging', 'General', 'Executive'].map((r) => aGroup(`ring-${r}`, { ring: r, selector: { matchLabels: { ring: r } }, maintenanceWindow: 'always' }));
const releases = [aRelease('firmware', '1.0.0.1'), aRelease('firmware', '1.0.0.2', { at: '2026-11-18T00:00:00Z' })];

test('a ring forecast gives each ring its start and end, and adoption reaches the whole fleet', () => {
  const f = forecast(config(alwaysOpen(), ...byRing), fleet([...rooms(10, 'Staging'), ...rooms(20, 'General'), ...rooms(5, 'Executive')], releases),
    { component: 'firmware', version: '1.0.0.2' }, NOW, { horizonDays: 60 });
  assert.equal(f.stages.map((s) => [s.name, s.startsAt, s.endsAt, s.devices]), [
    ['Staging', '2026-11-18T00:00:00.000Z', '2026-11-28T00:00:00.000Z', 10],
    ['General', '2026-11-28T00:00:00.000Z', '2026-12-19T00:00:00.000Z', 20],
    ['Executive', '2026-12-19T00:00:00.000Z', '2027-01-02T00:00:00.000Z', 5],
  ]);
  assert.is(f.eligibleDevices, 35);
  assert.is(f.adoption.length, 61);
  assert.equal(f.adoption[0], { at: NOW.toISOString(), devices: f.adoption[0]!.devices, share: f.adoption[0]!.share });
  const at = (iso: string) => f.adoption.find((a) => a.at === iso)!;
  assert.is(at('2026-11-22T23:59:59.999Z').devices, 10, 'Staging done after its 5-day rollout');
  assert.ok(at('2026-11-27T23:59:59.999Z').devices === 10, 'nobody else before General starts');
  assert.is(at('2026-12-11T23:59:59.999Z').devices, 30, 'General done after its 14-day rollout');
  assert.is(f.adoption.at(-1)!.share, 1);
  for (let i = 1; i < f.adoption.length; i++) assert.ok(f.adoption[i]!.devices >= f.adoption[i - 1]!.devices, 'adoption never goes down');
});

test('devices already on the release count from the start', () => {
  const f = forecast(config(alwaysOpen(), ...byRing), fleet([...rooms(3, 'Staging', '1.0.0.2'), ...rooms(1, 'Executive')], releases),
    { component: 'firmware', version: '1.0.0.2' }, NOW, { horizonDays: 7 });
  assert.equal(f.adoption[0], { at: NOW.toISOString(), devices: 3, share: 0.75 });
  assert.match(f.notes.join('\n'), /after the horizon \(7 days\): 1 device/);
});

test('a phase forecast waits for the deferral and follows the maintenance window', () => {
  const phones = Array.from({ length: 4 }, (_, i) => aPhone({ id: `p${i}`, software: { firmware: '1.0.0.1' } }));
  const f = forecast(config(aPhase('General', { rolloutDuration: '0d' })), fleet(phones, [aRelease('firmware', '1.0.0.1'), aRelease('firmware', '1.0.0.2', { daysAgo: 20 })]),
    { component: 'firmware', version: '1.0.0.2' }, NOW, { horizonDays: 20 });
  // Deferral ends 10 days from NOW (Saturday 28 November 12:00); the default window opens Sunday 29 at 01:00 UTC.
  assert.equal(f.stages.find((s) => s.name === 'General')!.startsAt, new Date(Date.parse(daysAgo(20)) + 30 * DAY).toISOString());
  assert.is(f.adoption.find((a) => a.at === '2026-11-28T23:59:59.999Z')!.devices, 0);
  assert.is(f.adoption.find((a) => a.at === '2026-11-29T23:59:59.999Z')!.devices, 4);
});

test('a tenant pause delays the forecast until it lifts', () => {
  const phones = [aPhone({ id: 'p', software: { firmware: '1.0.0.1' } })];
  const f = forecast(config(alwaysOpen('default'), aPhase('Validation', { rolloutDuration: '0d' }), aGroup('v', { updatePhase: 'Validation' }), aPolicy({ autoUpdates: { pausedAt: daysAgo(1) } })),
    fleet(phones, [aRelease('firmware', '1.0.0.1'), aRelease('firmware', '1.0.0.2', { daysAgo: 1 })]), { component: 'firmware', version: '1.0.0.2' }, NOW, { horizonDays: 20 });
  assert.is(f.adoption.find((a) => a.at === '2026-12-01T23:59:59.999Z')!.devices, 0);
  assert.is(f.adoption.find((a) => a.at === '2026-12-02T23:59:59.999Z')!.devices, 1);
  // The same words as the plan's finding: one notice, written by the rule (tenant.ts).
  const from = Date.parse(daysAgo(1));
  assert.ok(f.notes.includes(`automatic updates are paused from ${new Date(from).toISOString()} until ${new Date(from + 15 * DAY).toISOString()} (15 days; remove autoUpdates.pausedAt to resume earlier)`), f.notes.join('\n'));
});

test('devices that cannot take the release automatically are left out and explained', () => {
  const devices = [
    aPhone({ id: 'unknown', software: { firmware: '0.0.0.9' } }),
    aPhone({ id: 'pinned', labels: { pin: 'y' }, software: { firmware: '1.0.0.1' } }),
    aPhone({ id: 'ok', software: { firmware: '1.0.0.1' } }),
  ];
  const f = forecast(config(aGroup('pin', { selector: { matchLabels: { pin: 'y' } }, pin: { firmware: '1.0.0.1' } })), fleet(devices, releases),
    { component: 'firmware', version: '1.0.0.2' }, NOW);
  assert.is(f.eligibleDevices, 1);
  assert.ok(f.notes.includes('left out, pinned below it: 1 device'));
  assert.ok(f.notes.includes('left out, on a version the catalog does not know (manual updates only): 1 device'));
});

test('the forecast agrees with the plan: by each date, the devices whose planned start has passed', () => {
  const zones = ['Europe/London', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata'];
  const devices = Array.from({ length: 120 }, (_, i) => (i % 3 === 0 ? aRoom : aPhone)({
    id: `d${String(i).padStart(3, '0')}`, timeZone: zones[i % zones.length]!, labels: { g: String(i % 4) }, software: { firmware: '1.0.0.1' },
  }));
  const desired = config(
    aWindow('nights', { start: '22:00', end: '03:00', days: ['Monday', 'Wednesday', 'Friday'] }),
    aGroup('g0', { selector: { matchLabels: { g: '0' } }, updatePhase: 'Validation', maintenanceWindow: 'nights' }),
    aGroup('g1', { selector: { matchLabels: { g: '1' } }, ring: 'Staging' }),
    aGroup('g2', { selector: { matchLabels: { g: '2' } }, ring: 'Executive', maintenanceWindow: 'nights' }),
  );
  const observed = fleet(devices, [aRelease('firmware', '1.0.0.1', { daysAgo: 200 }), aRelease('firmware', '1.0.0.2', { daysAgo: 3 })]);
  const f = forecast(desired, observed, { component: 'firmware', version: '1.0.0.2' }, NOW, { horizonDays: 120 });
  const starts = planAt(desired, observed).devices.map((d) => Date.parse(d.components[0]!.notBefore!));
  assert.is(f.eligibleDevices, 120);
  for (const point of f.adoption) {
    assert.is(point.devices, starts.filter((t) => t <= Date.parse(point.at)).length, point.at);
  }
});

test('an unknown release is a clear error', () => {
  assert.throws(() => forecast(config(), fleet([], releases), { component: 'firmware', version: '9.9.9.9' }, NOW), /no release firmware@9\.9\.9\.9 in the catalog/);
});

test('a forecast is computed from the same inputs to the same output', () => {
  const run = () => JSON.stringify(forecast(config(alwaysOpen(), ...byRing), fleet([...rooms(7, 'Staging'), ...rooms(9, 'General')], releases), { component: 'firmware', version: '1.0.0.2' }, NOW));
  assert.is(run(), run());
});

test.run();
