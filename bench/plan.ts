// Benchmark of plan() (issue 3 item 8): generated fleets of 10k, 100k and 1M devices; per size one
// JSON line with the plan's time, the peak RSS, and the parse-and-walk floor (JSON.parse of the same
// inventory plus a walk touching every device's fields) with the ratio.
// Run: node_modules/.bin/node bench/plan.ts [sizes…]   (default 10000 100000 1000000)
// node_modules/.bin/node bench/plan.ts --dump FILE [size]: writes the plan of that generated fleet
// (default 100000) as JSON to FILE, so a speed-up can be checked to change no byte of the output.
// Wall time and CPU time (user + system, all threads) are both printed: on a shared machine CPU time is
// the steadier figure. Each size runs in its own process so peak RSS is that size's. 1M needs --max-old-space-size=6144 (set below).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { plan } from '../controller/planner/index.ts';
import { generateFleet } from './support/fleetgen.ts';

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

function walkFloor(json: string): { ms: number; cpu: number; touched: number } {
  const t0 = performance.now();
  const c0 = cpuMs();
  const inv = JSON.parse(json) as { devices: { id: string; model: string; manufacturer: string; timeZone: string; deviceType: string; labels?: Record<string, string>; software: Record<string, string> }[] };
  let touched = 0;
  for (const d of inv.devices) {
    touched += d.id.length + d.model.length + d.manufacturer.length + d.timeZone.length + d.deviceType.length;
    if (d.labels) for (const k in d.labels) touched += d.labels[k]!.length;
    for (const k in d.software) touched += d.software[k]!.length;
  }
  return { ms: performance.now() - t0, cpu: cpuMs() - c0, touched };
}

function child(size: number): void {
  const { desired, observed, now } = generateFleet(size);
  let json: string | null = JSON.stringify({ devices: observed.devices, releases: observed.releases, operations: observed.operations });
  const floor = walkFloor(json);
  const inventoryMb = Math.round(json.length / 1048576);
  json = null; // not kept alive while planning
  const t0 = performance.now();
  const c0 = cpuMs();
  const p = plan(desired, observed, now);
  const ms = performance.now() - t0;
  const cpu = cpuMs() - c0;
  const rss = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({
    bench: 'plan', devices: size, ms: Math.round(ms), cpuMs: Math.round(cpu), floorMs: Math.round(floor.ms), floorCpuMs: Math.round(floor.cpu),
    ratio: Number((ms / floor.ms).toFixed(2)), cpuRatio: Number((cpu / floor.cpu).toFixed(2)),
    peakRssMb: Math.round(rss), operations: p.operations.length, inventoryMb,
  }) + '\n');
}

const args = process.argv.slice(2);
if (args[0] === '--child') child(Number(args[1]));
else if (args[0] === '--dump') {
  const { desired, observed, now } = generateFleet(Number(args[2] ?? 100_000));
  writeFileSync(args[1]!, JSON.stringify(plan(desired, observed, now)));
}
else {
  const sizes = args.length ? args.map(Number) : [10_000, 100_000, 1_000_000];
  for (const size of sizes) {
    const heap = size >= 500_000 ? ['--max-old-space-size=6144'] : [];
    const r = spawnSync(process.execPath, [...heap, import.meta.filename, '--child', String(size)], { stdio: 'inherit' });
    if (r.status !== 0) process.stdout.write(JSON.stringify({ bench: 'plan', devices: size, error: `exit ${r.status ?? r.signal}` }) + '\n');
  }
}
