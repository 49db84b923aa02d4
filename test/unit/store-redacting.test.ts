// The status sink's redaction (store/redacting.ts) over the JSON store: status text loses every fragment
// of a known secret; identifiers and verifiers that are read back keep theirs (a hex secret shares 8 hex
// digits with ids and hashes sooner or later); the last good revision (the config) is written as it is.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonDirStore } from '../../controller/store/json-dir.ts';
import { redactingStore } from '../../controller/store/redacting.ts';
import type { DeviceRecord } from '../../controller/store/records.ts';
import { registerSecret } from '../../controller/util/redact.ts';

// A webhook secret as `openssl rand -hex 32` makes it.
const HEX_SECRET = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
registerSecret(HEX_SECRET);

const dir = mkdtempSync(join(tmpdir(), 'fw-store-redacting-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const store = redactingStore(new JsonDirStore(dir));

test('a device record: the error loses the echoed fragment, the operation id that shares hex digits stays', () => {
  const opId = `00${HEX_SECRET.slice(10, 30)}00`;
  const rec: DeviceRecord = {
    id: 'dev-1',
    history: [{ operationId: opId, operationType: 'softwareUpdate', status: 'failed', component: 'firmware', toVersion: '1.0.0.2', createdAt: '2026-11-23T12:00:00Z', error: { code: 'InternalServerError', message: `backend: signature ${HEX_SECRET.slice(0, 20)} mismatch` }, issuedBy: 'fleetward' }],
  };
  store.writeDevice(rec);
  const text = readFileSync(join(dir, 'devices', 'dev-1.json'), 'utf8');
  assert.not.ok(text.includes(HEX_SECRET.slice(0, 20)));
  assert.match(text, /backend: signature \[redacted\] mismatch/);
  assert.ok(text.includes(opId), 'the id is kept');
  assert.is(store.readDevice('dev-1')!.history[0]!.operationId, opId);
  assert.ok(rec.history[0]!.error!.message.includes(HEX_SECRET.slice(0, 20)), 'the caller\'s record is not changed under it');
});

test('object and run status: messages redacted, a code verifier kept', () => {
  const codeHash = `scrypt$${HEX_SECRET.slice(8, 40)}`;
  store.writeObjects({ 'ProvisioningBatch/desks': { kind: 'ProvisioningBatch', name: 'desks', conditions: [{ type: 'Ready', status: 'False', reason: 'X', message: `token ${HEX_SECRET.slice(30, 50)}`, lastTransitionTime: '2026-11-23T12:00:00Z' }], devices: [{ macAddress: 'AA-BB-CC-00-00-01', state: 'AwaitingActivation', codeHash }] } });
  store.writeRun({ source: 'dir:/x', driver: 'graph', conditions: [{ type: 'Ready', status: 'False', reason: 'DriverUnavailable', message: `echo ${HEX_SECRET}`, lastTransitionTime: '2026-11-23T12:00:00Z' }] });
  const objects = readFileSync(join(dir, 'objects.json'), 'utf8');
  const run = readFileSync(join(dir, 'run.json'), 'utf8');
  assert.not.ok(objects.includes(HEX_SECRET.slice(30, 50)));
  assert.ok(objects.includes(codeHash), 'the verifier is kept');
  assert.match(run, /"message": "echo \[redacted\]"/);
});

test('the last good revision is written as it is', () => {
  store.writeLastGoodRevision({ id: 'rev-1', objects: [{ apiVersion: 'fleetward.dev/v1alpha1', kind: 'DeviceGroup', metadata: { name: 'g' }, spec: { selector: { matchLabels: { note: HEX_SECRET.slice(0, 12) } } } }] } as never);
  assert.ok(readFileSync(join(dir, 'revision.json'), 'utf8').includes(HEX_SECRET.slice(0, 12)));
});

test.run();
