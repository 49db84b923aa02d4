// `fleetward plan` and `fleetward forecast` as a user runs them: the real CLI in a child process,
// against a config directory and fleet file written by the test.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { REPO_ROOT, runCli } from '../support/run-cli.ts';
import { AT, FLEET, INVALID_WINDOW, RELEASE, configFiles, writeFiles } from '../support/plan-fixture.ts';
import { snapshotTree } from '../support/tree-snapshot.ts';

const root = mkdtempSync(join(tmpdir(), 'fleetward-plan-cli-'));
const config = join(root, 'config');
const newConfig = join(root, 'config-weekends');
const badConfig = join(root, 'config-invalid');
const fleet = join(root, 'fleet.yaml');
writeFiles(config, configFiles('office-hours'));
writeFiles(newConfig, configFiles('weekend-nights'));
writeFiles(badConfig, { ...configFiles('office-hours'), 'short.yaml': INVALID_WINDOW });
writeFiles(root, { 'fleet.yaml': FLEET });

const plan = (...args: string[]) => runCli(['plan', '--config', config, '--fleet', fleet, '--at', AT, ...args]);


test('plan -o json holds operations[] and devices[].components[] with the contract fields', async () => {
  const r = await plan('-o', 'json');
  assert.is(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout);
  assert.is(p.at, '2026-11-23T12:00:00.000Z');
  assert.equal(p.devices.map((d: { id: string }) => d.id).sort(), ['phone-canary', 'phone-lon-1', 'phone-nyc-1', 'phone-syd-1']);
  const canary = p.devices.find((d: { id: string }) => d.id === 'phone-canary');
  assert.is(canary.group, 'canaries');
  const fw = canary.components.find((c: { component: string }) => c.component === 'firmware');
  assert.equal(Object.keys(fw).slice(0, 6), ['component', 'currentVersion', 'targetVersion', 'state', 'reason', 'notBefore']);
  assert.is(fw.currentVersion, '122.15.0.52');
  assert.is(fw.targetVersion, '122.15.0.58');
  const op = p.operations.find((o: { deviceId: string }) => o.deviceId === 'phone-canary');
  assert.ok(op, 'the canary in its open window is updated now');
  assert.equal([op.component, op.fromVersion, op.toVersion], ['firmware', '122.15.0.52', '122.15.0.58']);
  // The General phase defers firmware 30 days from releasedAt (seed 000): no operation, a later notBefore.
  const general = p.devices.find((d: { id: string }) => d.id === 'phone-lon-1');
  const gfw = general.components.find((c: { component: string }) => c.component === 'firmware');
  assert.ok(Date.parse(gfw.notBefore) >= Date.parse('2026-12-13T12:00:00Z'), gfw.notBefore);
  assert.not.ok(p.operations.some((o: { deviceId: string }) => o.deviceId === 'phone-lon-1'));
});

test('two runs with the same inputs print byte-identical JSON', async () => {
  const [a, b] = [await plan('-o', 'json'), await plan('-o', 'json')];
  assert.is(a.code, 0, a.stderr);
  assert.is(a.stdout, b.stdout);
});

test('--device and --group narrow what is printed; an unknown one exits 2 and prints no plan', async () => {
  const one = await plan('--device', 'phone-canary', '-o', 'json');
  assert.is(one.code, 0, one.stderr);
  const p = JSON.parse(one.stdout);
  assert.equal(p.devices.map((d: { id: string }) => d.id), ['phone-canary']);
  assert.equal(p.operations.map((o: { deviceId: string }) => o.deviceId), ['phone-canary']);
  assert.equal(p.selection, { shown: 1, of: 4, devices: ['phone-canary'] });
  const md = await plan('--group', 'canaries', '-o', 'markdown');
  assert.match(md.stdout, '_Showing 1 of 4 devices (--group canaries); releases, update paths and findings are for the whole fleet._');
  const bad = await plan('--device', 'phone-mars-1');
  assert.is(bad.code, 2);
  assert.is(bad.stdout, '');
  assert.is(bad.stderr, 'fleetward: --device: no device "phone-mars-1" in the fleet (4 devices)\n');
});

test('the table is the default, without colour when not on a terminal', async () => {
  const r = await plan();
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Plan at 2026-11-23 12:00 UTC/);
  assert.match(r.stdout, /^STATE/m);
  assert.match(r.stdout, /group canaries · phase canary · window office-hours \(1 device\)/);
  assert.not.match(r.stdout, /\u001b\[/);
});

test('markdown output starts with the summary for a pull-request comment', async () => {
  const r = await plan('-o', 'markdown');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^### Fleetward plan at 2026-11-23 12:00 UTC/);
  assert.ok(r.stdout.indexOf('**4 devices**') < r.stdout.indexOf('<details>'));
});

test('a reader that closes the pipe early (plan | head) gets no error', async () => {
  // The example fleet's JSON is far larger than a pipe's buffer, so the writer does see the pipe close.
  const child = spawn(process.execPath, [join(REPO_ROOT, 'controller/cli/main.ts'), 'plan', '--config', join(REPO_ROOT, 'examples/config'), '--fleet', join(REPO_ROOT, 'examples/fleet.yaml'), '--at', AT, '-o', 'json'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.is(stderr, '');
  assert.is(code, 0);
});

test('an invalid config prints the loader\'s lines, exits 1 and prints no plan', async () => {
  const before = snapshotTree(root, { times: true });
  const r = await runCli(['plan', '--config', badConfig, '--fleet', fleet, '--at', AT, '-o', 'json']);
  assert.is(r.code, 1);
  assert.is(r.stdout, '');
  assert.match(r.stderr, /short\.yaml:\d+/);
  assert.match(r.stderr, /too-short/);
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(snapshotTree(root, { times: true }), before);
});

test('an invalid fleet file prints its file:line errors and exits 1, printing no plan', async () => {
  const badFleet = join(root, 'bad-fleet.yaml');
  writeFiles(root, { 'bad-fleet.yaml': FLEET.replace('timeZone: America/New_York', 'timeZone: Mars/Olympus_Mons') });
  const r = await runCli(['plan', '--config', config, '--fleet', badFleet, '--at', AT, '-o', 'json']);
  assert.is(r.code, 1);
  assert.is(r.stdout, '');
  assert.match(r.stderr, new RegExp(`${badFleet.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: .*timeZone`));
  assert.match(r.stderr, /fleet file .* is invalid \(1 error\)/);
});

test('missing files are one line each and exit 2', async () => {
  const noFleet = await runCli(['plan', '--config', config, '--fleet', join(root, 'nope.yaml')]);
  assert.is(noFleet.code, 2);
  assert.is(noFleet.stderr, `fleetward: fleet file not found: ${join(root, 'nope.yaml')}\n`);
  const noConfig = await runCli(['plan', '--config', join(root, 'nope'), '--fleet', fleet]);
  assert.is(noConfig.code, 2);
  assert.is(noConfig.stderr, `fleetward: config directory not found: ${join(root, 'nope')}\n`);
  assert.is(noConfig.stdout, '');
});

test('a bad --at or -o is refused with the form expected', async () => {
  const at = await runCli(['plan', '--config', config, '--fleet', fleet, '--at', 'next tuesday']);
  assert.is(at.code, 2);
  assert.match(at.stderr, /--at must be an ISO-8601 instant with a zone, such as 2026-11-23T15:00:00Z/);
  const local = await runCli(['plan', '--config', config, '--fleet', fleet, '--at', '2026-11-23T12:00']);
  assert.is(local.code, 2, 'a time without a zone is ambiguous');
  const o = await runCli(['plan', '--config', config, '--fleet', fleet, '-o', 'yaml']);
  assert.is(o.code, 2);
  assert.match(o.stderr, /-o must be one of table, json, markdown/);
});

test('--at with an offset plans at the same UTC instant', async () => {
  const utc = await plan('-o', 'json');
  const paris = await runCli(['plan', '--config', config, '--fleet', fleet, '--at', '2026-11-23T13:00:00+01:00', '-o', 'json']);
  assert.is(paris.code, 0, paris.stderr);
  assert.is(paris.stdout, utc.stdout);
});

test('--compare with a directory leads with the one-line summary of what the change does', async () => {
  const r = await runCli(['plan', '--config', newConfig, '--compare', config, '--fleet', fleet, '--at', AT]);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0]!, /^Plan diff at 2026-11-23 12:00 UTC/);
  // The weekend window opens inside office hours in every zone of the fleet, so no update moves earlier.
  assert.match(lines[1]!, /^3 devices move to window weekend-nights[;.]/);
  assert.not.match(lines[1]!, /earlier/);
  const json = JSON.parse((await runCli(['plan', '--config', newConfig, '--compare', config, '--fleet', fleet, '--at', AT, '-o', 'json'])).stdout);
  assert.equal(json.assignments.map((a: { deviceId: string }) => a.deviceId), ['phone-lon-1', 'phone-nyc-1', 'phone-syd-1']);
  assert.ok(json.assignments.every((a: { field: string; from: string; to: string }) => a.field === 'maintenanceWindow' && a.from === 'office-hours' && a.to === 'weekend-nights'));
});

test('--compare with an invalid old config says which side is invalid and exits 1', async () => {
  const r = await runCli(['plan', '--config', config, '--compare', badConfig, '--fleet', fleet, '--at', AT]);
  assert.is(r.code, 1);
  assert.is(r.stdout, '');
  assert.match(r.stderr, new RegExp(`config ${badConfig} is invalid`));
});

test('forecast prints each stage and the adoption share by date', async () => {
  const r = await runCli(['forecast', '--config', config, '--fleet', fleet, '--release', RELEASE, '--at', AT, '-o', 'json']);
  assert.is(r.code, 0, r.stderr);
  const f = JSON.parse(r.stdout);
  assert.equal(f.release, { component: 'firmware', version: '122.15.0.58' });
  assert.is(f.eligibleDevices, 4);
  assert.ok(f.stages.length > 0);
  const last = f.adoption.at(-1);
  assert.is(last.devices, 4);
  assert.is(last.share, 1);
  const table = await runCli(['forecast', '--config', config, '--fleet', fleet, '--release', RELEASE, '--at', AT]);
  assert.is(table.code, 0, table.stderr);
  assert.match(table.stdout, /^Forecast for firmware@122\.15\.0\.58 from 2026-11-23 12:00 UTC/);
  assert.match(table.stdout, /100\.0%/);
});

test('forecast refuses a malformed or unknown release, naming the ones it knows', async () => {
  const malformed = await runCli(['forecast', '--config', config, '--fleet', fleet, '--release', '122.15.0.58']);
  assert.is(malformed.code, 2);
  assert.match(malformed.stderr, /--release must be component@version/);
  const component = await runCli(['forecast', '--config', config, '--fleet', fleet, '--release', 'bios@1.0']);
  assert.is(component.code, 2);
  assert.match(component.stderr, /unknown component "bios"/);
  const unknown = await runCli(['forecast', '--config', config, '--fleet', fleet, '--release', 'firmware@9.9.9']);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /no firmware release 9\.9\.9 .*known firmware versions: 122\.15\.0\.58, 122\.15\.0\.52/);
  assert.is(unknown.stdout, '');
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
