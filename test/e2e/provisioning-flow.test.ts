// A whole remote-provisioning flow (seed 004) against the simulator, once in-process and once over the
// simulator's Graph-shaped HTTP server: a batch from a CSV file in a config directory, codes exported by
// the CLI, technicians activating devices (one with firmware too old until an update lands, one locked out
// by wrong codes), remote sign-in, and codes regenerated after 24 hours. Every log line, every state file
// written and every line the CLI printed is captured, and no plaintext code is found in any of them, while
// the export holds every one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { parse } from 'csv-parse/sync';
import type { FleetFile } from '../../controller/api/types.ts';
import { desiredState } from '../../controller/api/desired.ts';
import { loadConfigDir, formatConfigError } from '../../controller/sources/load.ts';
import { ManualClock } from '../../controller/util/clock.ts';
import { Simulator } from '../../controller/drivers/simulator/simulator.ts';
import { SimulatorDriver } from '../../controller/drivers/simulator/driver.ts';
import { startSimulatorServer, type SimulatorServer } from '../../controller/drivers/simulator/server.ts';
import { GraphDriver } from '../../controller/drivers/graph/driver.ts';
import type { ProvisioningDriver } from '../../controller/drivers/provisioning.ts';
import { activationResultFrom, provisioningRoutes } from '../../controller/drivers/simulator/provisioning-routes.ts';
import { PROVISIONING_PATH } from '../../controller/drivers/graph/provisioning.ts';
import type { ActivationResult } from '../../controller/drivers/simulator/provisioning.ts';
import { reconcileProvisioning } from '../../controller/provisioning/reconcile.ts';
import { FileCodeSecretStore } from '../../controller/provisioning/secrets.ts';
import { FileProvisioningStatusStore, type ProvisioningBatchStatus } from '../../controller/provisioning/status.ts';
import { FileRegenerationRequests } from '../../controller/provisioning/requests.ts';
import { generateCode } from '../../controller/provisioning/codes.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const NODE = process.execPath;
const CLI = join(ROOT, 'controller', 'cli', 'main.ts');
const TOKEN = 'e2e-provisioning-token';
const HOUR = 3_600_000;

const T58 = 'AA-BB-CC-10-00-01';
const CCX = 'AA-BB-CC-10-00-02';
const PANEL = 'AA-BB-CC-10-00-03';
const MP56 = 'AA-BB-CC-10-00-04';

const device = (id: string, mac: string, deviceType: 'ipPhone' | 'teamsPanel', manufacturer: string, model: string, firmware: string) => ({
  id, macAddress: mac.toLowerCase().replaceAll('-', ':'), deviceType, manufacturer, model, timeZone: 'Europe/Paris',
  online: true, activityState: 'idle' as const, healthStatus: 'healthy' as const, software: { firmware },
});

function aFleet(): FleetFile {
  return {
    devices: [
      device('desk-t58', T58, 'ipPhone', 'Yealink', 'T58', '58.15.0.124'),
      device('desk-ccx', CCX, 'ipPhone', 'Poly', 'CCX500', '7.0.2.1000'),
      device('lobby-panel', PANEL, 'teamsPanel', 'Crestron', '770', '1.004.0115'),
      device('desk-mp56', MP56, 'ipPhone', 'Yealink', 'MP56', '122.15.0.36'),
    ],
    releases: [{ component: 'firmware', version: '7.0.2.1072', manufacturer: 'Poly', models: ['CCX500'], releasedAt: '2026-10-01T00:00:00Z', label: 'verified' }],
  };
}

const BATCH = `apiVersion: fleetward.dev/v1alpha1
kind: ProvisioningBatch
metadata:
  name: paris-desks
spec:
  devicesFile: paris-desks.csv
`;
const CSV = '\uFEFFmacAddress,location,user\r\n' +
  'aa:bb:cc:10:00:01,"Paris, 4th floor, desk 1",ada@contoso.com\r\n' +
  'AABB.CC10.0002,"Paris, 4th floor, desk 2",bob@contoso.com\r\n\r\n' +
  'aa-bb-cc-10-00-03,Lobby panel,\r\n' +
  'aabbcc100004,"Paris, 4th floor, desk 4",carol@contoso.com\r\n';

/** Everything the flow wrote that is not the secret store: read after each step, since files are replaced. */
class Witness {
  readonly texts: { where: string; text: string }[] = [];
  readonly codes = new Set<string>();
  readonly stateDir: string;
  constructor(stateDir: string) {
    this.stateDir = stateDir;
  }
  snapshotStateDir(step: string): void {
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        const rel = relative(this.stateDir, p);
        if (statSync(p).isDirectory()) {
          if (rel !== join('provisioning', 'secrets')) walk(p);
        } else this.texts.push({ where: `${step}: ${rel}`, text: readFileSync(p, 'utf8') });
      }
    };
    walk(this.stateDir);
  }
  rememberCodes(): void {
    const dir = join(this.stateDir, 'provisioning', 'secrets');
    for (const f of readdirSync(dir)) {
      for (const c of Object.values(JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, { code: string }>)) this.codes.add(c.code);
    }
  }
}

interface Mode {
  driver: ProvisioningDriver;
  activate(mac: string, code: string): Promise<ActivationResult>;
  updateFirmware(deviceId: string, version: string): Promise<void>;
  close(): Promise<void>;
}

async function inProcess(sim: Simulator): Promise<Mode> {
  const driver = new SimulatorDriver(sim);
  return {
    driver: driver.provisioning,
    activate: (mac, code) => driver.provisioning.activate(mac, code),
    async updateFirmware(deviceId, version) {
      assert.ok((await driver.startUpdate({ deviceId, component: 'firmware', version })).accepted);
    },
    close: () => driver.close(),
  };
}

async function overHttp(sim: Simulator): Promise<Mode> {
  const server: SimulatorServer = await startSimulatorServer({ simulator: sim, token: TOKEN, routes: provisioningRoutes(sim.provisioning) });
  const graph = new GraphDriver({ baseUrl: server.url, token: TOKEN, maxRetries: 1, backoffMs: 1 });
  return {
    driver: graph.provisioning,
    async activate(mac, code) {
      // The device's side: no admin token.
      const res = await fetch(`${server.url}${PROVISIONING_PATH}/${mac}/activate`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }),
      });
      return activationResultFrom(res.status, await res.json(), res.headers);
    },
    async updateFirmware(deviceId, version) {
      assert.ok((await graph.startUpdate({ deviceId, component: 'firmware', version })).accepted);
    },
    close: () => server.close(),
  };
}

async function cli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(NODE, [CLI, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
}

async function provisioningFlow(makeMode: (sim: Simulator) => Promise<Mode>): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'fleetward-prov-e2e-'));
  const config = join(work, 'config');
  const stateDir = join(work, 'state');
  mkdirSync(config);
  writeFileSync(join(config, 'batch.yaml'), BATCH);
  writeFileSync(join(config, 'paris-desks.csv'), CSV);

  const clock = new ManualClock('2026-11-23T09:00:00Z');
  const sim = new Simulator({
    fleet: aFleet(), clock, seed: 4,
    behaviour: { failureRate: 0, offlineRate: 0, busyDuringMeetings: 0, rollbackRate: 0, installDuration: '20m', queueDelay: '1m' },
  });
  const mode = await makeMode(sim);
  const witness = new Witness(stateDir);
  const logLines: string[] = [];
  const log = pino({ level: 'debug', base: undefined }, new Writable({ write(chunk, _enc, done) { logLines.push(String(chunk)); done(); } }));

  // Anything printed by this process during the flow (the server's own error log, say) is captured too.
  const printed: string[] = [];
  const realOut = process.stdout.write.bind(process.stdout);
  const realErr = process.stderr.write.bind(process.stderr);
  const capture = (real: typeof realOut) => ((chunk: unknown, ...rest: unknown[]) => {
    printed.push(String(chunk));
    return (real as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  process.stdout.write = capture(realOut);
  process.stderr.write = capture(realErr);

  try {
    const loaded = await loadConfigDir(config);
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.errors.map(formatConfigError).join('\n'));
    if (!loaded.ok) return;
    const batches = desiredState(loaded.revision.objects).provisioningBatches;
    const store = new FileProvisioningStatusStore(stateDir);
    const secrets = new FileCodeSecretStore(stateDir);
    const requests = new FileRegenerationRequests(stateDir);
    const pass = async (step: string): Promise<Record<string, ProvisioningBatchStatus['devices'][number]>> => {
      const [s] = await reconcileProvisioning({
        batches, resolvedDevices: loaded.revision.provisioningDevices, driver: mode.driver, store, secrets, clock,
        requests: await requests.list(), log: log.child({ component: 'provisioning' }),
      });
      witness.snapshotStateDir(step);
      witness.rememberCodes();
      return Object.fromEntries(s!.devices.map((d) => [d.macAddress, d]));
    };
    const exportCodes = async (step: string): Promise<Record<string, { code: string; location: string; expiresAt: string }>> => {
      const out = await cli(['provision', 'export', 'paris-desks', '--state-dir', stateDir, '--at', clock.now().toISOString()]);
      witness.texts.push({ where: `${step}: export stderr`, text: out.stderr });
      const rows = parse(out.stdout, { columns: true }) as { macAddress: string; location: string; code: string; expiresAt: string }[];
      return Object.fromEntries(rows.map((r) => [r.macAddress, r]));
    };

    // 1. The first pass issues four codes; the Poly CCX500 runs firmware older than seed 004 requires.
    let s = await pass('pass 1');
    assert.equal(Object.fromEntries(Object.entries(s).map(([m, d]) => [m, d.state])), {
      [T58]: 'AwaitingActivation', [CCX]: 'FirmwareTooOld', [PANEL]: 'AwaitingActivation', [MP56]: 'AwaitingActivation',
    });
    assert.is(s[CCX]!.requiredFirmware, '7.0.2.1072');
    assert.is(s[T58]!.location, 'Paris, 4th floor, desk 1');
    assert.is(s[T58]!.codeExpiresAt, '2026-11-24T09:00:00Z');

    // 2. The admin exports the codes for the technicians: the only place they appear.
    let exported = await exportCodes('export 1');
    assert.equal(Object.keys(exported).sort(), [T58, CCX, PANEL, MP56]);
    assert.is(exported[T58]!.location, 'Paris, 4th floor, desk 1');
    assert.is(exported[T58]!.expiresAt, '2026-11-24T09:00:00Z');
    for (const r of Object.values(exported)) assert.ok(witness.codes.has(r.code));

    // 3. On site: two devices activate (one code typed in lower case with a dash); someone guesses at the
    //    MP56 until it locks; the CCX500 cannot activate on its old firmware.
    clock.advance(HOUR);
    assert.ok((await mode.activate(T58, exported[T58]!.code)).activated);
    const panelCode = exported[PANEL]!.code;
    assert.ok((await mode.activate(PANEL, `${panelCode.slice(0, 5)}-${panelCode.slice(5)}`.toLowerCase())).activated);
    for (let i = 0; i < 5; i++) assert.is((await mode.activate(MP56, generateCode())).activated, false);
    const locked = await mode.activate(MP56, exported[MP56]!.code);
    assert.is(locked.activated ? 'activated' : locked.reason, 'LockedOut');
    const tooOld = await mode.activate(CCX, exported[CCX]!.code);
    assert.is(tooOld.activated ? 'activated' : tooOld.reason, 'FirmwareTooOld');

    // 4. The next pass signs Ada in remotely; the panel has no user declared; the MP56 is reported locked out.
    s = await pass('pass 2');
    assert.is(s[T58]!.state, 'SignedIn');
    assert.is(s[T58]!.user, 'ada@contoso.com');
    assert.is(s[PANEL]!.state, 'AwaitingSignIn');
    assert.is(s[MP56]!.state, 'LockedOut');
    assert.ok(s[MP56]!.lockedUntil);
    assert.is(s[CCX]!.state, 'FirmwareTooOld');
    assert.is(s[T58]!.codeHash, undefined, 'no code kept for an activated device');

    // 5. A firmware update reaches the CCX500; nobody touches the batch, and provisioning continues.
    await mode.updateFirmware('desk-ccx', '7.0.2.1072');
    clock.advance(HOUR);
    assert.is(sim.device('desk-ccx')!.software.firmware, '7.0.2.1072');
    s = await pass('pass 3');
    assert.is(s[CCX]!.state, 'AwaitingActivation');
    assert.is(s[MP56]!.state, 'AwaitingActivation', 'the lock lapsed after 15 minutes');

    // 6. A day later the unused codes have lapsed: refused by the back end, then replaced on the next pass.
    clock.set('2026-11-24T09:00:00Z');
    const stale = await mode.activate(CCX, exported[CCX]!.code);
    assert.is(stale.activated ? 'activated' : stale.reason, 'CodeExpired');
    s = await pass('pass 4');
    assert.is(s[CCX]!.codeExpiresAt, '2026-11-25T09:00:00Z');
    assert.is(s[CCX]!.codesIssued, 2);
    const old = exported;
    exported = await exportCodes('export 2');
    assert.equal(Object.keys(exported).sort(), [CCX, MP56], 'only devices still awaiting activation have a code');
    assert.is.not(exported[CCX]!.code, old[CCX]!.code);
    assert.is.not(exported[MP56]!.code, old[MP56]!.code);

    // 7. Both activate with their new codes; the next pass signs Bob and Carol in.
    assert.ok((await mode.activate(CCX, exported[CCX]!.code)).activated);
    assert.ok((await mode.activate(MP56, exported[MP56]!.code)).activated);
    s = await pass('pass 5');
    assert.equal(Object.fromEntries(Object.entries(s).map(([m, d]) => [m, d.state])), {
      [T58]: 'SignedIn', [CCX]: 'SignedIn', [PANEL]: 'AwaitingSignIn', [MP56]: 'SignedIn',
    });
    s = await pass('pass 6 (idle)');

    // 8. Status as a person and a program read it.
    const text = await cli(['provision', 'status', '--state-dir', stateDir]);
    const json = await cli(['provision', 'status', 'paris-desks', '--state-dir', stateDir, '-o', 'json']);
    witness.texts.push({ where: 'status text', text: text.stdout + text.stderr }, { where: 'status json', text: json.stdout + json.stderr });
    assert.match(text.stdout, /ProvisioningBatch\/paris-desks: 4 device\(s\) — AwaitingSignIn 1, SignedIn 3/);
    assert.equal((JSON.parse(json.stdout) as ProvisioningBatchStatus[])[0]!.counts, {
      AwaitingActivation: 0, AwaitingSignIn: 1, SignedIn: 3, Expired: 0, FirmwareTooOld: 0, LockedOut: 0,
    });

    // 9. The secret store is private to its owner...
    const secretsDir = join(stateDir, 'provisioning', 'secrets');
    assert.is(statSync(secretsDir).mode & 0o777, 0o700);
    for (const f of readdirSync(secretsDir)) assert.is(statSync(join(secretsDir, f)).mode & 0o777, 0o600, f);

    // ...and no code, of the six issued (four, then two replacements), is anywhere else.
    assert.is(witness.codes.size, 6);
    const everything = [
      ...witness.texts,
      ...logLines.map((text, i) => ({ where: `log line ${i + 1}`, text })),
      ...printed.map((text, i) => ({ where: `printed ${i + 1}`, text })),
    ];
    assert.ok(logLines.length >= 10, `the flow logged (${logLines.length} lines)`);
    assert.ok(witness.texts.length >= 6);
    for (const code of witness.codes) {
      const canonicalSeen = everything.filter((t) => t.text.includes(code) || t.text.toUpperCase().includes(code));
      assert.equal(canonicalSeen.map((t) => t.where), [], `code ${code.slice(0, 2)}… leaked`);
    }
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
    await mode.close();
    await sim.close();
    rmSync(work, { recursive: true, force: true });
  }
}

test('in-process: a batch is provisioned end to end and no plaintext code reaches a log line or a state file', async () => {
  await provisioningFlow(inProcess);
});

test('over the simulator HTTP server: the same flow through the graph driver, and still no code outside the export', async () => {
  await provisioningFlow(overHttp);
});

test.run();
