// The provisioning decisions (controller/provisioning/decisions.ts), tested directly: each is a pure function
// of what the pass gathered, answering with a reason code. Tables keyed by sentences, as for the planner.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BackendProvisioningRecord } from '../../controller/drivers/provisioning.ts';
import {
  activatedStanding, awaitingStanding, codeReason, forgetReason, registerReason, signInStanding, type CodeInput,
} from '../../controller/provisioning/decisions.ts';

const MAC = 'AA-BB-CC-00-00-01';
const NOW = Date.parse('2026-11-23T09:00:00Z');
const HASH = 'scrypt$4096$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
const issued = { macAddress: MAC, codeHash: HASH, codeIssuedAt: '2026-11-23T08:00:00Z', codeExpiresAt: '2026-11-24T08:00:00Z' };
const input = (over: Partial<CodeInput> = {}): CodeInput => ({
  device: issued, keptCodeHash: HASH, now: NOW, batchRegeneration: false, annotationToken: undefined, requests: [], ...over,
});

const CODE_CASES: [string, CodeInput, string | undefined][] = [
  ['a device that never had a code gets one', input({ device: { macAddress: MAC }, keptCodeHash: undefined }), 'NoCode'],
  ['a code whose plaintext was lost is replaced (nothing to export)', input({ keptCodeHash: undefined }), 'SecretMissing'],
  ['a kept plaintext of another code is as good as lost', input({ keptCodeHash: HASH.replace('aGFz', 'bGFz') }), 'SecretMissing'],
  ['a code is valid 24 hours (seed 004): at its expiry it is replaced', input({ now: Date.parse('2026-11-24T08:00:00Z') }), 'Expired'],
  ['a changed spec.regenerateCodes replaces it', input({ batchRegeneration: true }), 'BatchRegenerationRequested'],
  ['a new annotation token replaces it', input({ annotationToken: '2' }), 'DeviceRegenerationRequested'],
  ['the token already honoured does not', input({ device: { ...issued, regenerateToken: '2' }, annotationToken: '2' }), undefined],
  ['a request dated after the code was issued replaces it', input({ requests: [{ batch: 'b', requestedAt: '2026-11-23T08:30:00Z' }] }), 'RegenerationRequested'],
  ['a request for another device does not', input({ requests: [{ batch: 'b', macAddress: 'AA-BB-CC-00-00-02', requestedAt: '2026-11-23T08:30:00Z' }] }), undefined],
  ['a request the code already answers does not', input({ requests: [{ batch: 'b', requestedAt: '2026-11-23T07:00:00Z' }] }), undefined],
  ['a valid code with its plaintext kept stays', input(), undefined],
  ['the first check that objects wins: lost and expired is SecretMissing', input({ keptCodeHash: undefined, now: NOW + 2 * 86_400_000 }), 'SecretMissing'],
];
for (const [name, i, want] of CODE_CASES) test(`code: ${name}`, () => assert.is(codeReason(i), want));

const rec = (over: Partial<BackendProvisioningRecord>): BackendProvisioningRecord => ({ macAddress: MAC, state: 'AwaitingActivation', ...over });
const t58 = { manufacturer: 'Yealink', model: 'T58', firmwareVersion: '58.15.0.124' };
const oldT58 = { ...t58, firmwareVersion: '58.14.0.1' };

test('standing: an activated device with a declared user not yet asked for is signed in now (SignInNeeded)', () => {
  assert.equal(activatedStanding(t58, rec({ state: 'AwaitingSignIn' }), 'ada@contoso.com'), { state: 'AwaitingSignIn', reason: 'SignInNeeded' });
});
test('standing: a sign-in already pending for the declared user is not asked for again', () => {
  const s = activatedStanding(t58, rec({ state: 'AwaitingSignIn', user: 'ada@contoso.com' }), 'ada@contoso.com');
  assert.equal([s.reason, s.message], ['SignInPending', 'remote sign-in of ada@contoso.com pending']);
});
test('standing: without a declared user, the user signs in on the device', () => {
  assert.is(activatedStanding(t58, rec({ state: 'AwaitingSignIn' }), undefined).reason, 'NoUserDeclared');
});
test('standing: an activated device below seed 004 minimum firmware is FirmwareTooOld and not signed in', () => {
  const s = activatedStanding(oldT58, rec({ state: 'AwaitingSignIn' }), 'ada@contoso.com');
  assert.equal([s.state, s.reason, s.requiredFirmware], ['FirmwareTooOld', 'FirmwareTooOld', '58.15.0.124']);
  assert.is(s.message, 'Yealink T58 needs firmware 58.15.0.124 or newer for remote sign-in; it runs 58.14.0.1');
});
test('standing: the back end saying SignedIn is final', () => {
  assert.is(activatedStanding(oldT58, rec({ state: 'SignedIn' }), 'ada@contoso.com').state, 'SignedIn');
});
test('standing: the answer to a sign-in — done, pending, or refused with the back end\'s reason', () => {
  assert.is(signInStanding({ accepted: true, record: rec({ state: 'SignedIn' }) }, 'ada@contoso.com').state, 'SignedIn');
  assert.is(signInStanding({ accepted: true, record: rec({ state: 'AwaitingSignIn' }) }, 'ada@contoso.com').reason, 'SignInPending');
  const refused = signInStanding({ accepted: false, reason: 'NotAwaitingSignIn' }, 'ada@contoso.com');
  assert.equal([refused.reason, refused.message], ['SignInRefused', 'remote sign-in refused: NotAwaitingSignIn']);
});
test('standing: a device not activated is LockedOut while the back end locks it, with until when', () => {
  const s = awaitingStanding(t58, rec({ state: 'LockedOut', lockedUntil: '2026-11-23T09:15:00Z' }));
  assert.equal([s.state, s.lockedUntil], ['LockedOut', '2026-11-23T09:15:00Z']);
});
test('standing: a device not activated is FirmwareTooOld below the minimum, else AwaitingActivation', () => {
  assert.is(awaitingStanding(oldT58, rec({})).state, 'FirmwareTooOld');
  assert.is(awaitingStanding(t58, rec({})).state, 'AwaitingActivation');
  assert.is(awaitingStanding({}, undefined).state, 'AwaitingActivation', 'not powered on yet: nothing known of its firmware');
});

const awaiting = { state: 'AwaitingActivation' as const, codeHash: HASH, codeExpiresAt: '2026-11-24T08:00:00Z', location: 'Desk 1' };
const REGISTER_CASES: [string, Parameters<typeof registerReason>, string | undefined][] = [
  ['a new code is registered', [awaiting, true, rec({ codeExpiresAt: awaiting.codeExpiresAt, location: 'Desk 1' })], 'NewCode'],
  ['a device the back end does not know is registered', [awaiting, false, undefined], 'NotRegistered'],
  ['a back end holding another expiry is brought up to date', [awaiting, false, rec({ codeExpiresAt: '2026-11-23T00:00:00Z', location: 'Desk 1' })], 'ExpiryDiffers'],
  ['a moved device\'s location is sent again', [awaiting, false, rec({ codeExpiresAt: awaiting.codeExpiresAt, location: 'Desk 2' })], 'LocationDiffers'],
  ['an up-to-date copy is left alone', [awaiting, false, rec({ codeExpiresAt: awaiting.codeExpiresAt, location: 'Desk 1' })], undefined],
  ['an activated device is never registered again', [{ ...awaiting, state: 'AwaitingSignIn' }, true, undefined], undefined],
  ['a device without a code has nothing to register', [{ ...awaiting, codeHash: undefined }, false, undefined], undefined],
];
for (const [name, args, want] of REGISTER_CASES) test(`register: ${name}`, () => assert.is(registerReason(...args), want));

test('forget: a device no longer declared is removed from the back end unless unknown there or signed in', () => {
  assert.is(forgetReason(rec({})), 'NoLongerDeclared');
  assert.is(forgetReason(rec({ state: 'LockedOut' })), 'NoLongerDeclared');
  assert.is(forgetReason(rec({ state: 'SignedIn' })), undefined);
  assert.is(forgetReason(undefined), undefined);
});

test.run();
