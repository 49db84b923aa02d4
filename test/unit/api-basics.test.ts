import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDuration, formatDuration } from '../../controller/api/duration.ts';
import { compareVersions, isVendorVersion } from '../../controller/api/version.ts';
import { normalizeMac } from '../../controller/api/mac.ts';

test('durations read as days, hours, minutes and seconds', () => {
  assert.is(parseDuration('30d'), 30 * 86_400_000);
  assert.is(parseDuration('1d12h'), 36 * 3_600_000);
  assert.is(parseDuration('90m'), 90 * 60_000);
  assert.is(parseDuration('0d'), 0);
  assert.is(formatDuration(36 * 3_600_000), '1d12h');
});

test('malformed durations are refused', () => {
  for (const bad of ['', '30', 'd', '30 d', '1h1d', '-1d', '1.5d', '30days']) assert.is(parseDuration(bad), undefined, bad);
});

test('four-part vendor versions compare part by part, numerically', () => {
  assert.ok(compareVersions('58.15.0.124', '58.15.0.99') > 0);
  assert.ok(compareVersions('1.0.96.22', '1.0.96.3') > 0);
  assert.is(compareVersions('1.2', '1.2.0.0'), 0);
  assert.ok(compareVersions('7.0.2.1071', '7.0.2.1072') < 0);
  assert.ok(isVendorVersion('1.004.0115'));
  assert.not.ok(isVendorVersion('1.0-beta'));
});

test('MAC addresses are normalised to AA-BB-CC-DD-EE-FF', () => {
  assert.is(normalizeMac('aa:bb:cc:dd:ee:ff'), 'AA-BB-CC-DD-EE-FF');
  assert.is(normalizeMac('AABB.CCDD.EEFF'), 'AA-BB-CC-DD-EE-FF');
  assert.is(normalizeMac('aabbccddeeff'), 'AA-BB-CC-DD-EE-FF');
  for (const bad of ['aa:bb:cc:dd:ee', 'gg:bb:cc:dd:ee:ff', 'aa:bb:cc:dd:ee:ff:00', 'a-abb-cc-dd-ee-ff']) assert.is(normalizeMac(bad), undefined, bad);
});

test.run();
