// `--driver simulator|graph`: builds the named driver (docs/drivers.md).
import type { Driver } from './driver.ts';
import type { SimulatorOptions } from './simulator/simulator.ts';
import { SimulatorDriver } from './simulator/driver.ts';
import { Simulator } from './simulator/simulator.ts';
import { GraphDriver, type GraphDriverOptions } from './graph/driver.ts';

export type DriverName = 'simulator' | 'graph';
export const DRIVER_NAMES: readonly DriverName[] = ['simulator', 'graph'];

export interface DriverOptions {
  /** simulator: an existing Simulator to wrap, or the options to build one (fleet, seed, clock, stateDir, behaviour). */
  simulator?: Simulator | SimulatorOptions;
  /** graph: overrides of what is otherwise read from FLEETWARD_GRAPH_URL / _TOKEN / _TOKEN_FILE. */
  graph?: Partial<GraphDriverOptions>;
}

export function createDriver(name: DriverName, options: DriverOptions = {}): Driver {
  switch (name) {
    case 'simulator':
      if (!options.simulator) throw new Error('the simulator driver needs a fleet: pass options.simulator');
      return new SimulatorDriver(options.simulator);
    case 'graph':
      return GraphDriver.fromEnv(process.env, options.graph);
    default:
      throw new Error(`unknown driver ${JSON.stringify(name)}: expected ${DRIVER_NAMES.join(' or ')}`);
  }
}

export type { Driver } from './driver.ts';
export { DriverError } from './driver.ts';
export { Simulator, SimulatorDriver, GraphDriver };
export type { SimulatorOptions, GraphDriverOptions };
