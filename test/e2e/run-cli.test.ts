// `fleetward run` and `fleetward status` as a person runs them: real child processes, the simulator driver,
// a state directory, the example config and fleet.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, runCli } from '../support/run-cli.ts';
import { anAlwaysWindow } from '../support/reconciler-fixture.ts';

let root: string;
const EXAMPLE = ['--config', 'examples/config', '--driver', 'simulator', '--fleet', 'examples/fleet.yaml'];

test.before(() => { root = mkdtempSync(join(tmpdir(), 'fw-run-cli-')); });
test.after(() => rmSync(root, { recursive: true, force: true }));

test('run --once applies the example config to the simulated fleet; status reads what it recorded', async () => {
  const state = join(root, 'once');
  const r = await runCli(['run', ...EXAMPLE, '--state-dir', state, '--start', '2026-11-23T00:00:00Z', '--once', '--port', '-1', '--log-level', 'warn']);
  assert.is(r.code, 0, r.stderr);
  const s = await runCli(['status', '--state-dir', state]);
  assert.is(s.code, 0, s.stderr);
  assert.match(s.stdout, /revision:\s+sha256:[0-9a-f]{64}/);
  assert.match(s.stdout, /ready:\s+True\s+ReconciliationSucceeded/);
  assert.match(s.stdout, /phase General\s+\d+ devices: \d+ updated, \d+ in progress, \d+ waiting, \d+ failed, \d+ held/);
  assert.match(s.stdout, /DeviceGroup\/phones\s+/);
  const json = JSON.parse((await runCli(['status', '--state-dir', state, '-o', 'json'])).stdout);
  assert.is(json.devices.length, 196);
  assert.ok(json.objects.some((o: { kind: string; name: string }) => o.kind === 'DeviceGroup' && o.name === 'phones'));
  const withHistory = json.devices.find((id: string) => id.startsWith('lon-room'));
  const dev = await runCli(['status', '--state-dir', state, '--device', withHistory]);
  assert.is(dev.code, 0, dev.stderr);
  assert.match(dev.stdout, new RegExp(`device: ${withHistory}`));
  assert.match(dev.stdout, /COMPONENT\s+CURRENT\s+TARGET\s+STATE/);
  assert.match(dev.stdout, /history \(\d+ operation/);
});

test('status for an unknown device or a missing state directory is one clear line, exit 2', async () => {
  const state = join(root, 'once');
  const a = await runCli(['status', '--state-dir', state, '--device', 'no-such-device']);
  assert.is(a.code, 2);
  assert.match(a.stderr, /^fleetward: device "no-such-device": not in /);
  assert.is(a.stderr.trim().split('\n').length, 1);
  const b = await runCli(['status', '--state-dir', join(root, 'nothing-here')]);
  assert.is(b.code, 2);
  assert.match(b.stderr, /no state directory/);
  assert.not.ok(existsSync(join(root, 'nothing-here')), 'status creates nothing');
});

test('bad run options are refused in one line and nothing is written', async () => {
  const state = join(root, 'refused');
  writeFileSync(join(root, 'behaviour.yaml'), 'failRate: 0.5\n');
  for (const [args, message] of [
    [['--config', 'examples/config', '--repo', 'http://127.0.0.1:9/x.git'], /exactly one of --config DIR or --repo URL/],
    [['--config', 'examples/config', '--driver', 'simulator'], /needs --fleet FILE/],
    [['--config', 'examples/config', '--driver', 'carrier-pigeon'], /--driver "carrier-pigeon": expected one of simulator, graph/],
    [[...EXAMPLE, '--interval', 'soon'], /--interval "soon": write a duration/],
    [[...EXAMPLE, '--fleet', join(root, 'missing.yaml')], /fleet file not found: .*missing\.yaml/],
    [[...EXAMPLE, '--log-level', 'chatty'], /--log-level "chatty": expected one of/],
    [[...EXAMPLE, '--behaviour', join(root, 'behaviour.yaml')], /--behaviour .*behaviour\.yaml: .*unknown setting "failRate"/],
  ] as const) {
    const r = await runCli(['run', ...args, '--state-dir', state, '--once', '--port', '-1']);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
    assert.not.ok(existsSync(state), `${args.join(' ')}: no state directory written`);
  }
});

test('--fresh refuses to delete a directory fleetward run did not write', async () => {
  const dir = join(root, 'precious');
  mkdirSync(dir);
  writeFileSync(join(dir, 'group.yaml'), 'kind: DeviceGroup\n');
  const r = await runCli(['run', ...EXAMPLE, '--state-dir', dir, '--fresh', '--once', '--port', '-1']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /--fresh: .*precious holds group\.yaml, which fleetward run did not write; not deleting it/);
  assert.ok(existsSync(join(dir, 'group.yaml')));
});

test('run --once exits 1 when the config is invalid and says why in status', async () => {
  const config = join(root, 'bad-config');
  mkdirSync(config);
  writeFileSync(join(config, 'w.yaml'), anAlwaysWindow('w', '[Sunday]', '01:00', '02:00'));
  const state = join(root, 'bad-state');
  const r = await runCli(['run', '--config', config, '--fleet', 'examples/fleet.yaml', '--state-dir', state, '--once', '--port', '-1', '--log-level', 'warn']);
  assert.is(r.code, 1);
  const s = await runCli(['status', '--state-dir', state]);
  assert.match(s.stdout, /ready:\s+False\s+InvalidRevision: the config in dir:.* rejected: \S*w\.yaml:\d+/);
  assert.match(s.stdout, /nothing is applied/);
  assert.match(s.stdout, /error: \S*w\.yaml:\d+/);
});

test('the live demo prints per-phase and per-ring progress with the simulated date, says how to stop, and stops by itself', async () => {
  const state = join(root, 'demo');
  const r = await runCli(['run', ...EXAMPLE, '--state-dir', state, '--fresh', '--start', '2026-11-23T00:00:00Z', '--speed', '864000',
    '--clock', 'stepped', '--interval', '6h', '--min-interval', '2h', '--for', '3d', '--progress', '200ms', '--port', '0', '--log-file', join(state, 'run.log')]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Press Ctrl-C to stop\./);
  assert.match(r.stdout, /\[2026-11-2\d \d\d:\d\dZ simulated\] revision sha256:[0-9a-f]{12}\s+operations issued: \d+, in flight: \d+/);
  assert.match(r.stdout, /ring\s+Staging\s+\d+ devices: \d+ updated, \d+ in progress, \d+ waiting, \d+ failed, \d+ held/);
  assert.match(r.stdout, /phase General\s+\d+ devices:/);
  assert.match(r.stdout, /stopped \(3d have passed\)/);
  assert.is(r.stderr, '', 'logs go to the log file, not the terminal');
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal === 'SIGINT' ? 'Ctrl-C (SIGINT)' : 'SIGTERM (a pod being stopped)'} stops the loop cleanly with exit 0, its state recorded`, async () => {
    const state = join(root, signal.toLowerCase());
    const child = spawn(process.execPath, [join(REPO_ROOT, 'controller/cli/main.ts'), 'run', ...EXAMPLE, '--state-dir', state,
      '--start', '2026-11-23T00:00:00Z', '--speed', '3600', '--interval', '1h', '--progress', '200ms', '--port', '-1', '--log-level', 'warn'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise<void>((resolve) => {
      const t = setInterval(() => { if (/operations issued/.test(out)) { clearInterval(t); resolve(); } }, 50);
    });
    child.kill(signal);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.is(code, 0);
    assert.match(out, new RegExp(`stopped \\(${signal} received\\)`));
    const s = await runCli(['status', '--state-dir', state]);
    assert.is(s.code, 0, s.stderr);
    assert.match(s.stdout, /revision:\s+sha256:[0-9a-f]{64}/);
  });
}

test.run();
