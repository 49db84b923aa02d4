// Verification codes (seed 004): one per device, from a CSPRNG, valid 24 hours. Only a verifier
// (controller/drivers/code-verifier.ts, the format back ends check codes against) is kept in the state
// store and sent to the back end; the plaintext goes to the code secrets and the technicians' export only.
import { randomInt } from 'node:crypto';

/** No 0/O, 1/I/L: technicians type these on a phone's keypad screen. */
export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
/** 10 characters of 31: about 49.5 bits. */
export const CODE_LENGTH = 10;
export const CODE_LIFETIME_MS = 24 * 3_600_000;

export function generateCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}
