// Damaged state is contained (docs/run.md "Damaged state"): one unreadable device record stops only that
// device, which is reported (status, metric, log) and quarantined while the rest of the fleet goes on; a
// missing record with earlier back-end updates is reported as lost history, not silently rebuilt.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Fixture, aPhone, aRelease } from '../support/reconciler-fixture.ts';

const catalog = () => [aRelease('122.15.0.30', { releasedAt: '2026-06-01T00:00:00Z' }), aRelease('122.15.0.44')];
const phones = (n: number) => Array.from({ length: n }, (_, i) => aPhone(`p${i + 1}`, { software: { firmware: '122.15.0.30' } }));

/** Breaks one device's stored rows the way a disk or a hand edit would. */
function damage(f: Fixture, id: string, how: 'plan' | 'history' | 'word'): void {
  const db = f.store.db;
  if (how === 'plan') db.prepare(`UPDATE devices SET plan = '{"not": "a plan"' WHERE id = ?`).run(id);
  if (how === 'history') db.prepare(`UPDATE history SET extra = 'garbage' WHERE device = (SELECT key FROM devices WHERE id = ?)`).run(id);
  if (how === 'word') db.prepare(`UPDATE history SET status = 99999 WHERE device = (SELECT key FROM devices WHERE id = ?)`).run(id);
}

for (const how of ['plan', 'history', 'word'] as const) {
  test(`a device whose ${how} row does not decode is quarantined; the rest of the fleet goes on`, async () => {
    const f = new Fixture({ devices: phones(3), releases: [aRelease('122.15.0.30', { releasedAt: '2026-06-01T00:00:00Z' })] });
    await f.reconciler.reconcile();
    // Give p2 a history to damage: a release for everyone, one pass issues it, the updates complete.
    f.fleet.releases.push(aRelease('122.15.0.44'));
    await f.restart();
    await f.reconciler.reconcile();
    f.clock.advance(60 * 60_000);
    await f.reconciler.reconcile();
    assert.ok(f.store.readDevice('p2')!.history.length > 0, 'p2 has a history');
    damage(f, 'p2', how);
    const before = (f.store.db.prepare('SELECT plan FROM devices WHERE id = ?').get('p2') as { plan: string }).plan;
    f.fleet.releases.push(aRelease('122.15.0.50'));
    await f.restart();
    const started = f.updates().length;
    const r = await f.reconciler.reconcile();
    assert.ok(r.ok, `the pass succeeds (${r.reason})`);
    const run = f.store.readRun()!;
    assert.equal(run.quarantined?.map((q) => q.id), ['p2'], 'the run status names the quarantined device');
    assert.match(run.quarantined![0]!.reason, /device p2 is damaged/);
    const issued = f.updates().slice(started).map((o) => o.deviceId).sort();
    assert.equal(issued, ['p1', 'p3'], 'the others are updated, the quarantined device is not');
    assert.is((f.store.db.prepare('SELECT plan FROM devices WHERE id = ?').get('p2') as { plan: string }).plan, before, 'its record is left as it is');
    assert.match(await f.metrics.registry.getSingleMetricAsString('fleetward_quarantined_devices'), /fleetward_quarantined_devices 1/);
    assert.throws(() => f.store.readDevice('p2'), /device p2 is damaged/);
    await f.close();
  });
}

test('a device whose record is missing while the back end lists earlier updates is reported as lost history', async () => {
  const f = new Fixture({ devices: phones(2), releases: catalog() });
  await f.reconciler.reconcile();
  f.clock.advance(60 * 60_000);
  await f.reconciler.reconcile();
  const history = f.store.readDevice('p1')!.history.length;
  assert.ok(history > 0);
  f.store.db.exec(`DELETE FROM history WHERE device = (SELECT key FROM devices WHERE id = 'p1'); DELETE FROM devices WHERE id = 'p1'`);
  await f.restart();
  f.clock.advance(60_000);
  await f.reconciler.reconcile();
  const rec = f.store.readDevice('p1')!;
  assert.match(rec.historyLost?.reason ?? '', /no stored record, but the back end lists 1 earlier update\(s\)/);
  assert.ok(rec.history.every((h) => h.issuedBy === 'backend'), 'what the back end lists is recorded as its own, not as Fleetward\'s');
  assert.equal(f.store.readRun()!.historyLost?.map((l) => l.id), ['p1']);
  assert.not.ok(f.store.readDevice('p2')!.historyLost);
  await f.close();
});

test('history older than the retention leaves the store, even while the back end still lists it; newer history stays', async () => {
  const f = new Fixture({ devices: phones(2), releases: catalog() });
  await f.reconciler.reconcile();
  f.clock.advance(60 * 60_000);
  await f.reconciler.reconcile();
  const before = f.store.readDevice('p1')!.history.length;
  assert.ok(before > 0);
  f.clock.advance(3 * 86_400_000);
  await f.restart({ historyRetentionMs: 2 * 86_400_000 });
  await f.reconciler.reconcile();
  assert.equal(f.store.readDevice('p1')!.history, [], 'finished more than two days ago: dropped');
  assert.ok(f.driver.simulator.operations().some((o) => o.deviceId === 'p1'), 'the back end still lists it');
  await f.restart({ historyRetentionMs: 400 * 86_400_000 });
  await f.reconciler.reconcile();
  assert.equal(f.store.readDevice('p2')!.history.length, before, 'with the default retention it is all there again from the back end');
  await f.close();
});

test.run();
