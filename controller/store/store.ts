// The state store (docs/design.md section 8, docs/run.md "State"): everything a pass records — the loop's own
// status, the last good revision, per-object status, per-device plan and operation history — behind one
// interface. The reconciler, `status`, provisioning and the CLI are unaware of which implementation they hold;
// the one wiring module (controller/store/open.ts) picks it at start-up.
//
// Reads and writes are synchronous: a store serves them from what it holds (SQLite reads its file; PostgreSQL
// loads the working set when it is opened), so the pass never awaits per device. A pass is one transaction:
//
//   beginPass() ── write…() … ── checkpoint() (intents, before the driver is called) ── write…() … ── commitPass()
//
// Nothing written between beginPass and commitPass is visible to a reader (`fleetward status`) or survives a
// crash until committed; abortPass() drops it. Writes outside a pass (a provisioning run finishing between
// passes) are committed on their own.
import type { Revision } from '../api/types.ts';
import type { DeviceRecord, NotificationChanges, NotificationRecords, ObjectStatus, ProvisioningBatchStatus, RunStatus } from './records.ts';

export interface StateStore {
  /** Where the state is, for logs and messages: `sqlite:/srv/state/fleetward.db`, `postgres://db:5432/fleetward`. */
  readonly description: string;
  /**
   * A local folder for what is not a store record: the simulator's state, the git work tree, provisioning
   * files of standalone runs. The state directory in standalone mode; a scratch folder in the operator.
   */
  readonly dir: string;

  readRun(): RunStatus | undefined;
  /** Each write returns whether it changed anything: unchanged content is not written again. */
  writeRun(run: RunStatus): boolean;

  readLastGoodRevision(): Revision | undefined;
  writeLastGoodRevision(rev: Revision): boolean;

  /** Kind/name → status. */
  readObjects(): Record<string, ObjectStatus>;
  writeObjects(objects: Record<string, ObjectStatus>): boolean;

  /**
   * The caller may change the record it gets and write it back. Throws DamagedRecord when the stored record
   * cannot be read: that affects this device only (controller/store/damage.ts).
   */
  readDevice(id: string): DeviceRecord | undefined;
  writeDevice(rec: DeviceRecord): boolean;
  /** Many devices at once (the record stage): returns how many changed. */
  writeDevices(recs: Iterable<DeviceRecord>): number;
  /** Every device with a record, sorted. */
  listDeviceIds(): string[];
  /** Optional bulk read of every readable record, in no particular order (SQLite: one scan, not a query per device). */
  eachDevice?(): Iterable<DeviceRecord>;

  /**
   * Notification bookkeeping (controller/notify/): the events being tracked and the messages not yet
   * delivered. Written in the pass's transaction (or one of its own outside a pass), so a restart neither
   * sends a message twice nor loses one that was due.
   */
  readNotifications(): NotificationRecords;
  /** Writes and drops by key; returns whether anything changed. */
  writeNotifications(changes: NotificationChanges): boolean;

  /**
   * Remote provisioning (seed 004): every batch's status with each device's state, code verifier and expiry
   * (never a code: those are kept apart, controller/provisioning/secrets.ts), sorted by batch. Stored as one
   * row per batch and one per device, so a batch of 10,000 devices is not one value, and a write sends only
   * the devices that changed.
   */
  readProvisioning(): ProvisioningBatchStatus[];
  /** Replaces one batch's status (devices no longer in it are dropped). Returns whether anything changed. */
  writeProvisioning(status: ProvisioningBatchStatus): boolean;
  /** Forgets a batch no longer declared. Returns whether there was one. */
  removeProvisioning(batch: string): boolean;

  /** Starts the pass's transaction. */
  beginPass(): Promise<void>;
  /** Makes what the pass wrote so far durable (intents, before the driver is asked to start anything). */
  checkpoint(): Promise<void>;
  /** Commits the pass. Throws when the store is unreachable; nothing of the pass is then half-written. */
  commitPass(): Promise<void>;
  /** Drops what the pass wrote since its last checkpoint. */
  abortPass(): Promise<void>;
  close(): Promise<void>;
}

/** The store could not be reached or refused the transaction: the pass is not recorded, the loop tries again. */
export class StoreUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailable';
  }
}
