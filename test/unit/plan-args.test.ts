import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAt, parseOutput } from '../../controller/cli/commands/plan.ts';
import { parseRelease } from '../../controller/cli/commands/forecast.ts';
import { UsageError } from '../../controller/cli/errors.ts';
import { ManualClock } from '../../controller/util/clock.ts';

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    assert.instance(err, UsageError);
    return err as UsageError;
  }
  throw new Error('expected a UsageError');
}

test('--at reads an instant with a zone, or a bare date as UTC midnight, and defaults to the clock', () => {
  assert.is(parseAt('2026-11-23T15:00:00Z').toISOString(), '2026-11-23T15:00:00.000Z');
  assert.is(parseAt('2026-11-23T16:00:00+01:00').toISOString(), '2026-11-23T15:00:00.000Z');
  assert.is(parseAt('2026-11-23T15:00Z').toISOString(), '2026-11-23T15:00:00.000Z');
  assert.is(parseAt('2026-11-23').toISOString(), '2026-11-23T00:00:00.000Z');
  assert.is(parseAt(undefined, new ManualClock('2026-01-02T03:04:05Z')).toISOString(), '2026-01-02T03:04:05.000Z');
});

test('--at refuses local times, other formats and impossible dates, with an example of the right form', () => {
  for (const bad of ['2026-11-23T15:00', '2026-11-23 15:00Z', 'tomorrow', '1700000000', '2026-13-40T00:00:00Z', '2026-02-30T00:00:00Z', '2026-11-23T24:00:00Z', '2026-00-10', '']) {
    const e = usageError(() => parseAt(bad));
    assert.is(e.exitCode, 2, bad);
    assert.match(e.message, /such as 2026-11-23T15:00:00Z/);
  }
});

test('-o takes table, json or markdown only', () => {
  assert.is(parseOutput('markdown'), 'markdown');
  assert.match(usageError(() => parseOutput('yaml')).message, /one of table, json, markdown/);
});

test('--release splits component@version at the last @ and knows the components', () => {
  assert.equal(parseRelease('firmware@122.15.0.58'), { component: 'firmware', version: '122.15.0.58' });
  assert.equal(parseRelease('teamsClient@1.6.00.3598'), { component: 'teamsClient', version: '1.6.00.3598' });
  assert.match(usageError(() => parseRelease('firmware')).message, /component@version/);
  assert.match(usageError(() => parseRelease('firmware@')).message, /component@version/);
  assert.match(usageError(() => parseRelease('@1.0')).message, /component@version/);
  assert.match(usageError(() => parseRelease('Firmware@1.0')).message, /unknown component "Firmware"; one of teamsClient, firmware/);
});

test.run();
