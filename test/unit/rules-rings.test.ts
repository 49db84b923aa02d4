// Rings (seed 001): orders 1–9, each used once (built-ins included), and at most 60 days across all rings.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { aRing, assertLoaded, assertRefused, loadObjects, yamlOf, loadFiles } from '../support/config.ts';
import { BUILTIN_RINGS, MAX_RING_TOTAL_DAYS, resolveRings } from '../../controller/api/builtins.ts';
import { parseDuration } from '../../controller/api/duration.ts';

const days = (d: string) => parseDuration(d)! / 86_400_000;

test('the built-in rings alone fit in the 60-day cap', () => {
  const total = Object.values(BUILTIN_RINGS).reduce((s, r) => s + days(r.deferment) + days(r.rolloutDuration) + days(r.testPeriod), 0);
  assert.ok(total <= MAX_RING_TOTAL_DAYS, `${total} days`);
});

test('a custom ring that keeps the total at 60 days or less is accepted', () => {
  // Built-ins take 45 days; a 15-day ring makes exactly 60.
  assertLoaded(loadObjects(aRing('pilot', { order: 4, deferment: '1d', rolloutDuration: '7d', testPeriod: '7d' })), ['Ring/pilot']);
});

test('rings over 60 days in total are refused, naming each ring\'s share', () => {
  assertRefused(loadObjects(aRing('pilot', { order: 4, deferment: '2d', rolloutDuration: '10d', testPeriod: '7d' })), [
    'config.yaml:5: Ring/pilot spec: rings take 64d in total, more than the 60 days allowed (seed 001); ' +
      "each ring's deferment + rolloutDuration + testPeriod: Staging 10d (0d + 5d + 5d), General 21d (0d + 14d + 7d), " +
      'Executive 14d (0d + 7d + 7d), pilot 19d (2d + 10d + 7d)',
  ]);
});

test('a user ring named like a built-in overrides its timing, also in lowercase as Kubernetes names are', () => {
  // General shortened to 10 days leaves room for a 25-day custom ring: 10 + 10 + 14 + 25 = 59.
  const r = loadObjects(
    aRing('general', { order: 2, rolloutDuration: '7d', testPeriod: '3d' }),
    aRing('long-haul', { order: 5, rolloutDuration: '20d', testPeriod: '5d' }),
  );
  assertLoaded(r, ['Ring/general', 'Ring/long-haul']);
  const rings = resolveRings(r.ok ? r.revision.objects.filter((o) => o.kind === 'Ring') as never : []);
  assert.equal(rings.map((x) => `${x.order} ${x.name} ${x.rolloutDuration}`), ['1 Staging 5d', '2 General 7d', '3 Executive 7d', '5 long-haul 20d']);
});

test('a ring order outside 1–9 is refused', () => {
  assertRefused(loadObjects(aRing('zero', { order: 0 }), aRing('ten', { order: 10 })), [
    'config.yaml:6: Ring/zero spec.order: must be between 1 and 9 (got 0)',
    'config.yaml:13: Ring/ten spec.order: must be between 1 and 9 (got 10)',
  ]);
});

test('an order already taken by a built-in ring is refused, saying how to free it', () => {
  assertRefused(loadObjects(aRing('pilot', { order: 1 })), [
    'config.yaml:6: Ring/pilot spec.order: order 1 is already used by the built-in ring Staging; give each ring its own order from 1 to 9 (or override Staging with a Ring of that name)',
  ]);
});

test('an order used by two user rings is refused on the second, naming the first and where it is', () => {
  const r = loadFiles({
    'rings/a.yaml': yamlOf(aRing('pilot', { order: 4, rolloutDuration: '1d', testPeriod: '1d' })),
    'rings/b.yaml': yamlOf(aRing('canary', { order: 4, rolloutDuration: '1d', testPeriod: '1d' })),
  });
  assertRefused(r, [
    'rings/b.yaml:6: Ring/canary spec.order: order 4 is already used by Ring/pilot (rings/a.yaml:4); give each ring its own order from 1 to 9',
  ]);
});

test('moving a built-in ring frees its order for a custom ring', () => {
  assertLoaded(loadObjects(aRing('Staging', { order: 2 }), aRing('General', { order: 3 }), aRing('Executive', { order: 4 }), aRing('canary', { order: 1, rolloutDuration: '1d', testPeriod: '1d' })),
    ['Ring/Staging', 'Ring/General', 'Ring/Executive', 'Ring/canary']);
});

test('two objects overriding the same built-in ring in different case are refused', () => {
  assertRefused(loadObjects(aRing('General', { order: 2 }), aRing('general', { order: 2 })), [
    'config.yaml:11: Ring/general metadata.name: Ring/general and Ring/General (config.yaml:4) both override the built-in ring General; keep one',
  ]);
});

test('malformed ring durations and start days are refused', () => {
  assertRefused(loadObjects(aRing('pilot', { order: 4, deferment: '2 days', testPeriod: '1w', startDays: ['Wed'] })), [
    'config.yaml:7: Ring/pilot spec.deferment: "2 days" is not a duration; write days, hours, minutes, seconds such as 30d, 12h, 90m or 1d12h',
    'config.yaml:8: Ring/pilot spec.testPeriod: "1w" is not a duration; write days, hours, minutes, seconds such as 30d, 12h, 90m or 1d12h',
    'config.yaml:10: Ring/pilot spec.startDays[0]: "Wed" is not allowed; one of: Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday',
  ]);
});

test('an absurdly long duration is refused before any date arithmetic sees it', () => {
  assertRefused(loadObjects(aRing('pilot', { order: 4, deferment: '99999999999999999999d' })), [
    'config.yaml:7: Ring/pilot spec.deferment: 99999999999999999999d is longer than 3650 days; no Fleetward duration needs that',
  ]);
});

test('a ring without an order is refused', () => {
  assertRefused(loadObjects(aRing('pilot', { rolloutDuration: '5d' })), [
    'config.yaml:5: Ring/pilot spec.order: is required',
  ]);
});

test.run();
