// Commit-to-first-operation latency through the webhook (issue 4, item 11; target < 2 s).
//
// A real git server (git http-backend on loopback) holds the config; `fleetward run --repo` runs as a child
// process with the simulator driver, fetching only when a signed POST /hooks/git arrives. Each round
// commits and pushes (with the git CLI) a change that moves one group of phones into an open maintenance
// window, posts the signed webhook, and times from the commit until the loop's /metrics show the first
// operation accepted (p50/max include the commit and push; webhook_to_operation starts after the push).
// Prints one JSON line.
//
//   node bench/webhook-latency.ts [--rounds 5]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { signBody } from '../controller/server/webhook.ts';
import { freePort } from '../test/support/free-port.ts';
import { createRepo, startGitServer } from '../test/support/git-server.ts';
import { aPhone, aRelease, anAlwaysWindow } from '../test/support/reconciler-fixture.ts';

const ROUNDS = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 5) || 5;
const TARGET_MS = 2000;
const SECRET = 'bench-secret';
const ROOT = join(import.meta.dirname, '..');

const group = (i: number, window: string) => `apiVersion: fleetward.dev/v1alpha1
kind: DeviceGroup
metadata:
  name: round-${i}
spec:
  selector:
    matchLabels: { round: "${i}" }
  updatePhase: Validation
  maintenanceWindow: ${window}
`;

async function acceptedOps(port: number): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    let n = 0;
    for (const m of text.matchAll(/^fleetward_operations_total\{component="[^"]+",result="accepted"\} (\d+)/gm)) n += Number(m[1]);
    return n;
  } catch {
    return -1;
  }
}

const root = mkdtempSync(join(tmpdir(), 'fw-bench-hook-'));
const gitServer = await startGitServer();
const repo = createRepo(gitServer, 'bench-config');
const files: Record<string, string> = {
  'windows/weekend.yaml': anAlwaysWindow('weekend', '[Saturday, Sunday]'),
  'windows/always.yaml': anAlwaysWindow('always'),
};
for (let i = 0; i < ROUNDS; i++) files[`groups/round-${i}.yaml`] = group(i, 'weekend');
await repo.commit(files, 'every group updates at weekends');

const fleet = {
  devices: Array.from({ length: ROUNDS * 2 }, (_, k) => aPhone(`ph-${k}`, { labels: { round: String(Math.floor(k / 2)) } })),
  releases: [aRelease('122.15.0.30', { releasedAt: '2026-06-01T00:00:00Z' }), aRelease('122.15.0.44')],
};
writeFileSync(join(root, 'fleet.yaml'), stringify(fleet));
writeFileSync(join(root, 'secret'), SECRET);
const port = await freePort();
// Rounds come faster than the default fetch rate limit (5 s): it is switched off so each round measures one
// push's latency, not the wait the limit imposes on a burst.
const child = spawn(process.execPath, [
  join(ROOT, 'controller/cli/main.ts'), 'run', '--repo', repo.url, '--fetch-interval', '0', '--min-fetch-interval', '0', '--webhook-secret-file', join(root, 'secret'),
  '--driver', 'simulator', '--fleet', join(root, 'fleet.yaml'), '--state-dir', join(root, 'state'),
  '--start', '2026-11-23T12:00:00Z', '--speed', '1', '--interval', '1h', '--port', String(port), '--log-level', process.env.BENCH_LOG ?? 'warn',
], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Ready once the first pass has applied the initial commit.
for (let i = 0; ; i++) {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
  if (res?.status === 200) break;
  if (i > 600) throw new Error('fleetward run did not become ready in 60 s');
  await sleep(100);
}

/** From `git commit` (write, commit, push) to the first operation; and from the push's end alone. */
const latencies: number[] = [];
const afterPush: number[] = [];
try {
  for (let i = 0; i < ROUNDS; i++) {
    const before = await acceptedOps(port);
    const tCommit = performance.now();
    const sha = await repo.commit({ [`groups/round-${i}.yaml`]: group(i, 'always') }, `round ${i}: update now`);
    const t0 = performance.now();
    const body = JSON.stringify({ ref: 'refs/heads/main', after: sha });
    const res = await fetch(`http://127.0.0.1:${port}/hooks/git`, { method: 'POST', body, headers: { 'x-hub-signature-256': signBody(SECRET, body) } });
    if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
    for (;;) {
      if ((await acceptedOps(port)) > before) break;
      if (performance.now() - t0 > 30_000) throw new Error(`round ${i}: no operation within 30 s`);
      await sleep(5);
    }
    const t1 = performance.now();
    latencies.push(t1 - tCommit);
    afterPush.push(t1 - t0);
  }
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  await gitServer.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(repo.work, { recursive: true, force: true });
}

const sorted = [...latencies].sort((a, b) => a - b);
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const round = (n: number) => Math.round(n * 10) / 10;
process.stdout.write(JSON.stringify({
  benchmark: 'webhook-latency', what: 'git commit + push, signed webhook, fetch, validate, plan → first operation accepted by the driver',
  rounds: ROUNDS, p50_ms: round(pct(0.5)), max_ms: round(sorted.at(-1)!), min_ms: round(sorted[0]!),
  webhook_to_operation_p50_ms: round([...afterPush].sort((a, b) => a - b)[Math.floor(afterPush.length / 2)]!),
  target_ms: TARGET_MS, pass: sorted.at(-1)! < TARGET_MS,
}) + '\n');
