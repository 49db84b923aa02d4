// Delivery a person can trust across restarts, and secrets that never leak: a process stopped while a
// receiver holds its request delivers that message after the restart (same delivery id, accepted once), a
// delivered message is never sent again by a restarted process, and a provider's secret reaches neither the
// log file nor any status or notification record, even when the receiver echoes it back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Notifier } from '../../controller/notify/notifier.ts';
import { createLogger, silentLogger } from '../../controller/reconciler/log.ts';
import type { Fixture } from '../support/reconciler-fixture.ts';
import { aProvider, aRule, passUntilPaused, pausedRooms } from '../support/notify.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';

const HOUR = 3_600_000;
const KEY = 'restart-test-hmac-key-5d1f0a';

const config = (url: string, type = 'generic', secretEnv = 'FLEETWARD_NOTIFY_KEY'): Record<string, string> => ({
  'notify.yaml': `${aProvider('hook', `type: ${type}\naddress: ${url}/hook\ntimeout: 30s\nsecretRef:\n  env: ${secretEnv}`)}---\n${aRule('all', 'hook')}`,
});

const notifier = (f: Fixture, env: Record<string, string>, logger = silentLogger) =>
  new Notifier({ clock: f.clock, logger, settings: { groupWaitMs: 0 }, secrets: { env } });

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), 'condition reached');
}

test('a restart while the receiver holds the request: delivered once after it, never again', async () => {
  const rx: Receiver = await startReceiver();
  rx.answer = () => 'hang';
  const f = pausedRooms(config(rx.url), 3);
  const env = { FLEETWARD_NOTIFY_KEY: KEY };
  const first = notifier(f, env);
  f.start({ notifier: first });
  await passUntilPaused(f); // commits the message, then starts delivering it
  await until(() => rx.requests.length === 1);
  const held = rx.requests[0]!.headers['x-fleetward-delivery'];

  // The process goes away mid-delivery (the request is never answered), and starts again.
  await first.close();
  rx.answer = () => ({ status: 202 });
  const second = notifier(f, env);
  await f.restart({ notifier: second });
  f.clock.advance(60_000);
  await f.reconciler.reconcile();
  await second.deliverDue();
  assert.is(rx.accepted().length, 1, 'delivered after the restart');
  assert.is(rx.accepted()[0]!.headers['x-fleetward-delivery'], held, 'with the id of the request that was cut off');
  assert.is(rx.accepted()[0]!.json.event.reason, 'ReleasePaused');

  // Delivered and recorded: another restart and more passes send nothing again.
  await second.close();
  const third = notifier(f, env);
  await f.restart({ notifier: third });
  for (let i = 0; i < 3; i++) { f.clock.advance(60_000); await f.reconciler.reconcile(); await third.deliverDue(); }
  assert.is(rx.requests.filter((r) => r.accepted).length, 1, 'no duplicate');
  assert.is(Object.keys(f.store.readNotifications().deliveries).length, 0);
  await third.close();
  await f.close();
  await rx.close();
});

test('a message enqueued but not yet sent when the process stops is sent by the next one', async () => {
  const rx = await startReceiver();
  const f = pausedRooms(config(rx.url), 3);
  const env = { FLEETWARD_NOTIFY_KEY: KEY };
  const first = notifier(f, env);
  await first.close(); // stopped before it delivers anything
  f.start({ notifier: first });
  await passUntilPaused(f);
  assert.is(rx.requests.length, 0);
  assert.is(Object.keys(f.store.readNotifications().deliveries).length, 1, 'waiting in the store');
  const second = notifier(f, env);
  await f.restart({ notifier: second });
  f.clock.advance(60_000);
  await f.reconciler.reconcile();
  await second.deliverDue();
  assert.is(rx.accepted().length, 1, 'not lost');
  await second.close();
  await f.close();
  await rx.close();
});

test('a provider secret reaches no log line, no status and no stored record, even echoed back by the receiver', async () => {
  const token = 'tk_live_9c2e11f04b7d4a55a0e3b6c8d1f2a7e9';
  const rx = await startReceiver();
  // The receiver refuses, and echoes what it was sent (a common error page), token included.
  rx.answer = (r) => ({ status: 401, body: `invalid credentials: ${r.headers.authorization}` });
  const f = pausedRooms(config(rx.url, 'ticket', 'FLEETWARD_NOTIFY_TICKET'), 3);
  const dir = mkdtempSync(join(tmpdir(), 'fw-notify-leak-'));
  const logFile = join(dir, 'run.log');
  const logger = createLogger({ file: logFile, level: 'debug' });
  const n = notifier(f, { FLEETWARD_NOTIFY_TICKET: token }, logger);
  f.start({ notifier: n, logger });
  await passUntilPaused(f);
  await n.deliverDue();
  f.clock.advance(HOUR);
  await n.deliverDue();
  f.clock.advance(60_000);
  await f.reconciler.reconcile();
  await new Promise<void>((r) => logger.flush(() => r()));
  await until(() => readFileSync(logFile, 'utf8').includes('notification not delivered'));
  assert.is(rx.requests[0]!.headers.authorization, `Bearer ${token}`, 'the receiver did get the token');
  const log = readFileSync(logFile, 'utf8');
  const objects = JSON.stringify(f.store.readObjects());
  const book = JSON.stringify(f.store.readNotifications());
  const stored = f.store.db.prepare('SELECT group_concat(value) AS v FROM notifications').get() as { v: string };
  for (const [where, text] of [['log', log], ['status', objects], ['notification records', book], ['notifications table', stored.v]] as const) {
    for (let i = 0; i + 8 <= token.length; i++) assert.not.ok(text.includes(token.slice(i, i + 8)), `${where} holds a piece of the token`);
  }
  assert.is(f.store.readObjects()['NotificationProvider/hook']!.lastError, 'HTTP 401');
  await n.close();
  await f.close();
  await rx.close();
  rmSync(dir, { recursive: true, force: true });
});

test.run();
