// One wiring for `run` and `operator` (issue 15.3): the same driver, clock and port flags, the old names kept
// as deprecated aliases for one release, and credentials handed to the driver as values, never via process.env.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { addClockOptions, addDriverOptions, addPortOption, buildClock, clockSettings, driverSettings, portFlag, resolveDeprecatedAliases } from '../../controller/cli/driver-wiring.ts';
import { UsageError } from '../../controller/cli/errors.ts';
import { createDriver, DRIVER_NAMES } from '../../controller/drivers/registry.ts';
import { ManualClock, systemClock } from '../../controller/util/clock.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'controller', 'cli', 'main.ts');
const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'fleetward-wiring-'));
const cli = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, FLEETWARD_GRAPH_TOKEN: '', FLEETWARD_GRAPH_TOKEN_FILE: '' } });

/** A command wired like run and operator, parsed without running anything. */
function parsed(args: string[]) {
  const warnings: string[] = [];
  const cmd = new Command('x').exitOverride();
  addDriverOptions(cmd);
  addPortOption(cmd, 'port');
  addClockOptions(cmd);
  cmd.parse(args, { from: 'user' });
  resolveDeprecatedAliases(cmd, (m) => warnings.push(m));
  return { opts: cmd.opts(), warnings };
}

async function usageError(fn: () => unknown): Promise<UsageError> {
  try { await fn(); } catch (err) { if (err instanceof UsageError) return err; throw err; }
  throw new Error('expected a UsageError');
}

test('--simulator-seed and --health-port still work, as --seed and --port, with a deprecation warning each', () => {
  const { opts, warnings } = parsed(['--simulator-seed', '7', '--health-port', '9090']);
  assert.is(opts.seed, '7');
  assert.is(opts.port, '9090');
  assert.equal(warnings, [
    '--simulator-seed is deprecated and will be removed in the next release; use --seed',
    '--health-port is deprecated and will be removed in the next release; use --port',
  ]);
});

test('the current names give the same settings and warn of nothing', () => {
  const { opts, warnings } = parsed(['--seed', '7', '--port', '9090']);
  assert.is(opts.seed, '7');
  assert.is(opts.port, '9090');
  assert.equal(warnings, []);
  assert.is(parsed([]).opts.port, '8080', 'the default port is unchanged');
});

test('an old and a new name for one setting together are refused, naming the one to keep', async () => {
  const err = await usageError(() => parsed(['--health-port', '1', '--port', '2']));
  assert.is(err.message, '--health-port and --port name the same setting: give only --port');
});

for (const command of ['run', 'operator']) {
  test(`fleetward ${command} prints the deprecation warning for an old flag name and accepts the new one silently`, () => {
    const base = command === 'run' ? ['run', '--config', join(dir, 'missing')] : ['operator', '--kubeconfig', '/nonexistent'];
    const old = cli(...base, '--health-port', '0', '--simulator-seed', '3');
    assert.match(old.stderr, /^fleetward: warning: --simulator-seed is deprecated and will be removed in the next release; use --seed\nfleetward: warning: --health-port is deprecated/);
    const current = cli(...base, '--port', '0', '--seed', '3');
    assert.not.match(current.stderr, /deprecated/);
    assert.is(current.status, old.status, 'both stop at the same later check');
  });

  test(`fleetward ${command} refuses an unknown --log-level in one line, not a stack trace`, () => {
    const base = command === 'run' ? ['run', '--config', dir] : ['operator', '--kubeconfig', '/nonexistent'];
    const r = cli(...base, '--log-level', 'chatty');
    assert.is(r.status, 2);
    assert.is(r.stderr.trim(), 'fleetward: --log-level "chatty": expected one of fatal, error, warn, info, debug, trace, silent');
  });

  test(`fleetward ${command} names every registered driver when --driver is unknown`, () => {
    const base = command === 'run' ? ['run', '--config', dir] : ['operator', '--kubeconfig', '/nonexistent'];
    const r = cli(...base, '--driver', 'nope');
    assert.is(r.status, 2);
    assert.is(r.stderr.trim(), `fleetward: --driver "nope": expected one of ${DRIVER_NAMES.join(', ')}`);
  });
}

test('fleetward operator --driver graph without a token says where a token comes from', () => {
  // Refused before the kubeconfig is read? No: the token check needs the Secret, so it comes after; a kubeconfig
  // that cannot be read is reported first. Run with a readable but empty one.
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\nusers: [{name: u, user: {}}]\n');
  const r = cli('operator', '--kubeconfig', kubeconfig, '--driver', 'graph', '--port', '-1');
  assert.is(r.status, 2);
  assert.is(r.stderr.trim(), 'fleetward: the graph driver needs credentials: FLEETWARD_GRAPH_TOKEN or FLEETWARD_GRAPH_TOKEN_FILE, or client credentials (FLEETWARD_GRAPH_CLIENT_ID with FLEETWARD_GRAPH_CLIENT_SECRET_FILE, or FLEETWARD_GRAPH_CERTIFICATE_FILE and FLEETWARD_GRAPH_PRIVATE_KEY_FILE), or (operator) --credentials-secret with a "token" key or "clientId" and "clientSecret" (or "certificate" and "privateKey")');
});

test('graph credentials from a Secret reach the driver as values, override the environment, and leave process.env alone', async () => {
  const before = JSON.stringify({ ...process.env });
  const settings = await driverSettings('graph', { driver: 'graph' }, {
    clock: systemClock,
    env: { FLEETWARD_GRAPH_URL: 'https://env.example', FLEETWARD_GRAPH_TOKEN_FILE: '/env/token', FLEETWARD_GRAPH_TIMEOUT_MS: '2500' },
    credentials: { token: 'secret-token-from-k8s', url: 'https://secret.example' },
  });
  assert.is(settings.graph?.baseUrl, 'https://secret.example');
  assert.is(settings.graph?.token, 'secret-token-from-k8s');
  assert.is(settings.graph?.tokenFile, undefined, 'the Secret\'s token replaces the environment\'s file');
  assert.is(settings.graph?.timeoutMs, 2500);
  assert.is(JSON.stringify({ ...process.env }), before, 'process.env is not written');
  const flagged = await driverSettings('graph', { driver: 'graph', graphUrl: 'https://flag.example' }, { clock: systemClock, env: {}, credentials: { token: 't0ken-value' } });
  assert.is(flagged.graph?.baseUrl, 'https://flag.example', '--graph-url wins over the Secret and the environment');
  const driver = createDriver('graph', flagged);
  assert.is(driver.name, 'graph');
  await driver.close?.();
});

test('client credentials come from a Secret (clientId, clientSecret, tenantId) or the environment\'s files, as values', async () => {
  const fromSecret = await driverSettings('graph', { driver: 'graph' }, {
    clock: systemClock, env: { FLEETWARD_GRAPH_TOKEN: 'env-token-value' },
    credentials: { clientId: 'app-id', clientSecret: 'k8s-client-secret', tenantId: 'contoso.onmicrosoft.com' },
  });
  assert.equal(fromSecret.graph?.clientCredentials, { clientId: 'app-id', tenantId: 'contoso.onmicrosoft.com', clientSecret: 'k8s-client-secret' });
  assert.is(fromSecret.graph?.token, undefined, 'the Secret\'s app credentials replace the environment\'s token');
  writeFileSync(join(dir, 'client-secret'), 'file-client-secret\n');
  const fromEnv = await driverSettings('graph', { driver: 'graph', graphTenant: 'tenant-from-flag' }, {
    clock: systemClock, env: { FLEETWARD_GRAPH_CLIENT_ID: 'app-2', FLEETWARD_GRAPH_CLIENT_SECRET_FILE: join(dir, 'client-secret') },
  });
  assert.equal(fromEnv.graph?.clientCredentials, { clientId: 'app-2', clientSecret: 'file-client-secret', tenantId: 'tenant-from-flag' });
  const missing = await usageError(() => driverSettings('graph', { driver: 'graph' }, { clock: systemClock, env: { FLEETWARD_GRAPH_CLIENT_ID: 'app-3', FLEETWARD_GRAPH_TENANT_ID: 't' } }));
  assert.match(missing.message, 'a client secret, or a certificate and its private key, is needed');
  const unreadable = await usageError(() => driverSettings('graph', { driver: 'graph' }, { clock: systemClock, env: { FLEETWARD_GRAPH_CLIENT_ID: 'a', FLEETWARD_GRAPH_PRIVATE_KEY_FILE: join(dir, 'nope.key') } }));
  assert.match(unreadable.message, /FLEETWARD_GRAPH_PRIVATE_KEY_FILE .*nope\.key: cannot read it \(ENOENT\)/);
});

test('the simulator is built from the fleet file, seed and clock given', async () => {
  const clock = new ManualClock('2026-11-23T02:00:00Z');
  const settings = await driverSettings('simulator', { driver: 'simulator', fleet: join(ROOT, 'examples', 'fleet.yaml'), seed: '4' }, { clock, env: {} });
  const driver = createDriver('simulator', settings);
  assert.ok((await driver.inventory()).length > 0);
  await driver.close?.();
  assert.is((await usageError(() => driverSettings('simulator', { driver: 'simulator' }, { clock, env: {} }))).message, 'the simulator driver needs --fleet FILE (see examples/fleet.yaml)');
  assert.is((await usageError(() => driverSettings('simulator', { driver: 'simulator', fleet: 'x', seed: 'abc' }, { clock, env: {} }))).message, '--seed abc: expected an integer');
});

test('one clock construction: real time by default, a simulated one from --start/--speed/--start-wall', () => {
  assert.is(buildClock(clockSettings({ clock: 'scaled' })), systemClock);
  const wallNow = Date.now();
  const start = '2027-06-01T00:00:00Z';
  const startWall = new Date(wallNow - 10_000).toISOString(); // 10 s of wall time ago, at 60×: 10 simulated minutes on
  const c = buildClock(clockSettings({ clock: 'scaled', speed: '60', start, startWall }));
  const offset = c.now().getTime() - Date.parse(start);
  assert.ok(offset >= 600_000 && offset < 600_000 + 60 * 5_000, `${offset} ms past --start`);
  const stepped = buildClock(clockSettings({ clock: 'stepped', speed: '10' }), new Date(start));
  assert.is(stepped.now().toISOString(), '2027-06-01T00:00:00.000Z', 'a resume instant wins, and a stepped clock stands still');
});

test('bad clock and port flags are one-line errors naming the flag', async () => {
  assert.is((await usageError(() => clockSettings({ clock: 'scaled', speed: '0' }))).message, '--speed 0: expected a positive number');
  assert.is((await usageError(() => clockSettings({ clock: 'wobbly' }))).message, '--clock "wobbly": expected scaled or stepped');
  assert.is((await usageError(() => clockSettings({ clock: 'scaled', start: 'monday' }))).message, '--start monday: expected an ISO instant such as 2026-11-23T10:00:00Z');
  assert.is((await usageError(() => clockSettings({ clock: 'scaled', startWall: '2026-11-23T10:00:00Z' }))).message, '--start-wall needs --start');
  assert.is((await usageError(() => portFlag('80a'))).message, '--port 80a: expected 0–65535, or -1 for no server');
  assert.is(portFlag('-1'), -1);
});

test.run();
