// `fleetward driver conformance` against the example Python driver: the kit anyone can run against their own
// driver. It prints each check and the counts, exits 0 when the driver conforms and 1 when it cannot be checked.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFORMANCE_CHECKS } from '../../controller/drivers/conformance/checks.ts';
import { runCli } from '../support/run-cli.ts';
import { startPythonDriver, type PythonDriver } from '../support/python-driver.ts';

let sandbox: PythonDriver;
let production: PythonDriver;
test.before(async () => {
  [sandbox, production] = await Promise.all([startPythonDriver(), startPythonDriver({ sandbox: false })]);
});
test.after(async () => {
  await Promise.all([sandbox?.stop(), production?.stop()]);
});

test('a conforming driver passes every check: one line each, the counts, exit 0', async () => {
  const r = await runCli(['driver', 'conformance', '--url', sandbox.url, '--token-file', sandbox.tokenFile]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  const lines = r.stdout.trim().split('\n');
  assert.is(lines[0], `fleetward driver conformance: python-example at ${sandbox.url} (fleetward.dev/driver/v1; capabilities: cancel, startDeadline, provisioning, test)`);
  assert.equal(lines.slice(1, -1), CONFORMANCE_CHECKS.map((c) => `  ok    ${c.name}`));
  assert.is(lines.at(-1), `${CONFORMANCE_CHECKS.length} checks: ${CONFORMANCE_CHECKS.length} passed, 0 failed, 0 skipped`);
});

test('-o json gives each check\'s outcome, and --only narrows the run', async () => {
  const r = await runCli(['driver', 'conformance', '--url', sandbox.url, '--token-file', sandbox.tokenFile, '--only', 'refused', '-o', 'json']);
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.is(out.driver.name, 'python-example');
  assert.equal(out.results.map((x: { outcome: string }) => x.outcome), ['passed', 'passed', 'passed', 'passed', 'passed']);
  assert.ok(out.results.every((x: { name: string }) => x.name.includes('refused')));
});

test('a driver not in its sandbox mode cannot be checked: exit 1 with what to do', async () => {
  const r = await runCli(['driver', 'conformance', '--url', production.url, '--token-file', production.tokenFile]);
  assert.is(r.code, 1);
  assert.is(r.stderr.trim(), `fleetward: driver at ${production.url}: the driver python-example at ${production.url} does not serve the sandbox routes /v1/test/* (capabilities.test is false); the conformance checks need them to set up a known fleet and move time: run the driver in its test mode`);
  assert.is(r.stdout, '');
});

test('a wrong token is one line naming the 401, without the token', async () => {
  const wrong = join(sandbox.tokenFile + '-wrong');
  writeFileSync(wrong, 'not-the-token-5a5a5a\n');
  const r = await runCli(['driver', 'conformance', '--url', sandbox.url, '--token-file', wrong]);
  assert.is(r.code, 1);
  assert.is(r.stderr.trim(), `fleetward: driver at ${sandbox.url}: describe the driver: 401 Unauthorized: missing or wrong bearer token`);
  assert.not.match(r.stderr + r.stdout, /5a5a5a/);
});

test('without a URL or a token the command says what it needs, exit 2', async () => {
  const noUrl = await runCli(['driver', 'conformance'], { env: { FLEETWARD_DRIVER_URL: '' } });
  assert.is(noUrl.code, 2);
  assert.is(noUrl.stderr.trim(), 'fleetward: the remote driver needs --url URL (or FLEETWARD_DRIVER_URL)');
  const noToken = await runCli(['driver', 'conformance', '--url', sandbox.url], { env: { FLEETWARD_DRIVER_TOKEN: '', FLEETWARD_DRIVER_TOKEN_FILE: '' } });
  assert.is(noToken.code, 2);
  assert.match(noToken.stderr, /^fleetward: the remote driver needs a bearer token: --token-file FILE/);
});

test.run();
