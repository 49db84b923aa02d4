// One shared copy of strings that repeat across a fleet. JSON.parse makes a new string for every value it
// reads, so 50,000 devices answered by a back end carry 50,000 copies of "Europe/Paris", of each model name
// and of each software version; held for the whole pass (and in the store's records between passes), those
// copies are a good part of the memory per device (docs/kubernetes.md "Sizing").

export class StringPool {
  readonly #pool = new Map<string, string>();
  readonly #max: number;

  /** `max`: distinct strings kept at most; past it the pool starts afresh (values such as ids never repeat). */
  constructor(max = 65_536) {
    this.#max = max;
  }

  /** The pooled copy of `s` (s itself, the first time). */
  get(s: string): string {
    const had = this.#pool.get(s);
    if (had !== undefined) return had;
    if (this.#pool.size >= this.#max) this.#pool.clear();
    this.#pool.set(s, s);
    return s;
  }

  get size(): number {
    return this.#pool.size;
  }
}
