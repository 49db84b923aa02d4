// Redaction of secrets in pieces (util/redact.ts): any run of 8+ characters that also occurs in a known
// secret is replaced, wherever it sits; shorter runs and unrelated text are left alone; JSON text stays
// valid JSON.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { REDACTED, Redactor, redactValue } from '../../controller/util/redact.ts';

const TOKEN = 'gr4ph-T0ken-7f3a9c21e8b54d6f0a1b2c3d';
const CLIENT_SECRET = 'cl13nt~S3cret.Q8v_Zp';
const WEBHOOK = 'whsec-0123456789abcdef';

function redactor(...secrets: string[]): Redactor {
  const r = new Redactor();
  for (const s of secrets) r.add(s);
  return r;
}

const cases: [string, string, string][] = [
  ['the whole token', `Authorization: Bearer ${TOKEN}`, `Authorization: Bearer ${REDACTED}`],
  ['a 23-character prefix echoed by a back end', `invalid token ${TOKEN.slice(0, 23)}...`, `invalid token ${REDACTED}...`],
  ['a piece from the middle', `got ${TOKEN.slice(10, 19)} here`, `got ${REDACTED} here`],
  ['the last 8 characters', `suffix ${TOKEN.slice(-8)}`, `suffix ${REDACTED}`],
  ['7 characters are not a fragment', `prefix ${TOKEN.slice(0, 7)}!`, `prefix ${TOKEN.slice(0, 7)}!`],
  ['a piece of the client secret', `client ${CLIENT_SECRET.slice(4, 16)} rejected`, `client ${REDACTED} rejected`],
  ['a piece of the webhook secret', `sig for ${WEBHOOK.slice(6)}`, `sig for ${REDACTED}`],
  ['two pieces of two secrets in one line', `${TOKEN.slice(0, 9)} and ${WEBHOOK.slice(0, 9)}`, `${REDACTED} and ${REDACTED}`],
  ['text that shares no 8 characters with a secret is untouched', 'device p1 firmware 122.15.0.44 failed: timeout', 'device p1 firmware 122.15.0.44 failed: timeout'],
];
for (const [name, text, expected] of cases) {
  test(name, () => assert.is(redactor(TOKEN, CLIENT_SECRET, WEBHOOK).redact(text), expected));
}

test('a secret shorter than 8 characters is replaced only whole, and one under 4 not at all', () => {
  const r = redactor('s3cr3t', 'ab');
  assert.is(r.redact('pw s3cr3t, s3cr, ab'), `pw ${REDACTED}, s3cr, ab`);
});

test('with no secret registered, text comes back as it is', () => {
  const text = 'anything at all';
  assert.is(new Redactor().redact(text), text);
});

test('a secret with quotes and backslashes is caught inside JSON, and the line stays valid JSON', () => {
  const secret = 'pa"ss\\w0rd-with-escapes';
  const r = redactor(secret);
  const line = JSON.stringify({ msg: `echo ${secret.slice(0, 12)} end`, err: { stack: `at ${secret}` } });
  const out = r.redact(line);
  const parsed = JSON.parse(out) as { msg: string; err: { stack: string } };
  assert.is(parsed.msg, `echo ${REDACTED} end`);
  assert.is(parsed.err.stack, `at ${REDACTED}`);
});

test('property: no 8-character fragment survives, and JSON stays JSON', () => {
  fc.assert(fc.property(
    fc.string({ minLength: 8, maxLength: 48, unit: 'binary-ascii' }),
    fc.array(fc.tuple(fc.string({ maxLength: 20 }), fc.nat(), fc.nat()), { maxLength: 6 }),
    (secret, parts) => {
      const r = redactor(secret);
      const s = secret.trim();
      if (s.length < 8) return;
      const text = parts.map(([noise, a, b]) => {
        const from = a % s.length;
        return noise + s.slice(from, from + 8 + (b % s.length));
      }).join('');
      const forms = [s, JSON.stringify(s).slice(1, -1)];
      for (const [t, f] of [[r.redact(text), s], [r.redact(JSON.stringify({ text })), forms[1]!]] as const) {
        for (let i = 0; i + 8 <= f.length; i++) if (t.includes(f.slice(i, i + 8))) throw new Error(`fragment ${JSON.stringify(f.slice(i, i + 8))} left in ${JSON.stringify(t)}`);
      }
      JSON.parse(r.redact(JSON.stringify({ text })));
    },
  ), { numRuns: 500, seed: 10 });
});

test('redactValue redacts every string of a record but the identifiers it is told to keep, and keeps identity when nothing changes', () => {
  const r = redactor(TOKEN);
  const rec = { id: 'dev-1', history: [{ operationId: TOKEN.slice(0, 12), error: `bad token ${TOKEN.slice(0, 23)}`, status: 'failed' }] };
  const out = redactValue(rec, new Set(['id', 'operationId']), r);
  assert.is(out.history[0]!.error, `bad token ${REDACTED}`);
  assert.is(out.history[0]!.operationId, TOKEN.slice(0, 12), 'identifiers are matched when read back, so they are kept');
  assert.is(rec.history[0]!.error.includes(TOKEN.slice(0, 23)), true, 'the input is not changed');
  const clean = { id: 'dev-2', history: [{ error: 'timeout' }] };
  assert.is(redactValue(clean, new Set(), r), clean);
});

test.run();
