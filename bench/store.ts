// Benchmark of the state store (issue 11 item 5), one JSON line per case, each case in its own process so
// its peak RSS is its own:
//
//   pass    a reconcile pass over the generated fleet (bench/support/fleetgen.ts) with the simulator driver and
//           the SQLite store: the first pass, then steady passes; stage times (load, observe, plan, act,
//           record), the whole pass, operations issued, store size, peak RSS. Target: record < 1 s and a
//           steady pass < 2 s at 100k devices.
//   size    100k devices with 10 history entries each written to a fresh store: its size on disk (target
//           < 100 MB) and the write time.
//   status  `fleetward status --device ID` against that store (1M history rows): the read in-process, and the
//           whole command end to end (target < 100 ms for the read).
//
// Run: node_modules/.bin/node bench/store.ts [pass|size|status …] [--devices N]   (default: all, 100000)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDriver } from '../controller/drivers/index.ts';
import { plan } from '../controller/planner/index.ts';
import { silentLogger } from '../controller/reconciler/log.ts';
import { Reconciler } from '../controller/reconciler/reconciler.ts';
import type { Source } from '../controller/sources/source.ts';
import type { DeviceRecord, HistoryEntry } from '../controller/store/records.ts';
import { SqliteStore } from '../controller/store/sqlite.ts';
import { ManualClock } from '../controller/util/clock.ts';
import { BENCH_NOW, benchObjects, generateFleet } from './support/fleetgen.ts';

// Wall time on a shared machine varies with its load; CPU time (user + system, all threads) is the steadier figure.
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const dirMb = (dir: string) => +(readdirSync(dir).filter((f) => f.startsWith('fleetward.db')).reduce((s, f) => s + statSync(join(dir, f)).size, 0) / 1048576).toFixed(1);
const out = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify({ bench: 'store', ...o }) + '\n');

async function passCase(devices: number): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'fw-bench-store-'));
  try {
    const { observed } = generateFleet(devices);
    const clock = new ManualClock(BENCH_NOW);
    const driver = createDriver('simulator', {
      simulator: {
        fleet: { devices: observed.devices, releases: observed.releases }, clock, seed: 1,
        behaviour: { failureRate: 0.02, offlineRate: 0, busyDuringMeetings: 0, rollbackRate: 0 },
      },
    });
    const objects = benchObjects();
    const source: Source = { description: 'bench', load: async () => ({ ok: true, revision: { id: 'bench-1', objects } }), watch: () => {}, close: async () => {} };
    const store = new SqliteStore(join(root, 'state'));
    const reconciler = new Reconciler({ source, driver, store, clock, plan, logger: silentLogger, maxOperationsPerPass: 1000 });
    for (const pass of ['first', 'steady', 'steady']) {
      const t0 = performance.now();
      const c0 = cpuMs();
      const r = await reconciler.reconcile();
      const ms = Math.round(performance.now() - t0);
      const stagesMs = Object.values(r.stages ?? {}).reduce((a, b) => a + b, 0);
      // commitMs: the pass's transaction commit, after the record stage.
      out({
        case: 'pass', pass, devices, ok: r.ok, reason: r.reason, issued: r.issued, stages: r.stages, commitMs: ms - stagesMs, ms,
        cpuMs: Math.round(cpuMs() - c0), storeMb: dirMb(join(root, 'state')), peakRssMb: rssMb(),
      });
      clock.advance(60_000);
    }
    await store.close();
    await driver.close?.();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Ten history entries a device could really have: updates issued by Fleetward, a failure with diagnostics. */
function history(id: string, i: number): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  const base = BENCH_NOW.getTime() - 400 * 86_400_000;
  for (let k = 0; k < 10; k++) {
    const at = base + k * 30 * 86_400_000 + (i % 1000) * 60_000;
    const failed = k === 4 && i % 10 === 0;
    out.push({
      issuedBy: 'fleetward', reason: k % 3 ? 'PhaseRolloutSlot' : 'RingRolloutSlot', revision: `sha256:${(k * 7919).toString(16).padStart(64, '0')}`,
      operationId: uuid(i, k), operationType: 'softwareUpdate', status: failed ? 'failed' : 'successful',
      createdAt: new Date(at).toISOString(), component: k % 2 ? 'teamsClient' : 'firmware',
      fromVersion: `122.15.0.${k * 10}`, toVersion: `122.15.0.${k * 10 + 10}`,
      startedAt: new Date(at + 60_000).toISOString(), completedAt: new Date(at + 600_000).toISOString(),
      ...(failed ? { error: { code: 'InstallFailed', message: 'the device reported an installation failure' }, diagnostics: { operationId: `${id}-diag`, status: 'successful' as const, logsUrl: `https://logs.example/${id}-diag` } } : {}),
    });
  }
  return out;
}

/** A GUID, as Graph and the simulator name operations. */
function uuid(i: number, k: number): string {
  const h = createHash('sha1').update(`${i}/${k}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function sizeDir(): string {
  return join(tmpdir(), 'fw-bench-store-size');
}

async function sizeCase(devices: number): Promise<void> {
  const dir = sizeDir();
  rmSync(dir, { recursive: true, force: true });
  const { observed } = generateFleet(devices);
  const p = plan((await import('./support/fleetgen.ts')).benchConfig(), observed, BENCH_NOW);
  const store = new SqliteStore(dir);
  const records: DeviceRecord[] = p.devices.map((d, i) => ({
    id: d.id, group: d.group, phase: d.phase, ring: d.ring, maintenanceWindow: d.maintenanceWindow, components: d.components, history: history(d.id, i),
  }));
  const t0 = performance.now();
  const c0 = cpuMs();
  await store.beginPass();
  store.writeDevices(records);
  await store.commitPass();
  const ms = Math.round(performance.now() - t0);
  const cpu = Math.round(cpuMs() - c0);
  store.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  const rows = (store.db.prepare('SELECT count(*) AS n FROM history').get() as { n: number }).n;
  await store.close();
  out({ case: 'size', devices, historyRows: rows, writeMs: ms, writeCpuMs: cpu, storeMb: dirMb(dir), peakRssMb: rssMb() });
}

async function statusCase(devices: number): Promise<void> {
  const dir = sizeDir();
  const id = `dev-${String(Math.floor(devices / 2)).padStart(7, '0')}`;
  const t0 = performance.now();
  const c0 = cpuMs();
  const store = new SqliteStore(dir, { readOnly: true });
  const rec = store.readDevice(id);
  await store.close();
  const readMs = +(performance.now() - t0).toFixed(1);
  const readCpuMs = +(cpuMs() - c0).toFixed(1);
  const t1 = performance.now();
  const cli = spawnSync(process.execPath, ['controller/cli/main.ts', 'status', '--state-dir', dir, '--device', id], { encoding: 'utf8' });
  const cliMs = Math.round(performance.now() - t1);
  const t2 = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  const nodeMs = Math.round(performance.now() - t2);
  out({ case: 'status', historyRows: devices * 10, device: id, entries: rec?.history.length ?? 0, readMs, readCpuMs, cliMs, cliExit: cli.status, nodeStartMs: nodeMs });
  rmSync(dir, { recursive: true, force: true });
}

const args = process.argv.slice(2);
const at = args.indexOf('--devices');
const devices = at >= 0 ? Number(args[at + 1]) : 100_000;
const cases = args.filter((a, i) => !a.startsWith('--') && (at < 0 || i !== at + 1));
if (process.env.FW_BENCH_CHILD) {
  const c = process.env.FW_BENCH_CHILD;
  await (c === 'pass' ? passCase(devices) : c === 'size' ? sizeCase(devices) : statusCase(devices));
} else {
  for (const c of cases.length ? cases : ['pass', 'size', 'status']) {
    const r = spawnSync(process.execPath, ['--max-old-space-size=4096', process.argv[1]!, '--devices', String(devices)], {
      env: { ...process.env, FW_BENCH_CHILD: c }, stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}
