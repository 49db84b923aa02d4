// Fencing: every write of a pass — driver operations, store commits, status PATCHes, Events, Secrets — is
// checked right before it is sent against the leadership the pass started under: still the holder of that
// term of the Lease, and within the renew deadline of the last renewal (controller/operator/leader.ts). A
// replica that lost it writes nothing more: the check throws FencedOut, the pass is abandoned unrecorded.
import { observeFleet, type Driver, type StartOperationRequest, type StartOperationResult } from '../drivers/driver.ts';
import type { ProvisioningDriver, RegisterProvisioningRequest } from '../drivers/provisioning.ts';
import { FencedOut } from '../reconciler/fenced.ts';
import type { DeviceRecord, NotificationChanges, NotificationRecords, ObjectStatus, ProvisioningBatchStatus, RunStatus } from '../store/records.ts';
import type { StateStore } from '../store/store.ts';
import type { Revision } from '../api/types.ts';
import type { Election } from './leader.ts';

/** What a refused write was, for the refusal counter. */
export type FencedWrite = 'operation' | 'diagnostics' | 'provisioning' | 'store' | 'status' | 'event' | 'secret';

export interface Fence {
  /** True while writes are allowed. */
  readonly ok: boolean;
  /** Throws FencedOut when writes are no longer allowed. */
  check(write: FencedWrite): void;
}

/** The fence of one leadership term. */
export class LeaseFence implements Fence {
  readonly #election: Election;
  readonly #term: number;
  readonly #refused: (write: FencedWrite) => void;
  constructor(election: Election, term: number, refused: (write: FencedWrite) => void) {
    this.#election = election;
    this.#term = term;
    this.#refused = refused;
  }
  get ok(): boolean {
    return this.#election.holds(this.#term);
  }
  check(write: FencedWrite): void {
    if (this.ok) return;
    this.#refused(write);
    throw new FencedOut(write);
  }
}

/** Without leader election (one replica by configuration): writes are allowed until the operator stops. */
export class StopFence implements Fence {
  #stopped = false;
  get ok(): boolean { return !this.#stopped; }
  stop(): void { this.#stopped = true; }
  check(write: FencedWrite): void {
    if (this.#stopped) throw new FencedOut(write);
  }
}

/** The driver, with every call that changes something at the back end fenced. Reads are not. */
export class FencedDriver implements Driver {
  readonly #d: Driver;
  readonly #fence: Fence;
  readonly name: string;
  readonly #provisioning: ProvisioningDriver | undefined;
  constructor(d: Driver, fence: Fence) {
    this.#d = d;
    this.#fence = fence;
    this.name = d.name;
    const p = d.provisioning;
    this.#provisioning = p && {
      register: (req: RegisterProvisioningRequest) => { fence.check('provisioning'); return p.register(req); },
      list: () => p.list(),
      signIn: (mac: string, user: string) => { fence.check('provisioning'); return p.signIn(mac, user); },
      unregister: (mac: string) => { fence.check('provisioning'); return p.unregister(mac); },
    };
  }
  inventory() { return this.#d.inventory(); }
  catalog() { return this.#d.catalog(); }
  observe() { return observeFleet(this.#d); }
  operations(deviceId?: string) { return this.#d.operations(deviceId); }
  operation(deviceId: string, operationId: string) { return this.#d.operation(deviceId, operationId); }
  async startUpdate(req: StartOperationRequest): Promise<StartOperationResult> {
    this.#fence.check('operation');
    return this.#d.startUpdate(req);
  }
  async runDiagnostics(deviceId: string) {
    this.#fence.check('diagnostics');
    return this.#d.runDiagnostics(deviceId);
  }
  get provisioning() { return this.#provisioning; }
  async close() { await this.#d.close?.(); }
}

/**
 * The state store, fenced where writes become durable: the checkpoint (intents, before the driver is called)
 * and the commit of a pass, and each write outside a pass (committed on its own). Writes inside a pass are
 * only part of its transaction until then.
 */
export class FencedStore implements StateStore {
  readonly #s: StateStore;
  readonly #fence: Fence;
  #inPass = false;
  constructor(s: StateStore, fence: Fence) {
    this.#s = s;
    this.#fence = fence;
  }
  get description(): string { return this.#s.description; }
  get dir(): string { return this.#s.dir; }
  #outside(): void { if (!this.#inPass) this.#fence.check('store'); }
  readRun(): RunStatus | undefined { return this.#s.readRun(); }
  writeRun(run: RunStatus): boolean { this.#outside(); return this.#s.writeRun(run); }
  readLastGoodRevision(): Revision | undefined { return this.#s.readLastGoodRevision(); }
  writeLastGoodRevision(rev: Revision): boolean { this.#outside(); return this.#s.writeLastGoodRevision(rev); }
  readObjects(): Record<string, ObjectStatus> { return this.#s.readObjects(); }
  writeObjects(objects: Record<string, ObjectStatus>): boolean { this.#outside(); return this.#s.writeObjects(objects); }
  readDevice(id: string): DeviceRecord | undefined { return this.#s.readDevice(id); }
  writeDevice(rec: DeviceRecord): boolean { this.#outside(); return this.#s.writeDevice(rec); }
  writeDevices(recs: Iterable<DeviceRecord>): number { this.#outside(); return this.#s.writeDevices(recs); }
  listDeviceIds(): string[] { return this.#s.listDeviceIds(); }
  readNotifications(): NotificationRecords { return this.#s.readNotifications(); }
  writeNotifications(changes: NotificationChanges): boolean { this.#outside(); return this.#s.writeNotifications(changes); }
  readProvisioning(): ProvisioningBatchStatus[] { return this.#s.readProvisioning(); }
  writeProvisioning(status: ProvisioningBatchStatus): boolean { this.#outside(); return this.#s.writeProvisioning(status); }
  removeProvisioning(batch: string): boolean { this.#outside(); return this.#s.removeProvisioning(batch); }
  async beginPass(): Promise<void> {
    this.#fence.check('store');
    await this.#s.beginPass();
    this.#inPass = true;
  }
  async checkpoint(): Promise<void> {
    this.#fence.check('store');
    await this.#s.checkpoint();
  }
  async commitPass(): Promise<void> {
    this.#fence.check('store');
    this.#inPass = false;
    await this.#s.commitPass();
  }
  async abortPass(): Promise<void> {
    this.#inPass = false;
    await this.#s.abortPass();
  }
  close(): Promise<void> { return this.#s.close(); }
}
