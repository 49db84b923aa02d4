// Fuzz suite (issue 10 item 8): hostile config repositories — the attacks of the issue at the sizes that hurt,
// then generated ones mixing size, depth, key count, aliases, unicode, special files, symlinks, blobs shared
// by many paths and CSV amplification — each loaded by the pull-request check (`fleetward validate`) and by
// the git source from a real git server, each in a child process with a capped heap and a timeout. Every
// case must end within the bound with a clear answer (valid, or `file: message` lines of bounded length,
// never a stack trace or a crash), and the check and the controller must agree on it.
// Figures (cases, max time, max RSS): `node bench/hostile-load.ts`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { startGitServer, type GitServer } from '../support/git-server.ts';
import { BASE, ISSUE_CASES, arbitrarySpec, buildCase, runCase, type CaseOutcome, type HostileSpec } from '../support/hostile-repo.ts';

/** The resource bound each child runs under: heap of the main thread, and wall time. */
const BOUNDS = { heapMb: 256, timeoutMs: 120_000 };
/** Peak RSS a child may reach: the main heap, the load worker's budget (512 MiB) and Node's own. */
const MAX_RSS_MB = 1024;
const MAX_LINE = 1500;

let server: GitServer;
let n = 0;
const figures = { cases: 0, maxMs: 0, maxRssMb: 0 };

test.before(async () => {
  server = await startGitServer();
});
test.after(async () => {
  await server.close();
  process.stdout.write(JSON.stringify({ fuzz: 'hostile-repos', ...figures }) + '\n');
});

function checkBounded(what: string, o: CaseOutcome['validate'] | CaseOutcome['git']): void {
  assert.not.ok(o.timedOut, `${what}: still running after ${BOUNDS.timeoutMs} ms`);
  assert.ok(o.maxRssMb <= MAX_RSS_MB, `${what}: peak RSS ${o.maxRssMb} MiB over ${MAX_RSS_MB}\n${o.stderr.slice(0, 2000)}`);
  assert.not.match(o.stderr, /^\s+at /m, `${what}: a stack trace on stderr\n${o.stderr.slice(0, 2000)}`);
  for (const l of o.lines) assert.ok(l.length <= MAX_LINE, `${what}: an error line of ${l.length} characters`);
  figures.maxMs = Math.max(figures.maxMs, o.ms);
  figures.maxRssMb = Math.max(figures.maxRssMb, o.maxRssMb);
}

async function hostile(label: string, spec: HostileSpec): Promise<CaseOutcome> {
  const built = await buildCase(server, `case${++n}`, spec);
  const out = await runCase(built, BOUNDS);
  figures.cases++;
  checkBounded(`${label}: validate`, out.validate);
  checkBounded(`${label}: git source`, out.git);
  assert.ok(out.validate.code === 0 || out.validate.code === 1, `${label}: validate exit ${out.validate.code} ${out.validate.signal ?? ''}\n${out.validate.stderr.slice(0, 2000)}`);
  assert.is(out.validate.valid, out.validate.code === 0, `${label}: validate's JSON and exit code disagree`);
  if (out.validate.code === 1) assert.ok(out.validate.lines.length > 0, `${label}: refused without a reason`);
  assert.is(out.git.code, 0, `${label}: the git source child failed\n${out.git.stderr.slice(0, 2000)}`);
  if (built.commitOnly) {
    // The zip bomb lives only in the commit: the fetch is refused before indexing, the source says why.
    assert.is(out.git.reason, 'unavailable');
    assert.match(out.git.lines[0] ?? '', /objects may be at most 64 MiB \(maxGitObjectBytes\), so it was not indexed/);
    return out;
  }
  assert.ok(out.git.ok === true || out.git.reason === 'invalid', `${label}: git source answered ${out.git.reason}: ${out.git.lines[0]}`);
  // Git cannot hold a FIFO, so only then may the checkout and the commit differ.
  if (!built.dirOnly) assert.is(out.git.ok, out.validate.valid, `${label}: validate says ${out.validate.lines[0] ?? 'valid'}; the git source says ${out.git.lines[0] ?? 'valid'}`);
  return out;
}

/** The message each attack of the issue is now refused with (first line of validate, git source). */
const EXPECTED: Record<string, RegExp> = {
  '600 paths naming one 4 MiB blob': /copies\/c0\.yaml: the file is 4\.0 MiB; a config file may be at most 1 MiB/,
  'one mapping of 40k keys': /keys\.yaml:7: a mapping with 40000 keys; a mapping may hold at most 10000/,
  'a 1 MiB file of 88k keys': /keys\.yaml:7: a mapping with 88000 keys/,
  '100 batches naming one 10k-row CSV': /batches\.yaml:\d+: ProvisioningBatch\/b1 spec\.devicesFile: "devices\.csv" is already the devicesFile of ProvisioningBatch\/b0/,
  '400 batches naming one 10k-row CSV': /is already the devicesFile of ProvisioningBatch\/b0/,
  'FIFO, symlink to a FIFO, to a folder, out of the repo': /escape\.yaml: is a symlink that leads outside the config directory/,
  'a 786 KB apiVersion': /long\.yaml:1: Ring\/long apiVersion: "v{80}…" \(786432 characters\) is not a Fleetward API version/,
  'a 9-level alias bomb': /bomb\.yaml:\d+: YAML aliases expand more than 100 times/,
  'flow nesting 100k deep': /deep\.yaml:6: nesting deeper than 64 levels/,
  'block nesting 50k deep': /deep\.yaml:\d+: nesting (deeper than 64 levels|too deep)/,
  '2500 files': /more than 2000 YAML files/,
};

for (const [label, over] of ISSUE_CASES) {
  if (over.zeros) {
    test(`issue 10: ${label} is refused by the git source before indexing, within the bound`, async () => {
      const out = await hostile(label, { ...BASE, ...over });
      assert.is(out.validate.valid, true, 'the checkout holds no such file: the PR check passes');
    });
    continue;
  }
  test(`issue 10: ${label} ends within the bound with a clear error, the same from validate and the git source`, async () => {
    const out = await hostile(label, { ...BASE, ...over });
    assert.is(out.validate.valid, false);
    assert.ok(out.validate.lines.some((l) => EXPECTED[label]!.test(l)), `validate:\n${out.validate.lines.slice(0, 5).join('\n')}`);
    if (label.startsWith('FIFO')) {
      assert.ok(out.validate.lines.some((l) => /pipe\.yaml: is a FIFO \(named pipe\); only regular files are read/.test(l)));
      assert.ok(out.validate.lines.some((l) => /fifo\.yaml: is a symlink to a FIFO/.test(l)));
      assert.ok(out.validate.lines.some((l) => /folder\.yaml: is a symlink to a folder/.test(l)));
    }
    assert.ok(out.git.lines.some((l) => EXPECTED[label]!.test(l)), `git source:\n${out.git.lines.slice(0, 5).join('\n')}`);
  });
}

test('generated hostile repositories end within the bound, with the same answer from validate and the git source', async () => {
  await fc.assert(fc.asyncProperty(arbitrarySpec, async (spec) => {
    await hostile(`generated ${JSON.stringify({ ...spec, unicode: spec.unicode.length })}`, spec);
  }), { numRuns: Number(process.env.FLEETWARD_FUZZ_RUNS ?? 4), seed: 2026, endOnFailure: true });
});

test.run();
