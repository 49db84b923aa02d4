// `fleetward provision …` as a person runs it: the template, the export (the only output with codes, and
// only codes still usable), regeneration requests, and one-line errors that change nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { ManualClock } from '../../controller/util/clock.ts';
import { SimulatedProvisioningBackend } from '../../controller/drivers/simulator/provisioning.ts';
import { reconcileProvisioning } from '../../controller/provisioning/reconcile.ts';
import { FileCodeSecretStore } from '../../controller/provisioning/secrets.ts';
import { FileProvisioningStatusStore } from '../../controller/provisioning/status.ts';
import { FileRegenerationRequests } from '../../controller/provisioning/requests.ts';
import { aBatch, aT58 } from '../support/provisioning.ts';
import { runCli } from '../support/run-cli.ts';

const fleetward = (...args: string[]) => runCli(args);

const A = 'AA-BB-CC-30-00-01';
const B = 'AA-BB-CC-30-00-02';

/** A state directory after one pass over a two-device batch, at 09:00; B then activated. */
async function aStateDir() {
  const stateDir = mkdtempSync(join(tmpdir(), 'fleetward-prov-cli-'));
  const clock = new ManualClock('2026-11-23T09:00:00Z');
  const backend = new SimulatedProvisioningBackend({ clock });
  const batch = aBatch('desks', [{ mac: A, location: 'Paris, desk 1' }, { mac: B, location: 'Paris, desk 2' }]);
  const pass = async () => reconcileProvisioning({
    batches: [batch], driver: backend, store: new FileProvisioningStatusStore(stateDir), secrets: new FileCodeSecretStore(stateDir), clock,
    requests: await new FileRegenerationRequests(stateDir).list(),
  });
  await pass();
  return { stateDir, clock, backend, pass, codes: async () => new FileCodeSecretStore(stateDir).load('desks') };
}

test('the template is the header of a devicesFile, and --example adds rows with a quoted comma', async () => {
  assert.equal(await fleetward('provision', 'template'), { code: 0, stdout: 'macAddress,location,user\n', stderr: '' });
  const ex = await fleetward('provision', 'template', '--example');
  const rows = parse(ex.stdout, { columns: true }) as Record<string, string>[];
  assert.is(rows[0]!.location, 'Paris, 3rd floor, desk 12');
});

test('export prints mac, location, code and expiry of every usable code, and nothing once a device activated', async () => {
  const w = await aStateDir();
  try {
    const codes = await w.codes();
    const out = await fleetward('provision', 'export', 'desks', '--state-dir', w.stateDir, '--at', '2026-11-23T10:00:00Z');
    assert.is(out.code, 0, out.stderr);
    assert.equal(parse(out.stdout, { columns: true }), [
      { macAddress: A, location: 'Paris, desk 1', code: codes[A]!.code, expiresAt: '2026-11-24T09:00:00Z' },
      { macAddress: B, location: 'Paris, desk 2', code: codes[B]!.code, expiresAt: '2026-11-24T09:00:00Z' },
    ]);
    assert.match(out.stderr, /2 code\(s\) exported/);
    assert.not.ok(out.stderr.includes(codes[A]!.code));

    w.backend.powerOn(B, aT58());
    assert.ok((await w.backend.activate(B, codes[B]!.code)).activated);
    await w.pass();
    const file = join(w.stateDir, 'export.csv');
    writeFileSync(file, 'an old, world-readable export\n', { mode: 0o644 });
    const after = await fleetward('provision', 'export', 'desks', '--state-dir', w.stateDir, '--at', '2026-11-23T10:00:00Z', '--output', file);
    assert.is(after.stdout, '');
    assert.equal((parse(readFileSync(file, 'utf8'), { columns: true }) as { macAddress: string }[]).map((r) => r.macAddress), [A]);
    assert.is(statSync(file).mode & 0o777, 0o600);
    assert.match(after.stderr, /1 device\(s\) have no usable code/);

    const lapsed = await fleetward('provision', 'export', 'desks', '--state-dir', w.stateDir, '--at', '2026-11-24T09:00:00Z');
    assert.is(lapsed.stdout, 'macAddress,location,code,expiresAt\n', 'an expired code is not handed out');
  } finally {
    rmSync(w.stateDir, { recursive: true, force: true });
  }
});

test('regenerate --device records a request the next pass honours for that device only', async () => {
  const w = await aStateDir();
  try {
    const before = await w.codes();
    // Both codes are still valid at 09:02 (they expire at 09:00 the next day): only the request replaces one.
    const out = await fleetward('provision', 'regenerate', 'desks', '--device', 'aa:bb:cc:30:00:01', '--state-dir', w.stateDir, '--at', '2026-11-23T09:01:00Z');
    w.clock.set('2026-11-23T09:02:00Z');
    assert.is(out.code, 0, out.stderr);
    assert.match(out.stdout, /AA-BB-CC-30-00-01 .* next reconcile pass/);
    await w.pass();
    const after = await w.codes();
    assert.is.not(after[A]!.code, before[A]!.code);
    assert.is(after[B]!.code, before[B]!.code);
  } finally {
    rmSync(w.stateDir, { recursive: true, force: true });
  }
});

test('bad input is one line on stderr, exit 2, and nothing is written', async () => {
  const w = await aStateDir();
  try {
    const requests = join(w.stateDir, 'provisioning', 'requests.json');
    const cases: [string[], RegExp][] = [
      [['provision', 'regenerate', 'desks', '--device', 'zz:zz', '--state-dir', w.stateDir], /--device "zz:zz" is not a MAC address/],
      [['provision', 'regenerate', 'desks', '--device', 'AA-BB-CC-99-99-99', '--state-dir', w.stateDir], /ProvisioningBatch\/desks has no device AA-BB-CC-99-99-99/],
      [['provision', 'regenerate', 'lobby', '--state-dir', w.stateDir], /no provisioning batch "lobby"/],
      [['provision', 'export', 'lobby', '--state-dir', w.stateDir], /no provisioning batch "lobby"/],
      [['provision', 'export', 'desks', '--state-dir', w.stateDir, '--at', 'soon'], /--at "soon" is not an ISO-8601 instant/],
      [['provision', 'regenerate', 'desks', '--state-dir', w.stateDir, '--at', 'soon'], /--at "soon" is not an ISO-8601 instant/],
      [['provision', 'status', '--state-dir', w.stateDir, '-o', 'yaml'], /-o yaml: choose text or json/],
    ];
    const results = await Promise.all(cases.map(([args]) => fleetward(...args)));
    for (const [i, [args, message]] of cases.entries()) {
      const r = results[i]!;
      assert.is(r.code, 2, args.join(' '));
      assert.is(r.stdout, '');
      assert.match(r.stderr, message);
      assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.not.ok(existsSync(requests), 'no request was recorded');
  } finally {
    rmSync(w.stateDir, { recursive: true, force: true });
  }
});

test.run();
