// Notifications end to end: the reconciler's notify step, the delivery loop and one real HTTP receiver per
// provider format (generic signed JSON, Teams Adaptive Card, Slack blocks, a ticket webhook), asserting what
// each receiver reads. A release paused by its failure threshold is the event; raising the threshold resolves it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Notifier } from '../../controller/notify/notifier.ts';
import { silentLogger } from '../../controller/reconciler/log.ts';
import { verifySignature } from '../../controller/server/webhook.ts';
import { Metrics } from '../../controller/server/metrics.ts';
import { Fixture, aRing } from '../support/reconciler-fixture.ts';
import { aProvider, aRule, passUntilPaused, pausedRooms } from '../support/notify.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';

const HOUR = 3_600_000;
const HOOK_KEY = 'hmac-key-for-the-generic-receiver-7f3a';
const TICKET_TOKEN = 'ticket-bearer-token-b81c44d2e9';


interface Receivers { generic: Receiver; teams: Receiver; slack: Receiver; ticket: Receiver }

async function receivers(): Promise<Receivers> {
  return { generic: await startReceiver(), teams: await startReceiver(), slack: await startReceiver(), ticket: await startReceiver() };
}

function notificationConfig(r: Receivers): Record<string, string> {
  return {
    'notify/providers.yaml': [
      aProvider('hook', `type: generic\naddress: ${r.generic.url}/fleet-events\nsecretRef:\n  env: FLEETWARD_NOTIFY_HOOK_KEY`),
      aProvider('rooms-team', 'type: teams\nsecretRef:\n  env: FLEETWARD_NOTIFY_TEAMS_URL'),
      aProvider('ops-slack', 'type: slack\nchannel: "#rooms"\nsecretRef:\n  env: FLEETWARD_NOTIFY_SLACK_URL'),
      aProvider('incidents', `type: ticket\naddress: ${r.ticket.url}/incidents\nsecretRef:\n  env: FLEETWARD_NOTIFY_TICKET_TOKEN`),
    ].join('---\n'),
    'notify/rules.yaml': [aRule('hook', 'hook'), aRule('teams', 'rooms-team'), aRule('slack', 'ops-slack'), aRule('tickets', 'incidents', 'severity: error')].join('---\n'),
  };
}

function aNotifier(f: Fixture, r: Receivers, metrics = new Metrics()): Notifier {
  return new Notifier({
    clock: f.clock, logger: silentLogger, metrics, consoleUrl: 'https://fleet.example.test',
    settings: { groupWaitMs: 0 },
    secrets: {
      env: {
        FLEETWARD_NOTIFY_HOOK_KEY: HOOK_KEY, FLEETWARD_NOTIFY_TEAMS_URL: `${r.teams.url}/workflows/abc`,
        FLEETWARD_NOTIFY_SLACK_URL: `${r.slack.url}/services/T0/B0/xyz`, FLEETWARD_NOTIFY_TICKET_TOKEN: TICKET_TOKEN,
      },
    },
  });
}


test('a paused release reaches every provider once, in its own format, and its end once more', async () => {
  const r = await receivers();
  const f = pausedRooms(notificationConfig(r));
  const metrics = new Metrics();
  const n = aNotifier(f, r, metrics);
  f.start({ notifier: n });
  await f.reconciler.reconcile();
  await n.deliverDue();
  assert.is(r.generic.requests.length, 0, 'nothing to say before the release pauses');
  f.clock.advance(2 * HOUR);
  await f.reconciler.reconcile();
  await n.deliverDue();
  // Three more passes see the same pause: nothing more is sent.
  for (let i = 0; i < 3; i++) { f.clock.advance(60_000); await f.reconciler.reconcile(); await n.deliverDue(); }

  // generic: signed JSON, the signature verifies with the shared key, the delivery id names the message
  assert.is(r.generic.requests.length, 1);
  const g = r.generic.requests[0]!;
  assert.is(g.path, '/fleet-events');
  assert.ok(verifySignature(HOOK_KEY, Buffer.from(g.body), g.headers['x-hub-signature-256']), 'HMAC-SHA256 signature verifies');
  assert.not.ok(verifySignature('another-key-entirely', Buffer.from(g.body), g.headers['x-hub-signature-256']));
  const gj = JSON.parse(g.body);
  assert.is(gj.kind, 'Notification');
  assert.is(gj.action, 'open');
  assert.is(g.headers['x-fleetward-delivery'], gj.id);
  assert.is(gj.event.reason, 'ReleasePaused');
  assert.is(gj.event.key, 'ReleasePaused/teamsClient/5.2.0.0');
  assert.is(gj.event.object, 'SoftwareRelease/rooms-5-2');
  assert.is(gj.event.severity, 'error');
  assert.equal(gj.event.devices, ['r1', 'r2', 'r3', 'r4']);
  assert.is(gj.event.deviceCount, 4);
  assert.is(gj.event.link, 'https://fleet.example.test/ui/#/SoftwareRelease/rooms-5-2');

  // Teams: an Adaptive Card in a message attachment
  assert.is(r.teams.requests.length, 1);
  assert.is(r.teams.requests[0]!.path, '/workflows/abc');
  const tj = JSON.parse(r.teams.requests[0]!.body);
  assert.is(tj.type, 'message');
  assert.is(tj.attachments[0].contentType, 'application/vnd.microsoft.card.adaptive');
  const card = tj.attachments[0].content;
  assert.is(card.type, 'AdaptiveCard');
  assert.is(card.body[0].type, 'TextBlock');
  assert.match(card.body[0].text, /Release teamsClient 5\.2\.0\.0 paused in ring Staging/);
  assert.is(card.body[0].color, 'attention');
  assert.match(card.body[1].text, /4 of 4 targeted devices failed/);
  const facts = card.body.find((b: { type: string }) => b.type === 'FactSet').facts;
  assert.equal(facts.find((x: { title: string }) => x.title.startsWith('Devices')), { title: 'Devices (4)', value: 'r1, r2, r3, r4' });
  assert.equal(card.actions, [{ type: 'Action.OpenUrl', title: 'Open in Fleetward', url: 'https://fleet.example.test/ui/#/SoftwareRelease/rooms-5-2' }]);

  // Slack: blocks, a text fallback, the channel
  assert.is(r.slack.requests.length, 1);
  const sj = JSON.parse(r.slack.requests[0]!.body);
  assert.is(sj.channel, '#rooms');
  assert.match(sj.text, /paused in ring Staging/);
  assert.is(sj.blocks[0].type, 'header');
  assert.match(sj.blocks[0].text.text, /teamsClient 5\.2\.0\.0 paused/);
  assert.is(sj.blocks[2].fields[0].text, '*Severity*\n:rotating_light: error');
  assert.is(sj.blocks.find((b: { type: string }) => b.type === 'context').elements[0].text, 'Devices (4): r1, r2, r3, r4');

  // Ticket: an incident opened under a stable dedup key, with the bearer token
  assert.is(r.ticket.requests.length, 1);
  assert.is(r.ticket.requests[0]!.headers.authorization, `Bearer ${TICKET_TOKEN}`);
  const open = JSON.parse(r.ticket.requests[0]!.body);
  assert.is(open.action, 'open');
  assert.is(open.status, 'open');
  assert.is(open.dedupKey, 'fleetward:ReleasePaused/teamsClient/5.2.0.0');
  assert.is(open.severity, 'error');
  assert.equal(open.affectedDevices, ['r1', 'r2', 'r3', 'r4']);
  assert.match(open.title, /paused in ring Staging/);

  // A threshold of 100% lifts the pause: one resolve message each, the ticket resolved under the same key.
  f.writeConfig({ 'ring.yaml': aRing('Staging', 1, 'rolloutDuration: 1h\n  testPeriod: 1d\n  failureThreshold: 100') });
  f.clock.advance(60_000);
  await f.reconciler.reconcile();
  await n.deliverDue();
  f.clock.advance(60_000);
  await f.reconciler.reconcile();
  await n.deliverDue();
  assert.equal(r.generic.accepted().map((x) => x.json.action), ['open', 'resolve']);
  assert.equal(r.teams.accepted().length, 2);
  assert.is(r.teams.accepted()[1]!.json.attachments[0].content.body[0].color, 'good');
  assert.match(r.slack.accepted()[1]!.json.blocks[0].text.text, /^Resolved: /);
  const resolved = r.ticket.accepted()[1]!.json;
  assert.is(resolved.action, 'resolve');
  assert.is(resolved.status, 'resolved');
  assert.is(resolved.dedupKey, open.dedupKey, 'resolved under the key it was opened with');
  assert.is(Object.keys(f.store.readNotifications().deliveries).length, 0, 'nothing left to deliver');
  f.clock.advance(60_000);
  await f.reconciler.reconcile();
  const hook = f.store.readObjects()['NotificationProvider/hook']!;
  assert.equal([hook.pending, hook.deadLettered, hook.lastError], [0, 0, undefined]);
  assert.equal(hook.conditions!.filter((c) => c.type === 'Ready').map((c) => [c.status, c.message]), [['True', 'every message delivered']]);
  const sent = await metrics.registry.getSingleMetric('fleetward_notifications_sent_total')!.get();
  assert.is(sent.values.filter((v) => v.labels.provider === 'hook').reduce((a, v) => a + v.value, 0), 2);
  await n.close();
  await f.close();
  for (const x of Object.values(r)) await x.close();
});

test('a receiver that fails is retried with backoff, then dead-lettered and counted; the provider status says so', async () => {
  const r = await receivers();
  r.generic.answer = () => ({ status: 503 });
  const f = pausedRooms(notificationConfig(r));
  const metrics = new Metrics();
  const n = new Notifier({
    clock: f.clock, logger: silentLogger, metrics, settings: { groupWaitMs: 0 }, retry: { maxAttempts: 3, backoffMs: 60_000, maxBackoffMs: 600_000 },
    secrets: { env: { FLEETWARD_NOTIFY_HOOK_KEY: HOOK_KEY } },
  });
  f.start({ notifier: n });
  await passUntilPaused(f);
  await n.deliverDue();
  assert.is(r.generic.requests.length, 1);
  await n.deliverDue();
  assert.is(r.generic.requests.length, 1, 'not retried before its backoff');
  f.clock.advance(60_000);
  await n.deliverDue();
  assert.is(r.generic.requests.length, 2, 'second attempt after 1 minute');
  f.clock.advance(60_000);
  await n.deliverDue();
  assert.is(r.generic.requests.length, 2, 'the third waits 2 minutes');
  f.clock.advance(60_000);
  await n.deliverDue();
  assert.is(r.generic.requests.length, 3);
  f.clock.advance(HOUR);
  await n.deliverDue();
  assert.is(r.generic.requests.length, 3, 'given up after 3 attempts');
  assert.equal(new Set(r.generic.requests.map((q) => q.headers['x-fleetward-delivery'])).size, 1, 'every attempt carries the same delivery id');
  f.clock.advance(60_000);
  await f.reconciler.reconcile();
  const status = f.store.readObjects()['NotificationProvider/hook']!;
  assert.is(status.deadLettered, 1);
  assert.is(status.pending, 0);
  assert.is(status.lastError, 'HTTP 503');
  const ready = status.conditions!.find((c) => c.type === 'Ready')!;
  assert.is(ready.status, 'False');
  assert.is(ready.reason, 'DeliveryFailing');
  assert.match(ready.message, /0 message\(s\) waiting; 1 given up after their last attempt/);
  const dead = await metrics.registry.getSingleMetric('fleetward_notifications_dead_lettered_total')!.get();
  assert.is(dead.values.find((v) => v.labels.provider === 'hook')!.value, 1);
  // The providers whose secret is not set fail the same way, and say which reference is missing.
  assert.is(f.store.readObjects()['NotificationProvider/incidents']!.lastError, 'secretRef.env FLEETWARD_NOTIFY_TICKET_TOKEN is not set in the Fleetward process');
  const failures = await metrics.registry.getSingleMetric('fleetward_notification_failures_total')!.get();
  assert.is(failures.values.find((v) => v.labels.provider === 'incidents' && v.labels.cause === 'secret')!.value, 3);
  const retries = await metrics.registry.getSingleMetric('fleetward_notification_retries_total')!.get();
  assert.is(retries.values.find((v) => v.labels.provider === 'hook')!.value, 2);
  await n.close();
  await f.close();
  for (const x of Object.values(r)) await x.close();
});

test('a message waiting for its retry holds the ones behind it: the incident is opened before it is resolved', async () => {
  const r = await receivers();
  let refuse = true;
  r.ticket.answer = () => (refuse ? { status: 502 } : { status: 201 });
  const f = pausedRooms({ 'notify.yaml': `${aProvider('incidents', `type: ticket\naddress: ${r.ticket.url}/incidents`)}---\n${aRule('t', 'incidents')}` });
  const n = new Notifier({ clock: f.clock, logger: silentLogger, settings: { groupWaitMs: 0 }, retry: { maxAttempts: 5, backoffMs: 10 * 60_000, maxBackoffMs: 3_600_000 } });
  f.start({ notifier: n });
  await passUntilPaused(f);
  await n.deliverDue();
  assert.equal(r.ticket.requests.map((q) => JSON.parse(q.body).action), ['open'], 'the open was refused');
  // The pause is lifted before the retry is due: the resolve waits behind the open.
  f.writeConfig({ 'ring.yaml': aRing('Staging', 1, 'rolloutDuration: 1h\n  testPeriod: 1d\n  failureThreshold: 100') });
  await pass(f, n, 60_000);
  assert.equal(r.ticket.requests.map((q) => JSON.parse(q.body).action), ['open']);
  refuse = false;
  await pass(f, n, 10 * 60_000);
  assert.equal(r.ticket.accepted().map((q) => q.json.action), ['open', 'resolve']);
  await n.close();
  await f.close();
  for (const x of Object.values(r)) await x.close();
});

test('a 429 with Retry-After is waited out, however short the backoff', async () => {
  const r = await receivers();
  let answers = 0;
  r.ticket.answer = () => (answers++ === 0 ? { status: 429, headers: { 'retry-after': '300' } } : { status: 202 });
  const f = pausedRooms({ 'notify.yaml': `${aProvider('incidents', `type: ticket\naddress: ${r.ticket.url}/incidents`)}---\n${aRule('t', 'incidents')}` });
  const metrics = new Metrics();
  const n = new Notifier({ clock: f.clock, logger: silentLogger, metrics, settings: { groupWaitMs: 0 }, retry: { maxAttempts: 5, backoffMs: 60_000, maxBackoffMs: 600_000 } });
  f.start({ notifier: n });
  await passUntilPaused(f);
  await n.deliverDue();
  f.clock.advance(4 * 60_000);
  await n.deliverDue();
  assert.is(r.ticket.requests.length, 1, 'not before the 5 minutes the receiver asked for');
  f.clock.advance(60_000);
  await n.deliverDue();
  assert.is(r.ticket.accepted().length, 1);
  const failures = await metrics.registry.getSingleMetric('fleetward_notification_failures_total')!.get();
  assert.equal(failures.values.map((v) => [v.labels.provider, v.labels.cause, v.value]), [['incidents', 'http_429', 1]]);
  await n.close();
  await f.close();
  for (const x of Object.values(r)) await x.close();
});

async function pass(f: Fixture, n: Notifier, advanceMs: number): Promise<void> {
  f.clock.advance(advanceMs);
  await f.reconciler.reconcile();
  await n.deliverDue();
}

test('a receiver that never answers does not hold up the passes', async () => {
  const r = await receivers();
  r.generic.answer = () => 'hang';
  const f = pausedRooms(notificationConfig(r));
  const n = aNotifier(f, r);
  f.start({ notifier: n });
  await passUntilPaused(f);
  // committed() started delivery; the receiver holds the request. Passes go on regardless.
  for (let i = 0; i < 3; i++) {
    f.clock.advance(60_000);
    const res = await f.reconciler.reconcile();
    assert.ok(res.plan, 'the pass ran to its end');
  }
  assert.ok(r.generic.requests.length >= 1, 'the receiver got the request and sits on it');
  await n.close().catch(() => undefined);
  for (const x of Object.values(r)) await x.close();
  await f.close();
});

test.run();
