// A revision that takes too long is abandoned with an error, not a hang (issue 10 item 2): parsing and
// validation run in a worker thread, the process keeps answering /healthz meanwhile, and a revision over its
// time or memory budget is refused as InvalidRevision while the last good one stays in force.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfigDirBounded, loadDocumentsBounded } from '../../controller/sources/bounded.ts';
import { InvalidRevision } from '../../controller/reconciler/reasons.ts';
import { getCondition } from '../../controller/status/conditions.ts';
import { silentLogger } from '../../controller/reconciler/log.ts';
import { Metrics } from '../../controller/server/metrics.ts';
import { startServer } from '../../controller/server/server.ts';
import { aGroup as aGroupObject, withLimits, yamlOf } from '../support/config.ts';
import { Fixture, aGroup, aPhone, aRelease } from '../support/reconciler-fixture.ts';

const catalog = () => [aRelease('122.15.0.30', { releasedAt: '2026-06-01T00:00:00Z' }), aRelease('122.15.0.44')];


test('a revision over the time budget is refused as InvalidRevision; the last good revision stays in force', async () => {
  const f = new Fixture({ devices: [aPhone('p1')], releases: catalog() });
  try {
    const good = await f.reconciler.reconcile();
    assert.ok(good.ok);
    f.writeConfig({ 'more.yaml': aGroup('desks', 'always') });
    await withLimits({ timeBudgetMs: 1 }, async () => {
      const r = await f.reconciler.reconcile();
      assert.is(r.reason, InvalidRevision);
      assert.is(r.revision, good.revision);
      const ready = getCondition(f.store.readRun()!.conditions, 'Ready')!;
      assert.match(ready.message, /loading this revision took longer than 1 ms \(timeBudgetMs\); it was abandoned/);
      assert.match(ready.message, /stays in force/);
    });
    // Within the budget again, the same files load: the worker was replaced, nothing is stuck.
    f.writeConfig({ 'more.yaml': aGroup('lobby', 'always') });
    const fixed = await f.reconciler.reconcile();
    assert.ok(fixed.ok, fixed.reason);
    assert.is.not(fixed.revision, good.revision);
  } finally {
    await f.close();
  }
});

test('a revision over the memory budget is refused with its own message', () => withLimits({ memoryBudgetMb: 4 }, async () => {
  const r = await loadDocumentsBounded([{ path: 'g.yaml', text: yamlOf(aGroupObject('g')) }], { revisionId: 'm', other: {} });
  assert.equal(r, { ok: false, errors: [{ file: '', line: 0, message: 'loading this revision needed more than 4 MiB (memoryBudgetMb); it was abandoned' }] });
}));

test('/healthz is answered while a large revision is being parsed', async () => {
  const s = await startServer(0, '127.0.0.1', { metrics: new Metrics(), logger: silentLogger, ready: () => false });
  try {
    // 8000 objects: on the main thread their parse would hold the event loop for its whole length.
    const files = Array.from({ length: 4 }, (_, f) => ({
      path: `groups-${f}.yaml`, text: yamlOf(...Array.from({ length: 2000 }, (_, i) => aGroupObject(`g${f}-${i}`, { priority: i % 100 }))),
    }));
    await loadConfigDirBounded('/nonexistent'); // the worker is up; what follows is the parse only
    const order: string[] = [];
    const loading = loadDocumentsBounded(files, { revisionId: 'big', other: {} }).then((r) => { order.push('loaded'); return r; });
    const health = await fetch(`http://127.0.0.1:${s.port}/healthz`);
    order.push(`healthz ${health.status}`);
    const r = await loading;
    assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.errors.slice(0, 2)));
    assert.equal(order, ['healthz 200', 'loaded']);
  } finally {
    await s.close();
  }
});

test.run();
