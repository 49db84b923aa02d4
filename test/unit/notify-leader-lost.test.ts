// LeaderLost (operator mode): the replica that lost its lease says so once, straight to the providers whose
// rules take it — not through the store, which belongs to the next leader — and stopping the replica does not
// cut that message short.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FleetwardObject } from '../../controller/api/types.ts';
import { Notifier } from '../../controller/notify/notifier.ts';
import { silentLogger } from '../../controller/reconciler/log.ts';
import { SqliteStore } from '../../controller/store/sqlite.ts';
import { ManualClock } from '../../controller/util/clock.ts';
import { startReceiver } from '../support/receiver.ts';

const AT = '2026-11-23T12:00:00.000Z';

test('a lost lease is one message to the rules that take LeaderLost, sent even while the replica stops', async () => {
  const rx = await startReceiver();
  const dir = mkdtempSync(join(tmpdir(), 'fw-leader-lost-'));
  const store = new SqliteStore(dir);
  const clock = new ManualClock(AT);
  const n = new Notifier({ clock, logger: silentLogger, secrets: { env: { FLEETWARD_NOTIFY_KEY: 'leader-lost-key-77aa' } } });
  n.attach(store, async (write) => { await store.beginPass(); write(store); await store.commitPass(); });
  const objects: FleetwardObject[] = [
    { apiVersion: 'fleetward.dev/v1alpha1', kind: 'NotificationProvider', metadata: { name: 'hook' }, spec: { type: 'generic', address: `${rx.url}/x`, secretRef: { env: 'FLEETWARD_NOTIFY_KEY' } } },
    { apiVersion: 'fleetward.dev/v1alpha1', kind: 'NotificationRule', metadata: { name: 'lease' }, spec: { providerRef: { name: 'hook' }, events: ['LeaderLost'] } },
    { apiVersion: 'fleetward.dev/v1alpha1', kind: 'NotificationRule', metadata: { name: 'other' }, spec: { providerRef: { name: 'hook' }, events: ['ReleasePaused'] } },
  ];
  await store.beginPass();
  n.step({ at: AT, plan: { at: AT, revision: 'r1', operations: [], devices: [], releases: [], updatePaths: [], findings: [] }, revision: { id: 'r1', objects }, objects: {}, complete: true });
  await store.commitPass();
  const sent = n.leaderLost('fleetward-0');
  await n.close();
  await sent;
  assert.is(rx.accepted().length, 1);
  const e = rx.accepted()[0]!.json.event;
  assert.is(e.reason, 'LeaderLost');
  assert.is(e.severity, 'error');
  assert.match(e.title, /fleetward-0 lost its leader lease/);
  assert.equal(store.readNotifications(), { events: {}, deliveries: {} }, 'nothing written to the store');
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  await rx.close();
});

test.run();
