// Benchmark of loading hostile config repositories (issue 10 item 8): the attacks of the issue and generated
// ones (test/support/hostile-repo.ts), each loaded by `fleetward validate` and by the git source from a real
// git server, each in a child process with a 256 MiB heap cap and a 120 s timeout. One JSON line per case and
// loader (wall time, peak RSS, outcome, first error), then a summary line: cases run, max time, max RSS.
// The fuzz suite (test/fuzz/hostile-repos.test.ts) asserts the bounds; this prints the figures.
// Run: node_modules/.bin/node bench/hostile-load.ts [generated-cases]   (default 8)
import fc from 'fast-check';
import { startGitServer } from '../test/support/git-server.ts';
import { BASE, ISSUE_CASES, arbitrarySpec, buildCase, runCase, type HostileSpec } from '../test/support/hostile-repo.ts';

const generated = Number(process.argv[2] ?? 8);
const bounds = { heapMb: 256, timeoutMs: 120_000 };
const cases: [string, HostileSpec][] = [
  ...ISSUE_CASES.map(([label, over]): [string, HostileSpec] => [label, { ...BASE, ...over }]),
  ...fc.sample(arbitrarySpec, { numRuns: generated, seed: 2026 }).map((s, i): [string, HostileSpec] => [`generated #${i + 1}`, s]),
];

const server = await startGitServer();
const summary = { bench: 'hostile-load', cases: 0, loads: 0, maxMs: 0, maxRssMb: 0, timedOut: 0, crashed: 0, disagreed: 0 };
try {
  let n = 0;
  for (const [label, spec] of cases) {
    const built = await buildCase(server, `bench${++n}`, spec);
    const out = await runCase(built, bounds);
    summary.cases++;
    for (const [loader, o] of [['validate', out.validate], ['git', out.git]] as const) {
      summary.loads++;
      summary.maxMs = Math.max(summary.maxMs, o.ms);
      summary.maxRssMb = Math.max(summary.maxRssMb, o.maxRssMb);
      if (o.timedOut) summary.timedOut++;
      const crashed = loader === 'validate' ? !(o.code === 0 || o.code === 1) : o.code !== 0;
      if (crashed) summary.crashed++;
      const outcome = loader === 'validate' ? (out.validate.valid ? 'valid' : 'invalid') : out.git.ok ? 'valid' : out.git.reason ?? 'crashed';
      process.stdout.write(JSON.stringify({
        bench: 'hostile-load', case: label, loader, ms: o.ms, maxRssMb: o.maxRssMb, outcome, errors: o.lines.length,
        first: (o.lines[0] ?? '').replace(built.work + '/', '').slice(0, 160),
      }) + '\n');
    }
    if (!built.dirOnly && out.validate.valid !== out.git.ok) summary.disagreed++;
  }
} finally {
  await server.close();
}
process.stdout.write(JSON.stringify(summary) + '\n');
