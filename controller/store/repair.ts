// `fleetward state check` and `fleetward state repair` (docs/run.md "Damaged state"): find what of a state
// directory cannot be read, and recover from it with everything that can be — saying, for each thing
// dropped, what was lost. Repair never rebuilds a history silently: a device whose record is dropped keeps a
// `historyLost` note that `fleetward status` shows.
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { DB_FILE, readerLocation, SqliteStore, StoreDamaged } from './sqlite.ts';

export interface Finding {
  /** What is damaged: `store`, `run`, `revision`, `objects`, `device ID`, `clock`. */
  what: string;
  problem: string;
}

const CLOCK_FILE = 'clock.json';

/** Everything in the state directory that cannot be read. Reads only; an empty list is a healthy directory. */
export function checkState(dir: string): Finding[] {
  const findings: Finding[] = [];
  findings.push(...checkClock(dir));
  const path = join(dir, DB_FILE);
  if (!existsSync(path)) return findings;
  const integrity = integrityOf(path);
  if (integrity !== 'ok') {
    findings.push({ what: 'store', problem: `${path} failed its integrity check: ${integrity}` });
    return findings;
  }
  let store: SqliteStore;
  try {
    store = new SqliteStore(dir, { readOnly: true });
  } catch (err) {
    findings.push({ what: 'store', problem: (err as Error).message });
    return findings;
  }
  try {
    for (const [what, read] of [['run', () => store.readRun()], ['revision', () => store.readLastGoodRevision()], ['objects', () => store.readObjects()]] as const) {
      try { read(); } catch (err) { findings.push({ what, problem: (err as Error).message }); }
    }
    for (const [id, problem] of store.checkDevices()) findings.push({ what: `device ${id}`, problem });
  } finally {
    void store.close();
  }
  return findings;
}

function checkClock(dir: string): Finding[] {
  const file = join(dir, CLOCK_FILE);
  if (!existsSync(file)) return [];
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as { now?: unknown };
    if (typeof v?.now !== 'string' || Number.isNaN(Date.parse(v.now))) return [{ what: 'clock', problem: `${file}: no simulated instant in it` }];
    return [];
  } catch (err) {
    return [{ what: 'clock', problem: `${file}: not valid JSON (${(err as Error).message})` }];
  }
}

/** `PRAGMA integrity_check` of the file, or why it could not even be opened. */
function integrityOf(path: string): string {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(readerLocation(path), { readOnly: true });
    const rows = db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('; ').slice(0, 500);
  } catch (err) {
    return (err as Error).message;
  } finally {
    db?.close();
  }
}

export interface RepairAction {
  what: string;
  done: string;
}

/**
 * Repairs the state directory of a stopped run. A file that fails its integrity check is replaced by a new
 * one holding every row that could still be read (the old file is kept beside it); then each damaged record
 * is dropped and replaced: the run status and per-object status are re-derived by the next pass, a lost last
 * good revision is replaced by the source's newest valid one, a damaged device gets an empty history with a
 * `historyLost` note, a damaged clock.json goes (the simulator resumes from its own clock).
 */
export async function repairState(dir: string, now: Date): Promise<RepairAction[]> {
  const actions: RepairAction[] = [];
  const at = now.toISOString();
  for (const f of checkClock(dir)) {
    rmSync(join(dir, CLOCK_FILE), { force: true });
    actions.push({ what: 'clock', done: `${f.problem}: removed; a simulator run resumes from the simulator's own clock` });
  }
  const path = join(dir, DB_FILE);
  if (!existsSync(path)) return actions;
  const integrity = integrityOf(path);
  if (integrity !== 'ok') actions.push(salvage(dir, integrity, at));

  const store = new SqliteStore(dir);
  try {
    for (const [name, read, consequence] of [
      ['run', () => store.readRun(), 'the next pass writes it again'],
      ['revision', () => store.readLastGoodRevision(), 'the last good revision is lost: the next pass applies the newest valid revision of the source (until then nothing is in force)'],
      ['objects', () => store.readObjects(), 'the next pass writes the per-object status again (conditions restart their transition times)'],
    ] as const) {
      try {
        read();
      } catch (err) {
        store.dropState(name);
        actions.push({ what: name, done: `${(err as Error).message}: removed; ${consequence}` });
      }
    }
    const damaged = store.damagedDevices();
    if (damaged.size) {
      await store.beginPass();
      for (const [id, problem] of damaged) {
        store.quarantineNote(id, problem, at);
        store.writeDevice({ id, history: [], historyLost: { at, reason: `fleetward state repair: the stored record could not be read (${problem}); its history is lost` } });
        actions.push({ what: `device ${id}`, done: `${problem}: replaced by an empty record marked historyLost; the driver's current operations are recorded again on the next pass` });
      }
      await store.commitPass();
    }
  } finally {
    await store.close();
  }
  return actions;
}

/** Copies every readable row of a damaged file into a new one, and keeps the damaged file beside it. */
function salvage(dir: string, integrity: string, at: string): RepairAction {
  const path = join(dir, DB_FILE);
  const kept = `${path}.damaged-${at.replace(/[:.]/g, '-')}`;
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(path + suffix)) copyFileSync(path + suffix, kept + suffix);
  const fresh = join(dir, `${DB_FILE}.repair`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(fresh + suffix, { force: true });
  // The schema, from this release's migrations.
  const schema = new SqliteStore(dir, { skipCheck: true, fileName: `${DB_FILE}.repair` });
  void schema.close();
  const out = new DatabaseSync(fresh);
  let copied = 0, lost = 0;
  let old: DatabaseSync | undefined;
  try {
    old = new DatabaseSync(path, { readOnly: true });
    out.exec('BEGIN');
    for (const table of ['state', 'words', 'devices', 'history', 'quarantine']) {
      try {
        const rows = old.prepare(`SELECT * FROM ${table}`).iterate() as Iterable<Record<string, unknown>>;
        let insert: ReturnType<DatabaseSync['prepare']> | undefined;
        for (const row of rows) {
          const cols = Object.keys(row);
          insert ??= out.prepare(`INSERT OR IGNORE INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
          insert.run(...(Object.values(row) as never[]));
          copied++;
        }
      } catch {
        // The rest of this table is unreadable: what was read so far is kept.
        lost++;
      }
    }
    out.exec('COMMIT');
  } catch {
    if (out.isTransaction) out.exec('ROLLBACK');
  } finally {
    old?.close();
    out.close();
  }
  for (const suffix of ['-wal', '-shm']) rmSync(path + suffix, { force: true });
  renameSync(fresh, path);
  for (const suffix of ['-wal', '-shm']) rmSync(fresh + suffix, { force: true });
  return {
    what: 'store',
    done: `${path} failed its integrity check (${integrity.slice(0, 200)}): ${copied} readable row(s) copied into a new file${lost ? `, ${lost} table(s) read only in part` : ''}; the damaged file is kept as ${kept}`,
  };
}

export { StoreDamaged };
