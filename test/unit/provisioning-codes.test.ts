import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CODE_ALPHABET, CODE_LENGTH, generateCode } from '../../controller/provisioning/codes.ts';
import { hashCode, isCodeHash, verifyCode } from '../../controller/drivers/code-verifier.ts';
import { checkFirmware, minimumFirmwareFor, MINIMUM_FIRMWARE } from '../../controller/api/minimum-firmware.ts';

test('codes are 10 characters of an alphabet without look-alikes, and differ from one another', () => {
  const codes = new Set(Array.from({ length: 500 }, generateCode));
  assert.is(codes.size, 500);
  for (const c of codes) {
    assert.is(c.length, CODE_LENGTH);
    for (const ch of c) assert.ok(CODE_ALPHABET.includes(ch), `${ch} in ${c}`);
  }
  for (const lookAlike of ['0', 'O', '1', 'I', 'L']) assert.not.ok(CODE_ALPHABET.includes(lookAlike), lookAlike);
});

test('a verifier checks its own code, typed in any case or with spaces, and no other', async () => {
  const code = generateCode();
  const verifier = await hashCode(code);
  assert.ok(isCodeHash(verifier));
  assert.not.ok(verifier.includes(code));
  assert.ok(await verifyCode(code, verifier));
  assert.ok(await verifyCode(` ${code.slice(0, 5).toLowerCase()}-${code.slice(5)} `, verifier));
  assert.not.ok(await verifyCode(generateCode(), verifier));
  assert.not.ok(await verifyCode('', verifier));
});

test('the same code hashes differently each time (salted)', async () => {
  const code = generateCode();
  const a = await hashCode(code);
  const b = await hashCode(code);
  assert.is.not(a, b);
  assert.ok(await verifyCode(code, a));
  assert.ok(await verifyCode(code, b));
});

test('a malformed or too costly verifier is refused, never run', async () => {
  const good = await hashCode('ABCDEFGHJK');
  const [, , r, p, salt, hash] = good.split('$');
  for (const bad of ['', 'ABCDEFGHJK', `scrypt$1000$${r}$${p}$${salt}$${hash}`, `scrypt$134217728$${r}$${p}$${salt}$${hash}`, `sha256$${salt}$${hash}`, `${good}$x`]) {
    assert.not.ok(isCodeHash(bad), bad);
    assert.not.ok(await verifyCode('ABCDEFGHJK', bad), bad);
  }
});

test("seed 004's minimum firmware table is kept whole, one row per line of the seed", () => {
  const flat = MINIMUM_FIRMWARE.flatMap((r) => r.models.map((m) => `${r.manufacturer} ${m} ${r.version}`));
  assert.equal(flat, [
    'Yealink T55 58.15.0.124', 'Yealink T56 58.15.0.124', 'Yealink T58 58.15.0.124',
    'Yealink VP59 91.15.0.58', 'Yealink CP960 73.15.0.117',
    'Yealink MP56 122.15.0.36', 'Yealink MP54 122.15.0.36', 'Yealink MP58 122.15.0.36',
    'Crestron UC-2 1.0.3.52', 'Poly Trio C60 7.0.2.1071',
    'Poly CCX400 7.0.2.1072', 'Poly CCX500 7.0.2.1072', 'Poly CCX600 7.0.2.1072',
    'AudioCodes C448HD 1.10.120', 'AudioCodes C450HD 1.10.120', 'AudioCodes C470HD 1.10.120',
    'Crestron 770 1.004.0115', 'Crestron 1070 1.004.0115',
  ]);
  assert.is(MINIMUM_FIRMWARE.find((r) => r.models.includes('770'))!.category, 'Teams panels');
});

test('models are found whatever their spelling: case, spaces, dashes, maker prefix, variant letter', () => {
  const cases: [string | undefined, string, string | undefined][] = [
    ['Yealink', 'T58', '58.15.0.124'],
    ['yealink', 'Yealink T58A', '58.15.0.124'],
    [undefined, 'mp54', '122.15.0.36'],
    ['Poly', 'Trio C60', '7.0.2.1071'],
    ['Polycom', 'CCX 500', '7.0.2.1072'],
    ['Audio Codes', 'C450HD', '1.10.120'],
    ['Crestron', 'UC2', '1.0.3.52'],
    ['Crestron', 'TSS-1070', '1.004.0115'],
    ['Yealink', 'T550', undefined],
    ['Yealink', 'UC-2', undefined],
    ['Logitech', 'Tap', undefined],
  ];
  for (const [maker, model, version] of cases) assert.is(minimumFirmwareFor(maker, model)?.version, version, `${maker} ${model}`);
});

test('firmware is compared part by part: below the minimum is held, at or above it passes', () => {
  assert.equal(checkFirmware('Yealink', 'T58', '58.15.0.99'), { ok: false, required: '58.15.0.124', row: minimumFirmwareFor('Yealink', 'T58')! });
  assert.ok(checkFirmware('Yealink', 'T58', '58.15.0.124').ok);
  assert.ok(checkFirmware('Yealink', 'T58', '58.16.0.1').ok);
  assert.not.ok(checkFirmware('Crestron', '770', '1.004.0114').ok);
  assert.ok(checkFirmware('Crestron', '770', '1.4.115').ok, '1.004.0115 reads as 1.4.115');
  assert.not.ok(checkFirmware('Yealink', 'T58', 'garbage').ok, 'an unreadable version is not shown to be new enough');
  assert.ok(checkFirmware('Logitech', 'Tap', '0.1').ok, 'models outside the seed table are not held');
});

test.run();
