// What a directory holds, to prove a command left it alone: compare a snapshot taken before with one after.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Every file under `dir`, by path relative to it, with its text: equal snapshots mean nothing changed. With
 * `times`, each file's size and modification time as well: equal snapshots mean nothing was even rewritten.
 */
export function snapshotTree(dir: string, opts: { times?: boolean } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else out[relative(dir, p)] = (opts.times ? `${s.size} ${s.mtimeMs}\n` : '') + readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}
