// Atomic file writes for the state directory: a reader (or a restart after SIGKILL) sees either the
// old content or the new one, never half of either. Write a temporary file beside the target, fsync
// it (unless told not to: content the next pass re-derives anyway), and rename it over the target. The directory is fsynced only when asked (`durable`): a killed
// process loses nothing without it, and a pass writes hundreds of files; only an OS crash could undo
// the last renames, which the next pass re-derives from the driver anyway.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * `mode` is the file's (default 0600: state is private) and `dirMode` that of folders made for it (default
 * 0700); the admin commands pass the config file's own mode. The temporary file's name starts with a dot, so
 * the directory source never reads a half-written one as config.
 */
export function writeFileAtomic(path: string, content: string, opts: { fsync?: boolean; durable?: boolean; mode?: number; dirMode?: number } = {}): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: opts.dirMode ?? 0o700 });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'w', opts.mode ?? 0o600);
  try {
    writeSync(fd, content);
    if (opts.fsync !== false) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  if (!opts.durable) return;
  try {
    const dfd = openSync(dir, 'r');
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  }
}

/** Parsed JSON, or undefined when the file does not exist. A corrupt file is an error, not a silent reset. */
export function readJson<T>(path: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
}
