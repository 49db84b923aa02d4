// The events worth a message, as a receiver reads them, from real passes over the simulated fleet: a burst of
// held devices is one message, a refused revision carries its errors and is resolved when a valid one is
// applied, a tenant pause is announced, reminded before it ends and resolved when it lifts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Notifier } from '../../controller/notify/notifier.ts';
import { silentLogger } from '../../controller/reconciler/log.ts';
import { Fixture, aGroup, aPhone, aRelease, anAlwaysWindow } from '../support/reconciler-fixture.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { aProvider, aRule } from '../support/notify.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const notify = (url: string, events: string, rate = '{messages: 100, per: 1m}') => ({
  'notify.yaml': `${aProvider('hook', `type: generic\naddress: ${url}/events\nrateLimit: ${rate}\nsecretRef:\n  env: FLEETWARD_NOTIFY_KEY`)}---\n${aRule('all', 'hook', `events: [${events}]`)}`,
});
const policy = (extra: string) => ({
  'policy.yaml': `apiVersion: fleetward.dev/v1alpha1
kind: FleetPolicy
metadata:
  name: default
spec:
${extra}`,
});

function setUp(rx: Receiver, devices: number, events: string, config: Record<string, string> = {}, behaviour = {}): { f: Fixture; n: Notifier } {
  const f = new Fixture({
    devices: Array.from({ length: devices }, (_, i) => aPhone(`phone-${String(i + 1).padStart(3, '0')}`)),
    releases: [aRelease('122.15.0.30', { releasedAt: '2026-06-01T00:00:00Z' }), aRelease('122.15.0.44')],
    behaviour, config: { 'window.yaml': anAlwaysWindow(), 'group.yaml': aGroup('phones', 'always'), ...notify(rx.url, events), ...config },
  });
  const n = new Notifier({ clock: f.clock, logger: silentLogger, secrets: { env: { FLEETWARD_NOTIFY_KEY: 'events-test-key-11aa22bb' } } });
  f.start({ notifier: n });
  return { f, n };
}

async function pass(f: Fixture, n: Notifier, advanceMs = 0): Promise<void> {
  f.clock.advance(advanceMs);
  await f.reconciler.reconcile();
  await n.deliverDue();
}

const said = (rx: Receiver) => rx.accepted().map((r) => `${r.json.action} ${r.json.event.reason}`);

test('60 phones held after their attempts are one message naming the first 50 and counting all 60', async () => {
  const rx = await startReceiver();
  const { f, n } = setUp(rx, 60, 'DevicesHeld', policy('  retry:\n    maxAttempts: 1\n'), { failureRate: 1 });
  await pass(f, n);
  for (let i = 0; i < 4; i++) await pass(f, n, HOUR);
  assert.equal(said(rx), ['open DevicesHeld']);
  const e = rx.accepted()[0]!.json.event;
  assert.is(e.key, 'DevicesHeld/firmware/122.15.0.44');
  assert.is(e.deviceCount, 60);
  assert.is(e.devices.length, 50);
  assert.is(e.devices[0], 'phone-001');
  assert.match(e.title, /^60 device\(s\) held after repeated failures of firmware 122\.15\.0\.44$/);
  await n.close();
  await f.close();
  await rx.close();
});

test('a refused revision is announced with its validation errors, and resolved when a valid one is applied', async () => {
  const rx = await startReceiver();
  const { f, n } = setUp(rx, 2, 'InvalidRevision');
  await pass(f, n);
  f.writeConfig({ 'group.yaml': aGroup('phones', 'nowhere') });
  await pass(f, n, 2 * 60_000);
  await pass(f, n, 2 * 60_000);
  assert.equal(said(rx), ['open InvalidRevision']);
  const e = rx.accepted()[0]!.json.event;
  assert.match(e.errors[0], /group\.yaml:\d+: DeviceGroup\/phones spec\.maintenanceWindow: MaintenanceWindow "nowhere" does not exist/);
  assert.match(e.message, /stays in force/);
  f.writeConfig({ 'group.yaml': aGroup('phones', 'always') });
  await pass(f, n, 2 * 60_000);
  await pass(f, n, 2 * 60_000);
  assert.equal(said(rx), ['open InvalidRevision', 'resolve InvalidRevision']);
  await n.close();
  await f.close();
  await rx.close();
});

test('a tenant pause: announced when it starts, a reminder the day before it lifts, resolved when it lifts by itself', async () => {
  const rx = await startReceiver();
  // The pause begins at the fixture's clock (2026-11-23T12:00Z) and lifts by itself 15 days later (seed 000).
  const { f, n } = setUp(rx, 2, 'TenantPaused, TenantPauseEndingSoon', policy('  autoUpdates:\n    pausedAt: "2026-11-23T12:00:00Z"\n'));
  await pass(f, n);
  await pass(f, n, 2 * 60_000);
  assert.equal(said(rx), ['open TenantPaused']);
  assert.match(rx.accepted()[0]!.json.event.title, /until 2026-12-08T12:00:00/);
  await pass(f, n, 13 * DAY);
  assert.equal(said(rx), ['open TenantPaused'], 'nothing more for 13 days');
  await pass(f, n, DAY); // 23 h 58 min before it lifts
  await pass(f, n, 2 * 60_000);
  assert.equal(said(rx), ['open TenantPaused', 'open TenantPauseEndingSoon']);
  await pass(f, n, DAY);
  assert.equal(said(rx), ['open TenantPaused', 'open TenantPauseEndingSoon', 'resolve TenantPaused'], 'the reminder has no resolve message of its own');
  await n.close();
  await f.close();
  await rx.close();
});

test('a provider\'s rate limit holds the rest for the next period, in the order they were found', async () => {
  const rx = await startReceiver();
  // A pause 14 days 12 hours old: TenantPaused and TenantPauseEndingSoon at once; and a refused revision.
  const events = 'TenantPaused, TenantPauseEndingSoon, InvalidRevision';
  const { f, n } = setUp(rx, 2, events, { ...policy('  autoUpdates:\n    pausedAt: "2026-11-09T00:00:00Z"\n'), ...notify(rx.url, events, '{messages: 2, per: 1m}') });
  await pass(f, n);
  f.writeConfig({ 'group.yaml': aGroup('phones', 'nowhere') });
  await pass(f, n, 2 * 60_000);
  await pass(f, n, 10_000);
  assert.is(rx.accepted().length, 2, 'two a minute');
  await pass(f, n, 50_000);
  assert.is(rx.accepted().length, 3, 'the third in the next minute');
  assert.equal(rx.accepted().map((r) => r.json.event.reason).sort(), ['InvalidRevision', 'TenantPauseEndingSoon', 'TenantPaused']);
  await n.close();
  await f.close();
  await rx.close();
});

test.run();
