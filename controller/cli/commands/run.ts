// `fleetward run`: the standalone reconcile loop (docs/design.md section 5; docs/run.md).
//
//   fleetward run --config DIR | --repo URL [--branch B] [--path P]
//                 [--driver simulator|graph] [--fleet FILE] [--state-dir DIR] [--interval 30s]
//                 [--speed X] [--port N] [--once] [--until-complete] [--for 120d] [--progress 3s]
// The driver, clock and port flags are shared with `fleetward operator` (../driver-wiring.ts).
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { Driver } from '../../drivers/driver.ts';
import { SimulatorDriver } from '../../drivers/simulator/driver.ts';
import { plan as planFleet } from '../../planner/index.ts';
import { ReconcileLoop } from '../../reconciler/loop.ts';
import { createLogger } from '../../reconciler/log.ts';
import { formatProgress, waitingReasons } from '../../reconciler/progress.ts';
import { Reconciler, type PassResult } from '../../reconciler/reconciler.ts';
import { Console, ConsoleConfigError } from '../../console/http.ts';
import { Notifier } from '../../notify/notifier.ts';
import { Metrics } from '../../server/metrics.ts';
import { startServer, type RunningServer } from '../../server/server.ts';
import { isLoopback } from '../../console/auth.ts';
import { DirSource } from '../../sources/dir.ts';
import { GitSource } from '../../sources/git.ts';
import type { Source } from '../../sources/source.ts';
import { readJson, writeFileAtomic } from '../../status/atomic.ts';
import { openStateStore } from '../../store/open.ts';
import { DB_FILE } from '../../store/sqlite.ts';
import { JSON_BACKUP_DIR, type JsonMigration } from '../../store/migrate-json.ts';
import { storeError } from './state.ts';
import { systemClock, type Clock } from '../../util/clock.ts';
import { UsageError } from '../errors.ts';
import { addRateLimitOptions, durationFlag, rateLimits, type RateLimitFlags } from '../inputs.ts';
import { addClockOptions, addDriverOptions, addLogLevelOption, addPortOption, logLevelFlag, buildClock, buildDriver, clockSettings, driverName, driverSettings, portFlag, readSecret, type ClockFlags, type DriverFlags } from '../driver-wiring.ts';

export interface RunOptions extends DriverFlags, ClockFlags, RateLimitFlags {
  config?: string;
  repo?: string;
  branch: string;
  path: string;
  tokenFile?: string;
  webhookSecretFile?: string;
  stateDir: string;
  fresh?: boolean;
  interval: string;
  minInterval: string;
  fetchInterval: string;
  minFetchInterval: string;
  port: string;
  host: string;
  once?: boolean;
  untilComplete?: boolean;
  for?: string;
  progress?: string;
  logFile?: string;
  logLevel: string;
  historyRetention: string;
  console: boolean;
  consoleTokenFile?: string;
  notificationSecretsDir?: string;
  consoleUrl?: string;
}

export function register(program: Command): void {
  const command = program
    .command('run')
    .description('Run the reconcile loop: follow a config directory or git repository and keep the fleet on it.')
    .option('--config <dir>', 'config directory (watched; revision = content hash)')
    .option('--repo <url>', 'config git repository (HTTPS; revision = commit SHA)')
    .option('--branch <name>', 'branch of --repo', 'main')
    .option('--path <dir>', 'folder of the config inside --repo', '')
    .option('--token-file <file>', 'file holding the git token for --repo (or FLEETWARD_GIT_TOKEN)')
    .option('--webhook-secret-file <file>', 'file holding the shared secret of POST /hooks/git (or FLEETWARD_WEBHOOK_SECRET)')
    .option('--fetch-interval <duration>', 'fetch --repo this often even without a webhook (wall time; 0 = webhook only)', '1m')
    .option('--min-fetch-interval <duration>', 'fewest wall time between two fetches of --repo, however many webhooks arrive (later ones wait, none is lost)', '5s')
    .option('--state-dir <dir>', 'where status, history and the simulator state are kept', '.fleetward')
    .option('--fresh', 'delete the state directory first (demos)')
    .option('--interval <duration>', 'time between passes, on the run\'s clock (sooner when something is due)', '30s')
    .option('--min-interval <duration>', 'never pass more often than this on the run\'s clock, unless a change arrives', '1s')
    .option('--host <addr>', 'address the HTTP server listens on', '127.0.0.1')
    .option('--no-console', 'do not serve the admin console under /ui')
    .option('--console-token-file <file>', 'file holding the console token (or FLEETWARD_CONSOLE_TOKEN); required unless --host is a loopback address')
    .option('--once', 'run one pass and exit (exit 1 when it did not succeed)')
    .option('--until-complete', 'exit once nothing is due, running or planned any more')
    .option('--for <duration>', 'exit after this much time on the run\'s clock (e.g. 120d with --speed)')
    .option('--progress <duration>', 'print per phase/ring progress to stdout this often (wall time)')
    .option('--history-retention <duration>', 'drop operation history older than this from the state store (docs/run.md "History retention")', '400d')
    .option('--notification-secrets-dir <dir>', 'where a NotificationProvider\'s secretRef.file is read (docs/notifications.md "Secrets")')
    .option('--console-url <url>', 'the console\'s external URL, linked from notifications')
    .option('--log-file <file>', 'write JSON logs here instead of stderr');
  addDriverOptions(command);
  addClockOptions(command);
  addPortOption(command, 'HTTP port for /healthz, /readyz, /metrics, /hooks/git');
  addLogLevelOption(command);
  addRateLimitOptions(command);
  command
    .action(async (opts: RunOptions) => {
      const code = await runCommand(opts);
      // Everything is closed and flushed by now (the stopped loop leaves no timer): leave, whatever handle a
      // library may still hold.
      process.exit(code);
    });
}

/** What a state directory may hold (`--fresh` refuses to delete anything else). */
const STATE_ENTRIES = new Set([
  'run.json', 'revision.json', 'objects.json', 'clock.json', 'devices', 'simulator', 'git', 'provisioning',
  DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, JSON_BACKUP_DIR,
]);

/** A clock that can be re-pointed once the simulator tells where a previous run left off. */
class ResumableClock implements Clock {
  inner: Clock;
  constructor(inner: Clock) { this.inner = inner; }
  now(): Date { return this.inner.now(); }
  sleep(ms: number, signal?: AbortSignal): Promise<void> { return this.inner.sleep(ms, signal); }
}

export async function runCommand(o: RunOptions): Promise<number> {
  if (!!o.config === !!o.repo) throw new UsageError('give exactly one of --config DIR or --repo URL');
  const driverKind = driverName(o.driver);
  const clockFlags = clockSettings(o);
  const intervalMs = durationFlag('--interval', o.interval);
  const historyRetentionMs = durationFlag('--history-retention', o.historyRetention);
  if (historyRetentionMs < 86_400_000) throw new UsageError(`--history-retention ${o.historyRetention}: keep at least one day (the planner reads recent history for retries and holds)`);
  const minIntervalMs = durationFlag('--min-interval', o.minInterval);
  const fetchIntervalMs = durationFlag('--fetch-interval', o.fetchInterval);
  const minFetchIntervalMs = durationFlag('--min-fetch-interval', o.minFetchInterval);
  const forMs = o.for ? durationFlag('--for', o.for) : undefined;
  const progressMs = o.progress ? durationFlag('--progress', o.progress) : undefined;
  const speed = clockFlags.speed;
  const port = portFlag(o.port);
  const limits = rateLimits(o);
  logLevelFlag(o.logLevel);
  // The driver's settings (fleet file, behaviour, credentials) and the secrets are read before anything is
  // written, so a bad path leaves no state directory behind. The clock is pointed once the state is read.
  const clock = new ResumableClock(systemClock);
  const stateDir = resolve(o.stateDir);
  const metrics = new Metrics({ defaultMetrics: true });
  const settings = await driverSettings(driverKind, o, {
    clock, env: process.env, stateDir: join(stateDir, 'simulator'),
    onRequest: metrics.driverRequestObserver(driverKind), catalogFile: join(stateDir, 'graph-catalog.json'),
  });
  const gitToken = o.repo ? readSecret('--token-file', o.tokenFile, 'FLEETWARD_GIT_TOKEN') : undefined;
  const webhookSecret = port >= 0 ? readSecret('--webhook-secret-file', o.webhookSecretFile, 'FLEETWARD_WEBHOOK_SECRET') : undefined;
  const consoleToken = port >= 0 && o.console !== false ? readSecret('--console-token-file', o.consoleTokenFile, 'FLEETWARD_CONSOLE_TOKEN') : undefined;
  if (port >= 0 && o.console !== false && consoleToken === undefined && !isLoopback(o.host)) {
    throw new UsageError(`--host ${o.host}: the console on a non-loopback address needs a token: --console-token-file FILE (or FLEETWARD_CONSOLE_TOKEN), or --no-console`);
  }

  if (o.fresh) {
    // Only ever delete what a run wrote: `--fresh --state-dir .` must not take a config directory with it.
    const foreign = existsSync(stateDir) ? readdirSync(stateDir).filter((f) => !STATE_ENTRIES.has(f) && !f.endsWith('.log') && !(f.startsWith('.') && f.endsWith('.tmp'))) : [];
    if (foreign.length) throw new UsageError(`--fresh: ${stateDir} holds ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}, which fleetward run did not write; not deleting it`);
    rmSync(stateDir, { recursive: true, force: true });
  }
  // The store first: it creates the state directory 0700 (a log file inside it would otherwise create it 0755).
  let migrated: JsonMigration | undefined;
  const store = await openStateStore({ stateDir }, { onMigrated: (m) => { migrated = m; } }).catch((err: unknown) => { throw storeError(err); });
  const logger = createLogger({ level: o.logLevel, ...(o.logFile ? { file: o.logFile } : {}) });
  if (migrated) logger.info({ devices: migrated.devices, damaged: migrated.damaged.map((d) => d.id) }, `state directory migrated to ${DB_FILE}; the JSON files are kept in ${JSON_BACKUP_DIR}/`);

  // The clock: real time, or a simulated one; with the simulator it resumes where the state directory left off.
  const clockFile = join(stateDir, 'clock.json');
  const saved = driverKind === 'simulator' ? readClock(clockFile) : undefined;
  clock.inner = buildClock(clockFlags, saved ? new Date(saved.now) : undefined);
  let driver: Driver;
  try {
    driver = buildDriver(driverKind, settings);
  } catch (err) {
    await store.close();
    throw err;
  }
  // The simulator never goes back in time: resume from whichever is later.
  const simNow = driver instanceof SimulatorDriver ? driver.simulator.now() : undefined;
  if (simNow && simNow.getTime() > clock.now().getTime()) clock.inner = buildClock(clockFlags, simNow);

  let source: Source;
  let git: GitSource | undefined;
  if (o.config) {
    source = new DirSource(o.config);
  } else {
    git = new GitSource({
      url: o.repo!, branch: o.branch, path: o.path, workDir: join(stateDir, 'git'), fetchIntervalMs, minFetchIntervalMs,
      onTrigger: (outcome) => metrics.gitFetchTriggers.inc({ outcome }),
      ...(gitToken ? { token: gitToken } : {}),
    });
    source = git;
  }

  if (o.consoleUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(o.consoleUrl)) throw new UsageError(`--console-url ${o.consoleUrl}: an http(s) URL`);
  const notifier = new Notifier({
    clock, logger, metrics, secrets: { ...(o.notificationSecretsDir ? { dir: resolve(o.notificationSecretsDir) } : {}) },
    ...(o.consoleUrl ? { consoleUrl: o.consoleUrl } : {}),
  });
  let reconciler: Reconciler;
  try {
    // What the loop resumes from is read once, here: damage there is one line and what to do, not a stack
    // trace on every pass (docs/run.md "Damaged state").
    store.readObjects();
    reconciler = new Reconciler({ source, driver, store, clock, plan: planFleet, logger, metrics, ...limits, historyRetentionMs, notifier });
  } catch (err) {
    await store.close();
    await driver.close?.();
    throw storeError(err);
  }
  const loopStart = clock.now().getTime();
  let last: PassResult | undefined;
  let stopReason = '';
  const saveClock = () => { if (driverKind === 'simulator') writeFileAtomic(clockFile, JSON.stringify({ now: clock.now().toISOString() }) + '\n'); };

  const loop = new ReconcileLoop(reconciler, {
    clock, intervalMs, minIntervalMs,
    afterPass: (r) => {
      last = r;
      saveClock();
      if (o.once) return (stopReason = 'once', true);
      if (o.untilComplete && r.complete && r.revision) return (stopReason = 'the rollout is complete', true);
      if (forMs !== undefined && clock.now().getTime() - loopStart >= forMs) return (stopReason = `${o.for} have passed`, true);
      return false;
    },
  });

  let server: RunningServer | undefined;
  // The console reads committed passes through a read-only view of the store, as `fleetward status` does.
  let consoleStore: Awaited<ReturnType<typeof openStateStore>> | undefined;
  let webConsole: Console | undefined;
  if (port >= 0 && o.console !== false) {
    try {
      webConsole = new Console({ store: () => consoleStore, host: o.host, ...(consoleToken ? { token: consoleToken } : {}), logger });
    } catch (err) {
      if (err instanceof ConsoleConfigError) throw new UsageError(err.message);
      throw err;
    }
  }
  if (port >= 0) {
    try {
      server = await startServer(port, o.host, {
        ...(webConsole ? { console: webConsole } : {}),
        metrics, logger, ready: () => reconciler.ready,
        ...(git ? { onGitHook: () => git.refresh() } : {}),
        ...(webhookSecret ? { webhookSecret } : {}),
      });
    } catch (err) {
      throw new UsageError(`cannot listen on ${o.host}:${port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (!o.once) source.watch(loop.kick);
  if (webConsole) {
    consoleStore = await openStateStore({ stateDir }, { readOnly: true });
    if (server) logger.info({ url: consoleUrl(o.host, server.port), auth: webConsole.authRequired ? 'token' : 'none (loopback)' }, 'admin console serving');
  }

  const interactive = progressMs !== undefined;
  if (interactive) {
    process.stdout.write(
      `fleetward: reconciling ${source.description} against the ${driver.name} fleet` +
      (speed !== 1 ? ` at ${speed}× speed (1 s = ${humanMs(speed * 1000)} simulated)` : '') + '\n' +
      (server && webConsole ? `  console:   ${consoleUrl(o.host, server.port)}${webConsole.authRequired ? '  (sign in with the console token)' : ''}${webConsole.built ? '' : '  (not built: run npm run build)'}\n` : '') +
      (server ? `  endpoints: http://${hostForUrl(o.host)}:${server.port}/metrics  /healthz  /readyz\n` : '') +
      `  state: ${stateDir}${o.logFile ? `   logs: ${o.logFile}` : ''}\n` +
      `  Press Ctrl-C to stop.\n\n`,
    );
  }
  const printProgress = () => {
    if (!last) return;
    process.stdout.write(progressBlock(last, reconciler.issuedTotal, clock.now(), driverKind === 'simulator' && speed !== 1) + '\n');
  };
  const ticker = interactive ? setInterval(printProgress, progressMs) : undefined;
  ticker?.unref();

  const stop = (signal: string) => {
    stopReason = `${signal} received`;
    void loop.stop();
  };
  const onSigint = () => stop('SIGINT');
  const onSigterm = () => stop('SIGTERM');
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);

  await loop.start();
  await reconciler.settle();
  // What the last passes enqueued goes out before exit (each attempt bounded by its provider's timeout); what
  // cannot go now stays in the store for the next start.
  await notifier.deliverDue();
  await notifier.close();

  clearInterval(ticker);
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigterm);
  saveClock();
  if (interactive) {
    printProgress();
    const waiting = last?.plan && last.observed ? waitingReasons(last.plan, last.observed.operations) : [];
    if (waiting.length) process.stdout.write(`  still waiting, by reason (devices): ${waiting.map(([r, n]) => `${r} ${n}`).join(', ')}\n`);
    process.stdout.write(`\nfleetward: stopped (${stopReason}). Status: fleetward status --state-dir ${o.stateDir}\n`);
  }
  await source.close();
  await server?.close();
  await consoleStore?.close();
  await driver.close?.();
  await store.close();
  await new Promise<void>((r) => logger.flush(() => r()));
  if (o.once) return last?.ok ? 0 : 1;
  return 0;
}

/** The simulated instant a previous run reached; a damaged file is one line pointing at `fleetward state repair`. */
function readClock(file: string): { now: string } | undefined {
  let saved: { now?: unknown } | undefined;
  try {
    saved = readJson<{ now?: unknown }>(file);
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; run \`fleetward state repair\` (the simulator then resumes from its own clock)`, 1);
  }
  if (saved === undefined) return undefined;
  if (typeof saved?.now !== 'string' || Number.isNaN(Date.parse(saved.now))) {
    throw new UsageError(`${file}: no simulated instant in it; run \`fleetward state repair\` (the simulator then resumes from its own clock)`, 1);
  }
  return { now: saved.now };
}

function progressBlock(r: PassResult, issued: number, now: Date, simulated: boolean): string {
  const head = `[${now.toISOString().slice(0, 16).replace('T', ' ')}Z${simulated ? ' simulated' : ''}] revision ${shortRevision(r.revision)}` +
    `  operations issued: ${issued}` + (r.summary ? `, in flight: ${r.summary.operationsInFlight}` : '') + (r.ok ? '' : `  (${r.reason})`);
  if (!r.summary) return head;
  return [head, ...formatProgress(r.summary)].join('\n');
}

function shortRevision(id: string | null): string {
  if (!id) return '(none)';
  return id.startsWith('sha256:') ? id.slice(0, 19) : id.slice(0, 12);
}

/** `http://127.0.0.1:8080/ui/`: where a person opens the console. */
export function consoleUrl(host: string, port: number): string {
  return `http://${hostForUrl(host)}:${port}/ui/`;
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function humanMs(ms: number): string {
  if (ms >= 86_400_000) return `${+(ms / 86_400_000).toFixed(1)} d`;
  if (ms >= 3_600_000) return `${+(ms / 3_600_000).toFixed(1)} h`;
  if (ms >= 60_000) return `${+(ms / 60_000).toFixed(1)} min`;
  return `${+(ms / 1000).toFixed(1)} s`;
}
