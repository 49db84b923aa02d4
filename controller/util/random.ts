// Seeded randomness shared by the simulator, the example fleet generator and the benchmarks:
// the same seed gives the same numbers on every machine (no Math.random).

/** mulberry32: a small, fast stream of numbers in [0, 1); not cryptographic. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
