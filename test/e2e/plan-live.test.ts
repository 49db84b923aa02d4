// `fleetward plan --state DIR` (issue 11 item 4): a plan of the live fleet from the state a real
// `fleetward run` recorded (test/support/plan-live-fixture.ts), so a pull-request check sees what is in flight
// and what failed. The same plan from the operator's PostgreSQL store: test/e2e/plan-postgres.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/run-cli.ts';
import { AT, CONFIG, firmware, recordLiveRun } from '../support/plan-live-fixture.ts';
import { JsonDirStore } from '../../controller/store/json-dir.ts';
import { openStateStore } from '../../controller/store/open.ts';
import { snapshotTree } from '../support/tree-snapshot.ts';

const root = mkdtempSync(join(tmpdir(), 'fleetward-plan-live-'));
let config = '';
let fleet = '';
let state = '';


test.before(async () => { ({ config, fleet, state } = await recordLiveRun(root)); });
test.after(() => rmSync(root, { recursive: true, force: true }));

test('a plan from the state of a real run shows the update in flight and the failed one, where the fleet file shows both due', async () => {
  const fromFile = JSON.parse((await runCli(['plan', '--config', config, '--fleet', fleet, '--at', AT, '-o', 'json'])).stdout);
  assert.is(firmware(fromFile, 'phone-fail').state, 'Due');
  assert.is(firmware(fromFile, 'phone-flight').state, 'Due');
  assert.is(fromFile.operations.length, 2);

  const before = snapshotTree(state, { times: true });
  const r = await runCli(['plan', '--config', config, '--state', state, '--at', AT, '-o', 'json']);
  assert.is(r.code, 0, r.stderr);
  const live = JSON.parse(r.stdout);
  assert.is(firmware(live, 'phone-flight').state, 'InProgress');
  // The failed update is not retried past maxAttempts: held for a person, with the reason a reviewer reads.
  const failed = firmware(live, 'phone-fail');
  assert.equal([failed.state, failed.reason, failed.message], ['Held', 'FailureHold', '1 attempts of 122.15.0.58 failed; held until a person acts']);
  assert.equal(live.operations, [], 'nothing is issued twice');
  assert.match(live.live.observedAt, /^2026-11-23T16:00:/);
  assert.equal({ ...live.live, observedAt: undefined }, { observedAt: undefined, devices: 2, inFlight: 1, failed: 0, held: 1 });
  assert.equal(snapshotTree(state, { times: true }), before, 'planning from a state directory writes nothing there');

  const md = await runCli(['plan', '--state', state, '--at', AT, '-o', 'markdown']);
  assert.is(md.code, 0, md.stderr);
  assert.match(md.stdout, '_Live fleet: 2 devices as the installation last observed them at 2026-11-23 16:00 UTC; components: 1 in flight, 0 failed, 1 held._');
});

test('forecast and --compare read the live fleet too', async () => {
  const f = await runCli(['forecast', '--state', state, '--release', 'firmware@122.15.0.58', '--at', AT, '-o', 'json']);
  assert.is(f.code, 0, f.stderr);
  const c = await runCli(['plan', '--config', config, '--state', state, '--at', AT, '--compare', config]);
  assert.is(c.code, 0, c.stderr);
  assert.match(c.stdout, 'Live fleet: 2 devices');
});

test('state recorded by an older release (no inventory, no catalog) says so on stderr and plans what it can', async () => {
  // A JSON state directory as an older release wrote it, made from what the run recorded (whichever store
  // it used): no catalog in the run status, no inventory on one device.
  const old = join(root, 'old-state');
  const recorded = await openStateStore({ stateDir: state }, { readOnly: true });
  const older = new JsonDirStore(old);
  const run = recorded.readRun()!;
  delete run.catalog;
  older.writeRun(run);
  older.writeLastGoodRevision(recorded.readLastGoodRevision()!);
  for (const id of recorded.listDeviceIds()) {
    const rec = recorded.readDevice(id)!;
    if (id === 'phone-fail') delete rec.observed;
    older.writeDevice(rec);
  }
  await recorded.close();
  await older.close();
  const r = await runCli(['plan', '--config', config, '--state', old, '--at', AT, '-o', 'json']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, `fleetward: 1 devices in ${old} have no recorded inventory yet (recorded by an older release); they are planned after the installation's next pass\n`
    + `fleetward: ${old} holds no recorded release catalog yet (recorded by an older release); releases come from the config's SoftwareRelease objects until the installation's next pass\n`);
  assert.equal(JSON.parse(r.stdout).devices.map((d: { id: string }) => d.id), ['phone-flight']);
});

test('--state and --fleet together, or a directory that holds no state, are one clear line and exit 2', async () => {
  const both = await runCli(['plan', '--config', config, '--fleet', fleet, '--state', state]);
  assert.is(both.code, 2);
  assert.is(both.stderr, 'fleetward: give either --fleet FILE (a fleet file) or --state DIR / --state-url-file FILE (the state of a running installation)\n');
  const empty = await runCli(['plan', '--config', config, '--state', config]);
  assert.is(empty.code, 2);
  assert.is(empty.stderr, `fleetward: --state: ${config} holds no Fleetward state; point it at the --state-dir of a fleetward run\n`);
  assert.equal(readdirSync(config).sort(), Object.keys(CONFIG).sort(), 'nothing was created in it');
  const missing = await runCli(['plan', '--config', config, '--state', join(root, 'nowhere')]);
  assert.is(missing.stderr, `fleetward: --state: no state directory ${join(root, 'nowhere')}\n`);
});

test.run();
