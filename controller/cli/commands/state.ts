// `fleetward state check|repair --state-dir DIR`: look at, and recover, a damaged state store
// (docs/run.md "Damaged state").
import { DamagedRecord } from '../../store/damage.ts';
import { StoreDamaged } from '../../store/sqlite.ts';
import { UsageError } from '../errors.ts';

/** A store that cannot be used is one line and what to do, never a stack trace (exit 1). */
export function storeError(err: unknown): unknown {
  if (err instanceof StoreDamaged) return new UsageError(err.message, 1);
  if (err instanceof DamagedRecord) {
    return new UsageError(`${err.message}; run \`fleetward state check\` to see what is damaged and \`fleetward state repair\` to recover (docs/run.md "Damaged state")`, 1);
  }
  return err;
}
