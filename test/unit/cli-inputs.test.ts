import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { durationFlag, loadFleet, readBehaviourFile } from '../../controller/cli/inputs.ts';
import { UsageError } from '../../controller/cli/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'fleetward-cli-inputs-'));

function usageError(fn: () => unknown): UsageError {
  try { fn(); } catch (err) { if (err instanceof UsageError) return err; throw err; }
  throw new Error('expected a UsageError');
}

test('duration flags read milliseconds, bare seconds and spec durations alike', () => {
  assert.is(durationFlag('--interval', '500ms'), 500);
  assert.is(durationFlag('--interval', '30'), 30_000);
  assert.is(durationFlag('--interval', '1d12h'), 36 * 3_600_000);
  assert.is(durationFlag('--fetch-interval', '0s'), 0);
});

test('a malformed or zero duration where one is needed is a one-line usage error naming the flag', () => {
  assert.is(usageError(() => durationFlag('--resync', '3weeks')).message, '--resync "3weeks": write a duration such as 500ms, 30s, 5m, 2h or 120d');
  assert.is(usageError(() => durationFlag('--lease-duration', '0s', { positive: true })).exitCode, 2);
});

test('a simulator behaviour file with a misspelt setting is refused before anything runs', () => {
  const file = join(dir, 'behaviour.yaml');
  writeFileSync(file, 'failurerate: 0.2\n');
  assert.match(usageError(() => readBehaviourFile(file)).message, /^--behaviour .*behaviour\.yaml: .*failurerate/);
  writeFileSync(file, 'failureRate: 0.2\n');
  assert.equal(readBehaviourFile(file), { failureRate: 0.2 });
});

test('an invalid fleet file is a failed check (exit 1), a missing one a usage error (exit 2)', async () => {
  const file = join(dir, 'fleet.yaml');
  writeFileSync(file, 'devices:\n  - id: d1\n    deviceType: toaster\nreleases: []\n');
  const invalid = await loadFleet(file).then(() => null, (e: unknown) => e);
  assert.instance(invalid, UsageError);
  assert.is((invalid as UsageError).exitCode, 1);
  const missing = await loadFleet(join(dir, 'nope.yaml')).then(() => null, (e: unknown) => e);
  assert.is((missing as UsageError).exitCode, 2);
});

test.run();
