// A fast reader for the plain block subset of YAML that generators and people write for large files (a fleet
// file of 100,000 devices is 40 MB): block mappings and sequences by indentation, plain and single-line quoted
// scalars resolved as the `yaml` library's core schema resolves them, comments, empty `[]`/`{}`, one `---`.
// Anything else (anchors, aliases, tags, block scalars, multi-line scalars, flow collections with content,
// complex keys, several documents, duplicate keys, tabs in indentation) returns undefined: the caller then
// reads the text with the full parser (controller/sources/load.ts parseYaml), which also gives the errors.
// Same text, same value as the full parser, or undefined; never a different value (test/unit/block-yaml.test.ts).
//
// Reading 100,000 devices takes a few hundred milliseconds and no syntax tree, against half a minute and
// gigabytes for the `yaml` library's Document with source positions. Lines are kept only when asked for
// (`withLines`), which a caller does only when the value turned out to be invalid and its errors need lines.

export type FieldPath = (string | number)[];

export interface BlockYaml {
  value: unknown;
  /** Line of the deepest node along `path` (the key's line in a mapping, the item's in a sequence). */
  lineOf: (path: FieldPath) => number;
}

/** Thrown inside the reader when the text leaves the subset; never escapes it. */
class OutsideSubset extends Error {}

const SPACE = 32;
const TAB = 9;
const LF = 10;
const CR = 13;
const HASH = 35;
const DASH = 45;
const COLON = 58;

// The core schema's plain scalars, as the `yaml` library resolves them (yaml/dist/schema/core).
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT = /^[-+]?[0-9]+$/;
const INT_OCT = /^0o[0-7]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
/** A first character that makes a plain scalar something else (an indicator), or is not worth the doubt. */
const NOT_PLAIN_START = new Set('&*!|>%@`\'"[]{},?:#-\t'.split('').map((c) => c.charCodeAt(0)));

function resolvePlain(s: string): unknown {
  const c = s.charCodeAt(0);
  // Most scalars (ids, names, zones, dotted versions) start with a letter that no number, bool or null has.
  if (s.length > 0 && c > 57 && c !== 78 && c !== 110 && c !== 84 && c !== 116 && c !== 70 && c !== 102 && c !== 126) return s;
  if (NULL.test(s)) return null;
  if (BOOL.test(s)) return s[0] === 't' || s[0] === 'T';
  if (INT_OCT.test(s)) return parseInt(s.substring(2), 8);
  if (INT.test(s)) return parseInt(s, 10);
  if (INT_HEX.test(s)) return parseInt(s.substring(2), 16);
  if (FLOAT_NAN.test(s)) return s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? -Infinity : Infinity;
  if (FLOAT_EXP.test(s) || FLOAT.test(s)) return parseFloat(s);
  return s;
}

const ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b', ' ': ' ',
  '"': '"', '/': '/', '\\': '\\', N: '\u0085', _: '\u00a0', L: '\u2028', P: '\u2029',
};
const HEX_ESCAPE: Record<string, number> = { x: 2, u: 4, U: 8 };

class Reader {
  readonly text: string;
  readonly maxDepth: number;
  /** Per container, the line of each key or item; only when lines were asked for. */
  readonly lines: WeakMap<object, Map<string | number, number>> | undefined;
  /** Start of the current line, its end (before `\r\n`), where its content starts, and its number. */
  ls = 0;
  le = 0;
  cs = 0;
  line = 0;
  eof = false;
  #next = 0;
  #started = false;

  constructor(text: string, maxDepth: number, withLines: boolean) {
    this.text = text;
    this.maxDepth = maxDepth;
    this.lines = withLines ? new WeakMap() : undefined;
  }

  get column(): number {
    return this.cs - this.ls;
  }

  /** Moves to the next line with content; blank and comment lines are skipped. */
  nextLine(): void {
    const t = this.text;
    for (;;) {
      if (this.#next >= t.length) {
        this.eof = true;
        return;
      }
      const ls = this.#next;
      let le = t.indexOf('\n', ls);
      if (le < 0) le = t.length;
      this.#next = le + 1;
      this.line++;
      if (le > ls && t.charCodeAt(le - 1) === CR) le--;
      let cs = ls;
      while (cs < le && t.charCodeAt(cs) === SPACE) cs++;
      if (cs === le) continue;
      const c = t.charCodeAt(cs);
      if (c === HASH) continue;
      if (c === TAB || c === CR || c === LF) throw new OutsideSubset();
      if (cs === ls && this.#marker(ls, le)) continue;
      this.#started = true;
      this.ls = ls;
      this.le = le;
      this.cs = cs;
      return;
    }
  }

  /** `---` before the content is skipped; other markers and directives are outside the subset. */
  #marker(ls: number, le: number): boolean {
    const t = this.text;
    const three = t.startsWith('---', ls) || t.startsWith('...', ls);
    if (three && (ls + 3 === le || t.charCodeAt(ls + 3) === SPACE || t.charCodeAt(ls + 3) === TAB)) {
      if (this.#started || t[ls] === '.') throw new OutsideSubset();
      const rest = t.slice(ls + 3, le).trim();
      if (rest !== '' && !rest.startsWith('#')) throw new OutsideSubset();
      return true;
    }
    if (t.charCodeAt(ls) === 37 /* % */) throw new OutsideSubset();
    return false;
  }

  isDash(): boolean {
    return this.text.charCodeAt(this.cs) === DASH && (this.cs + 1 === this.le || this.text.charCodeAt(this.cs + 1) === SPACE);
  }

  #record(container: object, key: string | number, line: number): void {
    if (!this.lines) return;
    let m = this.lines.get(container);
    if (!m) this.lines.set(container, (m = new Map()));
    m.set(key, line);
  }

  /** The node that starts at the current (possibly part of a) line. */
  block(depth: number): unknown {
    if (depth > this.maxDepth) throw new OutsideSubset();
    if (this.isDash()) return this.sequence(this.column, depth);
    return this.mapping(this.column, depth);
  }

  sequence(col: number, depth: number): unknown[] {
    const out: unknown[] = [];
    while (!this.eof && this.column === col && this.isDash()) {
      const t = this.text;
      let p = this.cs + 1;
      while (p < this.le && t.charCodeAt(p) === SPACE) p++;
      if (p < this.le && t.charCodeAt(p) === TAB) throw new OutsideSubset();
      let item: unknown;
      if (p >= this.le || t.charCodeAt(p) === HASH) {
        const dashLine = this.line;
        this.nextLine();
        if (!this.eof && this.column > col) {
          this.#record(out, out.length, this.line);
          item = this.block(depth + 1);
        } else {
          this.#record(out, out.length, dashLine);
          item = null;
        }
      } else {
        this.#record(out, out.length, this.line);
        this.cs = p; // the rest of the line is the item, at its own column
        if (this.isDash() || this.keyEnd(p) >= 0) item = this.block(depth + 1);
        else {
          item = this.scalar(p);
          this.nextLine();
        }
      }
      out.push(item);
    }
    if (!this.eof && this.column > col) throw new OutsideSubset();
    return out;
  }

  mapping(col: number, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const t = this.text;
    while (!this.eof && this.column === col) {
      if (this.isDash()) throw new OutsideSubset();
      const colon = this.keyEnd(this.cs);
      if (colon < 0) throw new OutsideSubset();
      const key = this.key(this.cs, colon);
      if (Object.hasOwn(out, key)) throw new OutsideSubset(); // the full parser names the duplicate
      const keyLine = this.line;
      let p = colon + 1;
      while (p < this.le && t.charCodeAt(p) === SPACE) p++;
      let value: unknown;
      if (p >= this.le || t.charCodeAt(p) === HASH) {
        this.nextLine();
        if (!this.eof && this.column > col) value = this.block(depth + 1);
        else if (!this.eof && this.column === col && this.isDash()) value = this.sequence(col, depth + 1);
        else value = null;
      } else {
        value = this.scalar(p);
        this.nextLine();
      }
      out[key] = value;
      this.#record(out, key, keyLine);
    }
    if (!this.eof && this.column > col) throw new OutsideSubset();
    return out;
  }

  /** Where the `:` of a `key: value` on this line is, or -1 when the line holds no key. */
  keyEnd(p: number): number {
    const t = this.text;
    const le = this.le;
    const c = t.charCodeAt(p);
    if (c === 34 || c === 39) {
      const q = this.quoteEnd(p);
      if (q + 1 < le && t.charCodeAt(q + 1) === COLON && (q + 2 === le || t.charCodeAt(q + 2) === SPACE)) return q + 1;
      return -1;
    }
    for (let i = p; i < le; i++) {
      const ch = t.charCodeAt(i);
      if (ch === COLON && (i + 1 === le || t.charCodeAt(i + 1) === SPACE)) return i;
      if (ch === HASH && i > p && (t.charCodeAt(i - 1) === SPACE || t.charCodeAt(i - 1) === TAB)) return -1;
      if (ch === TAB) throw new OutsideSubset();
    }
    return -1;
  }

  key(p: number, colon: number): string {
    const t = this.text;
    const c = t.charCodeAt(p);
    if (c === 34 || c === 39) {
      const q = this.quoteEnd(p);
      if (q + 1 !== colon) throw new OutsideSubset();
      return this.quoted(p, q);
    }
    if (NOT_PLAIN_START.has(c) || c === 60 /* `<<` merge keys */) throw new OutsideSubset();
    let e = colon;
    while (e > p && t.charCodeAt(e - 1) === SPACE) e--;
    const key = t.slice(p, e);
    // Keys are strings in a fleet file; `1:`, `true:` or `null:` keys are left to the full parser.
    if (key === '__proto__' || resolvePlain(key) !== key) throw new OutsideSubset();
    return key;
  }

  /** The scalar (or empty `[]` / `{}`) from p to the end of the line; nothing may follow but a comment. */
  scalar(p: number): unknown {
    const t = this.text;
    const le = this.le;
    const c = t.charCodeAt(p);
    if (c === 34 || c === 39) {
      const q = this.quoteEnd(p);
      this.rest(q + 1);
      return this.quoted(p, q);
    }
    if (c === 91 /* [ */ || c === 123 /* { */) {
      if (t.charCodeAt(p + 1) !== (c === 91 ? 93 : 125)) throw new OutsideSubset();
      this.rest(p + 2);
      return c === 91 ? [] : {};
    }
    if (NOT_PLAIN_START.has(c) && !((c === DASH || c === 63 || c === COLON) && p + 1 < le && t.charCodeAt(p + 1) !== SPACE)) {
      throw new OutsideSubset();
    }
    let e = le;
    for (let i = p; i < le; i++) {
      const ch = t.charCodeAt(i);
      if (ch === HASH && (t.charCodeAt(i - 1) === SPACE || t.charCodeAt(i - 1) === TAB)) { e = i; break; }
      if (ch === COLON && (i + 1 === le || t.charCodeAt(i + 1) === SPACE)) throw new OutsideSubset();
    }
    while (e > p && (t.charCodeAt(e - 1) === SPACE || t.charCodeAt(e - 1) === TAB)) e--;
    return resolvePlain(t.slice(p, e));
  }

  /** After a closing quote or bracket: only blanks and a comment. */
  rest(p: number): void {
    const t = this.text;
    let i = p;
    while (i < this.le && (t.charCodeAt(i) === SPACE || t.charCodeAt(i) === TAB)) i++;
    if (i < this.le && !(t.charCodeAt(i) === HASH && i > p)) throw new OutsideSubset();
  }

  /** The closing quote of the quoted scalar opening at p, on this line. */
  quoteEnd(p: number): number {
    const t = this.text;
    const quote = t.charCodeAt(p);
    for (let i = p + 1; i < this.le; i++) {
      const ch = t.charCodeAt(i);
      if (quote === 34 && ch === 92 /* \ */) { i++; continue; }
      if (ch === quote) {
        if (quote === 39 && t.charCodeAt(i + 1) === 39) { i++; continue; }
        return i;
      }
    }
    throw new OutsideSubset(); // a quoted scalar over several lines
  }

  quoted(p: number, q: number): string {
    const t = this.text;
    const body = t.slice(p + 1, q);
    if (t.charCodeAt(p) === 39) return body.includes("''") ? body.replaceAll("''", "'") : body;
    if (!body.includes('\\')) return body;
    let out = '';
    for (let i = 0; i < body.length; i++) {
      const ch = body[i]!;
      if (ch !== '\\') { out += ch; continue; }
      const e = body[++i]!;
      const simple = ESCAPES[e];
      if (simple !== undefined) { out += simple; continue; }
      const n = HEX_ESCAPE[e];
      const hex = n === undefined ? '' : body.slice(i + 1, i + 1 + n);
      if (n === undefined || !/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) throw new OutsideSubset();
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) throw new OutsideSubset();
      out += String.fromCodePoint(code);
      i += n;
    }
    return out;
  }
}

/**
 * The value of `text` when it is one document of the plain block subset, else undefined.
 * With `withLines`, also where each key and item is, for error messages.
 */
export function readBlockYaml(text: string, opts: { maxDepth: number; withLines?: boolean }): BlockYaml | undefined {
  if (text.charCodeAt(0) === 0xfeff) return undefined; // a byte-order mark: left to the full parser
  const r = new Reader(text, opts.maxDepth, opts.withLines === true);
  try {
    r.nextLine();
    if (r.eof) return undefined; // an empty document: the full parser says what is missing
    const rootLine = r.line;
    const value = r.block(1);
    if (!r.eof) return undefined;
    const lines = r.lines;
    const lineOf = (path: FieldPath): number => {
      let best = rootLine;
      let node: unknown = value;
      for (const seg of path) {
        const m = lines && node !== null && typeof node === 'object' ? lines.get(node) : undefined;
        const at = m?.get(Array.isArray(node) ? Number(seg) : String(seg));
        if (at === undefined) break;
        best = at;
        node = (node as Record<string, unknown>)[seg as string];
      }
      return best;
    };
    return { value, lineOf };
  } catch (err) {
    if (err instanceof OutsideSubset || err instanceof RangeError) return undefined;
    throw err;
  }
}
