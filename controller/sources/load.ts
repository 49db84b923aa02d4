// Loading a revision of the config (issue 2, items 3 and 5): every *.yaml / *.yml file of a directory,
// recursively, multi-document; validated as a whole (schema, then rules over all objects); every error
// reported at once as `file:line: Kind/name field.path: message`. An invalid revision carries no objects.
// The config repo is untrusted: file size and count caps, alias bombs, deep nesting and binary files are
// clear errors naming the file, never a hang, a crash or an out-of-memory.
import { createHash } from 'node:crypto';
import { lstat, readFile, readdir, realpath, stat } from 'node:fs/promises';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { LineCounter, isAlias, isCollection, isMap, isPair, isScalar, isSeq, parseAllDocuments, type Document, type Node } from 'yaml';
import type { FleetwardObject, Kind, ProvisioningBatch, Revision } from '../api/types.ts';
import { formatPath, identityIssues, isKind, schemaIssues, type FieldPath } from '../api/validate.ts';
import { checkMacs, duplicateNames, runRules, type Identified, type MacEntry, type RuleObject } from '../api/rules.ts';
import { parseDevicesCsv } from '../provisioning/csv.ts';

export interface ConfigError { file: string; line: number; kind?: string; name?: string; path?: string; message: string }
export type LoadResult = { ok: true; revision: Revision } | { ok: false; errors: ConfigError[] };

export const LIMITS = {
  /** Bytes per file (YAML or CSV). */
  maxFileBytes: 1024 * 1024,
  /** YAML files per revision. */
  maxFiles: 2000,
  /** Bytes over all YAML files of a revision. */
  maxTotalBytes: 32 * 1024 * 1024,
  /** Nesting of mappings and lists in one document. */
  maxDepth: 64,
  /** Alias expansions per document (yaml's maxAliasCount). */
  maxAliasCount: 100,
  /** A fleet file (controller/sources/fleet-file.ts) may describe tens of thousands of devices. */
  maxFleetFileBytes: 64 * 1024 * 1024,
};
const MIB = 1024 * 1024;

/** `config/rooms.yaml:12: Ring/pilot spec.order: must be between 1 and 9 (got 12)` */
export function formatConfigError(e: ConfigError): string {
  const loc = e.file ? `${e.file}${e.line > 0 ? `:${e.line}` : ''}: ` : '';
  const who = e.kind ? `${e.kind}${e.name !== undefined ? `/${e.name}` : ''} ` : '';
  const path = e.path ? `${e.path}: ` : '';
  return `${loc}${who}${path}${e.message}`;
}

// ---- Safe YAML ---------------------------------------------------------------------------------

export interface ParsedDoc {
  value: unknown;
  /** Line (1-based) of the node at `path`, or of its nearest existing parent. */
  lineOf: (path: FieldPath) => number;
}

/** Size, text and nesting checks shared by every file read from an untrusted repo. */
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
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = '';
      else if (c === '\n') quote = '';
      continue;
    }
    // A quote opens a quoted scalar only where a token starts (`it's` in plain text is no quote).
    if ((c === '"' || c === "'") && (i === 0 || /[\s:,[{-]/.test(text[i - 1]!))) quote = c;
    else if (c === '#') { const nl = text.indexOf('\n', i); if (nl < 0) break; i = nl; }
    else if (c === '[' || c === '{') { if (++depth > LIMITS.maxDepth) return i; }
    else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
  }
  return undefined;
}

/** The first node nested deeper than the limit, or used as a mapping key while not plain text. */
function shapeProblem(root: unknown): { node: Node; message: string } | undefined {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length) {
    const [n, d] = stack.pop()!;
    if (!isCollection(n)) continue;
    if (d >= LIMITS.maxDepth) return { node: n, message: `nesting deeper than ${LIMITS.maxDepth} levels; a config file never needs that` };
    for (const item of n.items) {
      if (isPair(item)) {
        if (item.key !== null && !isScalar(item.key)) {
          return { node: item.key as Node, message: 'a mapping key must be plain text, not a list, a mapping or an alias' };
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
      lineCounter: lc, uniqueKeys: true, prettyErrors: false, strict: true, logLevel: 'error',
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
    const shape = shapeProblem(doc.contents);
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
    docs.push({ value, lineOf: (path) => lineOfOffset(offsetOf(doc, path)) });
  }
  return { docs, errors };
}

function offsetOf(doc: Document, path: FieldPath): number | undefined {
  let node: unknown = doc.contents;
  let best = (doc.contents as Node | null)?.range?.[0];
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
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

// ---- The revision, as a whole ------------------------------------------------------------------

interface Entry { value: unknown; file: string; lineOf: (path: FieldPath) => number }

/** What reading a devicesFile gave: its text and the path to show in messages, or a reason it cannot be used. */
type CsvRead = { text: string; display: string } | { error: string };
type CsvReader = (relPath: string) => CsvRead;

function metaOf(v: unknown): { kind?: Kind; name?: string; namespace: string } {
  const o = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>;
  const m = (o.metadata && typeof o.metadata === 'object' ? o.metadata : {}) as Record<string, unknown>;
  const out: { kind?: Kind; name?: string; namespace: string } = { namespace: typeof m.namespace === 'string' ? m.namespace : '' };
  if (isKind(o.kind)) out.kind = o.kind;
  if (typeof m.name === 'string') out.name = m.name;
  return out;
}

function checkEntries(entries: Entry[], readCsv: CsvReader | undefined): { errors: ConfigError[]; objects: FleetwardObject[]; devices: NonNullable<Revision['provisioningDevices']> } {
  const errors: ConfigError[] = [];
  const meta = entries.map((e) => metaOf(e.value));
  const err = (index: number, path: FieldPath, message: string) => {
    const e = entries[index]!;
    const m = meta[index]!;
    const ce: ConfigError = { file: e.file, line: e.file ? e.lineOf(path) : 0, message };
    if (m.kind) ce.kind = m.kind;
    if (m.name !== undefined) ce.name = m.name;
    if (path.length) ce.path = formatPath(path);
    errors.push(ce);
  };
  const where = (index: number) => {
    const e = entries[index]!;
    return e.file ? `${e.file}:${e.lineOf(['metadata', 'name'])}` : '';
  };

  const valid: RuleObject[] = [];
  const identified: Identified[] = [];
  const declared = new Map<Kind, Set<string>>();
  entries.forEach((e, index) => {
    const idIssues = identityIssues(e.value);
    for (const i of idIssues) err(index, i.path, i.message);
    if (idIssues.length) return;
    const { kind, name, namespace } = meta[index]!;
    if (!kind) return;
    if (name !== undefined) {
      identified.push({ index, kind, name, namespace });
      let set = declared.get(kind);
      if (!set) declared.set(kind, (set = new Set()));
      set.add(name);
    }
    const issues = schemaIssues(kind, e.value);
    for (const i of issues) err(index, i.path, i.message);
    if (issues.length === 0) valid.push({ index, obj: e.value as FleetwardObject });
  });

  for (const i of duplicateNames(identified, where)) err(i.index, i.path, i.message);
  for (const i of runRules({ valid, declared, where })) err(i.index, i.path, i.message);
  const devices = provisioningDevices(valid, identified, entries, readCsv, err, errors);

  const objects = valid.map(({ obj }) => {
    const { status: _status, ...rest } = obj as FleetwardObject & { status?: unknown };
    return rest as FleetwardObject;
  });
  return { errors, objects, devices };
}

type Located = { index: number; path: FieldPath } | { file: string; line: number; index: number; batch: string; column: string };

/**
 * Every batch's devices, inline and from its devicesFile, MACs checked across batches. A batch that failed the
 * schema still has its devicesFile read (when that field is usable), so its CSV errors are reported in the same
 * pass; its inline devices are not trusted.
 */
function provisioningDevices(
  valid: RuleObject[], identified: Identified[], entries: Entry[], readCsv: CsvReader | undefined,
  err: (index: number, path: FieldPath, message: string) => void, errors: ConfigError[],
): NonNullable<Revision['provisioningDevices']> {
  const macEntries: MacEntry<Located>[] = [];
  const extra: { batch: string; location?: string; user?: string; source: string }[] = [];
  const push = (batch: string, raw: string, where: Located, describe: string, location: string | undefined, user: string | undefined, source: string) => {
    macEntries.push({ batch, raw, where, describe });
    const x: (typeof extra)[number] = { batch, source };
    if (location !== undefined) x.location = location;
    if (user !== undefined) x.user = user;
    extra.push(x);
  };
  const validByIndex = new Map(valid.map((v) => [v.index, v.obj]));
  for (const { index, kind, name: batch } of identified) {
    if (kind !== 'ProvisioningBatch') continue;
    const e = entries[index]!;
    const obj = validByIndex.get(index) as ProvisioningBatch | undefined;
    (obj?.spec.devices ?? []).forEach((d, i) => {
      const path = ['spec', 'devices', i, 'macAddress'];
      const source = e.file ? `${e.file}:${e.lineOf(path)}` : `ProvisioningBatch/${batch} spec.devices[${i}]`;
      push(batch, d.macAddress, { index, path }, `ProvisioningBatch/${batch} (${source})`, d.location, d.signIn?.user, source);
    });
    const file = (e.value as { spec?: { devicesFile?: unknown } }).spec?.devicesFile;
    if (typeof file !== 'string' || file === '' || file.length > 1024 || !readCsv) continue;
    const path = ['spec', 'devicesFile'];
    const escape = escapeProblem(file);
    if (escape) { err(index, path, escape); continue; }
    const read = readCsv(normalizeRel(file));
    if ('error' in read) { err(index, path, read.error); continue; }
    const { rows, problems } = parseDevicesCsv(read.text);
    for (const p of problems) errors.push({ file: read.display, line: p.line, kind: 'ProvisioningBatch', name: batch, ...(p.column ? { path: p.column } : {}), message: p.message });
    for (const r of rows) {
      const source = `${read.display}:${r.line}`;
      push(batch, r.macAddress, { file: read.display, line: r.line, index, batch, column: 'macAddress' }, `ProvisioningBatch/${batch} (${source})`, r.location, r.user, source);
    }
  }
  const { issues, normalized } = checkMacs(macEntries);
  for (const { where, message } of issues) {
    if ('path' in where) err(where.index, where.path, message);
    else errors.push({ file: where.file, line: where.line, kind: 'ProvisioningBatch', name: where.batch, path: where.column, message });
  }
  const out: NonNullable<Revision['provisioningDevices']> = {};
  normalized.forEach((mac, i) => {
    if (mac === undefined) return;
    const { batch, ...rest } = extra[i]!;
    (out[batch] ??= []).push({ macAddress: mac, ...rest });
  });
  return out;
}

/** A devicesFile must stay inside the config directory: no absolute paths, no `..`. (Symlinks: the reader.) */
export function escapeProblem(file: string): string | undefined {
  if (isAbsolute(file) || file.startsWith('/') || file.startsWith('\\') || /^[A-Za-z]:/.test(file)) {
    return `${JSON.stringify(file)} is an absolute path; a devicesFile is relative to the config directory and stays inside it`;
  }
  if (file.split(/[\\/]+/).includes('..')) {
    return `${JSON.stringify(file)} leaves the config directory (..); a devicesFile must stay inside it`;
  }
  if (file.includes('\0')) return `${JSON.stringify(file)} is not a file name`;
  return undefined;
}
const normalizeRel = (file: string) => file.split(/[\\/]+/).filter((s) => s !== '' && s !== '.').join('/');

function byLocation(a: ConfigError, b: ConfigError): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line;
}

function loadParsed(
  files: { display: string; text: string }[], revisionId: () => string, readCsv: CsvReader | undefined, early: ConfigError[],
): LoadResult {
  const errors = [...early];
  const entries: Entry[] = [];
  for (const f of files) {
    const { docs, errors: e } = parseYaml(f.display, f.text);
    errors.push(...e);
    for (const d of docs) entries.push({ value: d.value, file: f.display, lineOf: d.lineOf });
  }
  const checked = checkEntries(entries, readCsv);
  errors.push(...checked.errors);
  if (errors.length > 0) return { ok: false, errors: errors.sort(byLocation) };
  const revision: Revision = { id: revisionId(), objects: checked.objects };
  if (Object.keys(checked.devices).length > 0) revision.provisioningDevices = checked.devices;
  return { ok: true, revision };
}

// ---- Entry points ------------------------------------------------------------------------------

const isConfigFile = (p: string) => /\.ya?ml$/i.test(p);

/**
 * A revision from files already read (the git source reads a commit's tree). Paths are shown as given.
 * `readFile(relPath)` returns a devicesFile's text (relative to the config root), or undefined when it is
 * missing; it must not follow symlinks out of the tree (a git symlink blob should read as undefined).
 */
export function loadDocuments(
  files: { path: string; text: string }[],
  opts: { revisionId: string; readFile?: (relPath: string) => string | undefined },
): LoadResult {
  const yamlFiles = files.filter((f) => isConfigFile(f.path));
  if (yamlFiles.length > LIMITS.maxFiles) {
    return { ok: false, errors: [{ file: '', line: 0, message: `${yamlFiles.length} YAML files; a config revision may hold at most ${LIMITS.maxFiles}` }] };
  }
  const total = yamlFiles.reduce((s, f) => s + Buffer.byteLength(f.text, 'utf8'), 0);
  if (total > LIMITS.maxTotalBytes) {
    return { ok: false, errors: [{ file: '', line: 0, message: `the YAML files hold ${(total / MIB).toFixed(1)} MiB; a config revision may hold at most ${LIMITS.maxTotalBytes / MIB} MiB` }] };
  }
  const read = opts.readFile;
  const readCsv: CsvReader | undefined = read && ((rel) => {
    const text = read(rel);
    if (text === undefined) return { error: `${JSON.stringify(rel)} does not exist in the config` };
    const problem = csvProblem(rel, Buffer.byteLength(text, 'utf8'), text);
    return problem ? { error: problem } : { text, display: rel };
  });
  return loadParsed(yamlFiles.map((f) => ({ display: f.path, text: f.text })), () => opts.revisionId, readCsv, []);
}

/** Objects from Kubernetes (the operator): same checks, no files, so errors carry file '' and line 0. */
export function validateObjects(objects: unknown[]): ConfigError[] {
  const entries: Entry[] = objects.map((value) => ({ value, file: '', lineOf: () => 0 }));
  return checkEntries(entries, undefined).errors;
}

/** Every *.yaml / *.yml under `dir` (hidden files and folders skipped). Revision id: sha256 of the files read. */
export async function loadConfigDir(dir: string): Promise<LoadResult> {
  let root: string;
  try {
    root = await realpath(dir);
    if (!(await stat(root)).isDirectory()) return { ok: false, errors: [{ file: dir, line: 0, message: 'is not a directory' }] };
  } catch {
    return { ok: false, errors: [{ file: dir, line: 0, message: 'no such directory' }] };
  }
  const early: ConfigError[] = [];
  const found: { rel: string; size: number }[] = [];
  let total = 0;
  const walk = async (relDir: string): Promise<boolean> => {
    const names = (await readdir(join(root, relDir), { withFileTypes: true })).map((d) => d.name).sort();
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const rel = relDir ? `${relDir}/${name}` : name;
      const abs = join(root, rel);
      const st = await lstat(abs);
      if (st.isSymbolicLink()) {
        if (!isConfigFile(name)) continue;
        const target = await realpath(abs).catch(() => undefined);
        if (!target || !inside(root, target)) {
          early.push({ file: join(dir, rel), line: 0, message: 'is a symlink that leads outside the config directory (or nowhere); it was not read' });
          continue;
        }
      } else if (st.isDirectory()) {
        if (!(await walk(rel))) return false;
        continue;
      } else if (!st.isFile() || !isConfigFile(name)) continue;
      const size = (await stat(abs)).size;
      if (size > LIMITS.maxFileBytes) {
        early.push({ file: join(dir, rel), line: 0, message: `the file is ${(size / MIB).toFixed(1)} MiB; a config file may be at most ${LIMITS.maxFileBytes / MIB} MiB` });
        continue;
      }
      found.push({ rel, size });
      total += size;
      if (found.length > LIMITS.maxFiles || total > LIMITS.maxTotalBytes) return false;
    }
    return true;
  };
  if (!(await walk(''))) {
    const message = found.length > LIMITS.maxFiles
      ? `more than ${LIMITS.maxFiles} YAML files; a config revision may hold at most ${LIMITS.maxFiles}`
      : `the YAML files hold more than ${LIMITS.maxTotalBytes / MIB} MiB; a config revision may hold at most ${LIMITS.maxTotalBytes / MIB} MiB`;
    return { ok: false, errors: [{ file: dir, line: 0, message }] };
  }

  const hashed: { rel: string; bytes: Buffer }[] = [];
  const files: { display: string; text: string }[] = [];
  for (const { rel } of found) {
    const bytes = await readFile(join(root, rel));
    hashed.push({ rel, bytes });
    // Not UTF-8: a lone U+FFFD makes parseYaml report the file as binary, like a NUL byte would.
    files.push({ display: join(dir, rel), text: decodeUtf8(bytes) ?? '\uFFFD' });
  }

  // devicesFile: read with sync I/O so the core stays one synchronous function (loadDocuments' contract).
  const readCsv: CsvReader = (rel) => readInside(root, dir, rel, hashed);
  const revisionId = () => {
    hashed.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    const h = createHash('sha256');
    for (const f of hashed) h.update(`${f.rel}\0${f.bytes.length}\0`).update(f.bytes);
    return `sha256:${h.digest('hex')}`;
  };
  return loadParsed(files, revisionId, readCsv, early);
}

function inside(root: string, target: string): boolean {
  const r = relative(root, target);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r) && !r.split(sep).includes('..');
}

function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function readInside(root: string, dir: string, rel: string, hashed: { rel: string; bytes: Buffer }[]): CsvRead {
  const abs = join(root, rel);
  let target: string;
  try {
    target = realpathSync(abs);
  } catch {
    return { error: `${JSON.stringify(rel)} does not exist in the config directory` };
  }
  if (!inside(root, target)) return { error: `${JSON.stringify(rel)} is a symlink that leads outside the config directory; a devicesFile must stay inside it` };
  const st = statSync(target);
  if (!st.isFile()) return { error: `${JSON.stringify(rel)} is not a file` };
  const early = csvProblem(rel, st.size, '');
  if (early) return { error: early };
  const bytes = readFileSync(target);
  hashed.push({ rel, bytes });
  const text = decodeUtf8(bytes);
  const problem = csvProblem(rel, bytes.length, text);
  return problem ? { error: problem } : { text: text!, display: join(dir, rel) };
}

/** Size and text checks of a devicesFile; `text` undefined means it was not valid UTF-8. */
function csvProblem(rel: string, bytes: number, text: string | undefined): string | undefined {
  if (bytes > LIMITS.maxFileBytes) return `${JSON.stringify(rel)} is ${(bytes / MIB).toFixed(1)} MiB; a devicesFile may be at most ${LIMITS.maxFileBytes / MIB} MiB`;
  if (text === undefined || /[\u0000\uFFFD]/.test(text)) return `${JSON.stringify(rel)} is not a text file (NUL bytes or not UTF-8); a devicesFile is a UTF-8 CSV`;
  return undefined;
}
