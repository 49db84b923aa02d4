// Seeded randomness for the simulator: no Math.random, so the same seed and the same calls give the
// same fleet history. Two shapes: a stateless hash (`chance(seed, ...keys)`, for facts that are a pure
// function of time, such as "is this device offline during this hour") and a stream (`SeededStream`,
// for ids and fault injection).
import { mulberry32 } from '../../util/random.ts';

/** cyrb53: a fast 53-bit string hash, good enough spread for simulation (not cryptographic). */
function cyrb53(text: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** A number in [0, 1) fixed by the seed and the keys. */
export function chance(seed: number, ...keys: (string | number)[]): number {
  return cyrb53(keys.join('\u0000'), seed) / 2 ** 53;
}

/** A small seeded stream of numbers in [0, 1) (mulberry32). */
export class SeededStream {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
}

/** A GUID-shaped id (Graph's operation ids look like this), fixed by the seed and the keys. */
export function seededUuid(seed: number, ...keys: (string | number)[]): string {
  const key = keys.join('\u0000');
  let hex = '';
  for (let i = 0; hex.length < 32; i++) hex += cyrb53(key, seed + i * 7919).toString(16).padStart(14, '0').slice(0, 8);
  hex = hex.slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[parseInt(hex[16]!, 16) % 4]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
