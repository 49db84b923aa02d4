// Damaged state is contained (docs/run.md "Damaged state"): a record that cannot be read is an error about
// that record only. The reconciler quarantines the device it belongs to and goes on with the rest of the fleet.

/** A stored record that cannot be read (not valid JSON, the wrong shape, a failed row read). */
export class DamagedRecord extends Error {
  /** What was damaged: `device room-1`, `run`, `revision`. */
  readonly record: string;
  constructor(record: string, where: string, detail: string) {
    super(`${where}: ${record} is damaged (${detail})`);
    this.name = 'DamagedRecord';
    this.record = record;
  }
}

/** A stored JSON text as a value; text that does not parse is a DamagedRecord naming the record. */
export function parseRecord<T>(text: string, record: string, where: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new DamagedRecord(record, where, `not valid JSON: ${(err as Error).message}`);
  }
}
