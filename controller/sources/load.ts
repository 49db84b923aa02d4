// Loading a revision of the config (issue 2, items 3 and 5): every *.yaml / *.yml file of a directory,
// recursively, multi-document; validated as a whole (schema, then rules over all objects); every error
// reported at once as `file:line: Kind/name field.path: message`. An invalid revision carries no objects.
// The config repo is untrusted: file size and count caps, alias bombs, deep nesting and binary files are
// clear errors naming the file, never a hang, a crash or an out-of-memory.
import { createHash } from 'node:crypto';
import { lstat, open, readdir, realpath, stat, type FileHandle } from 'node:fs/promises';
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { FleetwardObject, Kind, ProvisioningBatch, Revision } from '../api/types.ts';
import { formatPath, identityIssues, isKind, schemaIssues, type FieldPath } from '../api/validate.ts';
import { checkMacs, duplicateNames, runRules, type Identified, type MacEntry, type RuleObject } from '../api/rules.ts';
import { parseDevicesCsv } from '../provisioning/csv.ts';
import { quote } from '../api/quote.ts';
import type { ConfigError } from './errors.ts';
import { LIMITS, MIB, mib } from './limits.ts';
import { parseYaml } from './yaml.ts';
import { isConfigPath, isHiddenPath } from './config-files.ts';

export type { ConfigError } from './errors.ts';
export { formatConfigError } from './errors.ts';
export { LIMITS } from './limits.ts';
export { parseYaml, textProblem, type ParsedDoc } from './yaml.ts';
export type LoadResult = { ok: true; revision: Revision } | { ok: false; errors: ConfigError[] };

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
  const csvOwners = new Map<string, string>();
  let csvRows = 0;
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
    // One devices file, one batch: each distinct file is read and counted once, so 100 batches naming one
    // 10,000-row file cost one read and one error each, not a million duplicate MACs.
    const rel = normalizeRel(file);
    const owner = csvOwners.get(rel);
    if (owner) { err(index, path, `${quote(file)} is already the devicesFile of ${owner}; a devices file belongs to one ProvisioningBatch`); continue; }
    csvOwners.set(rel, `ProvisioningBatch/${batch}${e.file ? ` (${e.file}:${e.lineOf(path)})` : ''}`);
    if (csvRows > LIMITS.maxCsvRows) continue;
    const read = readCsv(rel);
    if ('error' in read) { err(index, path, read.error); continue; }
    const { rows, problems } = parseDevicesCsv(read.text);
    csvRows += rows.length;
    if (csvRows > LIMITS.maxCsvRows) {
      err(index, path, `the devicesFiles of this revision hold more than ${LIMITS.maxCsvRows} device rows; split the fleet's batches over several revisions or raise maxCsvRows (FLEETWARD_LIMITS)`);
      continue;
    }
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

/** At most LIMITS.maxErrors lines, then one that counts the rest: a hostile revision cannot flood the log. */
function capped(errors: ConfigError[]): ConfigError[] {
  const sorted = errors.sort(byLocation);
  if (sorted.length <= LIMITS.maxErrors) return sorted;
  return [...sorted.slice(0, LIMITS.maxErrors), { file: '', line: 0, message: `… and ${sorted.length - LIMITS.maxErrors} more errors (only the first ${LIMITS.maxErrors} are listed)` }];
}

const tooManyObjects = (n: number): ConfigError => ({ file: '', line: 0, message: `more than ${LIMITS.maxObjects} objects; a config revision may hold at most ${LIMITS.maxObjects} (maxObjects)` });

function loadParsed(
  files: { display: string; text: string }[], revisionId: () => string, readCsv: CsvReader | undefined, early: ConfigError[],
): LoadResult {
  const errors = [...early];
  const entries: Entry[] = [];
  for (const f of files) {
    const { docs, errors: e } = parseYaml(f.display, f.text);
    errors.push(...e);
    for (const d of docs) entries.push({ value: d.value, file: f.display, lineOf: d.lineOf });
    if (entries.length > LIMITS.maxObjects) return { ok: false, errors: [tooManyObjects(entries.length)] };
  }
  const checked = checkEntries(entries, readCsv);
  errors.push(...checked.errors);
  if (errors.length > 0) return { ok: false, errors: capped(errors) };
  const revision: Revision = { id: revisionId(), objects: checked.objects };
  if (Object.keys(checked.devices).length > 0) revision.provisioningDevices = checked.devices;
  return { ok: true, revision };
}

// ---- Entry points ------------------------------------------------------------------------------

/**
 * A revision from files already read (the git source reads a commit's tree). Paths are shown as given; only
 * config paths (controller/sources/config-files.ts) are parsed. `readFile(relPath)` returns a devicesFile's text
 * (relative to the config root), or undefined when it is missing; it must not follow symlinks out of the tree.
 */
export function loadDocuments(
  files: { path: string; text: string }[],
  opts: { revisionId: string; readFile?: (relPath: string) => string | undefined; early?: ConfigError[] },
): LoadResult {
  const yamlFiles = files.filter((f) => isConfigPath(f.path));
  if (yamlFiles.length > LIMITS.maxFiles) {
    return { ok: false, errors: [{ file: '', line: 0, message: `${yamlFiles.length} YAML files; a config revision may hold at most ${LIMITS.maxFiles}` }] };
  }
  let total = yamlFiles.reduce((s, f) => s + Buffer.byteLength(f.text, 'utf8'), 0);
  if (total > LIMITS.maxTotalBytes) {
    return { ok: false, errors: [{ file: '', line: 0, message: `the YAML files hold ${mib(total)}; a config revision may hold at most ${LIMITS.maxTotalBytes / MIB} MiB` }] };
  }
  const read = opts.readFile;
  const readCsv: CsvReader | undefined = read && ((rel) => {
    const text = read(rel);
    if (text === undefined) return { error: `${quote(rel)} does not exist in the config` };
    const bytes = Buffer.byteLength(text, 'utf8');
    const problem = csvProblem(rel, bytes, text) ?? budgetProblem(rel, (total += bytes));
    return problem ? { error: problem } : { text, display: rel };
  });
  return loadParsed(yamlFiles.map((f) => ({ display: f.path, text: f.text })), () => opts.revisionId, readCsv, opts.early ?? []);
}

/** Objects from Kubernetes (the operator): same checks and budgets, no files, so errors carry file '' and line 0. */
export function validateObjects(objects: unknown[]): ConfigError[] {
  if (objects.length > LIMITS.maxObjects) return [tooManyObjects(objects.length)];
  const shape: ConfigError[] = [];
  objects.forEach((value) => {
    const problem = valueShapeProblem(value);
    if (!problem) return;
    const { kind, name } = metaOf(value);
    shape.push({ file: '', line: 0, ...(kind ? { kind } : {}), ...(name !== undefined ? { name } : {}), ...(problem.path ? { path: problem.path } : {}), message: problem.message });
  });
  const entries: Entry[] = objects.map((value) => ({ value, file: '', lineOf: () => 0 }));
  const errors = [...shape, ...checkEntries(entries, undefined).errors];
  return errors.length > LIMITS.maxErrors ? capped(errors) : errors;
}

/** The YAML limits (depth, keys per mapping) over a plain value, for objects that never were YAML text. */
function valueShapeProblem(root: unknown): { path: string; message: string } | undefined {
  const stack: [unknown, number, string][] = [[root, 0, '']];
  while (stack.length) {
    const [v, d, path] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (d >= LIMITS.maxDepth) return { path, message: `nesting deeper than ${LIMITS.maxDepth} levels; a config object never needs that` };
    const keys = Object.keys(v);
    if (!Array.isArray(v) && keys.length > LIMITS.maxKeysPerMapping) return { path, message: `a mapping with ${keys.length} keys; a mapping may hold at most ${LIMITS.maxKeysPerMapping}` };
    for (const k of keys) stack.push([(v as Record<string, unknown>)[k], d + 1, path ? `${path}.${k.slice(0, 40)}` : k.slice(0, 40)]);
  }
  return undefined;
}

/** What the directory walk found: a file to read, or a refusal naming the file. */
type Found = { rel: string; abs: string; size: number } | { rel: string; refused: string };

/** The kind of a non-regular file, in words. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSymbolicLink()) return 'a symlink';
  return 'not a regular file';
}

/**
 * Every config file under `dir` (controller/sources/config-files.ts decides which), parsed and validated as one
 * revision. Sizes come from lstat/fstat before any byte is read; only regular files are read (a symlink is
 * followed when it stays inside the directory and leads to one); every refusal is a `file: message` error.
 * Revision id: sha256 of the files read.
 * `overlay` (config path relative to `dir`, `/`-separated → text) is read in place of those files, or beside
 * them when they do not exist yet: the revision a change would make, checked before anything is written
 * (controller/admin).
 */
export async function loadConfigDir(dir: string, overlay: ReadonlyMap<string, string> = new Map()): Promise<LoadResult> {
  let root: string;
  try {
    root = await realpath(dir);
    if (!(await stat(root)).isDirectory()) return { ok: false, errors: [{ file: dir, line: 0, message: 'is not a directory' }] };
  } catch {
    return { ok: false, errors: [{ file: dir, line: 0, message: 'no such directory' }] };
  }
  const early: ConfigError[] = [];
  const found: { rel: string; abs: string; size: number }[] = [];
  let total = 0;
  let walked = 0;
  let over: string | undefined;
  // One file more for the revision, from the walk or the overlay: counted against the file and byte limits.
  const add = (f: { rel: string; abs: string; size: number }) => {
    found.push(f);
    total += f.size;
    if (found.length > LIMITS.maxFiles) over = `more than ${LIMITS.maxFiles} YAML files; a config revision may hold at most ${LIMITS.maxFiles}`;
    else if (total > LIMITS.maxTotalBytes) over = `the YAML files hold more than ${LIMITS.maxTotalBytes / MIB} MiB; a config revision may hold at most ${LIMITS.maxTotalBytes / MIB} MiB`;
  };
  const walk = async (relDir: string): Promise<void> => {
    const names = (await readdir(join(root, relDir))).sort();
    for (const name of names) {
      if (over) return;
      const rel = relDir ? `${relDir}/${name}` : name;
      if (isHiddenPath(rel)) continue;
      if (++walked > LIMITS.maxTreeEntries) { over = `more than ${LIMITS.maxTreeEntries} files and folders; a config directory may hold at most ${LIMITS.maxTreeEntries} (maxTreeEntries)`; return; }
      const f = await examine(root, rel);
      if (f === 'folder') { await walk(rel); continue; }
      if (f === undefined) continue;
      if ('refused' in f) { early.push({ file: join(dir, f.rel), line: 0, message: f.refused }); continue; }
      add(f);
    }
  };
  await walk('');
  for (const [rel, text] of overlay) {
    if (over || found.some((f) => f.rel === rel)) continue;
    add({ rel, abs: join(root, rel), size: Buffer.byteLength(text, 'utf8') });
  }
  if (over) return { ok: false, errors: [{ file: dir, line: 0, message: over }] };

  const hashed: { rel: string; bytes: Buffer }[] = [];
  const files: { display: string; text: string }[] = [];
  for (const f of found) {
    const replaced = overlay.get(f.rel);
    const got = replaced !== undefined ? { bytes: Buffer.from(replaced, 'utf8') } : await readRegular(f.abs, LIMITS.maxFileBytes);
    if ('refused' in got) { early.push({ file: join(dir, f.rel), line: 0, message: got.refused }); continue; }
    hashed.push({ rel: f.rel, bytes: got.bytes });
    // Not UTF-8: a lone U+FFFD makes parseYaml report the file as binary, like a NUL byte would.
    files.push({ display: join(dir, f.rel), text: decodeUtf8(got.bytes) ?? '\uFFFD' });
  }

  // devicesFile: read with sync I/O so the core stays one synchronous function (loadDocuments' contract).
  const budget = { total };
  const readCsv: CsvReader = (rel) => readInside(root, dir, rel, hashed, budget);
  const revisionId = () => {
    hashed.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    const h = createHash('sha256');
    for (const f of hashed) h.update(`${f.rel}\0${f.bytes.length}\0`).update(f.bytes);
    return `sha256:${h.digest('hex')}`;
  };
  return loadParsed(files, revisionId, readCsv, early);
}

/** One entry of the walk: a folder to descend into, a config file to read, a refusal, or nothing (not config). */
async function examine(root: string, rel: string): Promise<'folder' | Found | undefined> {
  const abs = join(root, rel);
  const st = await lstat(abs).catch(() => undefined);
  if (!st) return undefined; // gone since readdir
  if (st.isDirectory()) return 'folder';
  // Symlinked folders are not walked into (a link to `..` would loop); other files are only looked at when
  // their name says config.
  if (!isConfigPath(rel)) return undefined;
  if (st.isSymbolicLink()) {
    const target = await realpath(abs).catch(() => undefined);
    if (!target || !inside(root, target)) return { rel, refused: 'is a symlink that leads outside the config directory (or nowhere); it was not read' };
    const t = await stat(target);
    if (!t.isFile()) return { rel, refused: `is a symlink to ${kindOf(t)}; only regular files are read` };
    return sized(rel, target, t.size);
  }
  if (!st.isFile()) return { rel, refused: `is ${kindOf(st)}; only regular files are read` };
  return sized(rel, abs, st.size);
}

function sized(rel: string, abs: string, size: number): Found {
  if (size > LIMITS.maxFileBytes) return { rel, refused: `the file is ${mib(size)}; a config file may be at most ${LIMITS.maxFileBytes / MIB} MiB` };
  return { rel, abs, size };
}

/**
 * Reads a file only if it is still a regular file within the size limit when opened: O_NONBLOCK so a FIFO
 * swapped in after the walk cannot block, O_NOFOLLOW so a symlink swapped in is not followed, fstat on the
 * open descriptor, and never more than `max` + 1 bytes.
 */
async function readRegular(abs: string, max: number): Promise<{ bytes: Buffer } | { refused: string }> {
  let fh: FileHandle;
  try {
    fh = await open(abs, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (err) {
    return { refused: `could not be read (${(err as NodeJS.ErrnoException).code ?? 'error'}); only regular files are read` };
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { refused: `is ${kindOf(st)}; only regular files are read` };
    if (st.size > max) return { refused: `the file is ${mib(st.size)}; a config file may be at most ${max / MIB} MiB` };
    const buf = Buffer.alloc(st.size + 1);
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    if (n > max) return { refused: `the file grew past ${max / MIB} MiB while it was read; a config file may be at most ${max / MIB} MiB` };
    return { bytes: buf.subarray(0, n) };
  } finally {
    await fh.close();
  }
}

function readRegularSync(abs: string, max: number): { bytes: Buffer } | { refused: string } {
  let fd: number;
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (err) {
    return { refused: `could not be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { refused: `is ${kindOf(st)}; only regular files are read` };
    if (st.size > max) return { refused: `is ${mib(st.size)}; a devicesFile may be at most ${max / MIB} MiB` };
    const buf = Buffer.alloc(st.size + 1);
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, n);
      if (got === 0) break;
      n += got;
    }
    if (n > max) return { refused: `grew past ${max / MIB} MiB while it was read; a devicesFile may be at most ${max / MIB} MiB` };
    return { bytes: buf.subarray(0, n) };
  } finally {
    closeSync(fd);
  }
}

function inside(root: string, target: string): boolean {
  const r = relative(root, target);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r) && !r.split(sep).includes('..');
}

/** The bytes as UTF-8 text, or undefined when they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function readInside(root: string, dir: string, rel: string, hashed: { rel: string; bytes: Buffer }[], budget: { total: number }): CsvRead {
  const abs = join(root, rel);
  let target: string;
  try {
    target = realpathSync(abs);
  } catch {
    return { error: `${quote(rel)} does not exist in the config directory` };
  }
  if (!inside(root, target)) return { error: `${quote(rel)} is a symlink that leads outside the config directory; a devicesFile must stay inside it` };
  const st = statSync(target);
  if (!st.isFile()) return { error: `${quote(rel)} is ${kindOf(st)}; a devicesFile must be a regular file` };
  const early = csvProblem(rel, st.size, '') ?? budgetProblem(rel, budget.total + st.size);
  if (early) return { error: early };
  const got = readRegularSync(target, LIMITS.maxFileBytes);
  if ('refused' in got) return { error: `${quote(rel)} ${got.refused}` };
  budget.total += got.bytes.length;
  hashed.push({ rel, bytes: got.bytes });
  const text = decodeUtf8(got.bytes);
  const problem = csvProblem(rel, got.bytes.length, text);
  return problem ? { error: problem } : { text: text!, display: join(dir, rel) };
}

/** Size and text checks of a devicesFile; `text` undefined means it was not valid UTF-8. */
function csvProblem(rel: string, bytes: number, text: string | undefined): string | undefined {
  if (bytes > LIMITS.maxFileBytes) return `${quote(rel)} is ${mib(bytes)}; a devicesFile may be at most ${LIMITS.maxFileBytes / MIB} MiB`;
  if (text === undefined || /[\u0000\uFFFD]/.test(text)) return `${quote(rel)} is not a text file (NUL bytes or not UTF-8); a devicesFile is a UTF-8 CSV`;
  return undefined;
}

/** The revision's byte budget, YAML and CSV together. */
function budgetProblem(rel: string, total: number): string | undefined {
  if (total <= LIMITS.maxTotalBytes) return undefined;
  return `${quote(rel)} would take the bytes read for this revision past ${LIMITS.maxTotalBytes / MIB} MiB (YAML and CSV files together; maxTotalBytes)`;
}
