// Runs the conformance checks against a harness: each check on a fresh back end, every outcome with its
// reason. A check that throws something other than CheckFailed (a DriverError, a bug in the driver) fails
// with that error's message: the kit reports, it never stops half way.
import { CONFORMANCE_CHECKS, type ConformanceCheck } from './checks.ts';
import { conformanceScenario, type ConformanceBackend, type ConformanceHarness } from './scenario.ts';

export interface CheckResult {
  name: string;
  outcome: 'passed' | 'failed' | 'skipped';
  /** Why it failed, or which capability it needs that the back end lacks. */
  reason?: string;
}

const describe = (err: unknown) => (err instanceof Error ? (err.name === 'CheckFailed' ? err.message : `${err.name}: ${err.message}`) : String(err));

/** Runs one check on a fresh back end built by `harness`; the back end is closed whatever happens. */
export async function runCheck(check: ConformanceCheck, harness: ConformanceHarness): Promise<CheckResult> {
  let backend: ConformanceBackend;
  try {
    backend = await harness(conformanceScenario());
  } catch (err) {
    return { name: check.name, outcome: 'failed', reason: `setting up the scenario: ${describe(err)}` };
  }
  try {
    if (check.needs && !backend.capabilities?.[check.needs]) {
      return { name: check.name, outcome: 'skipped', reason: `the driver does not declare the ${check.needs} capability` };
    }
    await check.run(backend);
    return { name: check.name, outcome: 'passed' };
  } catch (err) {
    return { name: check.name, outcome: 'failed', reason: describe(err) };
  } finally {
    await backend.close().catch(() => undefined);
  }
}

/** Every check whose name contains one of `only` (all when empty), in order. */
export async function runConformance(harness: ConformanceHarness, o: { only?: string[]; onResult?: (r: CheckResult) => void } = {}): Promise<CheckResult[]> {
  const wanted = CONFORMANCE_CHECKS.filter((c) => !o.only?.length || o.only.some((w) => c.name.includes(w)));
  const results: CheckResult[] = [];
  for (const check of wanted) {
    const r = await runCheck(check, harness);
    results.push(r);
    o.onResult?.(r);
  }
  return results;
}

export { CONFORMANCE_CHECKS, type ConformanceCheck };
