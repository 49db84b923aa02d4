// Bounded, linear-time parsing of untrusted YAML (issue 10 item 1): the config repo, and the fleet file.
// Every check here costs one pass over the text or the node tree:
// - size and text (NUL bytes, invalid UTF-8) before the parser sees the text;
// - flow nesting depth by a scan of the text, so a `[[[[…` file never reaches the parser's recursion;
// - duplicate keys with one Set per mapping (yaml's own `uniqueKeys` compares every key with every earlier
//   one: 10k keys took 2.3 s, 40k keys 30 s), and at most LIMITS.maxKeysPerMapping keys per mapping;
// - alias expansions capped (an alias bomb is refused, never expanded).
import { LineCounter, isAlias, isCollection, isMap, isPair, isScalar, isSeq, parseAllDocuments, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import type { FieldPath } from '../api/validate.ts';
import { quote } from '../api/quote.ts';
import type { ConfigError } from './errors.ts';
import { LIMITS, MIB } from './limits.ts';

export interface ParsedDoc {
  value: unknown;
  /** Line (1-based) of the node at `path`, or of its nearest existing parent. */
  lineOf: (path: FieldPath) => number;
}

/** Size and text checks shared by every file read from an untrusted repo. */
export function textProblem(text: string, maxBytes = LIMITS.maxFileBytes): { line: number; message: string } | undefined {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) return { line: 0, message: `the file is ${(bytes / MIB).toFixed(1)} MiB; a ${maxBytes === LIMITS.maxFileBytes ? 'config' : 'fleet'} file may be at most ${maxBytes / MIB} MiB` };
  const bad = text.search(/[\u0000\uFFFD]/);
  if (bad >= 0) return { line: lineAt(text, bad), message: 'not a text file (it holds NUL bytes or is not valid UTF-8); config files must be UTF-8 YAML' };
  return undefined;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Deepest nesting of flow collections (`[`/`{`), a cheap guard before the parser sees the text. */
function flowDepthProblem(text: string): number | undefined {
  let depth = 0;
  let quoteChar = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoteChar) {
      if (c === quoteChar) quoteChar = '';
      else if (c === '\n') quoteChar = '';
      continue;
    }
    // A quote opens a quoted scalar only where a token starts (`it's` in plain text is no quote).
    if ((c === '"' || c === "'") && (i === 0 || /[\s:,[{-]/.test(text[i - 1]!))) quoteChar = c;
    else if (c === '#') { const nl = text.indexOf('\n', i); if (nl < 0) break; i = nl; }
    else if (c === '[' || c === '{') { if (++depth > LIMITS.maxDepth) return i; }
    else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
  }
  return undefined;
}

const keyText = (key: unknown): string => (key === null ? '' : isScalar(key) ? String(key.value) : String(key));

/**
 * One pass over a document's nodes: the first node nested deeper than the limit, a mapping key that is not
 * plain text, a key written twice in one mapping, or a mapping with more keys than the limit.
 */
function shapeProblem(root: unknown, lineOfOffset: (o: number | undefined) => number): { node: Node; message: string } | undefined {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length) {
    const [n, d] = stack.pop()!;
    if (!isCollection(n)) continue;
    if (d >= LIMITS.maxDepth) return { node: n, message: `nesting deeper than ${LIMITS.maxDepth} levels; a config file never needs that` };
    if (isMap(n) && n.items.length > LIMITS.maxKeysPerMapping) {
      return { node: n, message: `a mapping with ${n.items.length} keys; a mapping may hold at most ${LIMITS.maxKeysPerMapping}` };
    }
    const seen = isMap(n) ? new Map<string, Pair>() : undefined;
    for (const item of n.items) {
      if (isPair(item)) {
        if (item.key !== null && !isScalar(item.key)) {
          return { node: item.key as Node, message: 'a mapping key must be plain text, not a list, a mapping or an alias' };
        }
        if (seen) {
          const k = keyText(item.key);
          const first = seen.get(k);
          if (first) {
            return {
              node: (item.key ?? n) as Node,
              message: `the key ${quote(k)} appears twice in this mapping (first at line ${lineOfOffset((first.key as Node | null)?.range?.[0])}); write it once`,
            };
          }
          seen.set(k, item);
        }
        stack.push([item.value, d + 1]);
      } else stack.push([item, d + 1]);
    }
  }
  return undefined;
}

const firstLine = (m: string) => m.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');

/** Parses one untrusted YAML file into its documents, or the errors that stop it. */
export function parseYaml(file: string, text: string, maxBytes = LIMITS.maxFileBytes): { docs: ParsedDoc[]; errors: ConfigError[] } {
  const tp = textProblem(text, maxBytes);
  if (tp) return { docs: [], errors: [{ file, line: tp.line, message: tp.message }] };
  const deep = flowDepthProblem(text);
  if (deep !== undefined) return { docs: [], errors: [{ file, line: lineAt(text, deep), message: `nesting deeper than ${LIMITS.maxDepth} levels; a config file never needs that` }] };

  const lc = new LineCounter();
  const errors: ConfigError[] = [];
  const docs: ParsedDoc[] = [];
  let parsed: Document.Parsed[];
  try {
    parsed = parseAllDocuments(text, {
      // uniqueKeys off: its check is quadratic; shapeProblem checks duplicates with a Set.
      lineCounter: lc, uniqueKeys: false, prettyErrors: false, strict: true, logLevel: 'error',
      // Plain JSON values only: no Date, Uint8Array or Set from YAML 1.1 tags (!!timestamp, !!binary, !!set).
      schema: 'core', resolveKnownTags: false,
    }) as Document.Parsed[];
    if (!Array.isArray(parsed)) parsed = [];
  } catch (err) {
    return { docs: [], errors: [{ file, line: 0, message: `not readable as YAML: ${firstLine(String((err as Error).message))}` }] };
  }
  const lineOfOffset = (o: number | undefined) => (o === undefined ? 1 : lc.linePos(o).line);
  for (const doc of parsed) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const stack = /call stack|Stack overflow/i.test(e.message);
        errors.push({ file, line: lineOfOffset(e.pos?.[0]), message: stack ? `nesting too deep; a config file never needs that` : `invalid YAML: ${firstLine(e.message)}` });
      }
      continue;
    }
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue; // an empty document
    const shape = shapeProblem(doc.contents, lineOfOffset);
    if (shape) {
      errors.push({ file, line: lineOfOffset(shape.node.range?.[0]), message: shape.message });
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: LIMITS.maxAliasCount });
    } catch (err) {
      const msg = String((err as Error).message);
      errors.push({
        file, line: lineOfOffset(doc.contents.range?.[0]),
        message: /alias/i.test(msg)
          ? `YAML aliases expand more than ${LIMITS.maxAliasCount} times (an alias bomb?); write the values out instead`
          : `invalid YAML: ${firstLine(msg)}`,
      });
      continue;
    }
    const keys = new WeakMap<YAMLMap, Map<string, Pair>>();
    docs.push({ value, lineOf: (path) => lineOfOffset(offsetOf(doc, path, keys)) });
  }
  return { docs, errors };
}

/** Offset of the node at `path`; each mapping's keys are indexed once, so many errors in a big mapping stay linear. */
function offsetOf(doc: Document, path: FieldPath, keys: WeakMap<YAMLMap, Map<string, Pair>>): number | undefined {
  let node: unknown = doc.contents;
  let best = (doc.contents as Node | null)?.range?.[0];
  for (const seg of path) {
    if (isMap(node)) {
      let index = keys.get(node);
      if (!index) {
        index = new Map();
        for (const p of node.items) if (!index.has(keyText(p.key))) index.set(keyText(p.key), p);
        keys.set(node, index);
      }
      const pair = index.get(String(seg));
      if (!pair) break;
      best = (pair.key as Node | null)?.range?.[0] ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (!item || isAlias(item)) break;
      best = (item as Node).range?.[0] ?? best;
      node = item;
    } else break;
  }
  return best;
}
