// Benchmark of the operator's leadership at scale (issue 16 items 1 and 2), on a real kube-apiserver + etcd:
// `fleetward operator` processes (the simulator driver over a generated fleet, bench/support/fleetgen.ts)
// started cold, side by side, and measured from outside as a platform engineer would:
//
//   loop lag       the slowest /healthz answer while the operator works (its event loop was blocked that long)
//   renewal gaps   the largest gap between two renewTimes of the leader Lease, read every 100 ms
//   holders        every identity that held the Lease (two replicas: one, unless a renewal came too late)
//   passes         passes per minute after the first, from the operators' "reconciled" log lines
//   takeover       after SIGKILL of the leader: kill → the standby's acquireTime, and the dead leader's last
//                  renewTime → that acquireTime
//
// One JSON line per case. Run: node_modules/.bin/node bench/operator-lease.ts [--devices 50000]
//   [--replicas 2] [--seconds 120] [--repo DIR]   (--repo: the checkout whose CLI runs the operators, e.g. a
//   worktree of main, to compare before and after)
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, eventually, freePort, installCrds, k8sAssetsOrExplain, startKubeEnv, type KubeEnv } from '../test/support/k8s-env.ts';
import { benchKubernetesYaml, writeBenchInputs } from './support/fleetgen.ts';

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '50000' },
    replicas: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '120' },
    repo: { type: 'string', default: REPO_ROOT },
  },
});
const DEVICES = Number(args.devices);
const REPLICAS = Number(args.replicas);
const SECONDS = Number(args.seconds);
const REPO = args.repo!;
const NS = 'fleet';
const SYSTEM = 'fleetward-system';
const LEASE = 'bench-leader';

function out(o: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ bench: 'operator-lease', devices: DEVICES, replicas: REPLICAS, repo: REPO === REPO_ROOT ? 'this' : REPO, ...o }) + '\n');
}

interface Replica { name: string; child: ChildProcess; port: number; log: string }

async function startReplica(env: KubeEnv, name: string, fleet: string, dir: string): Promise<Replica> {
  const port = await freePort();
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(join(REPO, 'node_modules', '.bin', 'node'), [
    join(REPO, 'controller', 'cli', 'main.ts'), 'operator', `--kubeconfig=${env.kubeconfig}`, `--namespace=${SYSTEM}`,
    `--watch-namespace=${NS}`, '--driver=simulator', `--fleet=${fleet}`, `--lease-name=${LEASE}`, `--port=${port}`,
    '--resync=1m', `--state-dir=${mkdtempSync(join(dir, `${name}-state-`))}`,
  ], { cwd: REPO, detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, POD_NAME: name } });
  closeSync(fd);
  return { name, child, port, log };
}

/** Milliseconds /healthz took to answer (its event loop's lag, roughly), or undefined when not up. */
function healthz(port: number): Promise<number | undefined> {
  const t = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', timeout: 60_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - t));
    });
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

interface LeaseSpec { holderIdentity?: string; renewTime?: string; acquireTime?: string; leaseTransitions?: number }

function lease(env: KubeEnv): LeaseSpec | undefined {
  const r = env.kubectl(['get', 'lease', LEASE, '-n', SYSTEM, '-o', 'jsonpath={.spec}']);
  return r.code === 0 && r.stdout ? JSON.parse(r.stdout) as LeaseSpec : undefined;
}

function logLines(file: string): { msg?: string; time?: number; ms?: Record<string, number> }[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => {
    try {
      const o = JSON.parse(l) as { msg?: string; time?: string | number; ms?: Record<string, number> };
      return { ...o, time: typeof o.time === 'string' ? Date.parse(o.time) : o.time };
    } catch { return {}; }
  });
}

async function main(): Promise<void> {
  const assets = k8sAssetsOrExplain();
  if ('skip' in assets) throw new Error(assets.skip);
  const dir = mkdtempSync(join(tmpdir(), 'fleetward-bench-lease-'));
  const inputs = await writeBenchInputs(dir, DEVICES);
  const env = await startKubeEnv(assets.assets);
  const replicas: Replica[] = [];
  try {
    installCrds(env);
    env.kubectlOk(['create', 'namespace', NS]);
    env.kubectlOk(['create', 'namespace', SYSTEM]);
    env.kubectlOk(['apply', '-n', NS, '-f', '-'], { input: benchKubernetesYaml() });
    const started = Date.now();
    for (let i = 0; i < REPLICAS; i++) replicas.push(await startReplica(env, `replica-${i}`, inputs.fleet, dir));

    // Watch from outside: /healthz latency per replica, and every renewal of the Lease.
    const lag = new Map<string, number>(replicas.map((r) => [r.name, 0]));
    const holders = new Set<string>();
    const renewals: number[] = [];
    let lastRenew: string | undefined;
    let stop = false;
    const probes = replicas.map(async (r) => {
      while (!stop) {
        const ms = await healthz(r.port);
        if (ms !== undefined) lag.set(r.name, Math.max(lag.get(r.name)!, ms));
        await new Promise((res) => setTimeout(res, 100));
      }
    });
    const leaseWatch = (async () => {
      while (!stop) {
        const l = lease(env);
        if (l?.holderIdentity) holders.add(l.holderIdentity);
        if (l?.renewTime && l.renewTime !== lastRenew) { lastRenew = l.renewTime; renewals.push(Date.parse(l.renewTime)); }
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    await new Promise((res) => setTimeout(res, SECONDS * 1000));
    stop = true;
    await Promise.all([...probes, leaseWatch]);
    // What started the passes, and what was ignored (this checkout's /metrics; absent before issue 16).
    const triggers: Record<string, Record<string, number>> = {};
    for (const r of replicas) {
      const text = await fetch(`http://127.0.0.1:${r.port}/metrics`).then((res) => res.text(), () => '');
      const counts: Record<string, number> = {};
      for (const line of text.split('\n')) {
        const m = /^fleetward_operator_(pass_triggers|changes_ignored)_total\{(?:cause|reason)="([^"]+)"\} (\S+)$/.exec(line);
        if (m) counts[`${m[1]}:${m[2]}`] = Number(m[3]);
      }
      triggers[r.name] = counts;
    }
    const gaps = renewals.slice(1).map((t, i) => t - renewals[i]!);
    const passes = replicas.map((r) => {
      const lines = logLines(r.log).filter((l) => l.msg === 'reconciled');
      const times = lines.map((l) => l.time!).filter(Boolean);
      const span = times.length > 1 ? (times.at(-1)! - times[1]!) / 60_000 : 0;
      return {
        replica: r.name, passes: lines.length, firstPassMs: lines[0]?.ms, firstPassAtS: times[0] ? Math.round((times[0] - started) / 100) / 10 : null,
        passesPerMinuteAfterFirst: span > 0 ? Math.round(((times.length - 2) / span) * 10) / 10 : null,
        operationsStarted: logLines(r.log).filter((l) => l.msg === 'operation started').length,
        abandoned: logLines(r.log).filter((l) => l.msg?.startsWith('pass abandoned')).length,
      };
    });
    out({
      case: 'cold-start', seconds: SECONDS, holders: [...holders], maxRenewalGapMs: gaps.length ? Math.max(...gaps) : null, renewals: renewals.length,
      maxHealthzMs: Object.fromEntries([...lag].map(([k, v]) => [k, Math.round(v)])), passes, triggers,
    });

    // SIGKILL the leader; the standby (if any) takes over.
    if (REPLICAS > 1) {
      const before = lease(env)!;
      const leader = replicas.find((r) => r.name === before.holderIdentity)!;
      const killedAt = Date.now();
      process.kill(-leader.child.pid!, 'SIGKILL');
      const after = await eventually('a new holder', () => { const l = lease(env); return l?.holderIdentity && l.holderIdentity !== leader.name ? l : undefined; }, 60_000, 50);
      const lastRenewal = before.renewTime ? Date.parse(before.renewTime) : NaN;
      out({
        case: 'takeover', killed: leader.name, by: after.holderIdentity,
        killToAcquireMs: Date.parse(after.acquireTime!) - killedAt,
        lastRenewalToAcquireMs: Number.isFinite(lastRenewal) ? Date.parse(after.acquireTime!) - lastRenewal : null,
      });
    }
  } finally {
    for (const r of replicas) { try { process.kill(-r.child.pid!, 'SIGKILL'); } catch { /* gone */ } }
    await env.stop();
    if (!process.env.FLEETWARD_KEEP_BENCH_DIR) process.stderr.write(`logs in ${dir}\n`);
  }
}

await main();
