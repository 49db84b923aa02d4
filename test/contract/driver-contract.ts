// The driver contract as uvu suites: one test per conformance check (controller/drivers/conformance/, the
// same checks `fleetward driver conformance` runs). A driver's test file calls `driverContract(name, harness,
// capabilities)` and runs the suite it returns; checks of capabilities it lacks are reported as skipped.
import { suite } from 'uvu';
import { CONFORMANCE_CHECKS, runCheck } from '../../controller/drivers/conformance/run.ts';
import type { ConformanceCapabilities, ConformanceHarness } from '../../controller/drivers/conformance/scenario.ts';

export function driverContract(name: string, harness: ConformanceHarness, capabilities: ConformanceCapabilities = {}) {
  const test = suite(`driver contract: ${name}`);
  for (const check of CONFORMANCE_CHECKS) {
    if (check.needs && !capabilities[check.needs]) {
      test.skip(check.name, () => {});
      continue;
    }
    test(check.name, async () => {
      const r = await runCheck(check, async (scenario) => ({ ...(await harness(scenario)), capabilities }));
      if (r.outcome !== 'passed') throw new Error(r.reason);
    });
  }
  return test;
}
