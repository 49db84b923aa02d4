// One outcome per device (docs/design.md section 8 "Outcomes"): the only place that turns a plan into the
// words a person reads — updated, in progress, waiting, failed, held, rolled back, window missed. The
// progress lines, `fleetward status`, DeviceGroup status and its conditions, and the release view all
// count with these functions; a second reading of the plan's states elsewhere is the bug to remove.
//
// A device has exactly one outcome: the most serious of its components' outcomes, so no device is ever
// counted twice and the counts of a group add up to its size (test/unit/outcomes-properties.test.ts).
import { Reason } from './reasons.ts';
import type { ComponentPlan, DevicePlan } from './types.ts';

/** From the most to the least serious: a device's outcome is the first that one of its components has. */
export const OUTCOMES = ['rolledBack', 'held', 'failed', 'windowMissed', 'inProgress', 'waiting', 'updated'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export type OutcomeCounts = Record<Outcome, number>;

/** How each outcome reads in a sentence ("3 rolled back"). */
export const OUTCOME_WORDS: Record<Outcome, string> = {
  updated: 'updated', inProgress: 'in progress', waiting: 'waiting', failed: 'failed', held: 'held',
  rolledBack: 'rolled back', windowMissed: 'window missed',
};

const BY_DESIGN_MANUAL = new Set<string>([Reason.ManualOnlyComponent, Reason.AutoUpdateDisabled]);
/**
 * Blocked with nothing for a person to do: manual-only by design, a preview the device may only reach by
 * hand, or a newest release that is blocked while the device runs the newest one that is not.
 */
const NOTHING_TO_DO = new Set<string>([...BY_DESIGN_MANUAL, Reason.PreviewManualOnly, Reason.ReleaseBlocked]);

/** Not updated automatically by design: counted, but not pending. */
export function isQuiet(c: ComponentPlan): boolean {
  return c.state === 'Blocked' && BY_DESIGN_MANUAL.has(c.reason);
}

/**
 * One component's outcome. Held means "stays as it is until a person acts": held after repeated
 * failures, by a paused release, by an unknown version, a suspended group or a tenant without automatic
 * updates. A component that waits for a window again after its window was missed is `windowMissed`.
 */
export function componentOutcome(c: ComponentPlan): Outcome {
  switch (c.state) {
    case 'UpToDate': return 'updated';
    case 'InProgress': return 'inProgress';
    case 'Failed': return 'failed';
    case 'Held': return c.reason === Reason.RolledBack ? 'rolledBack' : 'held';
    case 'Blocked': return NOTHING_TO_DO.has(c.reason) ? 'updated' : 'held';
    case 'Due':
    case 'Scheduled':
      return c.reason === Reason.WindowMissed ? 'windowMissed' : 'waiting';
  }
}

/**
 * The device's outcome. `inFlight`: the driver (or this pass) has an update of the device running that the
 * plan does not show yet; it makes the device in progress unless something worse is true of it.
 */
export function deviceOutcome(d: DevicePlan, inFlight = false): Outcome {
  let best = OUTCOMES.length - 1;
  if (inFlight) best = OUTCOMES.indexOf('inProgress');
  for (const c of d.components) {
    const i = OUTCOMES.indexOf(componentOutcome(c));
    if (i < best) best = i;
  }
  return OUTCOMES[best]!;
}

export function emptyCounts(): OutcomeCounts {
  return { updated: 0, inProgress: 0, waiting: 0, failed: 0, held: 0, rolledBack: 0, windowMissed: 0 };
}

/** Every component up to date, or not updated automatically by design. */
export function isUpToDate(d: DevicePlan): boolean {
  return deviceOutcome(d) === 'updated';
}

/** The counts as a person reads them: `5 updated, 2 in progress, 1 waiting, 1 failed, 0 held` (rarer ones only when not 0). */
export function formatCounts(c: OutcomeCounts): string {
  const always: Outcome[] = ['updated', 'inProgress', 'waiting', 'failed', 'held'];
  const parts = always.map((o) => `${c[o]} ${OUTCOME_WORDS[o]}`);
  for (const o of ['rolledBack', 'windowMissed'] as const) if (c[o]) parts.push(`${c[o]} ${OUTCOME_WORDS[o]}`);
  return parts.join(', ');
}
