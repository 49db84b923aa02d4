// Golden files for formatted output only (docs/style.md). `FLEETWARD_UPDATE_GOLDEN=1` rewrites them;
// review the diff before committing.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as assert from 'uvu/assert';

export const GOLDEN_DIR = join(import.meta.dirname, '..', 'golden');
export const UPDATE_GOLDEN = process.env.FLEETWARD_UPDATE_GOLDEN === '1';

/** Asserts `actual` equals test/golden/<name>, or writes it there when updating. */
export function matchesGolden(name: string, actual: string): void {
  const path = join(GOLDEN_DIR, name);
  if (UPDATE_GOLDEN || !existsSync(path)) {
    if (!UPDATE_GOLDEN) throw new Error(`missing golden file test/golden/${name}; run with FLEETWARD_UPDATE_GOLDEN=1 to create it`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.fixture(actual, readFileSync(path, 'utf8'), `differs from test/golden/${name} (FLEETWARD_UPDATE_GOLDEN=1 rewrites it)`);
}
