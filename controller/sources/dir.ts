// `--config DIR`: the config from a local directory. The revision id is a hash of the content (computed by
// the loader), so an edit that changes nothing produces the same revision. chokidar watches the directory;
// bursts of changes (an editor's save, a `git pull`) are debounced into one pass.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { formatConfigError } from './load.ts';
import { loadConfigDirBounded } from './bounded.ts';
import { isHiddenPath } from './config-files.ts';
import type { Source, SourceResult } from './source.ts';

export interface DirSourceOptions {
  /** Quiet period after the last change before a pass is asked for. Default 300 ms. */
  debounceMs?: number;
  /**
   * While watching, the directory is re-read when a change was seen, and at least this often anyway (wall
   * time) in case the watcher missed one (network file systems). Default 60 s. Without watching, every load reads.
   */
  rereadMs?: number;
}

export class DirSource implements Source {
  readonly dir: string;
  readonly description: string;
  readonly #debounceMs: number;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #rereadMs: number;
  #dirty = true;
  #last: { result: SourceResult; at: number } | undefined;

  constructor(dir: string, opts: DirSourceOptions = {}) {
    this.dir = resolve(dir);
    this.description = `dir:${this.dir}`;
    this.#debounceMs = opts.debounceMs ?? 300;
    this.#rereadMs = opts.rereadMs ?? 60_000;
  }

  async load(): Promise<SourceResult> {
    if (this.#watcher && !this.#dirty && this.#last && Date.now() - this.#last.at < this.#rereadMs) return this.#last.result;
    this.#dirty = false;
    const at = Date.now();
    const result = await this.#read();
    this.#last = { result, at };
    return result;
  }

  async #read(): Promise<SourceResult> {
    try {
      if (!statSync(this.dir).isDirectory()) return { ok: false, reason: 'unavailable', message: `${this.dir} is not a directory` };
    } catch {
      return { ok: false, reason: 'unavailable', message: `${this.dir} does not exist` };
    }
    const result = await loadConfigDirBounded(this.dir);
    if (result.ok) return { ok: true, revision: result.revision };
    return { ok: false, reason: 'invalid', errors: result.errors.map(formatConfigError) };
  }

  watch(kick: () => void): void {
    if (this.#watcher) return;
    this.#watcher = watch(this.dir, {
      ignoreInitial: true,
      // Editors' swap and backup files, and dot-directories such as .git (the loader's own rule), never make a revision.
      ignored: (path: string) => isHiddenPath(path.slice(this.dir.length)) || /~$|\.swp$/.test(path),
      awaitWriteFinish: false,
    });
    this.#watcher.on('all', () => {
      this.#dirty = true;
      clearTimeout(this.#timer);
      this.#timer = setTimeout(kick, this.#debounceMs);
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.#timer);
    await this.#watcher?.close();
    this.#watcher = undefined;
  }
}
