// A state directory for the console suites and bench: the example fleet run by `fleetward run` (the real
// CLI, the simulator, a pinned simulated start) for a few simulated days, with one device whose display name
// is a script-injection attempt, as an untrusted back end could report it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const NODE = join(ROOT, 'node_modules', '.bin', 'node');
export const CLI = join(ROOT, 'controller', 'cli', 'main.ts');
/** The simulated start of the demo fleet (its release dates are relative to it). */
export const START = '2026-11-23T00:00:00Z';
export const HOSTILE_ID = 'lon-phone-001';
export const HOSTILE_NAME = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';

export function hostileFleet(dir: string): string {
  const text = readFileSync(join(ROOT, 'examples', 'fleet.yaml'), 'utf8')
    .replace('displayName: London lobby phone 1', `displayName: '${HOSTILE_NAME}'`);
  if (!text.includes(HOSTILE_NAME)) throw new Error('examples/fleet.yaml changed: the hostile display name was not placed');
  const file = join(dir, 'fleet.yaml');
  writeFileSync(file, text);
  return file;
}

/** Runs the example config for `days` simulated days; returns the state directory. */
export function demoState(days = 8): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetward-console-'));
  const stateDir = join(dir, 'state');
  execFileSync(NODE, [CLI, 'run', '--config', join(ROOT, 'examples', 'config'), '--driver', 'simulator', '--fleet', hostileFleet(dir),
    '--state-dir', stateDir, '--start', START, '--speed', '259200000', '--clock', 'stepped', '--interval', '12h', '--min-interval', '6h',
    '--for', `${days}d`, '--port', '-1', '--log-file', join(dir, 'run.log')], { stdio: ['ignore', 'ignore', 'inherit'], cwd: ROOT });
  return stateDir;
}

export function statusJson(stateDir: string): { run: { summary: { devices: number; stages: Record<string, number | string>[]; autoUpdatesPausedUntil?: string }; releases: { component: string; version: string; state: string }[] }; objects: { kind: string; name: string; devices?: number }[]; devices: string[]; provisioning: { batch: string; devices: { macAddress: string; state: string }[] }[] } {
  return JSON.parse(execFileSync(NODE, [CLI, 'status', '--state-dir', stateDir, '-o', 'json'], { cwd: ROOT, encoding: 'utf8' }));
}
