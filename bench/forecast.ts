// Benchmark of forecast() (issue 3 item 8): a 60-day ring forecast over a generated fleet of 100k
// devices (default), one JSON line: ms, peak RSS, adoption points.
// Run: node_modules/.bin/node bench/forecast.ts [devices]
import { forecast } from '../controller/planner/forecast.ts';
import { generateFleet } from './support/fleetgen.ts';

const size = Number(process.argv[2] ?? 100_000);
const { desired, observed, now } = generateFleet(size);
// A Teams app release for every model, out now: rooms go through the rings, phones through the phases.
observed.releases.push({ component: 'teamsClient', version: '1449.1.0.400', releasedAt: now.toISOString(), label: 'verified' });
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const f = forecast(desired, observed, { component: 'teamsClient', version: '1449.1.0.400' }, now, { horizonDays: 60 });
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(JSON.stringify({
  bench: 'forecast', devices: size, ms: Math.round(ms), cpuMs: Math.round((cpu.user + cpu.system) / 1000), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  eligible: f.eligibleDevices, stages: f.stages.length, points: f.adoption.length, finalShare: f.adoption.at(-1)?.share,
}) + '\n');
