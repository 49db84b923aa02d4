// The rate limits of `run` and `operator` (--max-ops-per-pass, --max-ops-per-minute) through whole passes
// (real planner, simulator and store, ManualClock): held-back operations stay due, and the pass says when
// the loop may start more — at once under the per-pass cap, when the minute has moved on under the
// per-minute one — instead of leaving a backlog to the next resync.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StartBudget } from '../../controller/reconciler/start-budget.ts';
import { Fixture, aForcedPhoneUpdate, aPhone, aRelease, anAlwaysWindow, aGroup } from '../support/reconciler-fixture.ts';

const T0 = Date.parse('2026-11-28T10:00:00Z');

test('the budget: per-pass cap alone lets the next pass start more at once', () => {
  const b = new StartBudget({ perPass: 10 });
  assert.is(b.available(T0), 10);
  b.spend(10, T0);
  assert.is(b.available(T0), 10, 'a new pass has its own 10');
  assert.is(b.nextAt(T0), T0);
});

test('the budget: per-minute limit counts the last 60 s and frees each start a minute after it', () => {
  const b = new StartBudget({ perPass: 10, perMinute: 25 });
  b.spend(10, T0);
  b.spend(10, T0 + 20_000);
  assert.is(b.available(T0 + 30_000), 5);
  b.spend(5, T0 + 30_000);
  assert.is(b.available(T0 + 40_000), 0);
  assert.is(b.nextAt(T0 + 40_000), T0 + 60_000, 'the first ten leave the window at T0 + 60 s');
  assert.is(b.available(T0 + 60_000), 10);
  assert.is(b.available(T0 + 80_000), 10, 'never more than the per-pass cap');
});

function fixture(): Fixture {
  const devices = Array.from({ length: 30 }, (_, i) => aPhone(`p${String(i).padStart(2, '0')}`));
  return new Fixture({
    devices, releases: [aRelease('122.15.0.30', { releasedAt: '2026-06-01T00:00:00Z' }), aRelease('122.15.0.44')],
    config: { 'window.yaml': anAlwaysWindow('weekend', '[Saturday]'), 'group.yaml': aGroup('phones', 'weekend'), 'update.yaml': aForcedPhoneUpdate(30) },
  });
}

test('30 due, 10 per pass: each pass starts 10 and asks for the next pass now, until none is held back', async () => {
  const f = fixture();
  try {
    await f.restart({ maxOperationsPerPass: 10 });
    const issued: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await f.reconciler.reconcile();
      issued.push(r.issued);
      if (i < 2) assert.is(r.nextStartAt?.toISOString(), f.clock.now().toISOString(), `pass ${i + 1}: more may start at once`);
      f.clock.advance(1000);
    }
    assert.equal(issued, [10, 10, 10]);
    assert.is(new Set(f.updates().map((o) => o.deviceId)).size, 30, 'every phone once');
  } finally {
    await f.close();
  }
});

test('30 due, 10 per pass and 25 per minute: 10, 10, 5, then nothing until the first starts are a minute old', async () => {
  const f = fixture();
  try {
    await f.restart({ maxOperationsPerPass: 10, maxOperationsPerMinute: 25 });
    const t0 = f.clock.now().getTime();
    const pass = async () => { const r = await f.reconciler.reconcile(); f.clock.advance(1000); return r; };
    assert.is((await pass()).issued, 10);
    assert.is((await pass()).issued, 10);
    const third = await pass();
    assert.is(third.issued, 5);
    assert.is(third.nextStartAt?.toISOString(), new Date(t0 + 60_000).toISOString(), 'the loop wakes when the first ten leave the minute');
    const fourth = await pass();
    assert.is(fourth.issued, 0, 'the minute is full');
    assert.is(f.updates().length, 25, 'the held-back five were not started');
    f.clock.set(new Date(t0 + 60_000));
    assert.is((await pass()).issued, 5, 'the rest, a minute after the first');
    assert.is(new Set(f.updates().map((o) => o.deviceId)).size, 30);
  } finally {
    await f.close();
  }
});

test.run();
