// Provisioning through `fleetward run` itself: one pass over a config with a batch and a simulated fleet
// issues the codes; `fleetward status` shows the batch; `fleetward provision export` hands out the codes;
// the run's JSON log and every file in its state directory but the secret store hold none of them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '..', '..', 'controller', 'cli', 'main.ts');
const fleetward = (...args: string[]) => run(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1' } });

const FLEET = `devices:
  - { id: desk-1, macAddress: "aa:bb:cc:40:00:01", deviceType: ipPhone, manufacturer: Yealink, model: T58, timeZone: Europe/Paris, online: true, activityState: idle, software: { firmware: 58.15.0.124 } }
  - { id: desk-2, macAddress: "aa:bb:cc:40:00:02", deviceType: ipPhone, manufacturer: Poly, model: CCX400, timeZone: Europe/Paris, online: true, activityState: idle, software: { firmware: 7.0.2.900 } }
releases: []
`;
const BATCH = `apiVersion: fleetward.dev/v1alpha1
kind: ProvisioningBatch
metadata:
  name: desks
spec:
  devicesFile: desks.csv
  devices:
    - macAddress: aa:bb:cc:40:00:03
      location: Lobby
`;
const CSV = 'macAddress,location,user\r\naa:bb:cc:40:00:01,"Paris, desk 1",ada@contoso.com\r\naa:bb:cc:40:00:02,"Paris, desk 2",\r\n';

test('fleetward run issues the codes, fleetward status shows the batch, provision regenerate replaces one, and only the export holds a code', async () => {
  const work = mkdtempSync(join(tmpdir(), 'fleetward-prov-run-'));
  try {
    const config = join(work, 'config');
    const stateDir = join(work, 'state');
    mkdirSync(config);
    writeFileSync(join(config, 'batch.yaml'), BATCH);
    writeFileSync(join(config, 'desks.csv'), CSV);
    writeFileSync(join(work, 'fleet.yaml'), FLEET);
    const logFile = join(work, 'run.log');
    const started = await fleetward('run', '--config', config, '--fleet', join(work, 'fleet.yaml'), '--state-dir', stateDir,
      '--once', '--port', '-1', '--start', '2026-11-23T09:00:00Z', '--log-file', logFile, '--log-level', 'debug');

    const status = await fleetward('status', '--state-dir', stateDir);
    assert.match(status.stdout, /ProvisioningBatch\/desks: 3 device\(s\) — AwaitingActivation 2, FirmwareTooOld 1/);
    assert.match(status.stdout, /AA-BB-CC-40-00-02\s+FirmwareTooOld .*firmware 7\.0\.2\.900 < 7\.0\.2\.1072 needed/);
    const json = JSON.parse((await fleetward('status', '--state-dir', stateDir, '-o', 'json')).stdout) as { provisioning: { batch: string; counts: Record<string, number> }[] };
    assert.equal(json.provisioning.map((b) => [b.batch, b.counts.AwaitingActivation, b.counts.FirmwareTooOld]), [['desks', 2, 1]]);

    // No --at: the export judges expiry on the run's simulated clock (state-dir/clock.json).
    const exported = await fleetward('provision', 'export', 'desks', '--state-dir', stateDir);
    const rows = parse(exported.stdout, { columns: true }) as { macAddress: string; location: string; code: string; expiresAt: string }[];
    assert.equal(rows.map((r) => [r.macAddress, r.location]), [['AA-BB-CC-40-00-03', 'Lobby'], ['AA-BB-CC-40-00-01', 'Paris, desk 1'], ['AA-BB-CC-40-00-02', 'Paris, desk 2']]);
    for (const r of rows) assert.match(r.code, /^[2-9A-HJKMNP-Z]{10}$/);

    // One code is asked for again from the command line; the next pass of the run replaces that one only.
    const asked = await fleetward('provision', 'regenerate', 'desks', '--device', 'aa:bb:cc:40:00:03', '--state-dir', stateDir);
    const again = await fleetward('run', '--config', config, '--fleet', join(work, 'fleet.yaml'), '--state-dir', stateDir,
      '--once', '--port', '-1', '--log-file', logFile, '--log-level', 'debug');
    const reExported = await fleetward('provision', 'export', 'desks', '--state-dir', stateDir);
    const after = parse(reExported.stdout, { columns: true }) as typeof rows;
    assert.is(after.length, 3);
    assert.is.not(after[0]!.code, rows[0]!.code, 'the Lobby device has a new code');
    assert.equal(after.slice(1).map((r) => r.code), rows.slice(1).map((r) => r.code), 'the others kept theirs');

    const texts: { where: string; text: string }[] = [
      { where: 'regenerate', text: asked.stdout + asked.stderr }, { where: 'run 2', text: again.stdout + again.stderr },
      { where: 'run stdout', text: started.stdout }, { where: 'run stderr', text: started.stderr },
      { where: 'run log', text: readFileSync(logFile, 'utf8') },
      { where: 'status', text: status.stdout + status.stderr }, { where: 'export stderr', text: exported.stderr },
    ];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) {
          if (relative(stateDir, p) !== join('provisioning', 'secrets')) walk(p);
        } else texts.push({ where: relative(stateDir, p), text: readFileSync(p, 'utf8') });
      }
    };
    walk(stateDir);
    assert.ok(texts.some((t) => t.where === 'run log' && t.text.includes('provisioning code issued')), 'the run logged the issue of each code');
    assert.not.ok(texts.some((t) => t.where.startsWith(join('provisioning', 'batches'))), 'the batch status is in the state store, not a file of its own');
    assert.ok(texts.some((t) => t.where.startsWith('fleetward.db')), 'the state store was searched too');
    for (const r of [...rows, after[0]!]) {
      assert.equal(texts.filter((t) => t.text.toUpperCase().includes(r.code)).map((t) => t.where), [], `${r.macAddress}'s code leaked`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
