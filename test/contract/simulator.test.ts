// The in-process simulator driver passes the driver contract (its provisioning back end included).
import { ManualClock } from '../../controller/util/clock.ts';
import { SimulatorDriver } from '../../controller/drivers/simulator/driver.ts';
import { driverContract } from './driver-contract.ts';

driverContract('simulator (in process)', async ({ fleet, failing, queueMs }) => {
  const clock = new ManualClock('2026-11-23T02:00:00Z');
  const driver = new SimulatorDriver({
    fleet,
    clock,
    seed: 11,
    behaviour: {
      failureRate: 0, offlineRate: 0, rollbackRate: 0, busyDuringMeetings: 0, queueDelay: `${queueMs / 60_000}m`,
      devices: Object.fromEntries(failing.map((id) => [id, { failureRate: 1 }])),
    },
  });
  return { driver, advance: (ms) => clock.advance(ms),
    now: () => clock.now(), close: () => driver.close() };
}, { provisioning: true }).run();
