// Flux-style conditions (docs/design.md section 3): Ready, Reconciling, Stalled, each with a reason and a
// message a person can act on. `lastTransitionTime` moves only when the condition's status flips.
import type { Condition, ConditionType, Instant } from '../api/types.ts';

export interface ConditionInput {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** Returns a new list with `input` set; the other conditions are kept as they were. */
export function setCondition(conditions: readonly Condition[] | undefined, input: ConditionInput, now: Instant, observedGeneration?: number): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === input.type);
  const prev = i >= 0 ? list[i] : undefined;
  const next: Condition = {
    type: input.type,
    status: input.status,
    reason: input.reason,
    message: input.message,
    ...(observedGeneration !== undefined ? { observedGeneration } : {}),
    lastTransitionTime: prev && prev.status === input.status ? prev.lastTransitionTime : now,
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list.sort((a, b) => ORDER.indexOf(a.type) - ORDER.indexOf(b.type));
}

export function removeCondition(conditions: readonly Condition[] | undefined, type: ConditionType): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

export function getCondition(conditions: readonly Condition[] | undefined, type: ConditionType): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

const ORDER: ConditionType[] = ['Ready', 'Reconciling', 'Stalled'];

/**
 * The usual trio in one call: Ready with its reason; Reconciling True while work is under way; Stalled True
 * when it cannot progress without a change from a person. The conditions that do not apply are removed.
 */
export function summarize(
  conditions: readonly Condition[] | undefined,
  s: { ready: boolean; reason: string; message: string; reconciling?: boolean; stalled?: boolean },
  now: Instant,
  observedGeneration?: number,
): Condition[] {
  let list = setCondition(conditions, { type: 'Ready', status: s.ready ? 'True' : 'False', reason: s.reason, message: s.message }, now, observedGeneration);
  list = s.reconciling
    ? setCondition(list, { type: 'Reconciling', status: 'True', reason: s.reason, message: s.message }, now, observedGeneration)
    : removeCondition(list, 'Reconciling');
  list = s.stalled
    ? setCondition(list, { type: 'Stalled', status: 'True', reason: s.reason, message: s.message }, now, observedGeneration)
    : removeCondition(list, 'Stalled');
  return list;
}
