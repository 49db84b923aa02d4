// The operator at scale on a real kube-apiserver + etcd (issue 16 item 7), one JSON line per case:
//
//   devices × shards   a generated fleet (bench/support/fleetgen.ts) served by a separate `fleetward simulator
//                      serve` process, read by `fleetward operator --driver graph` (one process per shard, each
//                      with its own SQLite store), so the operator's memory holds no simulator copy of the fleet.
//
// Each case starts its own control plane, applies the bench config (fleetgen's benchKubernetesYaml),
// starts the operator(s), watches them for a while, then applies a SoftwareUpdate, and measures:
//   coldStartToFirstPassMs   from starting the operators to the end of the first pass of every shard
//   firstPassMs              the longest first pass (sum of its stages, as logged)
//   applyToFirstOperationMs  from `kubectl apply` of a `schedule: now` SoftwareUpdate (adminAgent, group lab:
//                            the devices of one site) returning to the first operation it started
//   steadyPassMs             p50 / p90 of the passes in the observation window (after the first pass)
//   passesPerMinute          passes in the window, all shards together, per minute
//   apiRequestsPerPass/-PerMinute  kube-apiserver `apiserver_request_total` deltas by "verb resource" over the
//                            window, minus what the control plane does on its own (measured for as long
//                            before the operators start), per pass
//   driverRequestsPerPass    HTTP requests from the operators to the simulator by "METHOD route" (counted by
//                            a pass-through proxy in this process), per pass
//   rssPeakMb                the largest VmHWM (peak RSS) of an operator process; the summary line gives the
//                            KiB per device above the floor, from the peaks of the smallest and largest fleets
//   cpuCores                 operator CPU (user + system) over the window / window wall time, all shards
//   largestStatusBytes       the largest `status` of any Fleetward object (JSON bytes), and whose
//   storeMb                  the SQLite stores on disk after the run, all shards
//   loadavg                  the machine's 1-minute load average at the start and end (it is shared)
//
// Run: node_modules/.bin/node bench/operator-scale.ts [--devices 1000,10000,50000] [--shards 1,2] [--observe 150s]
//        [--heap-mib 384]   the operators' V8 heap limit, as the chart sets it (0: Node's default)
//      (KUBEBUILDER_ASSETS or test/support/k8s-assets.ts's cache provide the binaries, as for test/k8s/)
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { durationFlag } from '../controller/cli/inputs.ts';
import { locateK8sAssets } from '../test/support/k8s-assets.ts';
import { REPO_ROOT, installCrds, startKubeEnv, type KubeEnv } from '../test/support/k8s-env.ts';
import { freePort } from '../test/support/free-port.ts';
import { BENCH_NOW, benchKubernetesYaml, benchShard, writeBenchInputs } from './support/fleetgen.ts';

const NODE = process.execPath;
const MAIN = join(REPO_ROOT, 'controller', 'cli', 'main.ts');
const SYSTEM_NS = 'fleetward-system';
const FLEET_NS = 'fleet';
const TOKEN = 'bench-token-0123456789';
const KINDS = ['devicegroups', 'updatephases', 'rings', 'maintenancewindows', 'provisioningbatches', 'softwareupdates', 'fleetpolicies', 'softwarereleases'];

const out = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify({ bench: 'operator-scale', ...o }) + '\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => +(bytes / 1048576).toFixed(1);

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/** `GET /beta/teamwork/devices/dev-0000042/operations?$top=…` → `GET devices/:id/operations`. */
function route(method: string, url: string): string {
  const path = url.split('?')[0]!.replace(/^\/(beta|v1\.0)\//, '');
  return `${method} ${path.split('/').map((seg) => (/\d/.test(seg) && !/^v\d/.test(seg) ? ':id' : seg)).join('/')}`;
}

/**
 * A pass-through HTTP proxy to the simulator that counts requests by route. The simulator's absolute links
 * (`@odata.nextLink`, Location) name its own address: they are rewritten to the proxy's, as a reverse proxy
 * would, or the driver would rightly refuse to send its token to another origin.
 */
function countingProxy(target: number): Promise<{ port: number; counts: Map<string, number>; server: Server }> {
  const counts = new Map<string, number>();
  let self = '';
  const upstream = `http://127.0.0.1:${target}`;
  const server = createServer((req, res) => {
    const key = route(req.method ?? 'GET', req.url ?? '/');
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const up = httpRequest({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers }, (ures) => {
      const chunks: Buffer[] = [];
      ures.on('data', (c: Buffer) => chunks.push(c));
      ures.on('end', () => {
        const body = Buffer.from(Buffer.concat(chunks).toString('utf8').replaceAll(upstream, self));
        const headers = { ...ures.headers, 'content-length': String(body.length) };
        if (typeof headers.location === 'string') headers.location = headers.location.replace(upstream, self);
        delete headers['transfer-encoding'];
        res.writeHead(ures.statusCode ?? 502, headers);
        res.end(body);
      });
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    req.pipe(up);
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port;
    self = `http://127.0.0.1:${port}`;
    resolve({ port, counts, server });
  }));
}

/** apiserver_request_total summed by "verb resource" (requests to non-resource URLs, like this scrape, left out). */
function apiRequests(env: KubeEnv): Map<string, number> {
  const text = env.kubectlOk(['get', '--raw', '/metrics']);
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!labels.resource) continue;
    const key = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}`;
    sums.set(key, (sums.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return sums;
}

const delta = (after: Map<string, number>, before: Map<string, number>) =>
  new Map([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).filter(([, v]) => v > 0));

/** Requests by "verb resource" divided by `per` (passes, or minutes), less the control plane's own share. */
function rate(d: Map<string, number>, per: number, baseline?: { counts: Map<string, number>; scale: number }): Record<string, number> | null {
  if (per <= 0) return null;
  const r: Record<string, number> = {};
  for (const [k, v] of [...d].sort()) {
    const own = v - (baseline ? (baseline.counts.get(k) ?? 0) * baseline.scale : 0);
    if (own > 0.5) r[k] = +(own / per).toFixed(1);
  }
  return r;
}

/** A process's peak and current resident set and its CPU seconds, from /proc. */
function proc(pid: number): { hwmMb: number; rssMb: number; cpuS: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { hwmMb: +(kb('VmHWM') / 1024).toFixed(1), rssMb: +(kb('VmRSS') / 1024).toFixed(1), cpuS: (Number(stat[11]) + Number(stat[12])) / 100 };
}

interface LogLine { time: string; msg: string; revision?: string; ms?: Record<string, number>; [k: string]: unknown }
function logLines(file: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const l of readFileSync(file, 'utf8').split('\n')) {
    if (!l.startsWith('{')) continue;
    try { lines.push(JSON.parse(l) as LogLine); } catch { /* a line being written */ }
  }
  return lines;
}

function percentile(xs: number[], p: number): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

async function waitUntil<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs: number, children: ChildProcess[] = []): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const c of children) if (c.exitCode !== null || c.signalCode !== null) throw new Error(`a process exited (${c.exitCode ?? c.signalCode}) while waiting for ${what}`);
    const v = await check();
    if (v !== undefined) return v;
    await sleep(500);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(t);
}

async function runCase(devices: number, shards: number, observeMs: number): Promise<void> {
  const { assets, missing } = locateK8sAssets();
  if (missing.length) throw new Error(`Kubernetes binaries missing: ${missing.join('; ')} (node_modules/.bin/node test/support/k8s-assets.ts builds them)`);
  const root = mkdtempSync(join(tmpdir(), 'fw-bench-opscale-'));
  const children: ChildProcess[] = [];
  let env: KubeEnv | undefined;
  let proxy: Server | undefined;
  const load0 = +loadavg()[0]!.toFixed(2);
  try {
    env = await startKubeEnv(assets);
    installCrds(env);
    env.kubectlOk(['create', 'namespace', SYSTEM_NS]);
    env.kubectlOk(['create', 'namespace', FLEET_NS]);

    const { fleet } = await writeBenchInputs(root, devices, 'yaml', { shards });
    const simPort = await freePort();
    const simLog = openSync(join(root, 'simulator.log'), 'a');
    const simWall = new Date().toISOString();
    const sim = spawn(NODE, [MAIN, 'simulator', 'serve', '--fleet', fleet, '--port', String(simPort), '--token', TOKEN, '--seed', '1',
      '--start', BENCH_NOW.toISOString(), '--state', join(root, 'simulator')], { cwd: REPO_ROOT, stdio: ['ignore', simLog, simLog] });
    closeSync(simLog);
    children.push(sim);
    await waitUntil('simulator serve', async () => {
      const res = await fetch(`http://127.0.0.1:${simPort}/beta/teamwork/devices?$top=1`, { headers: { authorization: `Bearer ${TOKEN}` } }).catch(() => undefined);
      return res?.ok ? true : undefined;
    }, 600_000, [sim]);
    const counting = await countingProxy(simPort);
    proxy = counting.server;

    // What the control plane does on its own (its identity Lease, …), to subtract from the operators' figures.
    const baseline0 = apiRequests(env);
    const baselineStart = Date.now();
    await sleep(20_000);
    const baseline = { counts: delta(apiRequests(env), baseline0), ms: Date.now() - baselineStart };

    writeFileSync(join(root, 'config.yaml'), benchKubernetesYaml());
    env.kubectlOk(['apply', '-n', FLEET_NS, '-f', join(root, 'config.yaml')]);

    const names = shards > 1 ? Array.from({ length: shards }, (_, i) => benchShard(i, shards)) : [undefined];
    const started = Date.now();
    const ops = await Promise.all(names.map(async (shard, i) => {
      const log = join(root, `operator-${i}.log`);
      const fd = openSync(log, 'a');
      const stateDir = join(root, `state-${i}`);
      mkdirSync(stateDir);
      const child = spawn(NODE, [MAIN, 'operator', `--kubeconfig=${env!.kubeconfig}`, `--namespace=${SYSTEM_NS}`, `--watch-namespace=${FLEET_NS}`,
        '--driver=graph', `--graph-url=http://127.0.0.1:${counting.port}`, `--state-dir=${stateDir}`, `--port=${await freePort()}`,
        `--lease-name=fleetward-leader${shard ? `-${shard}` : ''}`, ...(shard ? [`--shard=${shard}`] : []),
        '--speed=1', `--start=${BENCH_NOW.toISOString()}`, `--start-wall=${simWall}`, '--log-level=info'],
      { cwd: REPO_ROOT, stdio: ['ignore', fd, fd], env: { ...process.env, FLEETWARD_GRAPH_TOKEN: TOKEN, POD_NAME: `bench-${i}`, ...(heapMiB ? { NODE_OPTIONS: `--max-old-space-size=${heapMiB}` } : {}) } });
      closeSync(fd);
      children.push(child);
      return { child, log, stateDir, shard };
    }));

    // The first pass with the config in force, in every shard.
    const inForce = (l: LogLine) => l.msg === 'reconciled' && typeof l.revision === 'string';
    const firstPasses = await Promise.all(ops.map((o) => waitUntil('a pass with the config in force', () => {
      const lines = logLines(o.log);
      const failed = lines.filter((l) => l.msg === 'observe failed');
      if (failed.length >= 3) throw new Error(`the operator cannot observe the fleet: ${String(failed.at(-1)!.err)}`);
      return lines.find(inForce);
    }, 1_800_000, children)));
    const coldStartToFirstPassMs = Math.max(...firstPasses.map((l) => Date.parse(l.time))) - started;

    // The observation window.
    const api0 = apiRequests(env);
    const drv0 = new Map(counting.counts);
    const cpu0 = ops.map((o) => proc(o.child.pid!).cpuS);
    const w0 = Date.now();
    await sleep(observeMs);
    const w1 = Date.now();
    const cpu1 = ops.map((o) => proc(o.child.pid!).cpuS);
    const api = delta(apiRequests(env), api0);
    const drv = delta(counting.counts, drv0);
    const mem = ops.map((o) => proc(o.child.pid!));

    // A change a person makes: a `schedule: now` update of one site's devices.
    writeFileSync(join(root, 'update.yaml'), stringify({
      apiVersion: 'fleetward.dev/v1alpha1', kind: 'SoftwareUpdate', metadata: { name: 'lab-agent', namespace: FLEET_NS },
      spec: { target: { group: 'lab' }, component: 'adminAgent', version: '1.0.0.2026', schedule: 'now' },
    }));
    env.kubectlOk(['apply', '-f', join(root, 'update.yaml')]);
    const applied = Date.now();
    const firstOp = await waitUntil('the SoftwareUpdate\'s first operation', () => ops.flatMap((o) => logLines(o.log))
      .filter((l) => l.msg === 'operation started' && l.component === 'adminAgent' && Date.parse(l.time) >= applied)
      .map((l) => Date.parse(l.time)).sort()[0], 600_000, children).catch(() => undefined);

    const windowPasses = ops.flatMap((o) => logLines(o.log).filter((l) => inForce(l) && Date.parse(l.time) > w0 && Date.parse(l.time) <= w1));
    const passMs = (l: LogLine) => Object.values(l.ms ?? {}).reduce((a, b) => a + b, 0);
    const steady = windowPasses.map(passMs);

    let largest = { bytes: 0, object: '' };
    for (const kind of KINDS) {
      const list = JSON.parse(env.kubectlOk(['get', kind, '-A', '-o', 'json'])) as { items: { kind: string; metadata: { name: string }; status?: unknown }[] };
      for (const item of list.items) {
        const bytes = Buffer.byteLength(JSON.stringify(item.status ?? {}));
        if (bytes > largest.bytes) largest = { bytes, object: `${item.kind}/${item.metadata.name}` };
      }
    }
    for (const o of ops) await stop(o.child);
    const storeBytes = ops.reduce((s, o) => s + readdirSync(o.stateDir).reduce((t, f) => t + statSync(join(o.stateDir, f)).size, 0), 0);
    peaks.push({ devices: devices / shards, rssPeakMb: Math.max(...mem.map((m) => m.hwmMb)) });

    out({
      devices, shards, heapMiB: heapMiB ?? null, observeS: Math.round((w1 - w0) / 1000),
      coldStartToFirstPassMs, firstPassMs: Math.max(...firstPasses.map(passMs)),
      applyToFirstOperationMs: firstOp ? firstOp - applied : null,
      steadyPassMs: { p50: percentile(steady, 50), p90: percentile(steady, 90), n: steady.length },
      passesPerMinute: +((windowPasses.length * 60_000) / (w1 - w0)).toFixed(1),
      apiRequestsPerPass: rate(api, windowPasses.length, { counts: baseline.counts, scale: (w1 - w0) / baseline.ms }),
      apiRequestsPerMinute: rate(api, (w1 - w0) / 60_000, { counts: baseline.counts, scale: (w1 - w0) / baseline.ms }),
      driverRequestsPerPass: rate(drv, windowPasses.length),
      rssPeakMb: Math.max(...mem.map((m) => m.hwmMb)), rssMbEnd: Math.max(...mem.map((m) => m.rssMb)),
      cpuCores: +(cpu1.reduce((s, c, i) => s + c - cpu0[i]!, 0) / ((w1 - w0) / 1000)).toFixed(2),
      largestStatusBytes: largest.bytes, largestStatusObject: largest.object,
      storeMb: mb(storeBytes),
      loadavg: [load0, +loadavg()[0]!.toFixed(2)],
    });
  } finally {
    for (const c of children.reverse()) await stop(c);
    proxy?.close();
    await env?.stop();
    if (!process.env.FLEETWARD_KEEP_BENCH_DIR) rmSync(root, { recursive: true, force: true });
  }
}

/** Peak RSS by devices per operator process, for the summary. */
const peaks: { devices: number; rssPeakMb: number }[] = [];

const sizes = flag('--devices', '1000,10000,50000').split(',').map(Number);
const shardCounts = flag('--shards', '1,2').split(',').map(Number);
const observeMs = durationFlag('--observe', flag('--observe', '150s'), { positive: true });
// What the chart gives the operator (NODE_OPTIONS --max-old-space-size, docs/kubernetes.md "Sizing"); 0: Node's default.
const heapMiB = Number(flag('--heap-mib', '384')) || undefined;
for (const devices of sizes) {
  for (const shards of shardCounts) {
    try {
      await runCase(devices, shards, observeMs);
    } catch (err) {
      out({ devices, shards, error: (err as Error).message });
    }
  }
}
if (peaks.length >= 2) {
  const lo = peaks.reduce((a, b) => (b.devices < a.devices ? b : a));
  const hi = peaks.reduce((a, b) => (b.devices > a.devices ? b : a));
  if (hi.devices > lo.devices) {
    out({ summary: 'memory', kibPerDeviceAboveFloor: +(((hi.rssPeakMb - lo.rssPeakMb) * 1024) / (hi.devices - lo.devices)).toFixed(2), from: lo, to: hi });
  }
}
