// The provisioning step of a reconcile pass: level-triggered and idempotent; codes kept valid, regenerated on
// request; firmware too old holds a device until an update brings it to the seed's minimum; remote sign-in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { aBatch, aT58, aWorld, HOUR } from '../support/provisioning.ts';
import { REGENERATE_ANNOTATION_PREFIX } from '../../controller/provisioning/reconcile.ts';
import type { ProvisioningBatchStatus } from '../../controller/provisioning/status.ts';

const A = 'AA-BB-CC-00-00-0A';
const B = 'AA-BB-CC-00-00-0B';
const C = 'AA-BB-CC-00-00-0C';
const desks = (opts: Parameters<typeof aBatch>[2] = {}) =>
  aBatch('desks', [{ mac: A, location: 'Desk A', user: 'ada@contoso.com' }, { mac: B, location: 'Desk B' }, { mac: C, location: 'Lobby, east' }], opts);

async function codesOf(w: ReturnType<typeof aWorld>): Promise<Record<string, string>> {
  return Object.fromEntries(Object.entries(await w.secrets.load('desks')).map(([mac, c]) => [mac, c.code]));
}

test('the first pass issues one code per device, registers only its verifier, and reports AwaitingActivation', async () => {
  const w = aWorld('2026-11-23T09:00:00Z');
  const [s] = await w.pass([desks()]);
  assert.equal(s!.counts, { AwaitingActivation: 3, AwaitingSignIn: 0, SignedIn: 0, Expired: 0, FirmwareTooOld: 0, LockedOut: 0 });
  const codes = await codesOf(w);
  assert.equal(Object.keys(codes).sort(), [A, B, C]);
  const registered = await w.backend.list();
  assert.equal(registered.map((r) => [r.macAddress, r.state, r.location, r.codeExpiresAt]), [
    [A, 'AwaitingActivation', 'Desk A', '2026-11-24T09:00:00Z'],
    [B, 'AwaitingActivation', 'Desk B', '2026-11-24T09:00:00Z'],
    [C, 'AwaitingActivation', 'Lobby, east', '2026-11-24T09:00:00Z'],
  ]);
  const statusText = JSON.stringify(await w.store.loadAll());
  for (const code of Object.values(codes)) assert.not.ok(statusText.includes(code), 'no code in status');
  for (const d of s!.devices) assert.match(d.codeHash!, /^scrypt\$/);
});

test('a second pass with nothing new changes nothing: same codes, no status write, no log line', async () => {
  const w = aWorld();
  await w.pass([desks()]);
  const codes = await codesOf(w);
  const status = await w.store.loadAll();
  const logged = w.logs.length;
  w.clock.advance(HOUR);
  const again = await w.pass([desks()]);
  assert.equal(await codesOf(w), codes);
  assert.equal(await w.store.loadAll(), status);
  assert.equal(again, status);
  assert.is(w.logs.length, logged);
});

test('changing spec.regenerateCodes replaces every code of the batch not yet used, once', async () => {
  const w = aWorld();
  w.backend.powerOn(A, aT58());
  await w.pass([desks({ regenerateCodes: '1' })]);
  const before = await codesOf(w);
  assert.ok((await w.backend.activate(A, before[A]!)).activated);
  await w.pass([desks({ regenerateCodes: '1' })]);
  assert.equal(await codesOf(w), { [B]: before[B], [C]: before[C] }, 'same value: no regeneration; A activated and its code dropped');

  await w.pass([desks({ regenerateCodes: '2' })]);
  const after = await codesOf(w);
  assert.equal(Object.keys(after).sort(), [B, C]);
  assert.is.not(after[B], before[B]);
  assert.is.not(after[C], before[C]);
  assert.is((await w.backend.get(A))!.state, 'SignedIn', 'the activated device was left alone (and signed in)');
  await w.pass([desks({ regenerateCodes: '2' })]);
  assert.equal(await codesOf(w), after, 'honoured once');
});

test('the annotation for one MAC replaces that device\'s code only, each time its value changes', async () => {
  const w = aWorld();
  await w.pass([desks()]);
  const before = await codesOf(w);
  const annotated = (v: string) => desks({ annotations: { [REGENERATE_ANNOTATION_PREFIX + B]: v } });
  await w.pass([annotated('lost-sheet')]);
  const after = await codesOf(w);
  assert.is.not(after[B], before[B]);
  assert.is(after[A], before[A]);
  assert.is(after[C], before[C]);
  await w.pass([annotated('lost-sheet')]);
  assert.equal(await codesOf(w), after, 'same value: nothing more');
  await w.pass([annotated('lost-again')]);
  assert.is.not((await codesOf(w))[B], after[B]);
  assert.is((await w.device('desks', B))!.codesIssued, 3);
});

test('a regeneration request (fleetward provision regenerate) for one device is honoured once, and survives a restart', async () => {
  const w = aWorld('2026-11-23T09:00:00Z');
  await w.pass([desks()]);
  const before = await codesOf(w);
  w.clock.advance(HOUR);
  w.requests.push({ batch: 'desks', macAddress: C, requestedAt: w.clock.now().toISOString() });
  await w.pass([desks()]);
  const after = await codesOf(w);
  assert.is.not(after[C], before[C]);
  assert.equal({ ...after, [C]: before[C] }, before);
  await w.pass([desks()]);
  await w.pass([desks()]);
  assert.equal(await codesOf(w), after, 'a request already honoured is not honoured again');
  assert.is((await w.device('desks', C))!.codeExpiresAt, '2026-11-24T10:00:00Z');
});

test('a request for the whole batch replaces every code; a request dated in the future waits', async () => {
  const w = aWorld('2026-11-23T09:00:00Z');
  await w.pass([desks()]);
  const before = await codesOf(w);
  w.requests.push({ batch: 'desks', requestedAt: '2026-11-23T12:00:00Z' });
  w.clock.set('2026-11-23T11:00:00Z');
  await w.pass([desks()]);
  assert.equal(await codesOf(w), before);
  w.clock.set('2026-11-23T12:00:00Z');
  await w.pass([desks()]);
  const after = await codesOf(w);
  for (const mac of [A, B, C]) assert.is.not(after[mac], before[mac]);
});

test('a device below its model\'s minimum firmware is FirmwareTooOld with the version it needs, and continues once updated', async () => {
  const w = aWorld();
  w.backend.powerOn(A, aT58('58.14.0.9'));
  let [s] = await w.pass([desks()]);
  let a = s!.devices.find((d) => d.macAddress === A)!;
  assert.is(a.state, 'FirmwareTooOld');
  assert.is(a.requiredFirmware, '58.15.0.124');
  assert.is(a.firmwareVersion, '58.14.0.9');
  assert.match(a.message!, /needs firmware 58\.15\.0\.124 or newer; it runs 58\.14\.0\.9/);
  assert.is(s!.counts.FirmwareTooOld, 1);
  const code = (await w.code('desks', A))!;
  assert.is((await w.backend.activate(A, code)).activated, false);

  // A firmware update lands (the update loop's doing); nobody touches the batch.
  w.backend.setFirmware(A, '58.15.0.124');
  [s] = await w.pass([desks()]);
  a = s!.devices.find((d) => d.macAddress === A)!;
  assert.is(a.state, 'AwaitingActivation');
  assert.is(a.requiredFirmware, undefined);
  assert.is(await w.code('desks', A), code, 'the code issued while held still works');
  assert.ok((await w.backend.activate(A, code)).activated);
  [s] = await w.pass([desks()]);
  assert.is(s!.devices.find((d) => d.macAddress === A)!.state, 'SignedIn');
});

test('activation leads to remote sign-in of the declared user; without a user the device waits for one on the device', async () => {
  const w = aWorld();
  for (const mac of [A, B]) w.backend.powerOn(mac, aT58());
  await w.pass([desks()]);
  for (const mac of [A, B]) assert.ok((await w.backend.activate(mac, (await w.code('desks', mac))!)).activated);
  const [s] = await w.pass([desks()]);
  const byMac = Object.fromEntries(s!.devices.map((d) => [d.macAddress, d]));
  assert.is(byMac[A]!.state, 'SignedIn');
  assert.is(byMac[A]!.user, 'ada@contoso.com');
  assert.is((await w.backend.get(A))!.user, 'ada@contoso.com');
  assert.is(byMac[B]!.state, 'AwaitingSignIn');
  assert.match(byMac[B]!.message!, /no user declared/);
  assert.is(byMac[A]!.codeHash, undefined, 'an activated device keeps no code');
  assert.is(byMac[A]!.codeExpiresAt, undefined);
  assert.equal(Object.keys(await codesOf(w)), [C], 'the secret store forgets used codes');
  assert.equal(s!.counts, { AwaitingActivation: 1, AwaitingSignIn: 1, SignedIn: 1, Expired: 0, FirmwareTooOld: 0, LockedOut: 0 });
  w.backend.signInOnDevice(B, 'bob@contoso.com');
  const [t] = await w.pass([desks()]);
  assert.is(t!.devices.find((d) => d.macAddress === B)!.state, 'SignedIn');
});

test('a lost secret store is healed: the device gets a new code rather than a code nobody can read', async () => {
  const w = aWorld();
  await w.pass([desks()]);
  const before = await codesOf(w);
  await w.secrets.save('desks', {});
  await w.pass([desks()]);
  const after = await codesOf(w);
  for (const mac of [A, B, C]) assert.is.not(after[mac], before[mac]);
  assert.ok(w.logs.some((l) => (l.obj as { reason?: string }).reason === 'SecretMissing'));
});

test('a back end that lost a registration gets it again, with the same code', async () => {
  const w = aWorld();
  w.backend.powerOn(B, aT58());
  await w.pass([desks()]);
  const code = (await w.code('desks', B))!;
  await w.backend.unregister(B);
  await w.pass([desks()]);
  assert.is(await w.code('desks', B), code);
  assert.ok((await w.backend.activate(B, code)).activated);
});

test('a device removed from the batch, or a batch removed, is forgotten at the back end and in the secret store', async () => {
  const w = aWorld();
  const other = aBatch('rooms', [{ mac: 'AA-BB-CC-00-00-FF' }]);
  await w.pass([desks(), other]);
  assert.is((await w.backend.list()).length, 4);
  const fewer = aBatch('desks', [{ mac: A, location: 'Desk A' }]);
  await w.pass([fewer]);
  assert.equal((await w.backend.list()).map((r) => r.macAddress), [A]);
  assert.equal(Object.keys(await codesOf(w)), [A]);
  assert.equal(await w.secrets.batches(), ['desks']);
  assert.equal((await w.store.loadAll()).map((s: ProvisioningBatchStatus) => s.batch), ['desks']);
});

test('a device moved to another batch keeps its activation', async () => {
  const w = aWorld();
  w.backend.powerOn(B, aT58());
  await w.pass([desks()]);
  assert.ok((await w.backend.activate(B, (await w.code('desks', B))!)).activated);
  const [first, second] = await w.pass([aBatch('desks', [{ mac: A }, { mac: C }]), aBatch('moved', [{ mac: B, user: 'bob@contoso.com' }])]);
  assert.is(first!.devices.length, 2);
  assert.is(second!.devices[0]!.state, 'SignedIn');
  assert.is((await w.backend.get(B))!.user, 'bob@contoso.com');
});

test('a back end that refuses registration leaves an expired code reported as Expired, and the next pass heals it', async () => {
  const w = aWorld('2026-11-23T09:00:00Z');
  await w.pass([desks()]);
  w.clock.set('2026-11-24T09:00:00Z');
  const failing = Object.create(w.backend) as typeof w.backend;
  failing.register = async () => { throw new Error('back end unavailable'); };
  failing.list = () => w.backend.list();
  const [s] = await w.pass([desks()], { driver: failing });
  assert.equal(s!.devices.map((d) => d.state), ['Expired', 'Expired', 'Expired']);
  assert.is(s!.counts.Expired, 3);
  assert.match(s!.devices[0]!.message!, /back end unavailable/);
  const [t] = await w.pass([desks()]);
  assert.equal(t!.devices.map((d) => d.state), ['AwaitingActivation', 'AwaitingActivation', 'AwaitingActivation']);
  const code = (await w.code('desks', A))!;
  w.backend.powerOn(A, aT58());
  assert.ok((await w.backend.activate(A, code)).activated, 'the code issued during the outage reached the back end on the next pass');
});

test('a new location reaches the back end with the same code', async () => {
  const w = aWorld();
  await w.pass([desks()]);
  const before = await codesOf(w);
  const moved = aBatch('desks', [{ mac: A, location: 'Desk A, by the window', user: 'ada@contoso.com' }, { mac: B, location: 'Desk B' }, { mac: C, location: 'Lobby, east' }]);
  const [s] = await w.pass([moved]);
  assert.is(s!.devices[0]!.location, 'Desk A, by the window');
  assert.is((await w.backend.get(A))!.location, 'Desk A, by the window');
  assert.equal(await codesOf(w), before);
});

test('a back end that cannot be listed fails the step and changes no status, code or registration', async () => {
  const w = aWorld();
  await w.pass([desks()]);
  const status = await w.store.loadAll();
  const codes = await codesOf(w);
  w.clock.advance(25 * HOUR);
  const down = Object.create(w.backend) as typeof w.backend;
  down.list = async () => { throw new Error('connection refused'); };
  let error: Error | undefined;
  try {
    await w.pass([desks({ regenerateCodes: 'x' })], { driver: down });
  } catch (err) {
    error = err as Error;
  }
  assert.match(error?.message ?? '', /connection refused/);
  assert.equal(await w.store.loadAll(), status);
  assert.equal(await codesOf(w), codes);
  assert.equal((await w.backend.list()).map((r) => r.codeExpiresAt), [status[0]!.devices[0]!.codeExpiresAt, status[0]!.devices[1]!.codeExpiresAt, status[0]!.devices[2]!.codeExpiresAt]);
});

test('a MAC that slipped into two batches is kept by the first batch by name, and the second is warned about', async () => {
  const w = aWorld();
  const [a, b] = await w.pass([aBatch('zeta', [{ mac: A }, { mac: B }]), aBatch('alpha', [{ mac: A }])]);
  assert.equal(a!.batch, 'alpha');
  assert.equal(a!.devices.map((d) => d.macAddress), [A]);
  assert.equal(b!.devices.map((d) => d.macAddress), [B]);
  assert.ok(w.logs.some((l) => l.level === 'warn' && /declared twice/.test(l.msg)));
  assert.equal(Object.keys(await w.secrets.load('zeta')), [B]);
});

test.run();
