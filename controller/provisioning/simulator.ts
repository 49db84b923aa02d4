// Remote provisioning inside the simulator: one SimulatedProvisioningBackend per Simulator, whose devices
// are the simulated fleet (a device is powered on when the fleet has it online; its firmware is what the
// simulator reports, so a simulated firmware update makes a FirmwareTooOld device eligible by itself),
// and the routes the simulator's Graph-shaped server mounts (./http.ts lists them).
import { join } from 'node:path';
import { normalizeMac } from '../api/mac.ts';
import type { RouteDefinition, RouteResult } from '../drivers/simulator/server.ts';
import type { Simulator } from '../drivers/simulator/simulator.ts';
import { handleProvisioningRoute, PROVISIONING_PATH, SIMULATOR_PROVISIONING_PATH } from './http.ts';
import { SimulatedProvisioningBackend, type PoweredOnDevice } from './simulated-backend.ts';

const backends = new WeakMap<Simulator, SimulatedProvisioningBackend>();

/**
 * The simulator's provisioning back end: the same one for its driver and its HTTP server. The first call
 * decides where it keeps its state: pass the simulator's state directory (`provisioning.json` in it) so
 * registrations and activations survive a restart like the rest of the simulated fleet.
 */
export function provisioningBackendFor(simulator: Simulator, opts: { stateDir?: string } = {}): SimulatedProvisioningBackend {
  let backend = backends.get(simulator);
  if (!backend) {
    backend = new SimulatedProvisioningBackend({
      clock: simulator.clock,
      lookupDevice: fleetLookup(simulator),
      ...(opts.stateDir ? { persistPath: join(opts.stateDir, 'provisioning.json') } : {}),
    });
    backends.set(simulator, backend);
  }
  return backend;
}

/** MAC → what the simulated fleet's device runs, rebuilt at most once per simulated instant. */
function fleetLookup(simulator: Simulator): (mac: string) => PoweredOnDevice | undefined {
  let at = Number.NaN;
  let byMac = new Map<string, PoweredOnDevice>();
  return (mac) => {
    const now = simulator.clock.now().getTime();
    if (now !== at) {
      at = now;
      byMac = new Map();
      for (const d of simulator.inventory()) {
        const m = d.macAddress ? normalizeMac(d.macAddress) : undefined;
        if (!m || d.online === false || d.activityState === 'offline') continue;
        byMac.set(m, { manufacturer: d.manufacturer, model: d.model, firmwareVersion: d.software.firmware ?? '0' });
      }
    }
    return byMac.get(mac);
  };
}

/** The provisioning routes for the simulator server (`routes` option or `server.mount`). */
export function provisioningRoutes(backend: SimulatedProvisioningBackend): RouteDefinition[] {
  const handler = async (ctx: { req: { method?: string; url?: string }; body: unknown }): Promise<RouteResult> => {
    const path = new URL(ctx.req.url ?? '/', 'http://localhost').pathname;
    const res = await handleProvisioningRoute(backend, { method: ctx.req.method ?? 'GET', path, body: ctx.body }, () => backend.now());
    return res ?? { status: 404, body: { error: { code: 'NotFound', message: `no route ${path}` } } };
  };
  const one = `${PROVISIONING_PATH}/:mac`;
  return [
    { method: 'GET', path: PROVISIONING_PATH, handler },
    { method: 'GET', path: one, handler },
    { method: 'PUT', path: one, handler },
    { method: 'DELETE', path: one, handler },
    { method: 'POST', path: `${one}/signIn`, handler },
    // The device's side: a device being provisioned holds no admin token; the code and the rate limit guard it.
    { method: 'POST', path: `${one}/activate`, public: true, handler },
    { method: 'POST', path: `${SIMULATOR_PROVISIONING_PATH}/:mac/powerOn`, handler },
    { method: 'POST', path: `${SIMULATOR_PROVISIONING_PATH}/:mac/firmware`, handler },
  ];
}
