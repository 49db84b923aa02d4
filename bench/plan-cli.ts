// End-to-end benchmark of `fleetward plan` (issue 11 item 5): the real CLI in a child process, reading a
// generated fleet file of 100,000 devices written as YAML (and as JSON for comparison) and the bench config,
// printing its output to a file. One JSON line per case: wall and CPU time, peak RSS (from /usr/bin/time -v),
// the output's size, and the CLI's own stage times (FLEETWARD_STAGE_TIMES=1: fleet, config, plan, output).
// Targets: under 5 s and 1 GB peak RSS for 100k devices from YAML.
// Run: node_modules/.bin/node bench/plan-cli.ts [sizes…]   (default 100000)
// A fleet file holds at most 100,000 devices (its schema) in at most 64 MiB: larger sizes are reported as
// refused without being generated. A million devices are planned from an installation's state (`plan --state`);
// bench/plan.ts measures the planner alone at 1M.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_NOW, writeBenchInputs } from './support/fleetgen.ts';
import { FLEET_FILE_SCHEMA } from '../controller/api/schemas.ts';

const MAX_DEVICES = (FLEET_FILE_SCHEMA.properties as { devices: { maxItems: number } }).devices.maxItems;

const CLI = join(import.meta.dirname, '..', 'controller', 'cli', 'main.ts');

interface Case { name: string; format: 'yaml' | 'json'; args: string[] }
const CASES: Case[] = [
  { name: 'yaml-table', format: 'yaml', args: [] },
  { name: 'yaml-json', format: 'yaml', args: ['-o', 'json'] },
  { name: 'yaml-markdown-group-changed', format: 'yaml', args: ['-o', 'markdown', '--group', 'hq', '--changed-only'] },
  { name: 'json-json', format: 'json', args: ['-o', 'json'] },
];

function timeOf(stderr: string, label: string): number | undefined {
  const m = new RegExp(`^\\s*${label}: (.+)$`, 'm').exec(stderr);
  return m ? Number(m[1]) : undefined;
}

function run(size: number): void {
  const dir = mkdtempSync(join(tmpdir(), 'fleetward-bench-plan-cli-'));
  try {
    const inputs: Partial<Record<'yaml' | 'json', { config: string; fleet: string }>> = {};
    for (const c of CASES) {
      if (size > MAX_DEVICES) {
        process.stdout.write(JSON.stringify({ bench: 'plan-cli', case: c.name, devices: size, refused: `a fleet file holds at most ${MAX_DEVICES} devices` }) + '\n');
        continue;
      }
      const input = (inputs[c.format] ??= writeBenchInputsSync(dir, size, c.format));
      const fleetMb = statSync(input.fleet).size / 1048576;
      const base = { bench: 'plan-cli', case: c.name, devices: size, fleetFileMb: Number(fleetMb.toFixed(1)) };
      const args = ['-v', process.execPath, CLI, 'plan', '--config', input.config, '--fleet', input.fleet, '--at', BENCH_NOW.toISOString(), ...c.args];
      // The output goes to a file, as a CI job would redirect it (a million devices print 1.3 GB of JSON).
      const outFile = join(dir, 'out');
      const outFd = openSync(outFile, 'w');
      const t0 = performance.now();
      const r = spawnSync('/usr/bin/time', args, {
        env: { ...process.env, FLEETWARD_STAGE_TIMES: '1', NO_COLOR: '1' },
        stdio: ['ignore', outFd, 'pipe'], encoding: 'utf8',
      });
      const ms = performance.now() - t0;
      closeSync(outFd);
      const outBytes = statSync(outFile).size;
      rmSync(outFile);
      const stderr = r.stderr ?? '';
      const stages = /^\{"stages".*$/m.exec(stderr)?.[0];
      const user = timeOf(stderr, 'User time \\(seconds\\)') ?? NaN;
      const sys = timeOf(stderr, 'System time \\(seconds\\)') ?? NaN;
      const rssKb = timeOf(stderr, 'Maximum resident set size \\(kbytes\\)') ?? NaN;
      process.stdout.write(JSON.stringify({
        ...base, exit: r.status, ms: Math.round(ms), cpuMs: Math.round((user + sys) * 1000), peakRssMb: Math.round(rssKb / 1024),
        outputMb: Number((outBytes / 1048576).toFixed(1)),
        ...(stages ? JSON.parse(stages) : {}),
        ...(r.status !== 0 ? { stderr: stderr.split('\n').slice(0, 3).join(' | ') } : {}),
      }) + '\n');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeBenchInputsSync(dir: string, size: number, format: 'yaml' | 'json'): { config: string; fleet: string } {
  // Generating and writing 100k devices as YAML takes a while; done in a child so this process stays small.
  const r = spawnSync(process.execPath, [import.meta.filename, '--write', dir, String(size), format], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`writing the ${format} fleet failed`);
  return JSON.parse(r.stdout) as { config: string; fleet: string };
}

const args = process.argv.slice(2);
if (args[0] === '--write') {
  process.stdout.write(JSON.stringify(await writeBenchInputs(join(args[1]!, args[3]!), Number(args[2]), args[3] as 'yaml' | 'json')));
} else {
  for (const size of args.length ? args.map(Number) : [100_000]) run(size);
}
