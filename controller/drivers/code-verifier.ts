// The verification-code verifier (seed 004): the one format Fleetward and a provisioning back end share. Fleetward
// makes a code (controller/provisioning/codes.ts), keeps the plaintext for the technicians' export, and hands
// the back end only a verifier — a salted scrypt hash with its parameters — which the back end checks the
// code a device types against. scrypt rather than an HMAC with an install key: the back end must check a
// device's code against what it was given, without any key. Any back end (the simulator, the graph
// driver's service, an out-of-process driver) implements verifyCode on this format.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * scrypt cost; N is recorded in each verifier, so changing it later keeps old verifiers readable. A code is
 * 49.5 random bits that live 24 hours: at N = 4096 (4 MiB, ~10 ms a hash) an offline search of one verifier
 * takes years of GPU time for a code that is dead after a day, while a batch of 10 000 devices still gets its
 * codes in minutes.
 */
const SCRYPT = { N: 4_096, r: 8, p: 1, keyLength: 32 } as const;

/** What a person typed, made comparable: case, spaces and dashes do not matter. */
export function canonicalCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]/g, '');
}

function scryptAsync(code: string, salt: Buffer, N: number, r: number, p: number, len: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(code, salt, len, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))));
}

/** `scrypt$N$r$p$salt$hash`, base64url parts. */
export async function hashCode(code: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p, keyLength } = SCRYPT;
  const key = await scryptAsync(canonicalCode(code), salt, N, r, p, keyLength);
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

const VERIFIER_RE = /^scrypt\$(\d{1,7})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{32,128})$/;

export function isCodeHash(text: unknown): text is string {
  if (typeof text !== 'string') return false;
  const m = VERIFIER_RE.exec(text);
  if (!m) return false;
  const N = Number(m[1]);
  // A power of two, bounded so that a hostile verifier cannot make the back end spend a gigabyte.
  return N >= 1024 && N <= 1_048_576 && (N & (N - 1)) === 0 && Number(m[2]) >= 1 && Number(m[3]) >= 1;
}

/** Whether `typed` is the code behind `verifier`, in constant time once hashed. */
export async function verifyCode(typed: string, verifier: string): Promise<boolean> {
  if (!isCodeHash(verifier)) return false;
  const [, n, r, p, salt, hash] = verifier.split('$') as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(canonicalCode(typed), Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p), expected.length);
  return key.length === expected.length && timingSafeEqual(key, expected);
}
