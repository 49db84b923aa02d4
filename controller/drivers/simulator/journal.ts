// Durable simulator state: a snapshot plus an append-only journal of what happened since.
//
// - `snapshot.json` holds the whole state at journal sequence number `seq`; it is replaced atomically
//   (write a temp file, fsync it, rename it over, fsync the directory).
// - `journal-<n>.jsonl` segments hold one entry per line, each with its `seq`. An append resolves only
//   once its line is on disk (fdatasync); appends that arrive while a write is running are grouped into
//   the next write, so many concurrent callers share one fsync.
// - Compaction writes a new snapshot and deletes the segments it covers. Replay skips entries whose
//   seq the snapshot already holds, so a crash at any step leaves a state that loads.
// - A process always starts a fresh segment, so a line torn by a crash is only ever the last line of an
//   older segment, and is ignored on load.
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export interface JournalEntry {
  seq: number;
  /** Simulated instant (ms) at which the entry happened. */
  at: number;
  type: string;
  [key: string]: unknown;
}

export interface Loaded<S> {
  snapshot?: S & { seq: number };
  /** Entries newer than the snapshot, in seq order. */
  entries: JournalEntry[];
}

const SNAPSHOT = 'snapshot.json';
const LOCK = 'lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One process at a time per state directory: two writers would interleave their journals. A lock left by
 * a process that died (SIGKILL) is taken over; this process may reopen its own directory (tests do).
 */
function takeLock(dir: string): void {
  const path = join(dir, LOCK);
  try {
    const holder = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
      throw new Error(`simulator state ${dir} is in use by process ${holder}; stop it first, or use another state directory`);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  writeFileSync(path, `${process.pid}\n`, { mode: 0o600 });
}

function releaseLock(dir: string): void {
  const path = join(dir, LOCK);
  try {
    if (Number(readFileSync(path, 'utf8').trim()) === process.pid) unlinkSync(path);
  } catch {
    // already gone
  }
}
const SEGMENT_RE = /^journal-(\d+)\.jsonl$/;

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function segments(dir: string): { n: number; file: string }[] {
  return readdirSync(dir)
    .map((name) => ({ m: SEGMENT_RE.exec(name), name }))
    .filter((x) => x.m)
    .map((x) => ({ n: Number(x.m![1]), file: join(dir, x.name) }))
    .sort((a, b) => a.n - b.n);
}

export class Journal {
  readonly dir: string;
  #segmentNo: number;
  #handle: FileHandle | undefined;
  #queue: { line: string; resolve: () => void; reject: (err: unknown) => void }[] = [];
  #flushing: Promise<void> | undefined;
  #compacting: Promise<void> | undefined;
  #rotate = false;
  #closed = false;
  /** Entries appended since the last snapshot (a hint for when to compact). */
  sinceSnapshot = 0;

  private constructor(dir: string, segmentNo: number) {
    this.dir = dir;
    this.#segmentNo = segmentNo;
  }

  /** Reads what a previous process left in `dir` (created if missing) and opens the journal for appends. */
  static openSync<S>(dir: string): { journal: Journal; loaded: Loaded<S> } {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    takeLock(dir);
    let snapshot: (S & { seq: number }) | undefined;
    try {
      snapshot = JSON.parse(readFileSync(join(dir, SNAPSHOT), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`simulator state ${join(dir, SNAPSHOT)} is unreadable: ${(err as Error).message}`);
    }
    const since = snapshot?.seq ?? 0;
    const entries: JournalEntry[] = [];
    const segs = segments(dir);
    for (const { file } of segs) {
      const lines = readFileSync(file, 'utf8').split('\n');
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        if (line.trim() === '') continue;
        let entry: JournalEntry;
        try {
          entry = JSON.parse(line);
        } catch {
          if (lines.slice(i + 1).every((l) => l.trim() === '')) break; // torn last line: the append never completed
          throw new Error(`simulator journal ${file}:${i + 1} is corrupt`);
        }
        if (entry.seq > since) entries.push(entry);
      }
    }
    entries.sort((a, b) => a.seq - b.seq);
    const journal = new Journal(dir, (segs.at(-1)?.n ?? 0) + 1);
    journal.sinceSnapshot = entries.length;
    return { journal, loaded: { snapshot, entries } };
  }

  /** Replaces the snapshot synchronously (used once, when a state directory is first created). */
  writeSnapshotSync(snapshot: { seq: number }): void {
    const tmp = join(this.dir, `${SNAPSHOT}.tmp`);
    writeFileSync(tmp, JSON.stringify(snapshot), { mode: 0o600 });
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, SNAPSHOT));
    fsyncDir(this.dir);
  }

  /** Resolves once the entry is on disk. */
  append(entry: JournalEntry): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('simulator journal is closed'));
    this.sinceSnapshot++;
    return new Promise((resolve, reject) => {
      this.#queue.push({ line: JSON.stringify(entry) + '\n', resolve, reject });
      this.#kick();
    });
  }

  #kick(): void {
    if (this.#flushing || this.#queue.length === 0) return;
    this.#flushing = this.#flush().finally(() => {
      this.#flushing = undefined;
      this.#kick();
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#queue.splice(0);
    try {
      if (this.#rotate) {
        // A compaction took a snapshot: what follows goes to a segment the snapshot does not cover.
        this.#rotate = false;
        const old = this.#handle;
        this.#handle = undefined;
        this.#segmentNo++;
        await old?.close();
      }
      if (!this.#handle) {
        this.#handle = await open(join(this.dir, `journal-${this.#segmentNo}.jsonl`), 'a', 0o600);
        fsyncDir(this.dir);
      }
      await this.#handle.write(batch.map((b) => b.line).join(''));
      await this.#handle.datasync();
      for (const b of batch) b.resolve();
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }

  /**
   * Writes `snapshot` (taken by the caller at this instant, holding every entry up to its seq) and
   * drops the journal segments it covers. Appends go on meanwhile: every write after this call goes
   * to a new segment, so no entry newer than the snapshot lands in a segment that gets deleted.
   */
  compact(snapshot: { seq: number }): Promise<void> {
    // Serialised now: the caller's state moves on as soon as this returns.
    const text = JSON.stringify(snapshot);
    const covered = segments(this.dir).filter((s) => s.n <= this.#segmentNo);
    this.#rotate = true;
    this.sinceSnapshot = 0;
    // Compactions run one after another, in call order, so the last snapshot written is the newest.
    const previous = this.#compacting ?? Promise.resolve();
    const mine: Promise<void> = previous.catch(() => {}).then(async () => {
      const tmp = join(this.dir, `${SNAPSHOT}.tmp`);
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(text);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(this.dir, SNAPSHOT));
      fsyncDir(this.dir);
      for (const s of covered) await unlink(s.file).catch(() => {});
    }).finally(() => {
      if (this.#compacting === mine) this.#compacting = undefined;
    });
    this.#compacting = mine;
    return mine;
  }

  /** Waits for pending appends and compaction, then closes the segment. */
  async close(): Promise<void> {
    while (this.#flushing || this.#compacting) {
      await this.#flushing;
      await this.#compacting;
    }
    this.#closed = true;
    await this.#handle?.close();
    this.#handle = undefined;
    releaseLock(this.dir);
  }
}
