// Reading what `fleetward run` recorded, as `fleetward status` does: through the store, read-only.
import { openStateStore } from '../../controller/store/open.ts';
import type { DeviceRecord, RunStatus } from '../../controller/store/records.ts';

export async function readState(stateDir: string): Promise<{ run: RunStatus | undefined; devices: Map<string, DeviceRecord> }> {
  const store = await openStateStore({ stateDir }, { readOnly: true });
  try {
    const devices = new Map<string, DeviceRecord>();
    for (const id of store.listDeviceIds()) devices.set(id, store.readDevice(id)!);
    return { run: store.readRun(), devices };
  } finally {
    await store.close();
  }
}
