// One call for the reconcile loop: the provisioning step of a pass, with its stores in the state directory
// (`fleetward run`), or — for the Kubernetes operator — a CodeSecretStore and a status store over Secrets in
// its namespace passed in instead (controller/operator/secrets.ts), so a new leader carries on.
import type { Revision } from '../api/types.ts';
import { desiredState } from '../api/desired.ts';
import type { Clock } from '../util/clock.ts';
import type { ProvisioningDriver } from '../drivers/provisioning.ts';
import { reconcileProvisioning, type ProvisioningLogger } from './reconcile.ts';
import { FileRegenerationRequests } from './requests.ts';
import { FileCodeSecretStore, type CodeSecretStore } from './secrets.ts';
import {
  FileProvisioningStatusStore, importLegacyStatuses, StateStoreProvisioningStatusStore, type ProvisioningBatchStatus, type ProvisioningStatusStore,
} from './status.ts';
import type { StateStore } from '../store/store.ts';

export interface StandaloneProvisioningInput {
  revision: Revision;
  /** `driver.provisioning`; when the driver has none, batches are reported and nothing is issued. */
  driver: ProvisioningDriver | undefined;
  stateDir: string;
  clock: Clock;
  log?: ProvisioningLogger;
  /** Where the codes go instead of `<state-dir>/provisioning/secrets` (the operator: a Secret). */
  secrets?: CodeSecretStore;
  /** Where batch statuses go: the run's state store (one row per device); files of an older release are imported into it. */
  stateStore?: Pick<StateStore, 'readProvisioning' | 'writeProvisioning' | 'removeProvisioning'>;
  /** Another status store (tests); without either, the legacy files of `<state-dir>/provisioning/batches`. */
  store?: ProvisioningStatusStore;
}

export type StandaloneProvisioningResult =
  | { ran: true; batches: ProvisioningBatchStatus[] }
  /** No ProvisioningBatch declared and none left to clean up, or a driver without provisioning. */
  | { ran: false; reason: 'NoBatches' | 'DriverHasNoProvisioning'; batches: ProvisioningBatchStatus[] };

export async function runStandaloneProvisioning(input: StandaloneProvisioningInput): Promise<StandaloneProvisioningResult> {
  const batches = desiredState(input.revision.objects).provisioningBatches;
  if (input.stateStore && !input.store) {
    const imported = await importLegacyStatuses(input.stateDir, input.stateStore);
    if (imported) input.log?.info({ batches: imported }, 'provisioning statuses moved from provisioning/batches into the state store');
  }
  const store = input.store ?? (input.stateStore ? new StateStoreProvisioningStatusStore(input.stateStore) : new FileProvisioningStatusStore(input.stateDir));
  const secrets = input.secrets ?? new FileCodeSecretStore(input.stateDir);
  const previous = await store.loadAll();
  if (batches.length === 0 && previous.length === 0 && (await secrets.batches()).length === 0) {
    return { ran: false, reason: 'NoBatches', batches: [] };
  }
  if (!input.driver) {
    input.log?.warn({ batches: batches.map((b) => b.metadata.name) }, 'the driver has no remote provisioning; ProvisioningBatch objects are not acted on');
    return { ran: false, reason: 'DriverHasNoProvisioning', batches: previous };
  }
  const result = await reconcileProvisioning({
    batches,
    ...(input.revision.provisioningDevices ? { resolvedDevices: input.revision.provisioningDevices } : {}),
    driver: input.driver,
    store,
    secrets,
    clock: input.clock,
    requests: await new FileRegenerationRequests(input.stateDir).list(),
    ...(input.log ? { log: input.log } : {}),
  });
  return { ran: true, batches: result };
}
