// What status says about provisioning: counts per state, per device state, location and code expiry —
// never a code — in a shape the ProvisioningBatch resource's status schema (and so the CRD) accepts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { statusSchema } from '../../controller/api/schemas.ts';
import { formatProvisioningStatus, toResourceStatus } from '../../controller/provisioning/status.ts';
import { generateCode } from '../../controller/provisioning/codes.ts';
import { aBatch, aT58, aWorld } from '../support/provisioning.ts';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;

const [A, B, C, D, E] = ['AA-00-00-00-00-0A', 'AA-00-00-00-00-0B', 'AA-00-00-00-00-0C', 'AA-00-00-00-00-0D', 'AA-00-00-00-00-0E'];

/** One device in each state the back end can put it in. */
async function everyState() {
  const w = aWorld('2026-11-23T09:00:00Z');
  const batch = aBatch('mixed', [
    { mac: A, location: 'Desk A' },
    { mac: B, location: 'Desk B', user: 'bob@contoso.com' },
    { mac: C, location: 'Desk C' },
    { mac: D, location: 'Desk D, "quiet" zone' },
    { mac: E, location: 'Desk E' },
  ]);
  w.backend.powerOn(B, aT58());
  w.backend.powerOn(C, aT58());
  w.backend.powerOn(D, aT58('58.15.0.1'));
  w.backend.powerOn(E, aT58());
  await w.pass([batch]);
  await w.backend.activate(B, (await w.code('mixed', B))!);
  await w.backend.activate(C, (await w.code('mixed', C))!);
  for (let i = 0; i < 5; i++) await w.backend.activate(E, generateCode());
  const [s] = await w.pass([batch]);
  return { w, s: s! };
}

test('a batch reports counts per state and per device state, location and code expiry', async () => {
  const { s } = await everyState();
  assert.equal(s.counts, { AwaitingActivation: 1, AwaitingSignIn: 1, SignedIn: 1, Expired: 0, FirmwareTooOld: 1, LockedOut: 1 });
  assert.equal(s.devices.map((d) => [d.macAddress, d.state, d.location, d.codeExpiresAt]), [
    [A, 'AwaitingActivation', 'Desk A', '2026-11-24T09:00:00Z'],
    [B, 'SignedIn', 'Desk B', undefined],
    [C, 'AwaitingSignIn', 'Desk C', undefined],
    [D, 'FirmwareTooOld', 'Desk D, "quiet" zone', '2026-11-24T09:00:00Z'],
    [E, 'LockedOut', 'Desk E', '2026-11-24T09:00:00Z'],
  ]);
});

test('the resource status validates against the ProvisioningBatch status schema the CRD is generated from', async () => {
  const { s } = await everyState();
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
  addFormats(ajv);
  const validate = ajv.compile(statusSchema('ProvisioningBatch'));
  const status = { ...toResourceStatus(s), observedGeneration: 1 };
  assert.ok(validate(status), JSON.stringify(validate.errors, null, 2));
  assert.is(status.total, 5);
  assert.is(status.signedIn, 1);
  assert.is(status.counts.LockedOut, 1);
});

test('the text form names each state, the firmware a device needs and when a lock lapses, and holds no code', async () => {
  const { w, s } = await everyState();
  const text = formatProvisioningStatus([s]);
  assert.match(text, /^ProvisioningBatch\/mixed: 5 device\(s\) — AwaitingActivation 1, AwaitingSignIn 1, SignedIn 1, FirmwareTooOld 1, LockedOut 1$/m);
  assert.match(text, /AA-00-00-00-00-0D\s+FirmwareTooOld\s+location "Desk D, \\"quiet\\" zone"; code expires 2026-11-24T09:00:00Z; firmware 58\.15\.0\.1 < 58\.15\.0\.124 needed/);
  assert.match(text, /AA-00-00-00-00-0E\s+LockedOut .*locked until 2026-11-23T09:15:00Z/);
  assert.match(text, /AA-00-00-00-00-0B\s+SignedIn\s+location "Desk B"; user bob@contoso.com/);
  for (const c of Object.values(await w.secrets.load('mixed'))) {
    assert.not.ok(text.includes(c.code));
    assert.not.ok(JSON.stringify(toResourceStatus(s)).includes(c.code));
  }
});

test('the resource status copies device fields by name: a code in a stored status (an older or hand-edited file) does not reach it', async () => {
  const { w, s } = await everyState();
  const code = (await w.secrets.load('mixed'))[A]!.code;
  const tampered = { ...s, devices: s.devices.map((d) => (d.macAddress === A ? { ...d, code, verificationCode: code } : d)) };
  const status = toResourceStatus(tampered);
  assert.not.ok(JSON.stringify(status).includes(code));
  const kept = Object.keys(s.devices[0]!).filter((k) => !['codeHash', 'codeIssuedAt', 'codesIssued', 'regenerateToken'].includes(k));
  assert.equal(Object.keys(status.devices[0]!).sort(), kept.sort(), 'the declared fields are all still there, but the code\'s verifier and bookkeeping (state store only)');
  assert.is(status.devices[0]!.codeHash, undefined);
});

test.run();
