// Provisioning batches (seed 004): MACs normalised, validated and unique across batches (inline and CSV);
// a devicesFile stays inside the config directory; the loader hands the resolved devices to the revision.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { aBatch, assertRefused, errorLines, loadFiles, loadObjects, yamlOf } from '../support/config.ts';

const CSV = 'macAddress,location,user\r\naa:bb:cc:00:00:01,"Paris, desk 1",alice@contoso.com\r\naabb.cc00.0002,Paris desk 2,\r\n';

test('inline devices and a CSV file are resolved into the revision with normalised MACs and their source lines', () => {
  const r = loadFiles({
    'batches/paris.yaml': yamlOf(aBatch('paris', {
      devicesFile: 'batches/paris.csv',
      devices: [{ macAddress: 'aa-bb-cc-00-00-03', location: 'Reception', signIn: { user: 'desk@contoso.com' } }],
    })),
    'batches/paris.csv': CSV,
  });
  assert.equal(errorLines(r), []);
  if (!r.ok) return;
  assert.equal(r.revision.provisioningDevices, {
    paris: [
      { macAddress: 'AA-BB-CC-00-00-03', location: 'Reception', user: 'desk@contoso.com', source: 'batches/paris.yaml:8' },
      { macAddress: 'AA-BB-CC-00-00-01', location: 'Paris, desk 1', user: 'alice@contoso.com', source: 'batches/paris.csv:2' },
      { macAddress: 'AA-BB-CC-00-00-02', location: 'Paris desk 2', source: 'batches/paris.csv:3' },
    ],
  });
});

test('a malformed inline MAC is refused with the expected form', () => {
  assertRefused(loadObjects(aBatch('b', { devices: [{ macAddress: 'aa:bb:cc:dd:ee' }, { macAddress: 'gg-bb-cc-dd-ee-ff' }] })), [
    'config.yaml:7: ProvisioningBatch/b spec.devices[0].macAddress: "aa:bb:cc:dd:ee" is not a MAC address; write 12 hex digits such as AA-BB-CC-DD-EE-FF',
    'config.yaml:8: ProvisioningBatch/b spec.devices[1].macAddress: "gg-bb-cc-dd-ee-ff" is not a MAC address; write 12 hex digits such as AA-BB-CC-DD-EE-FF',
  ]);
});

test('a malformed MAC in a CSV file is refused at its line in the CSV', () => {
  assertRefused(loadFiles({
    'b.yaml': yamlOf(aBatch('b', { devicesFile: 'b.csv' })),
    'b.csv': 'macAddress,location\naa:bb:cc:00:00:01,x\nnot-a-mac,y\n',
  }), [
    'b.csv:3: ProvisioningBatch/b macAddress: "not-a-mac" is not a MAC address; write 12 hex digits such as AA-BB-CC-DD-EE-FF',
  ]);
});

test('the same MAC twice in one batch, written differently, is refused naming the first', () => {
  assertRefused(loadObjects(aBatch('b', { devices: [{ macAddress: 'aa:bb:cc:00:00:01' }, { macAddress: 'AABBCC000001' }] })), [
    'config.yaml:8: ProvisioningBatch/b spec.devices[1].macAddress: AA-BB-CC-00-00-01 is listed twice in this batch; the first is ProvisioningBatch/b (config.yaml:7)',
  ]);
});

test('the same MAC in two batches is refused naming both, also between a CSV file and an inline list', () => {
  assertRefused(loadFiles({
    'a.yaml': yamlOf(aBatch('paris', { devicesFile: 'paris.csv' })),
    'b.yaml': yamlOf(aBatch('lyon', { devices: [{ macAddress: 'AA-BB-CC-00-00-02' }] })),
    'paris.csv': CSV,
  }), [
    'b.yaml:7: ProvisioningBatch/lyon spec.devices[0].macAddress: AA-BB-CC-00-00-02 is also in ProvisioningBatch/paris (paris.csv:3); a device belongs to one batch only',
  ]);
});

test('a devicesFile outside the config directory is refused: .. and absolute paths', () => {
  assertRefused(loadFiles({
    'a.yaml': yamlOf(aBatch('up', { devicesFile: '../secrets.csv' }), aBatch('abs', { devicesFile: '/etc/passwd' }), aBatch('win', { devicesFile: 'C:\\devices.csv' })),
    '../secrets.csv': CSV,
  }), [
    'a.yaml:6: ProvisioningBatch/up spec.devicesFile: "../secrets.csv" leaves the config directory (..); a devicesFile must stay inside it',
    'a.yaml:13: ProvisioningBatch/abs spec.devicesFile: "/etc/passwd" is an absolute path; a devicesFile is relative to the config directory and stays inside it',
    'a.yaml:20: ProvisioningBatch/win spec.devicesFile: "C:\\\\devices.csv" is an absolute path; a devicesFile is relative to the config directory and stays inside it',
  ]);
});

test('a devicesFile that does not exist is refused', () => {
  assertRefused(loadFiles({ 'a.yaml': yamlOf(aBatch('b', { devicesFile: 'missing.csv' })) }), [
    'a.yaml:6: ProvisioningBatch/b spec.devicesFile: "missing.csv" does not exist in the config',
  ]);
});

test('a CSV without a macAddress column, or with unknown columns, is refused at its header', () => {
  assertRefused(loadFiles({
    'a.yaml': yamlOf(aBatch('b', { devicesFile: 'b.csv' })),
    'b.csv': 'mac,room\n00:11:22:33:44:55,1\n',
  }), [
    'b.csv:1: ProvisioningBatch/b mac: unknown column "mac"; the columns are macAddress, location, user',
    'b.csv:1: ProvisioningBatch/b room: unknown column "room"; the columns are macAddress, location, user',
    'b.csv:1: ProvisioningBatch/b the header row must name a macAddress column (columns: macAddress, location, user); got "mac,room"',
  ]);
});

test('a CSV row with more fields than the header is refused, suggesting quotes', () => {
  assertRefused(loadFiles({
    'a.yaml': yamlOf(aBatch('b', { devicesFile: 'b.csv' })),
    'b.csv': 'macAddress,location\n00:11:22:33:44:55,Paris, desk 4\n',
  }), [
    'b.csv:2: ProvisioningBatch/b has 3 fields but the header names 2; quote values that contain commas',
  ]);
});

test('a sign-in user that is not user@domain is refused, inline and in a CSV file', () => {
  assertRefused(loadFiles({
    'a.yaml': yamlOf(aBatch('b', { devicesFile: 'b.csv', devices: [{ macAddress: '00-11-22-33-44-01', signIn: { user: 'alice' } }] })),
    'b.csv': 'macAddress,user\n00-11-22-33-44-02,bob at contoso.com\n00-11-22-33-44-03,carol@contoso.com\n',
  }), [
    'a.yaml:10: ProvisioningBatch/b spec.devices[0].signIn.user: "alice" is not a user principal name; write the account as user@domain, e.g. alice@contoso.com',
    'b.csv:2: ProvisioningBatch/b user: "bob at contoso.com" is not a user principal name; write the account as user@domain, e.g. alice@contoso.com',
  ]);
});

test('a batch with neither devices nor a devicesFile is refused', () => {
  assertRefused(loadObjects(aBatch('empty', {})), [
    'config.yaml:5: ProvisioningBatch/empty spec: list devices, a devicesFile, or both',
  ]);
});

test('a binary devicesFile is refused', () => {
  assertRefused(loadFiles({ 'a.yaml': yamlOf(aBatch('b', { devicesFile: 'b.csv' })), 'b.csv': 'macAddress\n\u0000\u0001' }), [
    'a.yaml:6: ProvisioningBatch/b spec.devicesFile: "b.csv" is not a text file (NUL bytes or not UTF-8); a devicesFile is a UTF-8 CSV',
  ]);
});

test.run();
