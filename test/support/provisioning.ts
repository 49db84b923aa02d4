// Builders for the provisioning suites: batches, and a small world (clock, simulated back end, stores)
// in which a reconcile pass can run.
import type { ProvisioningBatch } from '../../controller/api/types.ts';
import { ManualClock } from '../../controller/util/clock.ts';
import { SimulatedProvisioningBackend } from '../../controller/drivers/simulator/provisioning.ts';
import { MemoryProvisioningStatusStore, type ProvisioningBatchStatus, type ProvisioningDeviceStatus } from '../../controller/provisioning/status.ts';
import { MemoryCodeSecretStore } from '../../controller/provisioning/secrets.ts';
import { reconcileProvisioning, type ReconcileProvisioningInput } from '../../controller/provisioning/reconcile.ts';
import type { RegenerationRequest } from '../../controller/provisioning/requests.ts';

export interface DeviceLine { mac: string; location?: string; user?: string }

export function aBatch(
  name: string,
  devices: DeviceLine[],
  opts: { regenerateCodes?: string; annotations?: Record<string, string> } = {},
): ProvisioningBatch {
  return {
    apiVersion: 'fleetward.dev/v1alpha1',
    kind: 'ProvisioningBatch',
    metadata: { name, ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    spec: {
      devices: devices.map((d) => ({
        macAddress: d.mac,
        ...(d.location ? { location: d.location } : {}),
        ...(d.user ? { signIn: { user: d.user } } : {}),
      })),
      ...(opts.regenerateCodes !== undefined ? { regenerateCodes: opts.regenerateCodes } : {}),
    },
  };
}

export interface LogLine { level: 'info' | 'warn'; obj: object; msg: string }

export function aWorld(start = '2026-11-23T09:00:00Z') {
  const clock = new ManualClock(start);
  const backend = new SimulatedProvisioningBackend({ clock });
  const store = new MemoryProvisioningStatusStore();
  const secrets = new MemoryCodeSecretStore();
  const logs: LogLine[] = [];
  const log = {
    info: (obj: object, msg: string) => void logs.push({ level: 'info', obj, msg }),
    warn: (obj: object, msg: string) => void logs.push({ level: 'warn', obj, msg }),
  };
  const requests: RegenerationRequest[] = [];
  const world = {
    clock, backend, store, secrets, logs, requests,
    pass(batches: ProvisioningBatch[], extra: Partial<ReconcileProvisioningInput> = {}): Promise<ProvisioningBatchStatus[]> {
      return reconcileProvisioning({ batches, driver: backend, store, secrets, clock, log, requests, ...extra });
    },
    async code(batch: string, mac: string): Promise<string | undefined> {
      return (await secrets.load(batch))[mac]?.code;
    },
    async device(batch: string, mac: string): Promise<ProvisioningDeviceStatus | undefined> {
      return (await store.loadAll()).find((s) => s.batch === batch)?.devices.find((d) => d.macAddress === mac);
    },
  };
  return world;
}

/** A Yealink T58 running the seed's minimum firmware or the given one. */
export const aT58 = (firmwareVersion = '58.15.0.124') => ({ manufacturer: 'Yealink', model: 'T58', firmwareVersion });

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
