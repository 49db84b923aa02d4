// One software update per device at a time (seed 003: a second one while one is queued is a 409; DESIGN 4
// "at most one operation queued"). When several components of a device are due at once, or one is already
// in flight, the plan says which goes first and what waits, so `fleetward plan` shows what will really be
// issued now rather than operations the driver would refuse.
import { COMPONENTS, type Component } from '../api/types.ts';
import { Reason } from './reasons.ts';
import type { ComponentPlan, PlannedOperation } from './types.ts';

/** The order due updates go in: a forced one first, then firmware (apps may need it), then teamsClient, then the rest. */
function rank(op: PlannedOperation): number {
  const first = op.component === 'firmware' ? 0 : op.component === 'teamsClient' ? 1 : 2 + COMPONENTS.indexOf(op.component);
  return (op.forced ? 0 : 100) + first;
}

/**
 * Of a device's due operations, the one to issue now (null when none, or when one is already in flight);
 * every other due component becomes Scheduled with reason OneUpdateAtATime. `components` is changed in place.
 */
export function oneUpdateAtATime(components: ComponentPlan[], due: readonly PlannedOperation[]): PlannedOperation | null {
  if (due.length === 0) return null;
  let busy: Component | null = null;
  for (const c of components) if (c.state === 'InProgress') { busy = c.component; break; }
  let first: PlannedOperation | null = null;
  if (busy === null) for (const op of due) if (first === null || rank(op) < rank(first)) first = op;
  if (busy === null && due.length === 1) return first;
  const message = busy !== null
    ? `waits for the ${busy} update in progress (one update per device at a time)`
    : `waits for the ${first!.component} update issued first (one update per device at a time)`;
  for (const c of components) {
    if (c.state !== 'Due' || c.component === first?.component) continue;
    c.state = 'Scheduled';
    c.reason = Reason.OneUpdateAtATime;
    c.message = message;
  }
  return first;
}
