// A batch's devicesFile as technicians and spreadsheets write it (seed 004's upload template): through the
// loader into the reconcile step. BOM, CRLF, quoted commas and blank lines are read; a bad MAC is reported
// with its line, and nothing of that revision is used.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigDir, formatConfigError } from '../../controller/sources/load.ts';
import { desiredState } from '../../controller/api/desired.ts';
import { aWorld } from '../support/provisioning.ts';

const BATCH_YAML = (file: string, inline = '') => `apiVersion: fleetward.dev/v1alpha1
kind: ProvisioningBatch
metadata:
  name: desks
spec:
  devicesFile: ${file}
${inline}`;

function configDir(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetward-prov-csv-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

test('a spreadsheet export with BOM, CRLF, a quoted comma and blank lines becomes three devices with their lines', async () => {
  const csv = '\uFEFFmacAddress,location,user\r\naa:bb:cc:dd:ee:01,"Paris, 3rd floor, desk 12",ada@contoso.com\r\n\r\nAABB.CCDD.EE02,Lobby,\r\n\r\n"aa-bb-cc-dd-ee-03","Room ""Atlas""",\r\n';
  const dir = configDir({ 'batch.yaml': BATCH_YAML('csv/devices.csv'), 'csv/devices.csv': csv });
  try {
    const r = await loadConfigDir(dir);
    assert.ok(r.ok, r.ok ? '' : r.errors.map(formatConfigError).join('\n'));
    if (!r.ok) return;
    const devices = r.revision.provisioningDevices!.desks!;
    assert.equal(devices.map((d) => [d.macAddress, d.location, d.user, d.source.replace(/^.*[\\/]csv[\\/]/, '')]), [
      ['AA-BB-CC-DD-EE-01', 'Paris, 3rd floor, desk 12', 'ada@contoso.com', 'devices.csv:2'],
      ['AA-BB-CC-DD-EE-02', 'Lobby', undefined, 'devices.csv:4'],
      ['AA-BB-CC-DD-EE-03', 'Room "Atlas"', undefined, 'devices.csv:6'],
    ]);

    // And the reconcile step takes them as resolved, location and source kept, one code each.
    const w = aWorld();
    const [s] = await w.pass(desiredState(r.revision.objects).provisioningBatches, { resolvedDevices: r.revision.provisioningDevices });
    assert.equal(s!.devices.map((d) => [d.macAddress, d.location, d.state]), [
      ['AA-BB-CC-DD-EE-01', 'Paris, 3rd floor, desk 12', 'AwaitingActivation'],
      ['AA-BB-CC-DD-EE-02', 'Lobby', 'AwaitingActivation'],
      ['AA-BB-CC-DD-EE-03', 'Room "Atlas"', 'AwaitingActivation'],
    ]);
    assert.match(s!.devices[0]!.source!, /devices\.csv:2$/);
    assert.is(s!.devices[0]!.user, 'ada@contoso.com');
    assert.equal(Object.keys(await w.secrets.load('desks')).length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a malformed MAC is reported with its file and line, and the revision is not used', async () => {
  const csv = 'macAddress,location\r\naa:bb:cc:dd:ee:01,Desk 1\r\n\r\nzz:bb:cc:dd:ee:02,Desk 2\r\n';
  const dir = configDir({ 'batch.yaml': BATCH_YAML('devices.csv'), 'devices.csv': csv });
  try {
    const r = await loadConfigDir(dir);
    assert.not.ok(r.ok);
    if (r.ok) return;
    const lines = r.errors.map(formatConfigError);
    assert.is(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /devices\.csv:4: ProvisioningBatch\/desks macAddress: "zz:bb:cc:dd:ee:02" is not a MAC address/);
    assert.not.ok('revision' in r, 'nothing from the revision is handed on');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the same MAC inline and in the file of another batch is an error naming both', async () => {
  const other = `---
apiVersion: fleetward.dev/v1alpha1
kind: ProvisioningBatch
metadata:
  name: lobby
spec:
  devices:
    - macAddress: AA-BB-CC-DD-EE-01
`;
  const dir = configDir({ 'batch.yaml': BATCH_YAML('devices.csv') + other, 'devices.csv': 'macAddress\naa:bb:cc:dd:ee:01\n' });
  try {
    const r = await loadConfigDir(dir);
    assert.not.ok(r.ok);
    if (r.ok) return;
    const text = r.errors.map(formatConfigError).join('\n');
    assert.match(text, /desks/);
    assert.match(text, /lobby/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
