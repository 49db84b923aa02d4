// `fleetward operator`: the reconcile loop against Kubernetes (docs/kubernetes.md). Desired state comes from
// the Fleetward objects in the cluster; status goes to their status subresource; only the holder of the
// leader Lease acts.
import type { Command } from 'commander';
import { createDriver, DRIVER_NAMES, type DriverName } from '../../drivers/index.ts';
import type { Driver } from '../../drivers/driver.ts';
import { KubeClient, loadKubeConfig } from '../../operator/kube.ts';
import { Operator } from '../../operator/operator.ts';
import { credentialsEnv } from '../../operator/secrets.ts';
import { createLogger } from '../../reconciler/log.ts';
import { Metrics } from '../../server/metrics.ts';
import { startServer } from '../../server/server.ts';
import { ScaledClock, systemClock, type Clock } from '../../util/clock.ts';
import { UsageError } from '../errors.ts';
import { durationFlag, loadFleet } from '../inputs.ts';

interface OperatorFlags {
  kubeconfig?: string;
  namespace?: string;
  watchNamespace: string[];
  shard?: string;
  driver: string;
  fleet?: string;
  simulatorSeed?: string;
  graphUrl?: string;
  graphTenant?: string;
  credentialsSecret?: string;
  codesSecret: string;
  leaderElect: string;
  leaseName: string;
  leaseDuration: string;
  renewDeadline: string;
  retryPeriod: string;
  resync: string;
  healthPort: string;
  logLevel: string;
  stateDir?: string;
  speed?: string;
  start?: string;
  startWall?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** The clock plans are made with: real time, or a simulated one shared with a simulator (demos, tests). Leases always use wall time. */
function planningClock(flags: OperatorFlags): Clock {
  if (flags.speed === undefined) {
    if (flags.start !== undefined) throw new UsageError('--start needs --speed');
    return systemClock;
  }
  const speed = Number(flags.speed);
  if (!Number.isFinite(speed) || speed <= 0) throw new UsageError(`--speed must be a positive number (got ${JSON.stringify(flags.speed)})`);
  const start = flags.start === undefined ? Date.now() : Date.parse(flags.start);
  const wall = flags.startWall === undefined ? Date.now() : Date.parse(flags.startWall);
  if (Number.isNaN(start) || Number.isNaN(wall)) throw new UsageError('--start and --start-wall must be ISO-8601 instants such as 2026-11-23T10:00:00Z');
  return new ScaledClock(new Date(start + (Date.now() - wall) * speed), speed);
}

export function register(program: Command): void {
  program
    .command('operator')
    .description('run the reconcile loop against Kubernetes: Fleetward objects in, status and Events out')
    .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--namespace <ns>', 'the operator\'s own namespace, for its Lease and Secrets (default: POD_NAMESPACE, else default)')
    .option('--watch-namespace <ns>', 'watch only this namespace (repeatable; default: all)', collect, [])
    .option('--shard <name>', 'manage only the devices labelled fleetward.dev/shard=<name>; read unlabelled objects and those labelled <name>, own the status of the latter (default: the whole fleet)')
    .option('--driver <name>', `device back end: ${DRIVER_NAMES.join(' | ')}`, 'simulator')
    .option('--fleet <file>', 'simulator: the fleet file to simulate', 'examples/fleet.yaml')
    .option('--simulator-seed <n>', 'simulator: seed of every random draw')
    .option('--graph-url <url>', 'graph: API base URL (else FLEETWARD_GRAPH_URL)')
    .option('--graph-tenant <id>', 'graph: tenant id (informational)')
    .option('--credentials-secret <name>', 'Secret in the operator namespace holding the driver credentials (key: token)')
    .option('--codes-secret <name>', 'Secret in the operator namespace receiving provisioning verification codes (-<shard> appended with --shard)', 'fleetward-provisioning-codes')
    .option('--leader-elect <bool>', 'take part in leader election (true|false)', 'true')
    .option('--lease-name <name>', 'name of the leader Lease', 'fleetward-leader')
    .option('--lease-duration <d>', 'Lease duration', '15s')
    .option('--renew-deadline <d>', 'leader steps down after failing to renew this long', '10s')
    .option('--retry-period <d>', 'how often to try to acquire or renew', '2s')
    .option('--resync <d>', 'time between passes without any change', '1m')
    .option('--health-port <port>', 'port for /healthz, /readyz, /metrics (0: any free port, -1: none)', '8080')
    .option('--log-level <level>', 'trace | debug | info | warn | error', 'info')
    .option('--state-dir <dir>', 'local scratch state (per-device history cache); default: a temp dir')
    .option('--speed <factor>', 'demos and tests: run the planning clock this many times faster than real time')
    .option('--start <iso>', 'with --speed: the simulated instant the clock reads at --start-wall')
    .option('--start-wall <iso>', 'with --speed: the wall instant at which the clock read --start (default: now), so several processes share one simulated time')
    .action(async (flags: OperatorFlags) => {
      // The shard names the Lease and the codes/status Secrets (`<codes-secret>-<shard>`, `<codes-secret>-status-<shard>`).
      if (flags.shard !== undefined && (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(flags.shard) || flags.shard.length > 40 || /^status(-|$)/.test(flags.shard))) {
        throw new UsageError(`--shard ${JSON.stringify(flags.shard)}: a lowercase DNS label of at most 40 characters (a-z, 0-9, -), not starting with "status" (it names the shard's Lease and Secrets)`);
      }
      if (!(DRIVER_NAMES as readonly string[]).includes(flags.driver)) {
        throw new UsageError(`--driver must be one of ${DRIVER_NAMES.join(', ')} (got ${JSON.stringify(flags.driver)})`);
      }
      if (flags.leaderElect !== 'true' && flags.leaderElect !== 'false') throw new UsageError('--leader-elect must be true or false');
      const namespace = flags.namespace ?? process.env.POD_NAMESPACE ?? 'default';
      const logger = createLogger({ level: flags.logLevel });
      const leaseDurationMs = durationFlag('--lease-duration', flags.leaseDuration, { positive: true });
      const renewDeadlineMs = durationFlag('--renew-deadline', flags.renewDeadline, { positive: true });
      const retryPeriodMs = durationFlag('--retry-period', flags.retryPeriod, { positive: true });
      const resyncMs = durationFlag('--resync', flags.resync, { positive: true });
      if (!(retryPeriodMs < renewDeadlineMs && renewDeadlineMs < leaseDurationMs)) {
        throw new UsageError('lease timings must satisfy retry-period < renew-deadline < lease-duration');
      }
      let kubeConfig;
      try {
        kubeConfig = loadKubeConfig(flags.kubeconfig);
      } catch (err) {
        throw new UsageError(`cannot read the kubeconfig${flags.kubeconfig ? ` ${flags.kubeconfig}` : ''}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const client = new KubeClient(kubeConfig);
      const clock = planningClock(flags);

      let driver: Driver;
      if (flags.driver === 'simulator') {
        const fleet = await loadFleet(flags.fleet!);
        driver = createDriver('simulator', { simulator: { fleet, clock, ...(flags.simulatorSeed ? { seed: Number(flags.simulatorSeed) } : {}) } });
      } else {
        // Credentials never come from flags: from the Secret, else from the environment the driver reads.
        const env = flags.credentialsSecret ? await credentialsEnv(client, namespace, flags.credentialsSecret) : {};
        if (flags.graphUrl) env.FLEETWARD_GRAPH_URL = flags.graphUrl;
        Object.assign(process.env, env);
        driver = createDriver(flags.driver as DriverName);
      }

      const metrics = new Metrics({ defaultMetrics: true });
      const operator = new Operator({
        client, driver, clock, logger, metrics, namespace,
        watchNamespaces: flags.watchNamespace,
        ...(flags.shard ? { shard: flags.shard } : {}),
        ...(process.env.POD_NAME ? { identity: process.env.POD_NAME } : {}),
        leaderElection: { enabled: flags.leaderElect === 'true', leaseName: flags.leaseName, leaseDurationMs, renewDeadlineMs, retryPeriodMs },
        resyncMs,
        codesSecret: flags.codesSecret,
        ...(flags.stateDir ? { stateDir: flags.stateDir } : {}),
      });
      const port = Number(flags.healthPort);
      const server = port >= 0 ? await startServer(port, '0.0.0.0', { metrics, logger, ready: () => operator.ready() }) : undefined;
      if (server) logger.info({ port: server.port }, 'serving /healthz /readyz /metrics');

      let stopping = false;
      const stop = async (code: number) => {
        if (stopping) return;
        stopping = true;
        await operator.stop();
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
