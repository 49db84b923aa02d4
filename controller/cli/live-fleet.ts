// `fleetward plan|forecast --state DIR | --state-url-file FILE`: the live fleet of a running installation, read
// from its state store (SQLite in a directory, or the operator's PostgreSQL) instead of a fleet file (docs/plan.md "Plans against the live fleet"). The store holds what the last
// pass observed — each device's inventory, the driver's catalog — and every device's operation history, so a
// pull-request check sees what is in flight, failed or held in the real fleet. Read-only: nothing is written,
// migrated or created.
import { existsSync, statSync } from 'node:fs';
import type { DeviceOperation, FleetDevice, FleetFile, Revision } from '../api/types.ts';
import { tmpdir } from 'node:os';
import { openStateStore, storeExists } from '../store/open.ts';
import type { StateStore } from '../store/store.ts';
import { describeUrl } from '../store/url.ts';
import { storeError } from './commands/state.ts';
import { fleetFromRecords } from '../store/live-fleet.ts';
import { UsageError } from './errors.ts';

export { fleetFromRecords, operationOf } from '../store/live-fleet.ts';

export interface LiveFleet {
  /** The devices as last observed, and the driver's catalog as last observed. */
  fleet: FleetFile;
  /** Every recorded operation (history, in flight), and updates Fleetward was about to start (as queued). */
  operations: DeviceOperation[];
  /** When the installation last reconciled (what the inventory is as of). */
  observedAt: string | null;
  /** The revision in force in the installation, for a plan without --config. */
  revision: Revision | undefined;
  /** Devices with a record but no recorded inventory (recorded by an older release): not planned. */
  withoutInventory: number;
  /** Whether the installation recorded its driver's catalog (an older release did not). */
  catalogRecorded: boolean;
}

/** Where the live fleet is: a state directory (`--state DIR`), or the operator's PostgreSQL store (`--state-url-file`). */
export type LiveLocation = { stateDir: string } | { url: string; scope?: string };

/** How messages name the location: the directory, or the URL without its password. */
export function describeLocation(where: LiveLocation): string {
  return 'url' in where ? describeUrl(where.url) + (where.scope ? ` (shard ${where.scope})` : '') : where.stateDir;
}

/** `--state DIR` (the state store of `fleetward run`, its --state-dir) or `--state-url-file FILE` (the operator's). */
export async function readLiveFleet(where: LiveLocation): Promise<LiveFleet> {
  const flag = 'url' in where ? '--state-url-file' : '--state';
  const label = describeLocation(where);
  let store: StateStore;
  if ('url' in where) {
    try {
      // Read-only: no schema migration, no pass; the role needs SELECT on the fleetward_* tables and nothing more.
      store = await openStateStore({ stateDir: tmpdir(), url: where.url, ...(where.scope ? { scope: where.scope } : {}) }, { readOnly: true });
    } catch (err) {
      const e = storeError(err);
      if (e instanceof UsageError) throw e;
      // 42P01 undefined_table: a database the operator never wrote to (the wrong one in the secret).
      if ((err as Error).cause && ((err as Error).cause as { code?: string }).code === '42P01') {
        throw new UsageError(`${flag}: ${label} holds no Fleetward state (no fleetward_* tables); point it at the database of the operator's --state-url-file`, 1);
      }
      throw new UsageError(`${flag}: ${(err as Error).message}`, 1);
    }
  } else {
    const location = where.stateDir;
    if (/^postgres(ql)?:\/\//i.test(location)) {
      // Not in argv, where `ps` and CI logs show it: the same file (or variable) as `status` and the operator.
      throw new UsageError('--state takes a state directory; for a PostgreSQL store put its URL in a file and give --state-url-file FILE (or set FLEETWARD_STATE_URL), docs/plan.md');
    }
    if (!existsSync(location) || !statSync(location).isDirectory()) throw new UsageError(`--state: no state directory ${location}`);
    if (!storeExists({ stateDir: location })) throw new UsageError(`--state: ${location} holds no Fleetward state; point it at the --state-dir of a fleetward run`);
    store = await openStateStore({ stateDir: location }, { readOnly: true });
  }
  try {
    const run = store.readRun();
    if (!run) throw new UsageError(`${flag}: ${label} holds no completed pass yet; plan from it once the installation has reconciled`);
    const at = run.lastReconcileAt ?? null;
    const records = (function* () { for (const id of store.listDeviceIds()) { const r = store.readDevice(id); if (r) yield r; } })();
    const live = fleetFromRecords(records, run.catalog ?? [], at ?? new Date(0).toISOString());
    return { ...live, observedAt: at, revision: store.readLastGoodRevision(), catalogRecorded: run.catalog !== undefined };
  } catch (err) {
    throw storeError(err);
  } finally {
    await store.close();
  }
}
