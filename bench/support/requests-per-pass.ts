// Requests one reconcile pass sends to the back end: a generated fleet (fleetgen.ts) in the simulator, served
// over real HTTP by its Graph-shaped server (as Graph documents it with `strict`, or with Fleetward's
// fleet-wide list routes), read by the graph driver the way a pass reads it (observeFleet), optionally through
// the operator's shard filter. Counted by endpoint from the driver's request observer — what the metrics
// registry counts as fleetward_driver_requests_total. Used by bench/driver-requests.ts and its test.
import type { FleetFile } from '../../controller/api/types.ts';
import { observeFleet, type DriverRequest } from '../../controller/drivers/driver.ts';
import { GraphDriver } from '../../controller/drivers/graph/driver.ts';
import { startSimulatorServer } from '../../controller/drivers/simulator/server.ts';
import { Simulator } from '../../controller/drivers/simulator/simulator.ts';
import { ShardDriver } from '../../controller/operator/operator.ts';
import { SHARD_LABEL } from '../../controller/operator/source.ts';
import { ManualClock } from '../../controller/util/clock.ts';
import { BENCH_NOW, generateFleet } from './fleetgen.ts';

export interface PassRequests {
  devices: number;
  /** As Graph documents it (no `$expand`, no fleet-wide routes), or with Fleetward's fleet-wide lists. */
  backEnd: 'graph' | 'fleetward';
  /** Shards, each with its own driver (one operator per shard); the figures are per shard. */
  shards: number;
  /** HTTP requests of one steady pass (after the first, which also learns which routes exist), per shard. */
  requests: number;
  /** Requests carried inside `$batch` requests, per shard: each counts against a tenant's throttling. */
  batched: number;
  /** HTTP requests by endpoint (`list_devices`, `batch`, …), per shard. */
  byEndpoint: Record<string, number>;
  /** Devices the shard's pass observed (all of them without shards). */
  observed: number;
}

const TOKEN = 'requests-per-pass';

/** The fleet fleetgen.ts generates at `size`, labelled round-robin into `shards` shards when there are several. */
export function benchFleet(size: number, shards = 1): FleetFile {
  const { observed } = generateFleet(size);
  const devices = shards > 1 ? observed.devices.map((d, i) => ({ ...d, labels: { ...d.labels, [SHARD_LABEL]: `s${i % shards}` } })) : observed.devices;
  return { devices, releases: observed.releases };
}

export async function measurePassRequests(o: { devices: number; backEnd: 'graph' | 'fleetward'; shards?: number; pageSize?: number }): Promise<PassRequests> {
  const shards = o.shards ?? 1;
  const simulator = new Simulator({ fleet: benchFleet(o.devices, shards), clock: new ManualClock(BENCH_NOW), seed: 3 });
  const server = await startSimulatorServer({ simulator, token: TOKEN, strictGraph: o.backEnd === 'graph' });
  try {
    // Each shard's operator has its own driver; the figures are the first shard's.
    const counts = new Map<string, number>();
    let batched = 0;
    let counting = false;
    const onRequest = (r: DriverRequest) => {
      if (!counting) return;
      if (r.batched) batched++;
      else counts.set(r.operation, (counts.get(r.operation) ?? 0) + 1);
    };
    const graph = new GraphDriver({ baseUrl: server.url, token: TOKEN, onRequest, concurrency: 16, now: () => BENCH_NOW, ...(o.pageSize ? { pageSize: o.pageSize } : {}) });
    const driver = shards > 1 ? new ShardDriver(graph, 's0') : graph;
    await observeFleet(driver); // the first pass learns which routes the back end has
    counting = true;
    const observed = await observeFleet(driver);
    counting = false;
    await graph.close();
    const byEndpoint = Object.fromEntries([...counts].sort());
    return {
      devices: o.devices, backEnd: o.backEnd, shards,
      requests: [...counts.values()].reduce((a, b) => a + b, 0), batched, byEndpoint, observed: observed.devices.length,
    };
  } finally {
    await server.close();
    await simulator.close();
  }
}
