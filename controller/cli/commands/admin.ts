// Admin actions as declared changes (docs/admin.md): each writes one SoftwareUpdate or FleetPolicy change into
// the config directory, checked as `fleetward validate` checks it, ready to commit; `--dry-run` prints the
// document instead (ready for `kubectl apply -f -`) and writes nothing.
//   fleetward retry-failed RELEASE [--group G]        seed 001 "Retry all failed"
//   fleetward pause [--from ISO] / fleetward resume   seed 000 "Pause automatic updates" (tenant, 15 days)
//   fleetward force DEVICE --component C [--version V] [--at LOCAL --zone Z | --next-window]   seed 001 "Force updates"
import { join } from 'node:path';
import type { Command } from 'commander';
import { DateTime } from 'luxon';
import type { UpdateSchedule } from '../../api/types.ts';
import { applyChange, checkChange, ConfigEditError, configDir, fileInside, type ConfigChange } from '../../admin/config-edit.ts';
import { forceChange, parseComponent, parseRelease, retryFailedChange, type AdminStateReader } from '../../admin/software-updates.ts';
import { pauseChange, resumeChange, type AdminResult } from '../../admin/tenant-pause.ts';
import { formatConfigError } from '../../sources/load.ts';
import { openStateStore, storeExists } from '../../store/open.ts';
import type { StateStore } from '../../store/store.ts';
import { systemClock } from '../../util/clock.ts';
import { UsageError } from '../errors.ts';
import { DEFAULT_STATE_DIR } from './provision.ts';

interface Common { config: string; dryRun?: boolean; file?: string; now?: string }
interface WithState extends Common { stateDir?: string }

const CONFIG_HELP = 'the config directory to change (the one `fleetward run --config` follows, or a checkout of the config repo)';
const STATE_HELP = `state directory of the running installation (default $FLEETWARD_STATE_DIR or ${DEFAULT_STATE_DIR})`;

function common(cmd: Command): Command {
  return cmd
    .option('-c, --config <dir>', CONFIG_HELP, '.')
    .option('--dry-run', 'print the document instead of writing it (for review, or `kubectl apply -f -`)')
    .option('--now <iso>', 'the instant to act at, for names and timestamps (default: the system clock)');
}

/** `--now`, `--from`: an ISO-8601 instant with a zone. */
function instantFlag(flag: string, text: string | undefined): Date {
  if (text === undefined) return systemClock.now();
  const t = Date.parse(text);
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(text) || Number.isNaN(t)) throw new UsageError(`${flag} ${JSON.stringify(text)} is not an ISO-8601 instant with a zone, such as 2026-11-23T09:00:00Z`);
  return new Date(t);
}

/** The store of a running installation, read only: a wrong path is an error, not a new empty store. */
async function openState(dir: string | undefined): Promise<StateStore> {
  const stateDir = dir ?? process.env.FLEETWARD_STATE_DIR ?? DEFAULT_STATE_DIR;
  if (!storeExists({ stateDir })) {
    throw new UsageError(`${stateDir}: no state of a running installation here; pass --state-dir (the one of \`fleetward run\`)`);
  }
  try {
    return await openStateStore({ stateDir }, { readOnly: true });
  } catch (err) {
    throw new UsageError(`${stateDir}: ${(err as Error).message}`);
  }
}

/** Reads what the change needs from the store, then closes it before anything is written. */
async function withState<T>(dir: string | undefined, read: (store: AdminStateReader) => T): Promise<T> {
  const store = await openState(dir);
  try {
    return read(store);
  } finally {
    await store.close();
  }
}

function fileFlag(dir: string, file: string | undefined): string | undefined {
  return file === undefined ? undefined : fileInside(dir, file);
}

/** Check, then print or write; one line for the person, the document on stdout for a dry run. */
async function finish(result: AdminResult, o: Common): Promise<void> {
  const change: ConfigChange | null = result.change;
  if (!change) {
    process.stderr.write(`${result.message}\n`);
    return;
  }
  if (o.dryRun) {
    await checkChange(change);
    process.stdout.write(change.document);
    process.stderr.write(`dry run, nothing written: ${result.message}; it would ${change.created ? 'create' : 'change'} ${join(change.dir, change.file)}\n`);
    return;
  }
  await applyChange(change);
  const path = join(change.dir, change.file);
  process.stdout.write(`${change.created ? 'created' : 'changed'} ${path}: ${result.message}\n` +
    `  commit it to apply it (git -C ${change.dir} add ${change.file} && git -C ${change.dir} commit), or kubectl apply -f ${path}\n`);
}

/** A ConfigEditError is bad input (exit 2) unless the loader found the result invalid (exit 1, its lines first). */
async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (!(err instanceof ConfigEditError)) throw err;
    for (const e of err.errors) process.stderr.write(formatConfigError(e) + '\n');
    throw new UsageError(err.message, err.errors.length ? 1 : 2);
  }
}

/** The schedule flags; undefined when none was given (each command has its default). */
function schedule(o: { at?: string; zone?: string; nextWindow?: boolean; now?: boolean }): UpdateSchedule | undefined {
  const chosen = [o.at !== undefined, o.nextWindow === true, o.now === true].filter(Boolean).length;
  if (chosen > 1) throw new UsageError('choose one of --at LOCAL_TIME, --next-window and --immediately');
  if (o.zone !== undefined && o.at === undefined) throw new UsageError('--zone goes with --at (the zone of that local time)');
  if (o.at !== undefined && /(Z|[+-]\d{2}:?\d{2})$/i.test(o.at)) {
    // An instant with its offset: the same moment as a local time of --zone (UTC without one).
    const dt = DateTime.fromISO(o.at, { setZone: true });
    if (!dt.isValid) throw new UsageError(`--at ${JSON.stringify(o.at)} is neither a local time (YYYY-MM-DDTHH:MM) nor an ISO-8601 instant`);
    const zone = o.zone ?? 'UTC';
    const local = dt.setZone(zone);
    if (!local.isValid) throw new UsageError(`--zone ${JSON.stringify(zone)} is not an IANA time zone such as Europe/Paris`);
    return { at: local.toFormat("yyyy-MM-dd'T'HH:mm"), timeZone: zone };
  }
  if (o.at !== undefined) return { at: o.at, ...(o.zone !== undefined ? { timeZone: o.zone } : {}) };
  if (o.nextWindow) return 'nextMaintenanceWindow';
  if (o.now) return 'now';
  return undefined;
}

export function register(program: Command): void {
  common(program.command('retry-failed'))
    .description('Retry all failed (seed 001): write a SoftwareUpdate for the devices whose update to RELEASE failed or is held')
    .argument('<release>', 'COMPONENT@VERSION, such as firmware@58.15.0.142')
    .option('--group <name>', 'only the devices of this DeviceGroup')
    .option('--state-dir <dir>', STATE_HELP)
    .option('--immediately', 'schedule: now (default: each device\'s next maintenance window)')
    .option('--at <time>', 'schedule at this local date and time (YYYY-MM-DDTHH:MM), or an ISO-8601 instant with its offset')
    .option('--zone <zone>', 'with --at: an IANA zone (default: each device\'s own)')
    .option('--name <name>', 'the SoftwareUpdate\'s name (default retry-COMPONENT-VERSION-YYYYMMDD-HHMM)')
    .option('--file <path>', 'the file in the config directory to write it to (default updates/NAME.yaml; an existing file gets it as a further document)')
    .action((release: string, o: WithState & { group?: string; immediately?: boolean; at?: string; zone?: string; name?: string }) => run(async () => {
      const dir = configDir(o.config);
      const now = instantFlag('--now', o.now);
      const { component, version } = parseRelease(release);
      const when = schedule({ ...(o.at !== undefined ? { at: o.at } : {}), ...(o.zone !== undefined ? { zone: o.zone } : {}), ...(o.immediately ? { now: true } : {}) });
      const file = fileFlag(dir, o.file);
      const r = await withState(o.stateDir, (store) => retryFailedChange(dir, store, {
        component, version, now, ...(when ? { schedule: when } : {}),
        ...(o.group !== undefined ? { group: o.group } : {}), ...(o.name !== undefined ? { name: o.name } : {}), ...(file ? { file } : {}),
      }));
      await finish(r, o);
    }));

  common(program.command('pause'))
    .description('Pause automatic updates for the whole tenant (seed 000): FleetPolicy autoUpdates.pausedAt; they resume by themselves 15 days later')
    .option('--from <iso>', 'pause from this instant (a planned change freeze; default now)')
    .option('--file <path>', 'where to write a new FleetPolicy when the config has none (default policy.yaml)')
    .action((o: Common & { from?: string }) => run(async () => {
      const dir = configDir(o.config);
      const now = instantFlag('--now', o.now);
      const from = o.from === undefined ? now : instantFlag('--from', o.from);
      const file = fileFlag(dir, o.file);
      await finish(pauseChange(dir, from, { now, ...(file ? { file } : {}) }), o);
    }));

  common(program.command('resume'))
    .description('Resume automatic updates before the 15 days are over: removes FleetPolicy autoUpdates.pausedAt')
    .action((o: Common) => run(async () => {
      const dir = configDir(o.config);
      await finish(resumeChange(dir, instantFlag('--now', o.now)), o);
    }));

  common(program.command('force'))
    .description('Force an update on one device (seed 001 "Force updates"): a SoftwareUpdate with force: true, now unless scheduled')
    .argument('<device>', 'the device id')
    .requiredOption('--component <component>', 'firmware, teamsClient, adminAgent, companyPortal, operatingSystem or partnerAgent')
    .option('--version <version>', 'the version to install (default latest: the newest verified release for the device)')
    .option('--at <time>', 'at this local date and time (YYYY-MM-DDTHH:MM, of --zone or the device\'s zone), or an ISO-8601 instant with its offset, instead of now')
    .option('--zone <zone>', 'with --at: an IANA zone (default: the device\'s own)')
    .option('--next-window', 'in the device\'s next maintenance window instead of now')
    .option('--state-dir <dir>', STATE_HELP)
    .option('--name <name>', 'the SoftwareUpdate\'s name (default force-DEVICE-COMPONENT-YYYYMMDD-HHMM)')
    .option('--file <path>', 'the file in the config directory to write it to (default updates/NAME.yaml)')
    .action((device: string, o: WithState & { component: string; version?: string; at?: string; zone?: string; nextWindow?: boolean; name?: string }) => run(async () => {
      const dir = configDir(o.config);
      const now = instantFlag('--now', o.now);
      const component = parseComponent(o.component);
      const when = schedule({ ...(o.at !== undefined ? { at: o.at } : {}), ...(o.zone !== undefined ? { zone: o.zone } : {}), ...(o.nextWindow ? { nextWindow: true } : {}) });
      const file = fileFlag(dir, o.file);
      const r = await withState(o.stateDir, (store) => forceChange(dir, store, {
        device, component, now, ...(when ? { schedule: when } : {}),
        ...(o.version !== undefined ? { version: o.version } : {}), ...(o.name !== undefined ? { name: o.name } : {}), ...(file ? { file } : {}),
      }));
      await finish(r, o);
    }));
}
