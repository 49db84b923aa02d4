// Operations that missed their maintenance window (seed 000: "If an update operation is unable to start
// execution within the maintenance window it is scheduled for, it is cancelled and rescheduled for the next
// available maintenance window"). Every operation is issued with its window's end as `startBy`:
//  - a back end that can cancel (the simulator) ends one still queued then as `cancelled` with
//    `error.code: WindowMissed`; the planner ignores cancelled operations, so it is planned for the next window;
//  - a back end that cannot (Graph has no deadline and no cancel action) starts it late: the history entry
//    is marked `windowOverrun`, so `fleetward status --device` shows it.
// Either way the pass logs one warn line when it first sees it (docs/drivers.md, docs/planner.md).
import { WINDOW_MISSED } from '../drivers/driver.ts';
import type { HistoryEntry } from '../store/records.ts';

export interface WindowMiss {
  deviceId: string;
  operationId: string;
  component: string | undefined;
  toVersion: string | undefined;
  /** The window's end the operation was issued with. */
  startBy: string;
  /** `cancelled`: the back end cancelled it at startBy; `overrun`: it started after startBy. */
  kind: 'cancelled' | 'overrun';
  startedAt?: string;
}

/** True when the entry started at or after the start deadline it was issued with. */
export function startedLate(entry: Pick<HistoryEntry, 'startBy' | 'startedAt'>): boolean {
  return !!(entry.startBy && entry.startedAt && Date.parse(entry.startedAt) >= Date.parse(entry.startBy));
}

/** What changed about a window between the entry as last recorded and as merged now, if it just missed one. */
export function windowMiss(deviceId: string, prev: HistoryEntry | undefined, merged: HistoryEntry): WindowMiss | undefined {
  const base = { deviceId, operationId: merged.operationId, component: merged.component, toVersion: merged.toVersion };
  if (merged.status === 'cancelled' && merged.error?.code === WINDOW_MISSED && !(prev?.status === 'cancelled')) {
    return { ...base, startBy: merged.startBy ?? merged.completedAt ?? merged.createdAt, kind: 'cancelled' };
  }
  if (startedLate(merged) && !prev?.windowOverrun) {
    return { ...base, startBy: merged.startBy!, kind: 'overrun', startedAt: merged.startedAt! };
  }
  return undefined;
}

/** The warn line's message: what a person reads in the log. */
export function windowMissMessage(m: WindowMiss, driver: string): string {
  const what = `${m.deviceId} ${m.component ?? 'update'}${m.toVersion ? ` → ${m.toVersion}` : ''}`;
  return m.kind === 'cancelled'
    ? `window missed: ${what} had not started when its maintenance window ended at ${m.startBy}; the back end cancelled it and it is planned again for the next window`
    : `window missed: ${what} started at ${m.startedAt}, after its maintenance window ended at ${m.startBy}; the ${driver} back end cannot cancel late operations`;
}
