// What starts a pass (docs/kubernetes.md "What starts a pass"), after controller-runtime's
// GenerationChangedPredicate and work-queue rate limiter:
//
//   changeCause   a pure predicate: a watch event matters when it can change the revision or who owns what
//                 — an object added or deleted, its generation moved (spec), its labels or annotations
//                 changed (the shard label, reconcile.fleetward.dev/requestedAt). A status-only update does
//                 not: that is every write Fleetward makes (its own, or another shard's), so the operator
//                 never wakes itself up.
//   TriggerGate   coalesces what matters into one kick per `coalesceMs` window, and at most one kick per
//                 `minIntervalMs`; kicks during a pass already coalesce into one more pass (ReconcileLoop).
import type { KubernetesObject } from '@kubernetes/client-node';
import { REQUESTED_AT_ANNOTATION } from './source.ts';

export type TriggerCause = 'started' | 'spec_changed' | 'metadata_changed' | 'object_added' | 'object_deleted' | 'reconcile_requested' | 'timer';
export type IgnoredChange = 'status_only' | 'unchanged' | 'other_shard';

/** The part of an object a pass reads besides its spec (which generation stands for). */
interface Fingerprint { uid: string; generation: number; labels: string; annotations: string; deleting: boolean }

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export function fingerprint(o: KubernetesObject): Fingerprint {
  const m = o.metadata ?? {};
  const annotations = Object.entries(m.annotations ?? {}).filter(([k]) => k !== LAST_APPLIED).sort(([a], [b]) => (a < b ? -1 : 1));
  const labels = Object.entries(m.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  return {
    uid: m.uid ?? `${o.kind}/${m.namespace ?? ''}/${m.name ?? ''}`,
    generation: m.generation ?? 0,
    labels: JSON.stringify(labels),
    annotations: JSON.stringify(annotations),
    deleting: m.deletionTimestamp !== undefined,
  };
}

/**
 * Why a watch event should start a pass, or why not. `before` is the object as last seen (undefined: not
 * seen), `after` as now (undefined: deleted).
 */
export function changeCause(before: Fingerprint | undefined, after: Fingerprint | undefined): { cause: TriggerCause } | { ignored: IgnoredChange } {
  if (!after) return before ? { cause: 'object_deleted' } : { ignored: 'unchanged' };
  if (!before) return { cause: 'object_added' };
  if (after.generation !== before.generation || after.deleting !== before.deleting) return { cause: 'spec_changed' };
  if (after.annotations !== before.annotations) {
    const requested = (f: Fingerprint) => (JSON.parse(f.annotations) as [string, string][]).find(([k]) => k === REQUESTED_AT_ANNOTATION)?.[1];
    return { cause: requested(after) !== requested(before) ? 'reconcile_requested' : 'metadata_changed' };
  }
  if (after.labels !== before.labels) return { cause: 'metadata_changed' };
  return { ignored: 'status_only' };
}

/** Every object's fingerprint as last seen, so a watch event can be compared with what came before. */
export class SeenObjects {
  readonly #seen = new Map<string, Fingerprint>();
  /** Compares, remembers, and says what the event means. */
  note(type: 'add' | 'update' | 'delete', o: KubernetesObject): { cause: TriggerCause } | { ignored: IgnoredChange } {
    const now = fingerprint(o);
    const before = this.#seen.get(now.uid);
    if (type === 'delete') {
      this.#seen.delete(now.uid);
      return changeCause(before, undefined);
    }
    this.#seen.set(now.uid, now);
    // A relist re-delivers every object as an add: the same fingerprint is no change.
    const verdict = changeCause(before, now);
    return 'ignored' in verdict && type === 'add' ? { ignored: 'unchanged' } : verdict;
  }
}

export interface TriggerGateOptions {
  /** Changes within this long of the first are one trigger. Default 500 ms. */
  coalesceMs?: number;
  /** No two triggers closer than this. Default 5 s. */
  minIntervalMs?: number;
  /** Starts (or brings forward) a pass. */
  kick: () => void;
  now?: () => number;
}

/** Causes collected between passes; fired as one kick, rate-limited. */
export class TriggerGate {
  readonly #o: Required<TriggerGateOptions>;
  #pending = new Set<TriggerCause>();
  #timer: NodeJS.Timeout | undefined;
  #lastKick = -Infinity;
  #closed = false;

  constructor(opts: TriggerGateOptions) {
    this.#o = { coalesceMs: 500, minIntervalMs: 5_000, now: () => Date.now(), ...opts };
  }

  add(cause: TriggerCause): void {
    if (this.#closed) return;
    this.#pending.add(cause);
    if (this.#timer) return;
    const at = Math.max(this.#o.now() + this.#o.coalesceMs, this.#lastKick + this.#o.minIntervalMs);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#lastKick = this.#o.now();
      this.#o.kick();
    }, Math.max(0, at - this.#o.now()));
    this.#timer.unref?.();
  }

  /** The causes of the pass about to start (none: the loop's own timer), and forgets them. */
  take(): TriggerCause[] {
    const causes = [...this.#pending];
    this.#pending = new Set();
    // The pass about to start reads everything afresh (level-triggered): a kick still waiting is covered.
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    return causes;
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
