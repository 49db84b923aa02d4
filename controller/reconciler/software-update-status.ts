// A SoftwareUpdate's status (docs/spec/softwareupdates.md "SoftwareUpdate status"): how many of the devices it
// decides for are updated and how many failed, and a Ready message naming who is still waiting and until when.
// It is how `fleetward retry-failed` and `fleetward force` report back on the object they wrote (docs/admin.md).
// Counted with the one outcome function (planner/outcomes.ts), per device, on the update's component.
import { componentOutcome, OUTCOME_WORDS, type Outcome } from '../planner/outcomes.ts';
import type { ComponentPlan, Plan } from '../planner/types.ts';
import * as R from './reasons.ts';

type Condition = { ready: boolean; reason: string; message: string; reconciling?: boolean; stalled?: boolean };

/** Devices named in a condition message: enough to act on, never a wall of ids. */
export const NAMED_IN_MESSAGE = 5;

/** The first NAMED_IN_MESSAGE ids, and how many more there are (the SoftwareUpdate, group, ring and phase conditions). */
export function named(ids: readonly string[]): string {
  return ids.slice(0, NAMED_IN_MESSAGE).join(', ') + (ids.length > NAMED_IN_MESSAGE ? `, … (${ids.length - NAMED_IN_MESSAGE} more)` : '');
}

/** `started`: devices this pass just sent an operation (their component still reads Due in the plan). */
export function softwareUpdateStatus(plan: Plan, name: string, component: string, started: ReadonlySet<string> = new Set()): { fields: { devices: number; succeeded: number; failed: number }; condition: Condition } {
  const by: Record<Outcome, { id: string; c: ComponentPlan }[]> = { updated: [], inProgress: [], waiting: [], failed: [], held: [], rolledBack: [], windowMissed: [] };
  let devices = 0;
  for (const d of plan.devices) {
    const c = d.components.find((x) => x.component === component && x.softwareUpdate === name);
    if (!c) continue;
    devices++;
    const issued = c.state === 'Due' && started.has(d.id);
    by[issued ? 'inProgress' : componentOutcome(c)].push({ id: d.id, c: issued ? { ...c, state: 'InProgress' } : c });
  }
  const bad = [...by.rolledBack, ...by.held, ...by.failed];
  const fields = { devices, succeeded: by.updated.length, failed: bad.length };
  if (devices === 0) {
    return { fields, condition: { ready: true, reason: R.ReconciliationSucceeded, message: 'no device of the fleet is updated by it (none targeted is known, or another SoftwareUpdate for the same component applies first)' } };
  }
  const head = `${by.updated.length} of ${devices} device(s) updated`;
  const open = [...by.inProgress, ...by.waiting, ...by.windowMissed];
  const waiting = open.length ? `; ${open.length} still to go: ${open.slice(0, NAMED_IN_MESSAGE).map(({ id, c }) => `${id} ${c.state === 'InProgress' ? 'in progress' : c.notBefore ? `waits until ${c.notBefore} (${c.reason})` : `waits (${c.reason})`}`).join(', ')}${open.length > NAMED_IN_MESSAGE ? ', …' : ''}` : '';
  if (bad.length) {
    const parts = (['rolledBack', 'held', 'failed'] as const).filter((o) => by[o].length)
      .map((o) => `${by[o].length} ${OUTCOME_WORDS[o]} (${named(by[o].map((x) => `${x.id}${x.c.message ? `: ${x.c.message}` : ''}`))})`);
    return { fields, condition: { ready: false, reason: R.UpdatesFailed, message: `${head}; ${parts.join('; ')}${waiting}`, ...(open.length ? { reconciling: true } : { stalled: true }) } };
  }
  if (!open.length) return { fields, condition: { ready: true, reason: R.UpToDate, message: head } };
  return { fields, condition: { ready: false, reason: R.Progressing, message: `${head}${waiting}`, reconciling: true } };
}
