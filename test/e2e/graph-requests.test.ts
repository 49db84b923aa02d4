// Requests per pass from the graph driver to the back end do not grow with the fleet beyond the page and
// batch arithmetic (issue 16.5): never one request per device per pass, and a sharded operator reads the
// inventory once per pass. Real HTTP to the simulator's Graph-shaped server; counts, not timings.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { benchFleet, measurePassRequests } from '../../bench/support/requests-per-pass.ts';
import { observeFleet } from '../../controller/drivers/driver.ts';
import { GraphDriver } from '../../controller/drivers/graph/driver.ts';
import { startSimulatorServer } from '../../controller/drivers/simulator/server.ts';
import { Simulator } from '../../controller/drivers/simulator/simulator.ts';
import { Metrics } from '../../controller/server/metrics.ts';
import { ManualClock } from '../../controller/util/clock.ts';

const pages = (n: number, size: number) => Math.ceil(n / size);

for (const devices of [45, 450]) {
  test(`a real tenant (Graph as documented), ${devices} devices: device list pages and one $batch per 20 devices for operations and for health`, async () => {
    const r = await measurePassRequests({ devices, backEnd: 'graph' });
    assert.is(r.observed, devices);
    assert.equal(r.byEndpoint, { batch: 2 * pages(devices, 20), list_devices: pages(devices, 100) }, 'no device_health or device_operations request of its own');
    assert.is(r.batched, 2 * devices, 'each device: its operations and its health, inside batches');
  });

  test(`a back end with fleet-wide lists, ${devices} devices: pages only, whatever the fleet size`, async () => {
    const r = await measurePassRequests({ devices, backEnd: 'fleetward' });
    assert.is(r.observed, devices);
    assert.equal(r.byEndpoint, { fleet_operations: pages(devices, 999), list_devices: pages(devices, 100), releases: 1 });
    assert.is(r.batched, 0);
  });
}

test('a sharded operator reads the inventory once per pass, and keeps only its shard', async () => {
  const one = await measurePassRequests({ devices: 450, backEnd: 'fleetward' });
  const sharded = await measurePassRequests({ devices: 450, backEnd: 'fleetward', shards: 2 });
  assert.equal(sharded.byEndpoint, one.byEndpoint, 'the same requests as an operator without shards: the list is not read twice');
  assert.is(sharded.observed, 225);
});

test('requests are counted in the metrics registry by endpoint and answer, throttled ones (429) included', async () => {
  const simulator = new Simulator({ fleet: benchFleet(60), clock: new ManualClock('2026-11-18T12:00:00Z'), seed: 3 });
  const server = await startSimulatorServer({ simulator, token: 't', strictGraph: true, faults: { rate429: 0.2, retryAfterSeconds: 0, seed: 5 } });
  const metrics = new Metrics();
  const driver = new GraphDriver({ baseUrl: server.url, token: 't', onRequest: metrics.driverRequestObserver('graph'), maxRetries: 20, backoffMs: 1, sleep: async () => {} });
  try {
    const observed = await observeFleet(driver);
    assert.is(observed.devices.length, 60);
    const text = await metrics.registry.metrics();
    const count = (name: string, labels: string) => Number(new RegExp(`^${name}\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    assert.ok(count('fleetward_driver_requests_total', 'driver="graph",operation="batch",code="200"') >= 6, text);
    assert.ok(count('fleetward_driver_requests_total', 'driver="graph",operation="list_devices",code="200"') >= 1);
    const throttled = count('fleetward_driver_requests_total', 'driver="graph",operation="batch",code="429"')
      + count('fleetward_driver_requests_total', 'driver="graph",operation="list_devices",code="429"')
      + count('fleetward_driver_batched_requests_total', 'driver="graph",operation="device_health",code="429"')
      + count('fleetward_driver_batched_requests_total', 'driver="graph",operation="device_operations",code="429"');
    assert.ok(throttled > 0, 'the injected 429s are visible');
    assert.is(count('fleetward_driver_batched_requests_total', 'driver="graph",operation="device_health",code="200"'), 60, 'each device health answered once');
  } finally {
    await driver.close();
    await server.close();
    await simulator.close();
  }
});

test.run();
