// How provisioning status is laid out in the SQL stores (SQLite and PostgreSQL share it): one row per batch
// (its counts, the regenerateCodes value honoured, when it was last reconciled) and one row per device (its
// position in the batch and its status: state, code verifier and expiry — never a code). A batch of 10,000
// devices is then 10,001 small rows, and a pass in which three devices changed writes three rows.
import type { ProvisioningBatchStatus, ProvisioningDeviceStatus } from './records.ts';

/** What a write changes: the batch row (when it changed), the device rows to put, the MACs to drop. */
export interface ProvisioningChange {
  summary?: string;
  devices: [mac: string, record: string][];
  dropped: string[];
}

interface BatchRows { summary: string; devices: Map<string, string> }

/** The rows as last read or written, to read batches back and to send only what changed. */
export class ProvisioningRows {
  readonly #batches = new Map<string, BatchRows>();

  has(batch: string): boolean {
    return this.#batches.has(batch);
  }

  /** The MACs with a row in the batch. */
  macs(batch: string): string[] {
    return [...(this.#batches.get(batch)?.devices.keys() ?? [])];
  }

  /** Every batch, sorted by name, its devices in the order the batch declares them. */
  read(): ProvisioningBatchStatus[] {
    const out: ProvisioningBatchStatus[] = [];
    for (const batch of [...this.#batches.keys()].sort()) {
      const rows = this.#batches.get(batch)!;
      const summary = JSON.parse(rows.summary) as Omit<ProvisioningBatchStatus, 'batch' | 'devices'>;
      const devices = [...rows.devices.values()].map((text) => JSON.parse(text) as [number, ProvisioningDeviceStatus]);
      devices.sort((a, b) => a[0] - b[0]);
      out.push({ batch, ...summary, devices: devices.map(([, d]) => d) });
    }
    return out;
  }

  /** What writing `status` changes, or undefined when nothing. */
  diff(status: ProvisioningBatchStatus): ProvisioningChange | undefined {
    const { batch, devices, ...rest } = status;
    const had = this.#batches.get(batch);
    const summary = JSON.stringify(rest);
    const change: ProvisioningChange = { devices: [], dropped: [] };
    if (had?.summary !== summary) change.summary = summary;
    const seen = new Set<string>();
    devices.forEach((d, i) => {
      seen.add(d.macAddress);
      const text = JSON.stringify([i, d]);
      if (had?.devices.get(d.macAddress) !== text) change.devices.push([d.macAddress, text]);
    });
    for (const mac of had?.devices.keys() ?? []) if (!seen.has(mac)) change.dropped.push(mac);
    return change.summary === undefined && change.devices.length === 0 && change.dropped.length === 0 ? undefined : change;
  }

  /** Records a change once it is written. */
  apply(batch: string, change: ProvisioningChange): void {
    let rows = this.#batches.get(batch);
    if (!rows) this.#batches.set(batch, (rows = { summary: change.summary ?? '{}', devices: new Map() }));
    if (change.summary !== undefined) rows.summary = change.summary;
    for (const [mac, text] of change.devices) rows.devices.set(mac, text);
    for (const mac of change.dropped) rows.devices.delete(mac);
  }

  remove(batch: string): void {
    this.#batches.delete(batch);
  }
}

/** The rows as read from the tables. */
export function provisioningRows(
  batches: Iterable<{ batch: string; summary: string }>, devices: Iterable<{ batch: string; mac: string; record: string }>,
): ProvisioningRows {
  const rows = new ProvisioningRows();
  for (const b of batches) rows.apply(b.batch, { summary: b.summary, devices: [], dropped: [] });
  for (const d of devices) {
    // A device row whose batch row is missing (never written that way) is left out rather than invented.
    if (rows.has(d.batch)) rows.apply(d.batch, { devices: [[d.mac, d.record]], dropped: [] });
  }
  return rows;
}
