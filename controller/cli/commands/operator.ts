// `fleetward operator`: the reconcile loop against Kubernetes (docs/kubernetes.md). Desired state comes from
// the Fleetward objects in the cluster; status goes to their status subresource; only the holder of the
// leader Lease acts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { KubeClient, loadKubeConfig } from '../../operator/kube.ts';
import { Operator } from '../../operator/operator.ts';
import { leaseTimingProblem } from '../../operator/leader.ts';
import { readCredentialsSecret } from '../../operator/secrets.ts';
import { createLogger } from '../../reconciler/log.ts';
import { Metrics } from '../../server/metrics.ts';
import { startServer } from '../../server/server.ts';
import { Console } from '../../console/http.ts';
import { UsageError } from '../errors.ts';
import { openStateStore, type StoreLocation } from '../../store/open.ts';
import { StoreUnavailable, type StateStore } from '../../store/store.ts';
import { readStateUrl } from '../state-url.ts';
import { storeError } from './state.ts';
import { addRateLimitOptions, durationFlag, rateLimits, type RateLimitFlags } from '../inputs.ts';
import { addClockOptions, addDriverOptions, addLogLevelOption, addPortOption, logLevelFlag, buildClock, buildDriver, clockSettings, driverName, driverSettings, portFlag, readSecret, type ClockFlags, type DriverFlags } from '../driver-wiring.ts';

interface OperatorFlags extends DriverFlags, ClockFlags, RateLimitFlags {
  port: string;
  kubeconfig?: string;
  namespace?: string;
  watchNamespace: string[];
  shard?: string;
  credentialsSecret?: string;
  codesSecret: string;
  codeSecrets: string;
  leaderElect: string;
  leaseName: string;
  leaseDuration: string;
  renewDeadline: string;
  retryPeriod: string;
  resync: string;
  logLevel: string;
  stateDir?: string;
  stateBackend: string;
  stateUrlFile?: string;
  historyRetention: string;
  consoleTokenFile?: string;
  notificationSecretsDir?: string;
  consoleUrl?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** Opens the store, retrying with backoff (1 s doubling to 30 s) while the database cannot be reached. */
async function openStoreWithBackoff(where: StoreLocation, logger: Logger): Promise<StateStore> {
  for (let attempt = 0; ; attempt++) {
    try {
      // Unwrapped: the Operator's status sink redacts every write that reaches this store.
      return await openStateStore(where, { redact: false });
    } catch (err) {
      if (!(err instanceof StoreUnavailable)) throw storeError(err);
      const delay = Math.min(30_000, 1000 * 2 ** attempt);
      logger.warn({ reason: 'StoreUnavailable', err: err.message, retryInMs: delay }, 'state store unreachable; retrying');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

export function register(program: Command): void {
  const command = program
    .command('operator')
    .description('run the reconcile loop against Kubernetes: Fleetward objects in, status and Events out')
    .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--namespace <ns>', 'the operator\'s own namespace, for its Lease and Secrets (default: POD_NAMESPACE, else default)')
    .option('--watch-namespace <ns>', 'watch only this namespace (repeatable; default: all)', collect, [])
    .option('--shard <name>', 'manage only the devices labelled fleetward.dev/shard=<name>; read unlabelled objects and those labelled <name>, own the status of the latter (default: the whole fleet)')
    .option('--credentials-secret <name>', 'Secret in the operator namespace holding the driver credentials (key: token)')
    .option('--codes-secret <name>', 'Secret in the operator namespace receiving provisioning verification codes (-<shard> appended with --shard)', 'fleetward-provisioning-codes')
    .option('--code-secrets <n>', 'how many Secrets the codes are spread over: the codes Secret, then -1, -2, … (about 9,000 devices awaiting activation each)', '4')
    .option('--leader-elect <bool>', 'take part in leader election (true|false)', 'true')
    .option('--lease-name <name>', 'name of the leader Lease', 'fleetward-leader')
    .option('--lease-duration <d>', 'Lease duration', '15s')
    .option('--renew-deadline <d>', 'leader steps down after failing to renew this long', '10s')
    .option('--retry-period <d>', 'how often to try to acquire or renew', '2s')
    .option('--resync <d>', 'time between passes without any change', '1m')
    .option('--console-token-file <file>', 'serve the admin console under /ui on the health port, for whoever presents this token (a mounted Secret; else FLEETWARD_CONSOLE_TOKEN). Without one the console is off')
    .option('--state-backend <kind>', 'where history, device status and the loop\'s state are kept: sqlite (a file in --state-dir: one replica, on a volume) or postgres (several replicas or shards)', 'sqlite')
    .option('--state-dir <dir>', 'sqlite: the folder of the store (a PersistentVolumeClaim in the chart); postgres: local scratch. Default: a temporary folder (nothing survives a restart)')
    .option('--history-retention <duration>', 'drop operation history older than this from the state store', '400d')
    .option('--notification-secrets-dir <dir>', 'where a NotificationProvider\'s secretRef.file is read (docs/notifications.md "Secrets")')
    .option('--console-url <url>', 'the console\'s external URL, linked from notifications')
    .option('--state-url-file <file>', 'postgres: file holding the connection string (a mounted Secret; else FLEETWARD_STATE_URL). TLS with ?sslmode=verify-full&sslrootcert=/path/ca.crt');
  // The driver, clock and port flags are `fleetward run`'s (../driver-wiring.ts); the image ships examples/.
  addDriverOptions(command, { fleetDefault: 'examples/fleet.yaml' });
  addClockOptions(command);
  addPortOption(command, 'port for /healthz, /readyz, /metrics');
  addLogLevelOption(command);
  addRateLimitOptions(command);
  command
    .action(async (flags: OperatorFlags) => {
      // The shard names the Lease and the codes Secrets (`<codes-secret>-<shard>`, then `-1`, `-2`, …).
      if (flags.shard !== undefined && (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(flags.shard) || flags.shard.length > 40 || /^status(-|$)/.test(flags.shard))) {
        throw new UsageError(`--shard ${JSON.stringify(flags.shard)}: a lowercase DNS label of at most 40 characters (a-z, 0-9, -), not starting with "status" (it names the shard's Lease and Secrets)`);
      }
      const driverKind = driverName(flags.driver);
      const clockFlags = clockSettings(flags);
      const port = portFlag(flags.port);
      logLevelFlag(flags.logLevel);
      if (flags.leaderElect !== 'true' && flags.leaderElect !== 'false') throw new UsageError('--leader-elect must be true or false');
      const namespace = flags.namespace ?? process.env.POD_NAMESPACE ?? 'default';
      const logger = createLogger({ level: flags.logLevel });
      const leaseDurationMs = durationFlag('--lease-duration', flags.leaseDuration, { positive: true });
      const renewDeadlineMs = durationFlag('--renew-deadline', flags.renewDeadline, { positive: true });
      const retryPeriodMs = durationFlag('--retry-period', flags.retryPeriod, { positive: true });
      const resyncMs = durationFlag('--resync', flags.resync, { positive: true });
      const historyRetentionMs = durationFlag('--history-retention', flags.historyRetention, { positive: true });
      const limits = rateLimits(flags);
      const timingProblem = leaseTimingProblem({ leaseDurationMs, renewDeadlineMs, retryPeriodMs });
      if (timingProblem) throw new UsageError(`lease timings: ${timingProblem} (--lease-duration ${flags.leaseDuration}, --renew-deadline ${flags.renewDeadline}, --retry-period ${flags.retryPeriod})`);
      let kubeConfig;
      try {
        kubeConfig = loadKubeConfig(flags.kubeconfig);
      } catch (err) {
        throw new UsageError(`cannot read the kubeconfig${flags.kubeconfig ? ` ${flags.kubeconfig}` : ''}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const client = new KubeClient(kubeConfig);
      // Plans are made on this clock (simulated in demos and tests); leases always use wall time.
      const clock = buildClock(clockFlags);
      // Credentials never come from flags: from the Secret, else from the environment; handed on as values.
      const credentials = flags.credentialsSecret && driverKind !== 'simulator' ? await readCredentialsSecret(client, namespace, flags.credentialsSecret) : undefined;
      const metrics = new Metrics({ defaultMetrics: true });
      const driver = buildDriver(driverKind, await driverSettings(driverKind, flags, {
        clock, env: process.env, ...(credentials ? { credentials } : {}), onRequest: metrics.driverRequestObserver(driverKind),
        ...(flags.stateDir ? { catalogFile: join(flags.stateDir, 'graph-catalog.json') } : {}),
      }));

      if (flags.stateBackend !== 'sqlite' && flags.stateBackend !== 'postgres') throw new UsageError(`--state-backend must be sqlite or postgres (got ${JSON.stringify(flags.stateBackend)})`);
      const stateUrl = flags.stateBackend === 'postgres' ? readStateUrl(flags.stateUrlFile) : undefined;
      if (flags.stateBackend === 'postgres' && !stateUrl) throw new UsageError('--state-backend postgres needs the connection string: --state-url-file FILE (a mounted Secret) or FLEETWARD_STATE_URL');
      if (flags.stateBackend === 'sqlite' && !flags.stateDir) logger.warn({}, 'no --state-dir: history and device status are kept in a temporary folder and lost on restart');
      const stateDir = flags.stateDir ?? mkdtempSync(join(tmpdir(), 'fleetward-operator-'));
      let operator: Operator | undefined;
      // Served before the store is reached: a database that is down shows as NotReady, not as a crash loop.
      // The console (docs/console.md) reads the operator's own store once it is open; the port listens on every
      // address, so it is served only with a token (kubectl port-forward or the chart's Ingress reach it).
      const consoleToken = readSecret('--console-token-file', flags.consoleTokenFile, 'FLEETWARD_CONSOLE_TOKEN');
      let store: StateStore | undefined;
      const webConsole = port >= 0 && consoleToken ? new Console({
        store: () => store, host: '0.0.0.0', token: consoleToken, logger,
        unavailable: () => (operator && !operator.isLeader
          ? `this replica (${operator.identity}) does not hold the Lease ${flags.leaseName}, so its store is not current; reach the holder: kubectl port-forward -n ${namespace} pod/$(kubectl get lease ${flags.leaseName} -n ${namespace} -o jsonpath='{.spec.holderIdentity}') ${port}`
          : undefined),
      }) : undefined;
      const server = port >= 0 ? await startServer(port, '0.0.0.0', { metrics, logger, ready: () => operator?.ready() ?? false, ...(webConsole ? { console: webConsole } : {}) }) : undefined;
      if (server) logger.info({ port: server.port, console: webConsole ? '/ui/' : 'off (no --console-token-file)' }, 'serving /healthz /readyz /metrics');
      store = await openStoreWithBackoff({ stateDir, ...(stateUrl ? { url: stateUrl } : {}), ...(flags.shard ? { scope: flags.shard } : {}) }, logger);
      logger.info({ store: store.description }, 'state store opened');
      operator = new Operator({
        store,
        client, driver, clock, logger, metrics, namespace,
        watchNamespaces: flags.watchNamespace,
        ...(flags.shard ? { shard: flags.shard } : {}),
        ...(process.env.POD_NAME ? { identity: process.env.POD_NAME } : {}),
        leaderElection: { enabled: flags.leaderElect === 'true', leaseName: flags.leaseName, leaseDurationMs, renewDeadlineMs, retryPeriodMs },
        resyncMs,
        codesSecret: flags.codesSecret,
        codeSecrets: codeSecretsFlag(flags.codeSecrets),
        stateDir,
        historyRetentionMs,
        ...limits,
        notifications: { ...(flags.consoleUrl ? { consoleUrl: flags.consoleUrl } : {}), ...(flags.notificationSecretsDir ? { secretsDir: flags.notificationSecretsDir } : {}) },
      });

      let stopping = false;
      const stop = async (code: number) => {
        if (stopping) return;
        stopping = true;
        await operator?.stop();
        await store?.close();
        await server?.close();
        await driver.close?.();
        process.exit(code);
      };
      process.once('SIGTERM', () => void stop(0));
      process.once('SIGINT', () => void stop(0));
      await operator.start();
      logger.info({ identity: operator.identity, namespace, shard: flags.shard ?? null }, 'operator started');
      // A replica that lost the lease exits, as controller-runtime does: its pod restarts as a fresh candidate.
      if (operator.elector) {
        const timer = setInterval(() => {
          if (operator.lostLeadership) { clearInterval(timer); logger.warn({}, 'leadership lost: exiting'); void stop(1); }
        }, 500);
      }
      // Runs until a signal (the interval keeps the process alive even with no server and no election).
      setInterval(() => {}, 1 << 30);
      await new Promise<never>(() => {});
    });
}

/** `--code-secrets`: a whole number of Secrets, 1 to 64 (each is one name in the chart's Role). */
function codeSecretsFlag(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--code-secrets ${JSON.stringify(text)}: expected a whole number from 1 to 64`);
  return n;
}
