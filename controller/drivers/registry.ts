// The driver registry: every back end Fleetward can drive, by the name `--driver` takes, and the one factory
// `run`, `operator`, `plan --live` and the tests build drivers with (docs/drivers.md "Choosing a driver").
// Settings are plain values (a URL, a token, a fleet): where they came from — a flag, a file, a Kubernetes
// Secret, the environment — is the caller's business, and nothing here reads or writes process.env.
import type { Driver } from './driver.ts';
import { SimulatorDriver } from './simulator/driver.ts';
import { Simulator, type SimulatorOptions } from './simulator/simulator.ts';
import { GraphDriver, type GraphDriverOptions } from './graph/driver.ts';
import { RemoteDriver, type RemoteDriverOptions } from './remote/driver.ts';

/** What each driver is built from. Only the entry of the driver being built is read. */
export interface DriverSettings {
  /** simulator: an existing Simulator to wrap (shared with a server or a test), or the options to build one. */
  simulator?: Simulator | SimulatorOptions;
  /** graph: base URL and credentials, as values. */
  graph?: GraphDriverOptions;
  /** remote: the out-of-process driver's URL and bearer token, as values. */
  remote?: RemoteDriverOptions;
}

interface DriverEntry {
  /** One line for `--help` and docs/drivers.md. */
  summary: string;
  create(settings: DriverSettings): Driver;
}

const REGISTRY = {
  simulator: {
    summary: 'a seeded, in-process simulated fleet read from a fleet file (demos, tests, forecasts)',
    create: (s) => {
      if (!s.simulator) throw new Error('the simulator driver needs a fleet: pass settings.simulator');
      return new SimulatorDriver(s.simulator);
    },
  },
  graph: {
    summary: 'Microsoft Graph beta teamwork/devices over HTTPS, or `fleetward simulator serve`',
    create: (s) => {
      if (!s.graph) throw new Error('the graph driver needs its base URL and credentials: pass settings.graph');
      return new GraphDriver(s.graph);
    },
  },
  remote: {
    summary: 'an out-of-process driver speaking the HTTP/JSON driver protocol (docs/driver-protocol.openapi.yaml)',
    create: (s) => {
      if (!s.remote) throw new Error('the remote driver needs its URL and token: pass settings.remote');
      return new RemoteDriver(s.remote);
    },
  },
} satisfies Record<string, DriverEntry>;

export type DriverName = keyof typeof REGISTRY;
export const DRIVER_NAMES = Object.keys(REGISTRY) as readonly DriverName[];

export function isDriverName(name: string): name is DriverName {
  return Object.hasOwn(REGISTRY, name);
}

/** The one-line description of a driver (help texts). */
export function driverSummary(name: DriverName): string {
  return REGISTRY[name].summary;
}

/** Builds the named driver from its settings; an unknown name or missing settings is an Error saying what is needed. */
export function createDriver(name: DriverName, settings: DriverSettings = {}): Driver {
  if (!isDriverName(name)) throw new Error(`unknown driver ${JSON.stringify(name)}: expected ${DRIVER_NAMES.join(', ')}`);
  return REGISTRY[name].create(settings);
}
