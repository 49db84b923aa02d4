// The simulator behind the Driver interface: the embedded default back end of `fleetward run`.
import type { DeviceOperation, FleetDevice, SoftwareReleaseSpec } from '../../api/types.ts';
import type { Driver, StartOperationRequest, StartOperationResult } from '../driver.ts';
import { Simulator, type SimulatorOptions } from './simulator.ts';
import type { SimulatedProvisioningBackend } from './provisioning.ts';

export class SimulatorDriver implements Driver {
  readonly name = 'simulator';
  readonly simulator: Simulator;
  /** Whether close() also closes the simulator (true when this driver created it). */
  readonly #owns: boolean;

  /** Wraps an existing simulator (shared with a server or a test), or builds one from options. */
  constructor(simulator: Simulator | SimulatorOptions) {
    this.#owns = !(simulator instanceof Simulator);
    this.simulator = simulator instanceof Simulator ? simulator : new Simulator(simulator);
  }

  /** Remote provisioning (seed 004): the simulator's back end, shared with its HTTP server. */
  get provisioning(): SimulatedProvisioningBackend {
    return this.simulator.provisioning;
  }

  async inventory(): Promise<FleetDevice[]> {
    return this.simulator.inventory();
  }

  async catalog(): Promise<SoftwareReleaseSpec[]> {
    return this.simulator.catalog();
  }

  async operations(deviceId?: string): Promise<DeviceOperation[]> {
    return this.simulator.operations(deviceId);
  }

  startUpdate(req: StartOperationRequest): Promise<StartOperationResult> {
    return this.simulator.startUpdate(req);
  }

  async operation(deviceId: string, operationId: string): Promise<DeviceOperation | undefined> {
    return this.simulator.operation(deviceId, operationId);
  }

  runDiagnostics(deviceId: string): Promise<DeviceOperation> {
    return this.simulator.runDiagnostics(deviceId);
  }

  async readLogs(operation: DeviceOperation): Promise<string | undefined> {
    return this.simulator.logs(operation.id);
  }

  async close(): Promise<void> {
    if (this.#owns) await this.simulator.close();
  }
}
