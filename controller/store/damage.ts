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
