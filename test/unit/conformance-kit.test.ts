// The conformance kit reports what a driver gets wrong, check by check, with a reason a driver author can act
// on; it runs every check even when some fail, and skips (saying why) the checks of capabilities a driver lacks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runConformance, CONFORMANCE_CHECKS } from '../../controller/drivers/conformance/run.ts';
import type { ConformanceHarness } from '../../controller/drivers/conformance/scenario.ts';
import type { Driver } from '../../controller/drivers/driver.ts';
import { SimulatorDriver } from '../../controller/drivers/simulator/driver.ts';
import { ManualClock } from '../../controller/util/clock.ts';

/** The simulator, with `break` applied to its driver: a back end that keeps every rule but the broken ones. */
function simulatorHarness(breakIt: (d: SimulatorDriver) => Partial<Driver> = () => ({})): ConformanceHarness {
  return async ({ fleet, failing, queueMs }) => {
    const clock = new ManualClock('2026-11-23T02:00:00Z');
    const sim = new SimulatorDriver({
      fleet, clock, seed: 11,
      behaviour: {
        failureRate: 0, offlineRate: 0, rollbackRate: 0, busyDuringMeetings: 0, queueDelay: `${queueMs / 60_000}m`,
        devices: Object.fromEntries(failing.map((id) => [id, { failureRate: 1 }])),
      },
    });
    const driver: Driver = Object.assign(Object.create(sim) as SimulatorDriver, breakIt(sim));
    return { driver, now: () => clock.now(), advance: (ms) => clock.advance(ms), close: () => sim.close() };
  };
}

test('a conforming driver passes every core check; capability checks it does not declare are skipped with the reason', async () => {
  const results = await runConformance(simulatorHarness());
  assert.is(results.length, CONFORMANCE_CHECKS.length);
  assert.equal(results.filter((r) => r.outcome === 'failed'), []);
  const skipped = results.filter((r) => r.outcome === 'skipped');
  assert.equal(skipped.map((r) => r.reason), [
    'the driver does not declare the cancel capability', 'the driver does not declare the cancel capability',
    'the driver does not declare the provisioning capability', 'the driver does not declare the provisioning capability',
  ]);
});

test('a driver that loses a device from inventory fails that check, naming expected and actual ids, and the others still run', async () => {
  const results = await runConformance(simulatorHarness((sim) => ({
    inventory: async () => (await sim.inventory()).filter((d) => d.id !== 'room-1'),
  })), { only: ['inventory lists every device', 'the catalog offers'] });
  assert.equal(results.map((r) => r.outcome), ['failed', 'passed']);
  assert.is(results[0]!.reason, "device ids: expected [ 'phone-1', 'phone-2', 'phone-broken', 'room-1' ], got [ 'phone-1', 'phone-2', 'phone-broken' ]");
});

test('a driver that accepts a downgrade fails the downgrade check with what it answered', async () => {
  const results = await runConformance(simulatorHarness((sim) => ({
    startUpdate: (req) => sim.startUpdate(req.version === '122.15.0.30' ? { ...req, version: '122.15.0.58' } : req),
  })), { only: ['a downgrade is refused'] });
  assert.is(results.length, 1);
  assert.is(results[0]!.outcome, 'failed');
  assert.match(results[0]!.reason!, /^an update of phone-1 to firmware 122\.15\.0\.30: expected DriverError VersionRefused, but it succeeded with \{ accepted: true/);
});

test('a driver that throws a plain error fails with that error, and one whose set-up fails says so', async () => {
  const throwing = await runConformance(simulatorHarness(() => ({ catalog: async () => { throw new TypeError('boom'); } })), { only: ['the catalog offers'] });
  assert.is(throwing[0]!.reason, 'TypeError: boom');
  const noSetUp = await runConformance(async () => { throw new Error('connect ECONNREFUSED 127.0.0.1:9'); }, { only: ['the catalog offers'] });
  assert.is(noSetUp[0]!.reason, 'setting up the scenario: Error: connect ECONNREFUSED 127.0.0.1:9');
});

test.run();
