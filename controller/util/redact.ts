// Secrets never reach a log line, a status file or an error message, not even in part. A back end may echo
// a piece of the token it was sent (a prefix in an "invalid token" message, a header value in an error
// page), so matching whole secrets is not enough: any run of 8 or more characters that also occurs in a
// known secret is replaced by `[redacted]`.
//
// One process-wide registry (`knownSecrets`): whoever reads a secret (driver token, git token, webhook
// secret, a client secret) registers it right away, and the three sinks — the logger (reconciler/log.ts),
// the status store (store/redacting.ts) and the CLI's error output (cli/main.ts) — redact through it. A
// registry rather than a parameter because a secret read anywhere must be hidden everywhere, including in
// loggers and errors created before it was read.
//
// Cost: every 8-character piece of every secret is kept under a rolling hash, so a text is scanned once, in
// O(length), whatever the number and length of the secrets; a hash hit is confirmed by comparing the
// characters. Nothing is scanned while no secret is registered (simulator runs). bench/redact.ts measures it.

/** The shortest fragment of a secret that counts as a leak. */
export const MIN_FRAGMENT = 8;
export const REDACTED = '[redacted]';

// Polynomial rolling hash over 8 characters in 32-bit integer arithmetic (wrapping), so the scan stays in
// small integers: one multiply, one add, one subtract and one table lookup per character.
const BASE = 0x01000193;
/** BASE^MIN_FRAGMENT (wrapping): the weight the leaving character has reached when it leaves. */
const OUT = (() => {
  let p = 1;
  for (let i = 0; i < MIN_FRAGMENT; i++) p = Math.imul(p, BASE);
  return p;
})();
const TABLE_BITS = 16;
const TABLE_MASK = (1 << TABLE_BITS) - 1;
const bucket = (h: number): number => (h ^ (h >>> TABLE_BITS)) & TABLE_MASK;

export class Redactor {
  /** Rolling hash (30 bits, a small integer) → the 8-character pieces with that hash. */
  readonly #pieces = new Map<number, string[]>();
  /** A quick "maybe" per hash bucket, so most windows cost one array read. */
  readonly #maybe = new Uint8Array(TABLE_MASK + 1);
  /** Secrets shorter than MIN_FRAGMENT (4 or more characters): replaced only whole. */
  readonly #short = new Set<string>();
  readonly #seen = new Set<string>();
  /**
   * Results for short strings already seen: status records repeat the same versions, states, instants and
   * messages across thousands of devices, so a pass scans each distinct value once. Bounded; emptied when a
   * secret is added.
   */
  readonly #memo = new Map<string, string>();

  /** Registers a secret (and its JSON-escaped spelling, as it appears inside a JSON log line or file). */
  add(secret: string | undefined | null): void {
    if (typeof secret !== 'string') return;
    const s = secret.trim();
    if (!s) return;
    for (const form of new Set([s, JSON.stringify(s).slice(1, -1)])) {
      if (this.#seen.has(form)) continue;
      this.#seen.add(form);
      this.#memo.clear();
      if (form.length < MIN_FRAGMENT) {
        if (form.length >= 4) this.#short.add(form);
        continue;
      }
      let h = 0;
      for (let i = 0; i < form.length; i++) {
        h = (Math.imul(h, BASE) + form.charCodeAt(i)) | 0;
        if (i >= MIN_FRAGMENT) h = (h - Math.imul(form.charCodeAt(i - MIN_FRAGMENT), OUT)) | 0;
        if (i < MIN_FRAGMENT - 1) continue;
        const piece = form.slice(i - MIN_FRAGMENT + 1, i + 1);
        this.#maybe[bucket(h)] = 1;
        const key = h & 0x3fffffff;
        const l = this.#pieces.get(key);
        if (!l) this.#pieces.set(key, [piece]);
        else if (!l.includes(piece)) l.push(piece);
      }
    }
  }

  get empty(): boolean {
    return this.#pieces.size === 0 && this.#short.size === 0;
  }

  /** The text with every 8+ character fragment of a known secret replaced. Linear in the text's length. */
  redact(text: string): string {
    if (this.empty || typeof text !== 'string' || text.length < 4) return text;
    if (text.length < MIN_FRAGMENT && this.#short.size === 0) return text;
    if (text.length > 128) return this.#redact(text);
    let out = this.#memo.get(text);
    if (out === undefined) {
      if (this.#memo.size >= 20_000) this.#memo.clear();
      this.#memo.set(text, (out = this.#redact(text)));
    }
    return out;
  }

  #redact(text: string): string {
    let out = text;
    if (this.#pieces.size && text.length >= MIN_FRAGMENT) out = this.#redactFragments(text);
    for (const s of this.#short) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  }

  #redactFragments(text: string): string {
    // Covered ranges [start, end), merged as they are found (windows come in increasing order).
    const ranges: number[] = [];
    const maybe = this.#maybe;
    let h = 0;
    for (let i = 0; i < text.length; i++) {
      h = (Math.imul(h, BASE) + text.charCodeAt(i)) | 0;
      if (i >= MIN_FRAGMENT) h = (h - Math.imul(text.charCodeAt(i - MIN_FRAGMENT), OUT)) | 0;
      if (i < MIN_FRAGMENT - 1 || maybe[bucket(h)] === 0) continue;
      const l = this.#pieces.get(h & 0x3fffffff);
      if (!l) continue;
      const start = i - MIN_FRAGMENT + 1;
      if (!l.some((p) => text.startsWith(p, start))) continue;
      const n = ranges.length;
      if (n && ranges[n - 1]! >= start) ranges[n - 1] = i + 1;
      else ranges.push(start, i + 1);
    }
    if (!ranges.length) return text;
    let out = '';
    let at = 0;
    for (let k = 0; k < ranges.length; k += 2) {
      let [start, end] = [ranges[k]!, ranges[k + 1]!];
      [start, end] = widenOverEscapes(text, start, end);
      if (start < at) start = at;
      out += text.slice(at, start) + REDACTED;
      at = Math.max(at, end);
    }
    return out + text.slice(at);
  }
}

/**
 * In JSON text (a log line, a status file) a range must not cut an escape sequence in two: a lone `\` left
 * before `[redacted]`, or a `\u00` without its digits, would make the line unreadable. Plain text loses at
 * most a few characters more.
 */
function widenOverEscapes(text: string, start: number, end: number): [number, number] {
  let slashes = 0;
  while (start - slashes - 1 >= 0 && text[start - slashes - 1] === '\\') slashes++;
  if (slashes % 2 === 1) start--;
  for (let p = Math.max(start, end - 6); p < end; p++) {
    if (text[p] !== '\\') continue;
    let run = 0;
    while (p - run - 1 >= start && text[p - run - 1] === '\\') run++;
    if (run % 2 === 1) continue; // this backslash is itself escaped
    const len = text[p + 1] === 'u' ? 6 : 2;
    if (p + len > end) end = Math.min(text.length, p + len);
    p++; // skip the escaped character
  }
  return [start, end];
}

/** Every secret this process has read. */
export const knownSecrets = new Redactor();

/** Registers a secret with the process-wide redactor; returns it, so reading and registering is one step. */
export function registerSecret<T extends string | undefined>(secret: T): T {
  knownSecrets.add(secret);
  return secret;
}

/** The text with every fragment of a known secret replaced. */
export function redactSecrets(text: string): string {
  return knownSecrets.redact(text);
}

/**
 * A copy of a JSON-like value with every string redacted, except under `keep` keys (identifiers that are
 * read back, such as operation ids: a hex secret can share 8 hex digits with one, and the record must still
 * match its operation). Returns the value itself when nothing changed, so callers keep object identity.
 */
export function redactValue<T>(value: T, keep: ReadonlySet<string> = new Set(), r: Redactor = knownSecrets): T {
  if (r.empty) return value;
  return walk(value, keep, r) as T;
}

function walk(v: unknown, keep: ReadonlySet<string>, r: Redactor): unknown {
  if (typeof v === 'string') return r.redact(v);
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x === null || (typeof x !== 'string' && typeof x !== 'object')) continue;
      const w = walk(x, keep, r);
      if (w !== x) (copy ??= v.slice())[i] = w;
    }
    return copy ?? v;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return v;
  const o = v as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const k in o) {
    const x = o[k];
    if (x === null || (typeof x !== 'string' && typeof x !== 'object') || keep.has(k)) continue;
    const w = walk(x, keep, r);
    if (w !== x) (copy ??= { ...o })[k] = w;
  }
  return copy ?? v;
}
