// The drivers' public face: the registry and factory (./registry.ts) and the types callers need.
import type { SimulatorOptions } from './simulator/simulator.ts';
import { SimulatorDriver } from './simulator/driver.ts';
import { Simulator } from './simulator/simulator.ts';
import { GraphDriver, type GraphDriverOptions } from './graph/driver.ts';

export { createDriver, DRIVER_NAMES, driverSummary, isDriverName, type DriverName, type DriverSettings } from './registry.ts';
export type { Driver } from './driver.ts';
export { DriverError } from './driver.ts';
export { Simulator, SimulatorDriver, GraphDriver };
export { RemoteDriver, type RemoteDriverOptions } from './remote/driver.ts';
export type { SimulatorOptions, GraphDriverOptions };
