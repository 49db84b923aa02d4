// No test may depend on today's date (docs/design.md section 6): the suites that read the system clock
// somewhere (CLI defaults, code expiry, request dates, log stamps) run again here with the system date a
// year ahead, through Debian's libfaketime (LD_PRELOAD; Node's Date and the child processes it spawns see
// the shifted time). The whole unit + e2e run was checked this way once; these keep it true in `npm test`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const AHEAD = '+365d';
/** Suites whose code reads the wall clock where a default applies; each is short. */
const DATE_SENSITIVE = [
  'test/unit/provisioning-cli.test.ts',
  'test/unit/provisioning-standalone.test.ts',
  'test/unit/plan-args.test.ts',
  'test/unit/reconciler-parts.test.ts',
  'test/unit/planner-tenant.test.ts',
];

async function underFaketime(args: string[]): Promise<{ code: number; out: string; stdout: string }> {
  try {
    const r = await run('faketime', ['-f', AHEAD, process.execPath, ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, out: r.stdout + r.stderr, stdout: r.stdout };
  } catch (err) {
    const e = err as { code: number | string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') assert.unreachable('faketime is not installed: apt-get install faketime (it is listed in .ci/debian-packages)');
    return { code: Number(e.code), out: `${e.stdout ?? ''}${e.stderr ?? ''}`, stdout: e.stdout ?? '' };
  }
}

test('faketime moves the clock a year ahead for Node and the processes it starts', async () => {
  const r = await underFaketime(['-e', `
    const { execFileSync } = require('node:child_process');
    console.log(Date.now(), execFileSync(process.execPath, ['-e', 'console.log(Date.now())']).toString().trim());`]);
  assert.is(r.code, 0, r.out);
  const [parent, child] = r.stdout.trim().split(' ').map(Number);
  // The real time, from a process without libfaketime (this suite may itself run under faketime).
  const { LD_PRELOAD: _p, FAKETIME: _f, ...clean } = process.env;
  const real = Number((await run(process.execPath, ['-e', 'console.log(Date.now())'], { env: clean })).stdout.trim());
  const year = 365 * 86_400_000;
  for (const t of [parent!, child!]) assert.ok(Math.abs(t - real - year) < 3_600_000, `expected about a year after ${new Date(real).toISOString()}, got ${new Date(t).toISOString()}`);
});

for (const suite of DATE_SENSITIVE) {
  test(`${suite} passes with the system date a year ahead`, async () => {
    const r = await underFaketime([suite]);
    assert.is(r.code, 0, r.out);
    assert.match(r.out, /Total:\s+\d+\s+Passed:\s+\d+/);
    const m = /Total:\s+(\d+)\s+Passed:\s+(\d+)/.exec(r.out)!;
    assert.is(m[1], m[2], r.out);
  });
}

test.run();
