// Operations per second through the graph driver to the simulator's HTTP server on loopback
// (issue 4: target ≥ 500/s). The server is the real `fleetward simulator serve` in its own process, with
// a state directory (every accepted operation fsynced before its 202), so the figure includes durability.
// Prints one JSON line.
//
//   node bench/driver-throughput.ts [--devices 5000] [--concurrency 32] [--no-state]
//   node bench/driver-throughput.ts --in-process [--devices 100000]   the simulator driver without HTTP
//     (what `fleetward run --driver simulator` uses): inventory, operations and startUpdate at fleet scale.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GraphDriver } from '../controller/drivers/graph/driver.ts';
import { SimulatorDriver } from '../controller/drivers/simulator/driver.ts';
import { ScaledClock } from '../controller/util/clock.ts';
import type { FleetFile } from '../controller/api/types.ts';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '32' },
    'no-state': { type: 'boolean', default: false },
    'in-process': { type: 'boolean', default: false },
  },
});
const devices = Number(values.devices);
const concurrency = Number(values.concurrency);
const durable = !values['no-state'];
const TOKEN = 'bench-token';
const TARGET = 500;

const dir = mkdtempSync(join(tmpdir(), 'fleetward-bench-'));
const fleetPath = join(dir, 'fleet.yaml');
const fleet: FleetFile = {
  devices: Array.from({ length: devices }, (_, i) => ({
    id: `dev-${String(i).padStart(6, '0')}`, deviceType: 'ipPhone', manufacturer: 'Yealink', model: 'MP54', timeZone: 'Europe/Paris',
    software: { firmware: '122.15.0.36', teamsClient: '1449.1.0.7' },
  })),
  releases: [{ component: 'firmware', version: '122.15.0.58', releasedAt: '2026-10-01T00:00:00Z', label: 'verified' }],
};

if (values['in-process']) {
  const ms = (from: number) => Math.round(performance.now() - from);
  let t = performance.now();
  const driver = new SimulatorDriver({
    fleet, seed: 1, clock: new ScaledClock('2026-11-23T02:00:00Z', 60),
    behaviour: { failureRate: 0, offlineRate: 0.01 }, ...(durable ? { stateDir: join(dir, 'state') } : {}),
  });
  const openMs = ms(t);
  t = performance.now();
  const inventory = await driver.inventory();
  const inventoryMs = ms(t);
  t = performance.now();
  let accepted = 0;
  for (let i = 0; i < inventory.length; i += 256) {
    const batch = inventory.slice(i, i + 256);
    const rs = await Promise.all(batch.map((d) => driver.startUpdate({ deviceId: d.id, component: 'firmware', version: '122.15.0.58' })));
    accepted += rs.filter((r) => r.accepted).length;
  }
  const startSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const operations = (await driver.operations()).length;
  const operationsMs = ms(t);
  t = performance.now();
  await driver.close();
  const closeMs = ms(t);
  process.stdout.write(JSON.stringify({
    bench: 'driver-throughput-in-process', devices, durable, openMs, inventoryMs,
    startsPerSecond: Math.round(accepted / startSeconds), operations, operationsMs, closeMs, node: process.version,
  }) + '\n');
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
writeFileSync(fleetPath, JSON.stringify(fleet));

const child = spawn(process.execPath, [
  join(import.meta.dirname, '..', 'controller/cli/main.ts'), 'simulator', 'serve', '--fleet', fleetPath, '--port', '0',
  '--start', '2026-11-23T02:00:00Z', '--failure-rate', '0', '--offline-rate', '0',
  ...(durable ? ['--state', join(dir, 'state')] : []),
], { env: { ...process.env, FLEETWARD_SIMULATOR_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'inherit'] });

try {
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /(http:\/\/\S+)\/beta\/teamwork\/devices/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('close', (code) => reject(new Error(`simulator serve exited ${code}`)));
  });
  const driver = new GraphDriver({ baseUrl: url, token: TOKEN, concurrency, pageSize: 999 });
  const ids = (await driver.inventory()).map((d) => d.id);
  // Warm up connections and the JIT on a few devices, then measure the rest.
  const warm = ids.splice(0, Math.min(100, Math.floor(ids.length / 10)));
  await Promise.all(warm.map((id) => driver.startUpdate({ deviceId: id, component: 'firmware', version: '122.15.0.58' })));
  const started = performance.now();
  const results = await Promise.all(ids.map((id) => driver.startUpdate({ deviceId: id, component: 'firmware', version: '122.15.0.58' })));
  const seconds = (performance.now() - started) / 1000;
  const accepted = results.filter((r) => r.accepted).length;
  // A second round on the same devices: every answer is a 409 (already in flight).
  const started409 = performance.now();
  const again = await Promise.all(ids.slice(0, 1000).map((id) => driver.startUpdate({ deviceId: id, component: 'firmware', version: '122.15.0.58' })));
  const seconds409 = (performance.now() - started409) / 1000;
  const opsPerSecond = Math.round(accepted / seconds);
  process.stdout.write(JSON.stringify({
    bench: 'driver-throughput',
    devices,
    operations: accepted,
    seconds: Number(seconds.toFixed(3)),
    opsPerSecond,
    alreadyInFlightPerSecond: Math.round(again.filter((r) => !r.accepted).length / seconds409),
    concurrency,
    durable,
    target: TARGET,
    ok: opsPerSecond >= TARGET && accepted === ids.length,
    requests: driver.stats.requests,
    retries: driver.stats.retries,
    node: process.version,
  }) + '\n');
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('close', r));
  rmSync(dir, { recursive: true, force: true });
}
