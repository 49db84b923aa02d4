// `fleetward plan --config DIR --fleet FILE [--at ISO] [-o table|json|markdown] [--compare OLD]`
// (docs/design.md section 5): the plan at one instant, or with --compare what a config change does to it.
// The CLI is not the planner: it may read the clock (for the default --at) and the disk.
import { existsSync, promises as fsp, statSync } from 'node:fs';
import * as fs from 'node:fs';
import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import git from 'isomorphic-git';
import { desiredState, observedFromFleet } from '../../api/desired.ts';
import type { DesiredState } from '../../api/desired.ts';
import type { DeviceOperation, FleetFile, Revision } from '../../api/types.ts';
import { describeLocation, readLiveFleet, type LiveFleet, type LiveLocation } from '../live-fleet.ts';
import { readStateUrl } from '../state-url.ts';
import { diffPlans } from '../../planner/diff.ts';
import { plan as makePlan } from '../../planner/index.ts';
import type { Plan } from '../../planner/types.ts';
import { FleetFileError, loadFleetFile } from '../../sources/fleet-file.ts';
import { LIMITS, formatConfigError, loadConfigDir, loadDocuments } from '../../sources/load.ts';
import type { ConfigError } from '../../sources/load.ts';
import { systemClock } from '../../util/clock.ts';
import type { Clock } from '../../util/clock.ts';
import { UsageError } from '../errors.ts';
import { failInvalid, loadConfig, loadFleet } from '../inputs.ts';
import { writeStableJson } from '../format/json.ts';
import { liveNote, narrowPlan, selectedIds, type PlanSelection, type ShownPlan } from '../plan-selection.ts';
import { formatDiffMarkdown, formatPlanMarkdown } from '../format/markdown.ts';
import { formatDiffTable, formatPlanTable } from '../format/table.ts';
import { wantColor } from '../format/text.ts';

/** Where the planner's observed input is made (api/desired.ts); `forecast` imports it from here. */
export { observedFromFleet };

export const OUTPUT_FORMATS = ['table', 'json', 'markdown'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function parseOutput(value: string): OutputFormat {
  if ((OUTPUT_FORMATS as readonly string[]).includes(value)) return value as OutputFormat;
  throw new UsageError(`-o must be one of ${OUTPUT_FORMATS.join(', ')}, not ${JSON.stringify(value)}`);
}

/** `--at`: an ISO-8601 instant with a zone (or a bare date, read as UTC midnight), normalised to UTC. */
export function parseAt(value: string | undefined, clock: Clock = systemClock): Date {
  if (value === undefined) return clock.now();
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i.exec(value);
  const t = Date.parse(value);
  // Date.parse rolls 2026-02-30 over to March 2 and accepts 24:00: refuse what is not a real date and time.
  const real = m !== null && !Number.isNaN(t)
    && new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).getUTCDate() === Number(m[3])
    && Number(m[2]) >= 1 && Number(m[2]) <= 12
    && Number(m[4] ?? 0) < 24 && Number(m[5] ?? 0) < 60 && Number(m[6] ?? 0) < 60;
  if (!real) {
    throw new UsageError(`--at must be an ISO-8601 instant with a zone, such as 2026-11-23T15:00:00Z (got ${JSON.stringify(value)})`);
  }
  return new Date(t);
}

export function planFor(revision: Revision, fleet: FleetFile, at: Date, operations: DeviceOperation[] = []): Plan {
  const desired = desiredState(revision.objects);
  return makePlan(desired, observedFromFleet(fleet, desired, operations), at, { revision: revision.id });
}

/** The fleet a command plans: a fleet file (`--fleet`), or the live fleet of an installation (`--state`). */
export interface FleetSource {
  fleet: FleetFile;
  operations: DeviceOperation[];
  live?: LiveFleet;
}

export interface FleetSourceOptions { fleet?: string; state?: string; stateUrlFile?: string; shard?: string }

export async function loadFleetSource(opts: FleetSourceOptions): Promise<FleetSource> {
  const given = [opts.fleet, opts.state, opts.stateUrlFile].filter((v) => v !== undefined).length;
  // FLEETWARD_STATE_URL (as for `status`) counts only when nothing else says where the fleet is.
  const url = opts.stateUrlFile !== undefined || given === 0 ? readStateUrl(opts.stateUrlFile) : undefined;
  if (given > 1 || (given === 0 && url === undefined)) {
    throw new UsageError('give either --fleet FILE (a fleet file) or --state DIR / --state-url-file FILE (the state of a running installation)');
  }
  if (opts.shard !== undefined && url === undefined) throw new UsageError('--shard goes with a PostgreSQL store (--state-url-file FILE)');
  if (opts.fleet !== undefined) return { fleet: await loadFleet(opts.fleet), operations: [] };
  const where: LiveLocation = url !== undefined ? { url, ...(opts.shard !== undefined ? { scope: opts.shard } : {}) } : { stateDir: opts.state! };
  const live = await readLiveFleet(where);
  const label = describeLocation(where);
  if (live.withoutInventory > 0) {
    process.stderr.write(`fleetward: ${live.withoutInventory} devices in ${label} have no recorded inventory yet (recorded by an older release); they are planned after the installation's next pass\n`);
  }
  if (!live.catalogRecorded) {
    process.stderr.write(`fleetward: ${label} holds no recorded release catalog yet (recorded by an older release); releases come from the config's SoftwareRelease objects until the installation's next pass\n`);
  }
  return { fleet: live.fleet, operations: live.operations, live };
}

/** --config, or with --state and no --config the revision in force in the installation. */
export async function loadPlanConfig(config: string | undefined, source: FleetSource): Promise<Revision> {
  if (config !== undefined) return loadConfig(config);
  if (source.live?.revision) return source.live.revision;
  throw new UsageError(source.live ? 'the installation has no revision in force yet; give --config DIR' : 'give --config DIR');
}

// ---- --compare git:REV[:path] ----------------------------------------------------------------

/** `REV`, `REV~N`, `REV^`, `REV^N` and chains of them, as git rev-parse reads them. */
async function resolveRevision(dir: string, rev: string): Promise<string> {
  const m = /^(.*?)((?:[~^]\d*)*)$/.exec(rev)!;
  const base = m[1] || 'HEAD';
  let oid: string;
  try {
    oid = await git.resolveRef({ fs, dir, ref: base });
  } catch {
    if (!/^[0-9a-f]{4,40}$/i.test(base)) throw new UsageError(`--compare: no revision ${base} in ${dir}`);
    try {
      oid = await git.expandOid({ fs, dir, oid: base.toLowerCase() });
    } catch {
      throw new UsageError(`--compare: no revision ${base} in ${dir}`);
    }
  }
  oid = await peelToCommit(dir, oid, rev);
  for (const step of m[2]!.match(/[~^]\d*/g) ?? []) {
    const n = step.length > 1 ? Number(step.slice(1)) : 1;
    if (step[0] === '~') {
      for (let i = 0; i < n; i++) oid = await parent(dir, oid, 1, rev);
    } else if (n > 0) {
      oid = await parent(dir, oid, n, rev);
    }
  }
  return oid;
}

async function peelToCommit(dir: string, oid: string, rev: string): Promise<string> {
  for (let i = 0; i < 10; i++) {
    const o = await git.readObject({ fs, dir, oid, format: 'parsed' });
    if (o.type === 'commit') return oid;
    if (o.type !== 'tag') break;
    oid = (o.object as { object: string }).object;
  }
  throw new UsageError(`--compare: ${rev} is not a commit`);
}

async function parent(dir: string, oid: string, n: number, rev: string): Promise<string> {
  const { commit } = await git.readCommit({ fs, dir, oid });
  const p = commit.parent[n - 1];
  if (!p) throw new UsageError(`--compare: ${rev} goes past the first commit`);
  return p;
}

/** Every file under `path` in the tree of commit `oid`, paths relative to `path`; hidden names and symlinks skipped, as the directory loader does. */
async function filesAt(dir: string, oid: string, path: string): Promise<{ path: string; oid: string }[]> {
  const out: { path: string; oid: string }[] = [];
  const walk = async (treeOid: string, prefix: string): Promise<void> => {
    const { tree } = await git.readTree({ fs, dir, oid: treeOid });
    for (const e of tree) {
      if (e.path.startsWith('.')) continue;
      const p = prefix ? `${prefix}/${e.path}` : e.path;
      if (e.type === 'tree') await walk(e.oid, p);
      else if (e.type === 'blob' && e.mode !== '120000') out.push({ path: p, oid: e.oid });
      if (out.length > MAX_TREE_ENTRIES) throw new UsageError(`--compare: more than ${MAX_TREE_ENTRIES} files under ${path || '.'} at that revision`, 1);
    }
  };
  let root: string;
  try {
    root = (await git.readTree({ fs, dir, oid, ...(path ? { filepath: path } : {}) })).oid;
  } catch {
    throw new UsageError(`--compare: no directory ${path || '.'} at that revision`);
  }
  await walk(root, '');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

const CONFIG_FILE = /\.ya?ml$/i;
/** A config directory is small; a tree far larger than the loader's file limit is not walked to the end. */
const MAX_TREE_ENTRIES = 50_000;
/** Files the loader might read: the YAML objects and the CSV files they name (devicesFile). */
const READABLE_FILE = /\.(ya?ml|csv)$/i;

/** The config directory as it was at a revision of the git repository that contains `configDir`. */
export async function loadConfigAtRevision(spec: string, configDir: string): Promise<Revision> {
  const rest = spec.slice('git:'.length);
  const colon = rest.indexOf(':');
  const rev = (colon < 0 ? rest : rest.slice(0, colon)) || 'HEAD';
  let dir: string;
  try {
    dir = await git.findRoot({ fs, filepath: resolve(configDir) });
  } catch {
    throw new UsageError(`--compare ${spec}: ${configDir} is not inside a git repository`);
  }
  const path = colon < 0
    ? relative(await fsp.realpath(dir), await fsp.realpath(configDir)).split(/[\\/]/).filter(Boolean).join('/')
    : rest.slice(colon + 1).split('/').filter((s) => s !== '' && s !== '.').join('/');
  if (path.split('/').includes('..')) throw new UsageError(`--compare ${spec}: ${path} leaves the repository`);
  const oid = await resolveRevision(dir, rev);
  const entries = (await filesAt(dir, oid, path)).filter((e) => READABLE_FILE.test(e.path));
  // The repository is untrusted input: the directory loader's limits apply before anything is read.
  const tooMany = (kind: RegExp) => entries.filter((e) => kind.test(e.path)).length > LIMITS.maxFiles;
  if (tooMany(CONFIG_FILE) || tooMany(/\.csv$/i)) {
    throw new UsageError(`--compare ${spec}: more than ${LIMITS.maxFiles} YAML or CSV files; a config revision may hold at most ${LIMITS.maxFiles}`, 1);
  }
  // loadDocuments is synchronous: read every blob it may ask for first.
  const texts = new Map<string, string>();
  const total = { yaml: 0, csv: 0 };
  for (const e of entries) {
    const { blob } = await git.readBlob({ fs, dir, oid: e.oid });
    if (blob.byteLength > LIMITS.maxFileBytes) {
      throw new UsageError(`--compare ${spec}: ${e.path} is ${(blob.byteLength / 1048576).toFixed(1)} MiB; a config file may be at most ${LIMITS.maxFileBytes / 1048576} MiB`, 1);
    }
    const kind = CONFIG_FILE.test(e.path) ? 'yaml' : 'csv';
    total[kind] += blob.byteLength;
    if (total[kind] > LIMITS.maxTotalBytes) {
      throw new UsageError(`--compare ${spec}: the ${kind.toUpperCase()} files hold more than ${LIMITS.maxTotalBytes / 1048576} MiB; a config revision may hold at most that`, 1);
    }
    texts.set(e.path, Buffer.from(blob).toString('utf8'));
  }
  const display = (rel: string): string => `${rev}:${path ? `${path}/` : ''}${rel}`;
  const files = entries.filter((e) => CONFIG_FILE.test(e.path)).map((e) => ({ path: display(e.path), text: texts.get(e.path)! }));
  const readFile = (rel: string): string | undefined => texts.get(rel.split(/[\\/]+/).filter((s) => s !== '' && s !== '.').join('/'));
  const r = loadDocuments(files, { revisionId: oid, readFile });
  if (!r.ok) failInvalid(`config ${spec}`, r.errors);
  return r.revision;
}

// ---- The command ----------------------------------------------------------------------------

/** `fleetward plan | head` closes the pipe early: that is the reader's choice, not an error. */
export function quietOnClosedPipe(stream: NodeJS.WritableStream = process.stdout): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

interface PlanOptions extends FleetSourceOptions {
  config?: string; at?: string; output: string; compare?: string;
  device?: string[]; group?: string[]; changedOnly?: boolean;
}

export function selectionOf(opts: Pick<PlanOptions, 'device' | 'group' | 'changedOnly'>): PlanSelection {
  return { deviceIds: opts.device ?? [], groups: opts.group ?? [], changedOnly: opts.changedOnly === true };
}

const groupNames = (...revisions: Revision[]): string[] =>
  [...new Set(revisions.flatMap((r) => r.objects.filter((o) => o.kind === 'DeviceGroup').map((o) => o.metadata.name)))];

export async function runPlan(opts: PlanOptions, out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): Promise<void> {
  const format = parseOutput(opts.output);
  const at = parseAt(opts.at);
  const sel = selectionOf(opts);
  const lap = stageTimer();
  const source = await loadFleetSource(opts);
  const { fleet, operations } = source;
  lap('fleet');
  const revision = await loadPlanConfig(opts.config, source);
  lap('config');
  const after = planFor(revision, fleet, at, operations);
  lap('plan');
  const live = source.live ? { live: liveNote(after, source.live.observedAt) } : {};
  if (opts.compare === undefined) {
    const shown = { ...narrowPlan(after, selectedIds([after], sel, groupNames(revision)), sel), ...live };
    if (format === 'json') await writeStableJson(shown, out);
    else if (format === 'markdown') out.write(formatPlanMarkdown(shown));
    else out.write(formatPlanTable(shown, { color: wantColor(out) }));
    lap('output');
    lap.report();
    return;
  }
  if (opts.config === undefined) throw new UsageError('--compare needs --config: the config to compare the old one with');
  const old = opts.compare.startsWith('git:')
    ? await loadConfigAtRevision(opts.compare, opts.config)
    : await loadConfig(opts.compare);
  const before = planFor(old, fleet, at, operations);
  // --changed-only changes nothing here: a diff lists only what changes.
  const ids = selectedIds([before, after], sel, groupNames(revision, old));
  const narrowed = { ...sel, changedOnly: false };
  const b = narrowPlan(before, ids, narrowed);
  const a = narrowPlan(after, ids, narrowed);
  const diff = { ...diffPlans(b, a), ...((a as ShownPlan).selection ? { selection: (a as ShownPlan).selection } : {}), ...live };
  const labels = { beforeLabel: opts.compare, afterLabel: opts.config };
  if (format === 'json') await writeStableJson(diff, out);
  else if (format === 'markdown') out.write(formatDiffMarkdown(diff, labels));
  else out.write(formatDiffTable(diff, { color: wantColor(out), ...labels }));
}

/**
 * With FLEETWARD_STAGE_TIMES=1 the command prints one JSON line to stderr with the CPU and wall time of each
 * stage, for bench/plan-cli.ts; otherwise it does nothing.
 */
function stageTimer(): ((stage: string) => void) & { report(): void } {
  const on = process.env.FLEETWARD_STAGE_TIMES === '1';
  const stages: Record<string, { ms: number; cpuMs: number }> = {};
  const cpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  let wall = performance.now();
  let used = cpu();
  const lap = (stage: string): void => {
    if (!on) return;
    const w = performance.now();
    const c = cpu();
    stages[stage] = { ms: Math.round(w - wall), cpuMs: Math.round(c - used) };
    wall = w;
    used = c;
  };
  return Object.assign(lap, {
    report: () => { if (on) process.stderr.write(JSON.stringify({ stages }) + '\n'); },
  });
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function register(program: Command): void {
  program
    .command('plan')
    .description('Show what Fleetward would do to the fleet at one instant, or what a config change does to that plan.')
    .option('--config <dir>', 'config directory (the YAML objects); with --state, default: the revision in force there')
    .option('--fleet <file>', 'fleet file: devices[] and releases[] (YAML)')
    .option('--state <dir>', 'instead of --fleet: the state directory of a running installation (its live fleet, in-flight and failed updates)')
    .option('--state-url-file <file>', 'instead of --fleet: the operator\'s PostgreSQL state store, a file holding its connection string (or FLEETWARD_STATE_URL); read-only')
    .option('--shard <name>', 'with --state-url-file: the shard to read')
    .option('--at <iso>', 'the instant to plan at, ISO-8601 with a zone (default: now)')
    .option('-o, --output <format>', 'table, json or markdown', 'table')
    .option('--compare <old>', 'show the difference from an older config: a directory, or git:REV[:path] in the repository holding --config')
    .option('--device <id>', 'show only this device (repeatable); the whole fleet is still planned', collect)
    .option('--group <name>', 'show only the devices of this DeviceGroup (repeatable)', collect)
    .option('--changed-only', 'show only devices with something pending (with --compare a diff lists only changes anyway)')
    .addHelpText('after', `
Examples:
  fleetward plan --config examples/config --fleet examples/fleet.yaml
  fleetward plan --config config --fleet fleet.yaml --at 2026-12-02T09:00:00Z -o json
  fleetward plan --config config --fleet fleet.yaml --compare git:origin/main -o markdown
  fleetward plan --config config --fleet fleet.yaml --group hq --changed-only -o markdown
  fleetward plan --config config --state /var/lib/fleetward --compare git:origin/main -o markdown
  fleetward plan --config config --state-url-file ~/.fleetward-ro-url --compare git:origin/main -o markdown
`)
    .action(async (opts: PlanOptions) => {
      quietOnClosedPipe();
      await runPlan(opts);
    });
}
