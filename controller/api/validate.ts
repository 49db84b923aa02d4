// Schema validation with ajv, turning ajv's errors into sentences a person can act on.
// The schemas come from ./schemas.ts; cross-field and cross-object rules are in ./rules.ts.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { API_VERSION, KINDS, type Kind } from './types.ts';
import { QUOTE_MAX, quote } from './quote.ts';
import {
  DURATION_PATTERN, FLEET_FILE_SCHEMA, LOCAL_DATE_TIME_PATTERN, MAC_PATTERN, NAME_PATTERN, TARGET_VERSION_PATTERN,
  TIME_PATTERN, TIME_ZONE_PATTERN, USER_PATTERN, VENDOR_VERSION_PATTERN, objectSchema, type Schema,
} from './schemas.ts';

/** A field path: object keys and array indexes, from the object's root. */
export type FieldPath = (string | number)[];
export interface Issue { path: FieldPath; message: string }

// ajv-formats is CommonJS; under Node's ESM loader its default export may be wrapped once more.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;

function makeAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: false });
  addFormats(ajv);
  ajv.addVocabulary(['x-kubernetes-validations', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-list-type']);
  return ajv;
}

const ajv = makeAjv();
const byKind = new Map<Kind, ValidateFunction>();
function validatorFor(kind: Kind): ValidateFunction {
  let v = byKind.get(kind);
  if (!v) byKind.set(kind, (v = ajv.compile(objectSchema(kind))));
  return v;
}
let fleetValidator: ValidateFunction | undefined;

export function isKind(k: unknown): k is Kind {
  return typeof k === 'string' && (KINDS as readonly string[]).includes(k);
}

/** Schema issues of one object whose kind and apiVersion are already known to be right. */
export function schemaIssues(kind: Kind, obj: unknown): Issue[] {
  const v = validatorFor(kind);
  if (v(obj)) return [];
  return translate(v.errors ?? [], obj);
}

export function fleetFileIssues(doc: unknown): Issue[] {
  fleetValidator ??= ajv.compile(FLEET_FILE_SCHEMA);
  if (fleetValidator(doc)) return [];
  return translate(fleetValidator.errors ?? [], doc);
}

/** Checks apiVersion and kind first, so an unknown kind gets one clear error instead of a schema dump. */
export function identityIssues(obj: unknown): Issue[] {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    return [{ path: [], message: `a document must be a mapping with apiVersion, kind, metadata and spec (got ${typeName(obj)})` }];
  }
  const o = obj as Record<string, unknown>;
  const out: Issue[] = [];
  if (o.apiVersion === undefined) out.push({ path: ['apiVersion'], message: `is required (${API_VERSION})` });
  else if (o.apiVersion !== API_VERSION) {
    out.push({ path: ['apiVersion'], message: `${quote(o.apiVersion)} is not a Fleetward API version; use ${API_VERSION}` });
  }
  if (o.kind === undefined) out.push({ path: ['kind'], message: `is required (one of ${KINDS.join(', ')})` });
  else if (!isKind(o.kind)) {
    const hint = closest(String(o.kind), KINDS);
    out.push({ path: ['kind'], message: `unknown kind ${quote(o.kind)}${hint ? ` (did you mean ${hint}?)` : ''}; known kinds: ${KINDS.join(', ')}` });
  }
  return out;
}

// ---- Translating ajv errors ------------------------------------------------------------------

const PATTERN_TEXT: Record<string, (got: string) => string> = {
  [DURATION_PATTERN]: (g) => `${g} is not a duration; write days, hours, minutes, seconds such as 30d, 12h, 90m or 1d12h`,
  [VENDOR_VERSION_PATTERN]: (g) => `${g} is not a version; write dotted numbers such as 58.15.0.124`,
  [TARGET_VERSION_PATTERN]: (g) => `${g} is not a version; write dotted numbers such as 58.15.0.124, or latest`,
  [TIME_PATTERN]: (g) => `${g} is not a time; write HH:MM on a 24-hour clock, 00:00 to 23:59`,
  [TIME_ZONE_PATTERN]: (g) => `${g} is not a time zone; write device or an IANA name such as Europe/Paris`,
  [MAC_PATTERN]: (g) => `${g} is not a MAC address; write 12 hex digits such as AA-BB-CC-DD-EE-FF`,
  [LOCAL_DATE_TIME_PATTERN]: (g) => `${g} is not a local date and time; write YYYY-MM-DDTHH:MM`,
  [USER_PATTERN]: (g) => `${g} is not a user principal name; write the account as user@domain, e.g. alice@contoso.com`,
  [NAME_PATTERN]: (g) => `${g} is not a valid name; use letters, digits, '-', '_' and '.', starting and ending with a letter or digit`,
};

/** Extra advice for an enum error at a path ending like this. */
const ENUM_HINTS: [RegExp, (got: string) => string][] = [
  [/^spec\.autoUpdate\.components\[\d+\]$/, (g) => `${g} does not update automatically; only firmware and teamsClient do (use a SoftwareUpdate for the others)`],
];

function translate(errors: ErrorObject[], root: unknown): Issue[] {
  const out: Issue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    // anyOf/oneOf/not branches are restated by rules.ts with a specific message.
    if (/\/(anyOf|oneOf|not)\b/.test(e.schemaPath)) continue;
    const path = pointerToPath(e.instancePath);
    const issue = translateOne(e, path, root);
    if (!issue) continue;
    const key = `${formatPath(issue.path)}\u0000${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(issue);
  }
  return out;
}

function translateOne(e: ErrorObject, path: FieldPath, root: unknown): Issue | undefined {
  const got = valueAt(root, path);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path: [...path, String(p.missingProperty)], message: 'is required' };
    case 'additionalProperties': {
      const field = String(p.additionalProperty);
      const known = Object.keys(((e.parentSchema as Schema | undefined)?.properties ?? {}) as object);
      const hint = closest(field, known);
      return {
        path: [...path, field],
        message: `unknown field${hint ? ` (did you mean ${hint}?)` : known.length ? `; known fields: ${known.join(', ')}` : ''}`,
      };
    }
    case 'type': {
      // YAML reads `version: 1.0` as the number 1 and `name: no` as text; the fix is quotes.
      const quote = p.type === 'string' && (typeof got === 'number' || typeof got === 'boolean') ? '; put the value in quotes' : '';
      return { path, message: `must be ${article(String(p.type))} (got ${typeName(got)})${quote}` };
    }
    case 'enum': {
      const text = show(got);
      const hint = ENUM_HINTS.find(([re]) => re.test(formatPath(path)));
      if (hint) return { path, message: hint[1](text) };
      const allowed = (p.allowedValues as unknown[]).map(String);
      const near = typeof got === 'string' ? closest(got, allowed) : undefined;
      return { path, message: `${text} is not allowed${near ? ` (did you mean ${near}?)` : ''}; one of: ${allowed.join(', ')}` };
    }
    case 'pattern': {
      const f = PATTERN_TEXT[String(p.pattern)];
      return { path, message: f ? f(show(got)) : `${show(got)} does not match ${String(p.pattern)}` };
    }
    case 'format':
      if (p.format === 'date-time') return { path, message: `${show(got)} is not an ISO-8601 instant; write e.g. 2026-11-23T15:00:00Z` };
      return { path, message: `${show(got)} is not a valid ${String(p.format)}` };
    case 'minimum':
    case 'maximum': {
      const s = e.parentSchema as Schema;
      return { path, message: `must be between ${String(s.minimum)} and ${String(s.maximum)} (got ${show(got)})` };
    }
    case 'minLength':
      return { path, message: Number(p.limit) === 1 ? 'must not be empty' : `must be at least ${String(p.limit)} characters long` };
    case 'maxLength':
      return { path, message: `is too long (${(got as string).length} characters, at most ${String(p.limit)})` };
    case 'minItems':
      return { path, message: `must list at least ${String(p.limit)} item${Number(p.limit) === 1 ? '' : 's'}` };
    case 'maxItems':
      return { path, message: `lists too many items (${(got as unknown[]).length}, at most ${String(p.limit)})` };
    case 'maxProperties':
      return { path, message: `has too many entries (at most ${String(p.limit)})` };
    case 'uniqueItems':
    {
      const i = Math.max(Number(p.i), Number(p.j));
      return { path: [...path, i], message: `${show((got as unknown[])[i])} is listed twice` };
    }
    default:
      return { path, message: e.message ?? `is invalid (${e.keyword})` };
  }
}

// ---- Small helpers shared with the loader ----------------------------------------------------

export function pointerToPath(pointer: string): FieldPath {
  if (!pointer) return [];
  return pointer.slice(1).split('/').map((seg) => {
    const s = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s;
  });
}

/** `spec.devices[3].macAddress` */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (seg.length <= QUOTE_MAX && /^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${quote(seg)}]`;
  }
  return out;
}

export function valueAt(root: unknown, path: FieldPath): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'string') return `the text ${quote(v, 40)}`;
  if (typeof v === 'boolean') return `${v}`;
  return typeof v;
}

function article(type: string): string {
  switch (type) {
    case 'object': return 'a mapping';
    case 'array': return 'a list';
    case 'integer': return 'a whole number';
    case 'number': return 'a number';
    case 'boolean': return 'true or false';
    case 'string': return 'text';
    default: return type;
  }
}

function show(v: unknown): string {
  return quote(v);
}

/** The known word nearest to `word` when it is plausibly a typo (edit distance ≤ 2, or same letters ignoring case). */
export function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const k of known) {
    if (k.toLowerCase() === w) return k;
    if (Math.abs(k.length - word.length) > 2) continue;
    const d = editDistance(w, k.toLowerCase());
    if (d < bestD) { bestD = d; best = k; }
  }
  return bestD <= 2 && word.length > 2 ? best : undefined;
}

function editDistance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Infinity;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
