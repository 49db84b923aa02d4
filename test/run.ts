// Runs every uvu suite (test/**/*.test.ts), each in its own Node process, and the type check;
// prints each file's outcome and ends with the line CI reads: `N passed, N failed`.
// `npm test -- planner windows` runs only the files whose path contains one of the words.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { availableParallelism } from 'node:os';
import { ensureK8sAssets, locateK8sAssets } from './support/k8s-assets.ts';

const root = join(import.meta.dirname, '..');
const filters = process.argv.slice(2);
const FILE_TIMEOUT_MS = Number(process.env.FLEETWARD_TEST_TIMEOUT_MS ?? 20 * 60_000);

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

interface Outcome { file: string; passed: number; failed: number; skipped: number; output: string; ms: number; code: number | null }

function runProcess(file: string, cmd: string, args: string[]): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => { output += `\n[test/run] killed after ${FILE_TIMEOUT_MS} ms\n`; child.kill('SIGKILL'); }, FILE_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ file, ms: Date.now() - started, output, code, ...count(output, code) });
    });
  });
}

/** uvu prints `Total: N  Passed: N  Skipped: N` per file; a crash before that counts as one failure. */
function count(output: string, code: number | null): { passed: number; failed: number; skipped: number } {
  let total = 0, passed = 0, skipped = 0, seen = false;
  for (const m of output.matchAll(/Total:\s+(\d+)\s+Passed:\s+(\d+)\s+Skipped:\s+(\d+)/g)) {
    seen = true;
    total += Number(m[1]); passed += Number(m[2]); skipped += Number(m[3]);
  }
  let failed = total - passed; // uvu's Total excludes skipped tests
  if (!seen || (code !== 0 && failed === 0)) failed += 1;
  return { passed, failed, skipped };
}

const files = findTests(join(root, 'test')).filter((f) => filters.length === 0 || filters.some((w) => relative(root, f).includes(w)));

// The k8s suites need kube-apiserver, etcd, kubectl and helm: build the missing ones first, as .ci/run does
// (the same function, with its progress lines), outside any suite's timeout. FLEETWARD_SKIP_K8S=1 skips that;
// a failed build is reported here and the k8s suites then fail saying what is missing.
if (files.some((f) => relative(root, f).startsWith(join('test', 'k8s'))) && process.env.FLEETWARD_SKIP_K8S !== '1' && locateK8sAssets().missing.length) {
  const started = Date.now();
  try {
    await ensureK8sAssets((line) => process.stdout.write(`${line}\n`));
    process.stdout.write(`[k8s-assets] ready after ${((Date.now() - started) / 60_000).toFixed(1)} min\n`);
  } catch (err) {
    process.stdout.write(`[k8s-assets] ${(err as Error).message}\n`);
  }
}
const jobs: (() => Promise<Outcome>)[] = files.map((f) => () => runProcess(relative(root, f), process.execPath, [f]));
if (filters.length === 0) {
  jobs.unshift(async () => {
    const o = await runProcess('typecheck (tsc --noEmit)', process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'tsconfig.json']);
    return { ...o, passed: o.code === 0 ? 1 : 0, failed: o.code === 0 ? 0 : 1 };
  });
}

const results: Outcome[] = [];
let next = 0;
const width = Number(process.env.FLEETWARD_TEST_JOBS ?? Math.min(2, availableParallelism()));
await Promise.all(Array.from({ length: width }, async () => {
  while (next < jobs.length) {
    const job = jobs[next++]!;
    const o = await job();
    results.push(o);
    const mark = o.failed ? 'FAIL' : 'ok  ';
    process.stdout.write(`${mark} ${o.file}  (${o.passed} passed, ${o.failed} failed, ${o.skipped} skipped, ${(o.ms / 1000).toFixed(1)}s)\n`);
    if (o.failed) process.stdout.write(o.output.replace(/^/gm, '    | ') + '\n');
  }
}));

const passed = results.reduce((s, r) => s + r.passed, 0);
const failed = results.reduce((s, r) => s + r.failed, 0);
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exitCode = failed ? 1 : 0;
