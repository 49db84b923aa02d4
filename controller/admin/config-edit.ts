// Admin actions are declared changes (seed 001: "retry all failed" and "force" as a SoftwareUpdate or a
// bumped field; docs/admin.md): they edit the config directory an admin then commits, never the fleet.
// A change is one document, added to a file or edited in place; the other documents of the file keep their
// bytes, the edited one keeps its comments (the `yaml` Document API). Before anything is written the whole
// revision the change would make is checked by the validator `fleetward validate` uses; when it is invalid,
// nothing is written.
import { lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { Document, isMap, isScalar, parseAllDocuments, Scalar } from 'yaml';
import type { Kind } from '../api/types.ts';
import { isConfigPath } from '../sources/config-files.ts';
import { writeFileAtomic } from '../status/atomic.ts';
import { loadConfigDirBounded } from '../sources/bounded.ts';
import type { ConfigError } from '../sources/load.ts';

/** Options for every document printed or written: no folded lines, `[a, b]` as written by hand. */
const PRINT = { lineWidth: 0, flowCollectionPadding: false } as const;

/** One YAML document of the config directory, editable. */
export interface LocatedDocument {
  /** Path relative to the config directory, `/`-separated. */
  file: string;
  /** The file's documents; `index` is the one found. */
  docs: Document.Parsed[];
  index: number;
  text: string;
}

/** A change ready to be written (or printed): one file's new text and the document that changed. */
export interface ConfigChange {
  dir: string;
  /** Relative to `dir`, `/`-separated. */
  file: string;
  /** The whole file after the change. */
  text: string;
  /** The file did not exist. */
  created: boolean;
  /** The changed or added document alone: what `--dry-run` prints and `kubectl apply -f -` takes. */
  document: string;
}

export class ConfigEditError extends Error {
  readonly errors: ConfigError[];
  constructor(message: string, errors: ConfigError[] = []) {
    super(message);
    this.name = 'ConfigEditError';
    this.errors = errors;
  }
}

/** The config files a revision is read from (controller/sources/config-files.ts), regular files only. */
function configFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    if (name.startsWith('.')) continue;
    const st = lstatSync(join(dir, r));
    if (st.isDirectory()) out.push(...configFiles(dir, r));
    else if (st.isFile() && isConfigPath(r)) out.push(r);
  }
  return out;
}

function parseFile(text: string): Document.Parsed[] {
  // The core schema, as the loader reads it: `2026-12-18T17:00:00Z` stays text.
  return parseAllDocuments(text, { schema: 'core', resolveKnownTags: false }) as Document.Parsed[];
}

/** The document declaring `kind`/`name` in the config directory, if any. */
export function findObject(dir: string, kind: Kind, name: string): LocatedDocument | undefined {
  for (const file of configFiles(dir)) {
    const text = readFileSync(join(dir, file), 'utf8');
    // Cheap filter first: most files do not mention the kind at all.
    if (!text.includes(kind)) continue;
    const docs = parseFile(text);
    const index = docs.findIndex((d) => d.errors.length === 0 && d.get('kind') === kind && d.getIn(['metadata', 'name']) === name);
    if (index >= 0) return { file, docs, index, text };
  }
  return undefined;
}

/** Every document of `kind` in the config directory, in file order, with the value it holds. */
export function findObjects(dir: string, kind: Kind): (LocatedDocument & { value: Record<string, unknown> })[] {
  const out: (LocatedDocument & { value: Record<string, unknown> })[] = [];
  for (const file of configFiles(dir)) {
    const text = readFileSync(join(dir, file), 'utf8');
    if (!text.includes(kind)) continue;
    const docs = parseFile(text);
    docs.forEach((d, index) => {
      if (d.errors.length === 0 && d.get('kind') === kind) out.push({ file, docs, index, text, value: d.toJS() as Record<string, unknown> });
    });
  }
  return out;
}

/**
 * The file's text with document `index` printed again and every other document's bytes kept: the region
 * of a document runs from the end of the one before (its `---` and leading comments included) to its own end.
 */
export function replaceDocument(located: LocatedDocument): string {
  const { docs, index, text } = located;
  const start = index === 0 ? 0 : docs[index - 1]!.range[2];
  const end = docs[index]!.range[2];
  let printed = docs[index]!.toString(PRINT);
  if (end < text.length && !printed.endsWith('\n')) printed += '\n';
  return text.slice(0, start) + printed + text.slice(end);
}

/** A document printed alone, with a leading `---` dropped (for `--dry-run`). */
export function printDocument(doc: Document): string {
  let out = doc.toString(PRINT);
  if (out.startsWith('---\n')) out = out.slice(4);
  return out.endsWith('\n') ? out : `${out}\n`;
}

/** `text` with `doc` added as a further document (a new file holds it alone). */
export function appendDocument(text: string | undefined, doc: Document): string {
  const printed = printDocument(doc);
  if (text === undefined || text.trim() === '') return printed;
  return `${text}${text.endsWith('\n') ? '' : '\n'}---\n${printed}`;
}

/** A quoted scalar: instants and versions must stay text for every YAML reader (kubectl reads YAML 1.1). */
export function quoted(doc: Document, value: string): Scalar {
  const node = doc.createNode(value) as Scalar;
  node.type = Scalar.QUOTE_DOUBLE;
  return node;
}

/** Removes `path` from `doc`, and mappings left empty by it (`autoUpdates: {}` helps no one). */
export function deleteIn(doc: Document, path: string[]): boolean {
  if (!doc.hasIn(path)) return false;
  doc.deleteIn(path);
  for (let n = path.length - 1; n > 0; n--) {
    const parent = doc.getIn(path.slice(0, n), true);
    if (isMap(parent) && parent.items.length === 0) doc.deleteIn(path.slice(0, n));
    else break;
  }
  return true;
}

export function scalarText(doc: Document, path: string[]): string | undefined {
  const v = doc.getIn(path, true);
  if (isScalar(v) && v.value !== null && v.value !== undefined) return String(v.value);
  return undefined;
}

/** Checks a config directory that exists and is a directory; returns its path as given. */
export function configDir(dir: string): string {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new ConfigEditError(`config directory not found: ${dir}`);
  }
  if (!st.isDirectory()) throw new ConfigEditError(`${dir} is not a directory`);
  return dir;
}

/** A path inside the config directory, `/`-separated, for `--file`; refuses to leave it. */
export function fileInside(dir: string, file: string): string {
  const rel = relative(dir, join(dir, file));
  if (rel === '' || rel.startsWith('..') || rel.split(sep).includes('..') || file.startsWith('/')) {
    throw new ConfigEditError(`--file ${JSON.stringify(file)} must name a file inside the config directory ${dir}`);
  }
  const path = rel.split(sep).join('/');
  if (!isConfigPath(path)) throw new ConfigEditError(`--file ${JSON.stringify(file)}: not read as config (a config file ends in .yaml or .yml, and no part of its path starts with a dot)`);
  return path;
}

export function readIfExists(dir: string, file: string): string | undefined {
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The revision the change would make, checked as `fleetward validate` checks it (the same loader, in the same
 * time and memory budget). Throws ConfigEditError
 * with the loader's `file:line: Kind/name path: message` errors when it is invalid.
 */
export async function checkChange(change: ConfigChange): Promise<void> {
  const result = await loadConfigDirBounded(change.dir, new Map([[change.file, change.text]]));
  if (!result.ok) {
    throw new ConfigEditError(`the change would make the config in ${change.dir} invalid; nothing was written`, result.errors);
  }
}

/**
 * Checks, then writes the file atomically (a temporary file renamed over it, so a reader — git, the
 * directory source — sees the old text or the new, never half), keeping an existing file's mode.
 */
export async function applyChange(change: ConfigChange): Promise<void> {
  await checkChange(change);
  const path = join(change.dir, change.file);
  let mode = 0o644;
  try { mode = statSync(path).mode & 0o777; } catch { /* a new file */ }
  // Config is the admin's, not private state: new folders get the umask's mode, like mkdir.
  writeFileAtomic(path, change.text, { mode, dirMode: 0o777 });
}
