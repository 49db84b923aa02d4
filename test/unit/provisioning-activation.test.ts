// The device side (seed 004): a powered-on device activates with MAC + code; wrong or expired codes are
// refused; attempts per MAC are rate-limited; the back end reports what it knows.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { aBatch, aT58, aWorld, MINUTE } from '../support/provisioning.ts';
import { generateCode } from '../../controller/provisioning/codes.ts';
import { SimulatedProvisioningBackend } from '../../controller/drivers/simulator/provisioning.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MAC = 'AA-BB-CC-00-00-01';
const batch = () => aBatch('desks', [{ mac: 'aa:bb:cc:00:00:01', location: 'Desk 1' }]);

test('a code issued at 09:00 is valid at 08:59:59 the next day and refused at 09:00:00, then replaced', async () => {
  const w = aWorld('2026-11-23T09:00:00Z');
  w.backend.powerOn(MAC, aT58());
  await w.pass([batch()]);
  const first = (await w.code('desks', MAC))!;
  assert.is((await w.device('desks', MAC))!.codeExpiresAt, '2026-11-24T09:00:00Z');

  w.clock.set('2026-11-24T09:00:00Z');
  assert.equal(await w.backend.activate(MAC, first), { activated: false, reason: 'CodeExpired' });

  await w.pass([batch()]);
  const second = (await w.code('desks', MAC))!;
  assert.is.not(second, first);
  const d = (await w.device('desks', MAC))!;
  assert.is(d.state, 'AwaitingActivation');
  assert.is(d.codeExpiresAt, '2026-11-25T09:00:00Z');
  assert.is(d.codesIssued, 2);
  assert.ok(w.logs.some((l) => l.msg === 'provisioning code issued' && (l.obj as { reason?: string }).reason === 'Expired'));
  assert.equal(await w.backend.activate(MAC, first), { activated: false, reason: 'WrongCode' }, 'the old code stays dead');
  assert.ok((await w.backend.activate(MAC, second)).activated);
});

test('one second before expiry the code still activates the device', async () => {
  const w = aWorld('2026-11-23T09:00:00Z');
  w.backend.powerOn(MAC, aT58());
  await w.pass([batch()]);
  const code = (await w.code('desks', MAC))!;
  w.clock.set('2026-11-24T08:59:59Z');
  const res = await w.backend.activate(MAC, code);
  assert.ok(res.activated);
  assert.is((await w.backend.get(MAC))!.state, 'AwaitingSignIn');
});

test('five wrong codes within 15 minutes lock the MAC out, even against the right code, and the lock lapses', async () => {
  const w = aWorld();
  w.backend.powerOn(MAC, aT58());
  await w.pass([batch()]);
  const code = (await w.code('desks', MAC))!;
  for (let i = 0; i < 4; i++) {
    assert.is((await w.backend.activate(MAC, generateCode())).activated, false);
    w.clock.advance(2 * MINUTE);
  }
  assert.is((await w.backend.get(MAC))!.state, 'AwaitingActivation', 'four failures do not lock');
  const fifth = await w.backend.activate(MAC, generateCode());
  assert.equal(fifth, { activated: false, reason: 'WrongCode' });
  const lockedAt = w.clock.now().getTime();

  const locked = await w.backend.activate(MAC, code);
  assert.equal(locked, { activated: false, reason: 'LockedOut', retryAt: new Date(lockedAt + 15 * MINUTE).toISOString().replace('.000Z', 'Z') });
  const statuses = await w.pass([batch()]);
  assert.is(statuses[0]!.counts.LockedOut, 1);
  const d = (await w.device('desks', MAC))!;
  assert.is(d.state, 'LockedOut');
  assert.is(d.lockedUntil, locked.activated ? undefined : locked.retryAt);
  assert.is(await w.code('desks', MAC), code, 'a lock-out does not change the code');

  w.clock.advance(15 * MINUTE - 1000);
  assert.is((await w.backend.activate(MAC, code)).activated, false, 'still locked one second before the end');
  w.clock.advance(1000);
  assert.ok((await w.backend.activate(MAC, code)).activated, 'accepted once the lock lapsed');
});

test('wrong codes spread wider than 15 minutes never lock', async () => {
  const w = aWorld();
  w.backend.powerOn(MAC, aT58());
  await w.pass([batch()]);
  for (let i = 0; i < 12; i++) {
    assert.equal(await w.backend.activate(MAC, generateCode()), { activated: false, reason: 'WrongCode' }, `attempt ${i + 1}`);
    w.clock.advance(4 * MINUTE);
  }
  assert.ok((await w.backend.activate(MAC, (await w.code('desks', MAC))!)).activated);
});

test('guessing at a MAC nobody registered is rate-limited too', async () => {
  const w = aWorld();
  const stranger = 'AA-BB-CC-99-99-99';
  w.backend.powerOn(stranger, aT58());
  for (let i = 0; i < 5; i++) assert.is((await w.backend.activate(stranger, generateCode())).activated, false);
  const res = await w.backend.activate(stranger, generateCode());
  assert.is(res.activated ? 'activated' : res.reason, 'LockedOut');
});

test('a device not powered on, or on firmware too old for remote provisioning, cannot activate and nothing is counted', async () => {
  const w = aWorld();
  await w.pass([batch()]);
  const code = (await w.code('desks', MAC))!;
  assert.equal(await w.backend.activate(MAC, code), { activated: false, reason: 'NotPoweredOn' });
  w.backend.powerOn(MAC, aT58('58.15.0.20'));
  for (let i = 0; i < 6; i++) {
    assert.equal(await w.backend.activate(MAC, code), { activated: false, reason: 'FirmwareTooOld', requiredFirmware: '58.15.0.124' });
  }
  w.backend.setFirmware(MAC, '58.15.0.124');
  assert.ok((await w.backend.activate(MAC, code)).activated);
});

test('an activated device cannot be activated again, and remote sign-in needs an activated device', async () => {
  const w = aWorld();
  w.backend.powerOn(MAC, aT58());
  await w.pass([batch()]);
  assert.equal(await w.backend.signIn(MAC, 'ada@contoso.com'), { accepted: false, reason: 'NotAwaitingSignIn', record: (await w.backend.get(MAC))! });
  assert.equal(await w.backend.signIn('AA-BB-CC-12-34-56', 'ada@contoso.com'), { accepted: false, reason: 'UnknownDevice' });
  const code = (await w.code('desks', MAC))!;
  assert.ok((await w.backend.activate(MAC, code)).activated);
  assert.equal(await w.backend.activate(MAC, code), { activated: false, reason: 'AlreadyActivated' });
  const signedIn = await w.backend.signIn(MAC, 'ada@contoso.com');
  assert.ok(signedIn.accepted);
  assert.is((await w.backend.get(MAC))!.state, 'SignedIn');
});

test('the back end refuses a registration whose code is not a verifier (a plaintext code, say)', async () => {
  const w = aWorld();
  let error: Error | undefined;
  try {
    await w.backend.register({ macAddress: MAC, codeHash: 'ABCDEFGHJK', codeExpiresAt: '2026-11-24T09:00:00Z' });
  } catch (err) {
    error = err as Error;
  }
  assert.match(error?.message ?? '', /not a code verifier/);
  assert.equal(await w.backend.list(), [], 'nothing was registered');
});

test('a back end with a state file keeps registrations, activations and lock-outs across a restart, and no code', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetward-prov-backend-'));
  try {
    const w = aWorld();
    const persistPath = join(dir, 'provisioning.json');
    const first = new SimulatedProvisioningBackend({ clock: w.clock, persistPath });
    const other = 'AA-BB-CC-00-00-02';
    const two = aBatch('desks', [{ mac: MAC }, { mac: other }]);
    first.powerOn(MAC, aT58());
    first.powerOn(other, aT58());
    await w.pass([two], { driver: first });
    const codes = await w.secrets.load('desks');
    assert.ok((await first.activate(MAC, codes[MAC]!.code)).activated);
    for (let i = 0; i < 5; i++) await first.activate(other, generateCode());

    const second = new SimulatedProvisioningBackend({ clock: w.clock, persistPath });
    assert.equal(await second.list(), await first.list());
    assert.equal((await second.list()).map((r) => r.state), ['AwaitingSignIn', 'LockedOut']);
    w.clock.advance(15 * MINUTE);
    assert.ok((await second.activate(other, codes[other]!.code)).activated, 'the verifier survived the restart');
    const file = readFileSync(persistPath, 'utf8');
    for (const c of Object.values(codes)) assert.not.ok(file.includes(c.code));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
