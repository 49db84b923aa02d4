// One message per event, not one per pass (controller/notify/delivery.ts): the group wait gathers a burst,
// the cool-down keeps a flapping event quiet, growth is an update at most once per cool-down, the end is
// one resolve, and a commit status follows its state at once. Pure: fixed instants, no clock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { advance, DEFAULT_SETTINGS } from '../../controller/notify/delivery.ts';
import type { NotificationContent, NotificationRecords } from '../../controller/store/records.ts';

const T0 = '2026-11-23T02:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

function held(devices: string[]): NotificationContent {
  return {
    key: 'DevicesHeld/firmware/1.2.3.4', reason: 'DevicesHeld', severity: 'warning', object: 'FleetPolicy/default',
    title: `${devices.length} held`, message: 'held', devices, deviceCount: devices.length,
  };
}
const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `phone-${String(i + from).padStart(3, '0')}`);

/** Runs passes: each returns the actions enqueued at that instant, and the book carries over. */
function passes(steps: [minute: number, derived: NotificationContent[], routed?: string[]][], routes = () => ['teams']): string[][] {
  let book: NotificationRecords = { events: {}, deliveries: {} };
  const out: string[][] = [];
  for (const [m, derived, routed] of steps) {
    const r = advance({ now: at(m), stored: book, derived, routes: routed ? () => routed : routes });
    const events = { ...book.events };
    for (const [k, v] of Object.entries(r.changes.events ?? {})) { if (v === null) delete events[k]; else events[k] = v; }
    const deliveries = { ...book.deliveries };
    for (const [k, v] of Object.entries(r.changes.deliveries ?? {})) { if (v === null) delete deliveries[k]; else deliveries[k] = v; }
    book = { events, deliveries };
    out.push(r.enqueued.map((d) => `${d.provider}:${d.action}:${d.content.deviceCount}`));
  }
  return out;
}

test('50 devices held over a few passes inside the group wait are one message listing them', () => {
  const out = passes([[0, [held(ids(10))]], [0.5, [held(ids(50))]], [1, [held(ids(50))]], [2, [held(ids(50))]], [3, [held(ids(50))]]]);
  assert.equal(out, [[], [], ['teams:open:50'], [], []]);
});

test('the message lists the first 50 devices and counts the rest', () => {
  const r = advance({ now: at(5), stored: { events: {}, deliveries: {} }, derived: [{ ...held(ids(50)), deviceCount: 120 }], routes: () => ['t'], settings: { ...DEFAULT_SETTINGS, groupWaitMs: 0 } });
  assert.is(r.enqueued[0]!.content.devices.length, 50);
  assert.is(r.enqueued[0]!.content.deviceCount, 120);
});

test('more devices held later are one update, not before the cool-down', () => {
  const out = passes([[0, [held(ids(3))]], [1, [held(ids(3))]], [20, [held(ids(5))]], [40, [held(ids(8))]], [61, [held(ids(8))]], [62, [held(ids(8))]]]);
  assert.equal(out, [[], ['teams:open:3'], [], [], ['teams:update:8'], []]);
});

test('an event that ends is resolved once; one that flaps back inside the cool-down stays quiet until it is over', () => {
  const out = passes([
    [0, [held(ids(2))]], [1, [held(ids(2))]], // opened
    [10, []], // resolved
    [12, [held(ids(2))]], [30, [held(ids(2))]], // back inside the cool-down: quiet
    [71, [held(ids(2))]], // still there after the cool-down: said again
    [72, []], // and its end
  ]);
  assert.equal(out, [[], ['teams:open:2'], ['teams:resolve:2'], [], [], ['teams:open:2'], ['teams:resolve:2']]);
});

test('an event that ends inside its group wait says nothing at all', () => {
  assert.equal(passes([[0, [held(ids(1))]], [0.5, []], [5, []]]), [[], [], []]);
});

test('reminders have no resolve message', () => {
  const soon: NotificationContent = { key: 'TenantPauseEndingSoon/x', reason: 'TenantPauseEndingSoon', severity: 'info', object: 'FleetPolicy/default', title: 't', message: 'm', devices: [], deviceCount: 0 };
  assert.equal(passes([[0, [soon]], [1, [soon]], [2, []]]), [[], ['teams:open:0'], []]);
});

test('a commit status is sent at once on every change of state, and only then', () => {
  const status = (state: 'pending' | 'success' | 'failure'): NotificationContent => ({
    key: 'RevisionStatus/abc', reason: 'RevisionStatus', severity: 'info', object: 'FleetPolicy/default', title: state, message: state, devices: [], deviceCount: 0, revision: 'abc', state,
  });
  const out = passes([[0, [status('pending')]], [1, [status('pending')]], [2, [status('success')]], [3, [status('success')]]], () => ['github']);
  assert.equal(out, [['github:open:0'], [], ['github:update:0'], []]);
});

test('a rule added while an event is open: its provider is told once, and of the end with the others', () => {
  assert.equal(passes([
    [0, [held(ids(1))], []], [2, [held(ids(1))], []], // announced (a Kubernetes Event, a log line), no provider yet
    [3, [held(ids(1))], ['tickets']], [4, [held(ids(1))], ['tickets']], // the new rule's provider hears of it once
    [5, [held(ids(1))], ['tickets', 'teams']], // and so does the next one
    [6, [], ['tickets', 'teams']], // the end goes to both
  ]), [[], [], ['tickets:open:1'], [], ['teams:open:1'], ['tickets:resolve:1', 'teams:resolve:1']]);
});

test.run();
