// `fleetward operator` refuses bad flags in one line before it contacts any cluster.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const MAIN = join(import.meta.dirname, '..', '..', 'controller', 'cli', 'main.ts');
const operator = (...args: string[]) => spawnSync(process.execPath, [MAIN, 'operator', '--kubeconfig', '/nonexistent', ...args], { encoding: 'utf8' });

test('a shard that cannot name a Lease or Secret is refused in one line, before any cluster is contacted', () => {
  for (const shard of ['EMEA', 'emea_1', '-emea', 'status', 'status-emea', 'x'.repeat(41)]) {
    const r = operator('--shard', shard);
    assert.is(r.status, 2, shard);
    assert.match(r.stderr, /^fleetward: --shard ".*": a lowercase DNS label/, shard);
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('a malformed duration flag is refused in one line, naming the flag', () => {
  const r = operator('--resync', 'often');
  assert.is(r.status, 2);
  assert.is(r.stderr.trim(), 'fleetward: --resync "often": write a positive duration such as 500ms, 30s, 5m, 2h or 120d');
});

test('rate limits take the same flags as fleetward run; anything but a positive integer is refused in one line, naming the flag', () => {
  for (const [flag, value] of [['--max-ops-per-pass', '0'], ['--max-ops-per-pass', 'lots'], ['--max-ops-per-minute', '-5'], ['--max-ops-per-minute', '2.5']] as const) {
    const r = operator(flag, value);
    assert.is(r.status, 2, `${flag} ${value}`);
    assert.is(r.stderr.trim(), `fleetward: ${flag} "${value}": expected a positive integer`);
  }
  const run = spawnSync(process.execPath, [MAIN, 'run', '--config', '/nonexistent', '--driver', 'graph', '--max-ops-per-minute', '0'], { encoding: 'utf8' });
  assert.is(run.status, 2);
  assert.is(run.stderr.trim(), 'fleetward: --max-ops-per-minute "0": expected a positive integer');
});

test('a kubeconfig that cannot be read is a one-line error, not a stack trace', () => {
  const r = operator();
  assert.is(r.status, 2);
  assert.is(r.stderr.trim(), 'fleetward: cannot read the kubeconfig /nonexistent: ENOENT');
});

test.run();
