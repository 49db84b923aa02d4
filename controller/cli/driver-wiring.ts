// What `fleetward run` and `fleetward operator` share at start-up, so that they differ only by the source and
// status store they are handed (docs/design.md section 8): the flags that choose and configure the driver, the
// clock, the HTTP port, the log level, and the one place where those flags (and the environment, and a Kubernetes Secret's
// values) become the typed settings the driver registry (controller/drivers/registry.ts) builds a driver from.
// Credentials travel as values from here on: nothing writes process.env.
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { DriverError, type Driver, type DriverRequestObserver } from '../drivers/driver.ts';
import { clientCredentialsFromEnv, graphOptionsFromEnv } from '../drivers/graph/driver.ts';
import { credentialsProblem, type ClientCredentials } from '../drivers/graph/auth.ts';
import { createDriver, DRIVER_NAMES, driverSummary, isDriverName, type DriverName, type DriverSettings } from '../drivers/registry.ts';
import { ScaledClock, systemClock, type Clock } from '../util/clock.ts';
import { SteppedClock } from '../reconciler/stepped-clock.ts';
import { registerSecret } from '../util/redact.ts';
import { UsageError } from './errors.ts';
import { durationFlag, loadFleet, readBehaviourFile } from './inputs.ts';
import type { RemoteDriverOptions } from '../drivers/remote/driver.ts';

/** The flags of addDriverOptions, as commander hands them over. */
export interface DriverFlags {
  driver: string;
  fleet?: string;
  seed?: string;
  behaviour?: string;
  graphUrl?: string;
  graphTenant?: string;
  driverUrl?: string;
  driverTokenFile?: string;
  driverTimeout?: string;
}

/** The flags of addClockOptions. */
export interface ClockFlags {
  speed?: string;
  start?: string;
  startWall?: string;
  clock: string;
}

/**
 * Old flag names kept for one release (issue 15.3): each still works, prints a deprecation warning, and is
 * refused together with its new name. Remove them in the release after the one that introduced the new names.
 */
const DEPRECATED_ALIASES: { old: string; current: string; oldKey: string; currentKey: string; arg: string }[] = [
  { old: '--simulator-seed', current: '--seed', oldKey: 'simulatorSeed', currentKey: 'seed', arg: '<n>' },
  { old: '--health-port', current: '--port', oldKey: 'healthPort', currentKey: 'port', arg: '<port>' },
];

/** Where deprecation warnings go (stderr; a test may collect them). */
export type Warn = (message: string) => void;
const warnOnStderr: Warn = (message) => process.stderr.write(`fleetward: warning: ${message}\n`);

function addDeprecatedAlias(cmd: Command, current: string): void {
  const alias = DEPRECATED_ALIASES.find((a) => a.current === current)!;
  cmd.addOption(new Option(`${alias.old} ${alias.arg}`, `deprecated: use ${alias.current}`).hideHelp());
}

/**
 * Moves deprecated aliases onto their current names (a commander preAction hook, so the action sees one
 * name). Both names at once is a UsageError: which one was meant cannot be told.
 */
export function resolveDeprecatedAliases(cmd: Command, warn: Warn = warnOnStderr): void {
  const opts = cmd.opts();
  for (const a of DEPRECATED_ALIASES) {
    if (opts[a.oldKey] === undefined) continue;
    if (cmd.getOptionValueSource(a.currentKey) === 'cli') throw new UsageError(`${a.old} and ${a.current} name the same setting: give only ${a.current}`);
    warn(`${a.old} is deprecated and will be removed in the next release; use ${a.current}`);
    cmd.setOptionValueWithSource(a.currentKey, opts[a.oldKey], 'cli');
    cmd.setOptionValue(a.oldKey, undefined);
  }
}

/** Commands whose aliases are already resolved by a hook (one hook per command, whichever add… runs first). */
const hooked = new WeakSet<Command>();

function withAliasHook(cmd: Command): void {
  if (hooked.has(cmd)) return;
  hooked.add(cmd);
  cmd.hook('preAction', (self) => resolveDeprecatedAliases(self));
}

/** `--driver`, and what each driver is configured with. `fleetDefault`: the operator's image ships an example fleet. */
export function addDriverOptions(cmd: Command, o: { fleetDefault?: string } = {}): Command {
  cmd
    .option('--driver <name>', `device back end: ${DRIVER_NAMES.map((n) => `${n} (${driverSummary(n)})`).join('; ')}`, 'simulator')
    .option('--fleet <file>', 'simulator: the fleet file it starts from', o.fleetDefault)
    .option('--seed <n>', 'simulator: seed of every random draw', '1')
    .option('--behaviour <file>', 'simulator: behaviour (YAML: failureRate, offlineRate, installDuration, …; docs/drivers.md)')
    .option('--graph-url <url>', 'graph: API base URL (else FLEETWARD_GRAPH_URL, else https://graph.microsoft.com)')
    .option('--graph-tenant <id>', 'graph: directory (tenant) id for client credentials (else the Secret\'s tenantId, else FLEETWARD_GRAPH_TENANT_ID)')
    .option('--driver-url <url>', 'remote: base URL of the out-of-process driver (else FLEETWARD_DRIVER_URL)')
    .option('--driver-token-file <file>', 'remote: file holding its bearer token, re-read on 401 (else FLEETWARD_DRIVER_TOKEN_FILE or FLEETWARD_DRIVER_TOKEN)')
    .option('--driver-timeout <duration>', 'remote: per-request timeout', '10s');
  addDeprecatedAlias(cmd, '--seed');
  withAliasHook(cmd);
  return cmd;
}

/** `--port` (and its deprecated alias `--health-port`): the HTTP server of /healthz, /readyz, /metrics. */
export function addPortOption(cmd: Command, description: string): Command {
  cmd.option('--port <n>', `${description} (0 = any free port, -1 = none)`, '8080');
  addDeprecatedAlias(cmd, '--port');
  withAliasHook(cmd);
  return cmd;
}

/** The clock flags: real time by default; with --speed and/or --start a simulated time (demos, tests). */
export function addClockOptions(cmd: Command): Command {
  return cmd
    .option('--speed <factor>', 'run the clock this many times faster than real time (demos, tests; with the simulator, or `fleetward simulator serve` at the same speed)')
    .option('--clock <kind>', 'with --speed: scaled (simulated time runs on during a pass) or stepped (it moves only between passes)', 'scaled')
    .option('--start <iso>', 'the simulated instant the clock reads at --start-wall (default: now)')
    .option('--start-wall <iso>', 'with --start: the wall instant at which the clock read --start (default: now), so several processes share one simulated time');
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** `--log-level`, the same levels for both loops. */
export function addLogLevelOption(cmd: Command): Command {
  return cmd.option('--log-level <level>', LOG_LEVELS.join(', '), 'info');
}

export function logLevelFlag(text: string): string {
  if (!LOG_LEVELS.includes(text)) throw new UsageError(`--log-level ${JSON.stringify(text)}: expected one of ${LOG_LEVELS.join(', ')}`);
  return text;
}

export function portFlag(text: string): number {
  const port = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isInteger(port) || port < -1 || port > 65535) throw new UsageError(`--port ${text}: expected 0–65535, or -1 for no server`);
  return port;
}

export function driverName(text: string): DriverName {
  if (!isDriverName(text)) throw new UsageError(`--driver ${JSON.stringify(text)}: expected one of ${DRIVER_NAMES.join(', ')}`);
  return text;
}

/** The validated clock settings. */
export interface ClockSettings {
  /** 1 = real time. */
  speed: number;
  kind: 'scaled' | 'stepped';
  /** The simulated instant the clock reads at `startWall`. */
  start?: Date;
  startWall?: Date;
}

export function clockSettings(flags: ClockFlags): ClockSettings {
  const speed = flags.speed === undefined ? 1 : Number(flags.speed);
  if (!Number.isFinite(speed) || speed <= 0) throw new UsageError(`--speed ${flags.speed}: expected a positive number`);
  if (flags.clock !== 'scaled' && flags.clock !== 'stepped') throw new UsageError(`--clock ${JSON.stringify(flags.clock)}: expected scaled or stepped`);
  const instant = (flag: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const at = Date.parse(text);
    if (Number.isNaN(at)) throw new UsageError(`${flag} ${text}: expected an ISO instant such as 2026-11-23T10:00:00Z`);
    return new Date(at);
  };
  const start = instant('--start', flags.start);
  const startWall = instant('--start-wall', flags.startWall);
  if (startWall && !start) throw new UsageError('--start-wall needs --start');
  return { speed, kind: flags.clock, ...(start ? { start } : {}), ...(startWall ? { startWall } : {}) };
}

/**
 * The one clock construction: real time, or a simulated clock that read `start` at `startWall` and runs
 * `speed` times faster (scaled), or moves only between passes (stepped). `resumeAt` overrides `start`
 * (the instant a state directory left off at), and counts from now.
 */
export function buildClock(s: ClockSettings, resumeAt?: Date): Clock {
  if (s.speed === 1 && s.kind === 'scaled' && !s.start && !resumeAt) return systemClock;
  const wallNow = Date.now();
  const at = resumeAt ?? new Date((s.start ?? new Date(wallNow)).getTime() + (wallNow - (s.startWall ?? new Date(wallNow)).getTime()) * s.speed);
  return s.kind === 'stepped' ? new SteppedClock(at, s.speed) : new ScaledClock(at, s.speed);
}

/** Credentials read from a Kubernetes Secret (controller/operator/secrets.ts readCredentialsSecret), by key. */
export type CredentialValues = Readonly<Record<string, string>>;

export interface DriverContext {
  clock: Clock;
  /** simulator: where its state survives restarts. */
  stateDir?: string;
  /** The environment to read FLEETWARD_GRAPH_* from (only read). */
  env: NodeJS.ProcessEnv;
  /** From `--credentials-secret` (operator): `token`, `url`, … Take precedence over the environment. */
  credentials?: CredentialValues;
  /** Told of every request an HTTP driver sends (the metrics registry's `driverRequestObserver`). */
  onRequest?: DriverRequestObserver;
  /** graph: where the catalog built from device health keeps when it first saw each version. */
  catalogFile?: string;
}

/** The typed settings of the chosen driver, from flags, then a Secret's values, then the environment. */
export async function driverSettings(name: DriverName, flags: DriverFlags, ctx: DriverContext): Promise<DriverSettings> {
  switch (name) {
    case 'simulator': {
      if (!flags.fleet) throw new UsageError('the simulator driver needs --fleet FILE (see examples/fleet.yaml)');
      const seed = Number(flags.seed ?? '1');
      if (!Number.isInteger(seed)) throw new UsageError(`--seed ${flags.seed}: expected an integer`);
      const behaviour = flags.behaviour ? readBehaviourFile(flags.behaviour) : undefined;
      const fleet = await loadFleet(flags.fleet);
      return { simulator: { fleet, seed, clock: ctx.clock, ...(ctx.stateDir ? { stateDir: ctx.stateDir } : {}), ...(behaviour ? { behaviour } : {}) } };
    }
    case 'graph': {
      let fromEnv: ReturnType<typeof graphOptionsFromEnv>;
      let clientFromEnv: ReturnType<typeof clientCredentialsFromEnv>;
      try {
        fromEnv = graphOptionsFromEnv(ctx.env);
        clientFromEnv = clientCredentialsFromEnv(ctx.env);
      } catch (err) {
        if (err instanceof DriverError) throw new UsageError(`--driver graph: ${err.message}`);
        throw err;
      }
      const c = ctx.credentials;
      const token = c?.token;
      if (token !== undefined) registerSecret(token);
      // A Secret with a clientId holds an app registration's credentials (docs/drivers.md "Credentials"); it
      // replaces the environment's, as a Secret's token does.
      const fromSecret = c?.clientId
        ? {
          clientId: c.clientId,
          ...(c.tenantId ? { tenantId: c.tenantId } : {}),
          ...(c.clientSecret ? { clientSecret: registerSecret(c.clientSecret) } : {}),
          ...(c.certificate ? { certificate: c.certificate } : {}),
          ...(c.privateKey ? { privateKey: registerSecret(c.privateKey) } : {}),
          ...(c.authorityHost ? { authorityHost: c.authorityHost } : {}),
        }
        : undefined;
      const client = token === undefined ? (fromSecret ?? clientFromEnv) : undefined;
      const clientCredentials = client ? { ...client, tenantId: client.tenantId ?? flags.graphTenant ?? ctx.env.FLEETWARD_GRAPH_TENANT_ID ?? '' } : undefined;
      if (clientCredentials) {
        const problem = credentialsProblem(clientCredentials);
        if (problem) throw new UsageError(`the graph driver's client credentials: ${problem} (--graph-tenant or FLEETWARD_GRAPH_TENANT_ID; docs/drivers.md "Credentials")`);
      }
      const options = {
        ...fromEnv,
        ...(c?.url ? { baseUrl: c.url } : {}),
        ...(flags.graphUrl ? { baseUrl: flags.graphUrl } : {}),
        // A token (or client credentials) from the Secret replaces whatever the environment held, file included.
        ...(token !== undefined ? { token, tokenFile: undefined } : {}),
        ...(clientCredentials ? { clientCredentials: clientCredentials as ClientCredentials, token: undefined, tokenFile: undefined } : {}),
        ...(ctx.onRequest ? { onRequest: ctx.onRequest } : {}),
        ...(ctx.catalogFile ? { catalogFile: ctx.catalogFile } : {}),
      };
      if (!options.token && !options.tokenFile && !options.clientCredentials) {
        throw new UsageError('the graph driver needs credentials: FLEETWARD_GRAPH_TOKEN or FLEETWARD_GRAPH_TOKEN_FILE, or client credentials (FLEETWARD_GRAPH_CLIENT_ID with FLEETWARD_GRAPH_CLIENT_SECRET_FILE, or FLEETWARD_GRAPH_CERTIFICATE_FILE and FLEETWARD_GRAPH_PRIVATE_KEY_FILE), or (operator) --credentials-secret with a "token" key or "clientId" and "clientSecret" (or "certificate" and "privateKey")');
      }
      return { graph: options };
    }
    case 'remote':
      return { remote: remoteSettings(flags, ctx) };
  }
}

/** The remote driver's values: URL and token from flags, then the Secret (operator), then the environment. */
export function remoteSettings(
  flags: Pick<DriverFlags, 'driverUrl' | 'driverTokenFile' | 'driverTimeout'>,
  ctx: Pick<DriverContext, 'env' | 'credentials'>,
  names = { url: '--driver-url', tokenFile: '--driver-token-file', timeout: '--driver-timeout' },
): RemoteDriverOptions {
  const url = flags.driverUrl ?? ctx.credentials?.url ?? ctx.env.FLEETWARD_DRIVER_URL;
  if (!url) throw new UsageError(`the remote driver needs ${names.url} URL (or FLEETWARD_DRIVER_URL)`);
  const timeoutMs = durationFlag(names.timeout, flags.driverTimeout ?? '10s', { positive: true });
  const tokenFile = flags.driverTokenFile ?? (ctx.credentials?.token === undefined ? ctx.env.FLEETWARD_DRIVER_TOKEN_FILE || undefined : undefined);
  const token = tokenFile ? undefined : ctx.credentials?.token ?? (ctx.env.FLEETWARD_DRIVER_TOKEN || undefined);
  if (tokenFile) readSecretFile(names.tokenFile, tokenFile); // a clear error now, not at the first request
  if (!tokenFile && !token) throw new UsageError(`the remote driver needs a bearer token: ${names.tokenFile} FILE (or FLEETWARD_DRIVER_TOKEN_FILE, FLEETWARD_DRIVER_TOKEN; operator: --credentials-secret with a "token" key)`);
  if (token) registerSecret(token);
  return { url, timeoutMs, ...(tokenFile ? { tokenFile } : {}), ...(token ? { token } : {}) };
}

/** Builds the chosen driver; a driver that refuses its settings (an unreadable token file) is a UsageError. */
export function buildDriver(name: DriverName, settings: DriverSettings): Driver {
  try {
    return createDriver(name, settings);
  } catch (err) {
    if (err instanceof DriverError) throw new UsageError(`--driver ${name}: ${err.message}`);
    throw err;
  }
}

/** A secret from a file, registered with the redactor (util/redact.ts) as it is read; an empty file is refused. */
export function readSecretFile(flag: string, file: string): string {
  let value: string;
  try {
    value = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new UsageError(`cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!value) throw new UsageError(`${flag} ${file}: the file is empty`);
  return registerSecret(value);
}

/** A secret from `--flag FILE`, else from the environment variable `envName`; undefined when neither is set. */
export function readSecret(flag: string, file: string | undefined, envName: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (file !== undefined) return readSecretFile(flag, file);
  const v = env[envName]?.trim();
  return v ? registerSecret(v) : undefined;
}
