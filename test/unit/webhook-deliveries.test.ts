// Which verified webhook deliveries count as replays: the same delivery id or the same signature within the
// window; the table stays bounded however many deliveries come.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deliveryKeys, RecentDeliveries } from '../../controller/server/webhook.ts';

const SIG_A = 'sha256=' + 'a'.repeat(64);
const SIG_B = 'sha256=' + 'b'.repeat(64);

test('a delivery seen before is a duplicate by its id or by its signature, and a new one is not', () => {
  const seen = new RecentDeliveries({ windowMs: 60_000 });
  assert.is(seen.check(deliveryKeys({ 'x-github-delivery': 'd1' }, SIG_A), 0), false);
  assert.is(seen.check(deliveryKeys({ 'x-github-delivery': 'd1' }, SIG_A), 1_000), true, 'a redelivery');
  assert.is(seen.check(deliveryKeys({ 'x-github-delivery': 'forged' }, SIG_A), 2_000), true, 'same signed body, forged id');
  assert.is(seen.check(deliveryKeys({ 'x-github-delivery': 'd1' }, SIG_B), 3_000), true, 'same id, another body (a sender retrying after a change)');
  assert.is(seen.check(deliveryKeys({ 'x-gitlab-event-uuid': 'u2' }, 'sha256=' + 'c'.repeat(64)), 4_000), false);
});

test('after the window a delivery counts again', () => {
  const seen = new RecentDeliveries({ windowMs: 60_000 });
  assert.is(seen.check(deliveryKeys({}, SIG_A), 0), false);
  assert.is(seen.check(deliveryKeys({}, SIG_A), 59_999), true);
  assert.is(seen.check(deliveryKeys({}, SIG_A), 120_000), false);
});

test('the table keeps at most maxEntries keys, dropping the oldest first', () => {
  const seen = new RecentDeliveries({ windowMs: 3_600_000, maxEntries: 100 });
  for (let i = 0; i < 1_000; i++) seen.check([`sig:${i}`], i);
  assert.is(seen.check(['sig:999'], 1_000), true, 'the newest is remembered');
  assert.is(seen.check(['sig:0'], 1_001), false, 'the oldest was dropped');
});

test.run();
