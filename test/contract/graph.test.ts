// The graph driver passes the driver contract against the simulator's Graph-shaped server, over real HTTP.
import { ManualClock } from '../../controller/util/clock.ts';
import { Simulator } from '../../controller/drivers/simulator/simulator.ts';
import { startSimulatorServer } from '../../controller/drivers/simulator/server.ts';
import { GraphDriver } from '../../controller/drivers/graph/driver.ts';
import { driverContract } from './driver-contract.ts';

driverContract('graph (HTTP to the simulator server)', async ({ fleet, failing, queueMs }) => {
  const clock = new ManualClock('2026-11-23T02:00:00Z');
  const simulator = new Simulator({
    fleet,
    clock,
    seed: 11,
    behaviour: {
      failureRate: 0, offlineRate: 0, rollbackRate: 0, busyDuringMeetings: 0, queueDelay: `${queueMs / 60_000}m`,
      devices: Object.fromEntries(failing.map((id) => [id, { failureRate: 1 }])),
    },
  });
  const server = await startSimulatorServer({ simulator, token: 'contract-token' });
  const driver = new GraphDriver({ baseUrl: server.url, token: 'contract-token', pageSize: 2 });
  return {
    driver,
    advance: (ms) => clock.advance(ms),
    now: () => clock.now(),
    close: async () => {
      await driver.close();
      await server.close();
      await simulator.close();
    },
  };
}).run();
