// Reading what a command is pointed at (config directory, fleet file, simulator behaviour, duration flags),
// the same way in every command: bad input is a one-line UsageError, an invalid file prints the loader's
// `file:line: …` lines and exits 1 (a failed check, not a usage error).
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../api/duration.ts';
import type { FleetFile, Revision } from '../api/types.ts';
import { resolveBehaviour, SimulatorBehaviourError, type SimulatorBehaviour } from '../drivers/simulator/behaviour.ts';
import { FleetFileError, loadFleetFile } from '../sources/fleet-file.ts';
import { formatConfigError, type ConfigError } from '../sources/load.ts';
import { loadConfigDirBounded } from '../sources/bounded.ts';
import { UsageError } from './errors.ts';

/** Prints the loader's lines and stops with exit 1. */
export function failInvalid(what: string, errors: readonly ConfigError[]): never {
  for (const e of errors) process.stderr.write(formatConfigError(e) + '\n');
  throw new UsageError(`${what} is invalid (${errors.length} ${errors.length === 1 ? 'error' : 'errors'})`, 1);
}

export async function loadConfig(dir: string): Promise<Revision> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`config directory not found: ${dir}`);
  const r = await loadConfigDirBounded(dir);
  if (!r.ok) failInvalid(`config ${dir}`, r.errors);
  return r.revision;
}

export async function loadFleet(path: string): Promise<FleetFile> {
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`fleet file not found: ${path}`);
  try {
    return await loadFleetFile(path);
  } catch (err) {
    if (err instanceof FleetFileError) failInvalid(`fleet file ${path}`, err.errors);
    throw err;
  }
}

/** `--behaviour FILE`: a YAML mapping of simulator behaviour settings (docs/drivers.md), checked before use. */
export function readBehaviourFile(file: string): SimulatorBehaviour {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--behaviour ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new UsageError(`--behaviour ${file}: expected a mapping such as {failureRate: 0.1}`);
  try {
    resolveBehaviour(doc as SimulatorBehaviour);
  } catch (err) {
    if (err instanceof SimulatorBehaviourError) throw new UsageError(`--behaviour ${file}: ${err.message}`);
    throw err;
  }
  return doc as SimulatorBehaviour;
}

/** A duration flag in ms: `500ms`, `30s`, `5m`, `2h`, `120d`, `1d12h`; a bare number is seconds. */
export function durationFlag(flag: string, text: string, opts: { positive?: boolean } = {}): number {
  const t = text.trim();
  const ms = /^\d+ms$/.test(t) ? Number(t.slice(0, -2)) : /^\d+(\.\d+)?$/.test(t) ? Number(t) * 1000 : parseDuration(t);
  if (ms === undefined || !Number.isFinite(ms) || (opts.positive && ms <= 0)) {
    throw new UsageError(`${flag} ${JSON.stringify(text)}: write a ${opts.positive ? 'positive ' : ''}duration such as 500ms, 30s, 5m, 2h or 120d`);
  }
  return ms;
}

/** The rate-limit flags, the same on `run` and `operator` (docs/run.md "Rate limits"). */
export interface RateLimitFlags {
  maxOpsPerPass: string;
  maxOpsPerMinute?: string;
}

/** Adds `--max-ops-per-pass` and `--max-ops-per-minute` to a command: one wording for both commands. */
export function addRateLimitOptions(cmd: Command): Command {
  return cmd
    .option('--max-ops-per-pass <n>', 'rate limit: operations started per pass (the rest stay due; the next pass comes as soon as more may start)', '50')
    .option('--max-ops-per-minute <n>', 'rate limit: operations started in any minute, as AWS IoT Jobs\' maximumPerMinute (default: no limit but --max-ops-per-pass)');
}

/** The reconciler's rate limits from those flags; a value that is not a positive integer is a UsageError naming the flag. */
export function rateLimits(o: RateLimitFlags): { maxOperationsPerPass: number; maxOperationsPerMinute?: number } {
  const count = (flag: string, text: string): number => {
    const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} ${JSON.stringify(text)}: expected a positive integer`);
    return n;
  };
  return {
    maxOperationsPerPass: count('--max-ops-per-pass', o.maxOpsPerPass),
    ...(o.maxOpsPerMinute !== undefined ? { maxOperationsPerMinute: count('--max-ops-per-minute', o.maxOpsPerMinute) } : {}),
  };
}
