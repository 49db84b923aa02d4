// Kubernetes Events about Fleetward objects (`kubectl describe` shows them). Each Event's name is derived
// from what it reports, so the same fact reported twice — by a retry, or by a new leader after a handover —
// is one Event (the second create answers 409 and is dropped).
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { API_VERSION } from '../api/types.ts';
import type { Clock } from '../util/clock.ts';
import { FencedOut } from '../reconciler/fenced.ts';
import type { DeviceRecord } from '../store/records.ts';
import { statusCode, type KubeClient } from './kube.ts';
import type { KubernetesSource, ObjectRef } from './source.ts';
import type { OperatorMetrics } from './metrics.ts';

export interface EventInput {
  type: 'Normal' | 'Warning';
  /** CamelCase: ReleasePaused, ForcedUpdate, … */
  reason: string;
  message: string;
  /** Same key, same Event. */
  dedupKey: string;
}

export interface EventRecorder {
  emit(ref: ObjectRef & { uid?: string }, e: EventInput): Promise<void>;
}

export class KubernetesEventRecorder implements EventRecorder {
  readonly #client: KubeClient;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #component: string;
  readonly #instance: string;
  readonly #metrics: OperatorMetrics | undefined;

  /** `client` is fenced: each Event is checked against the lease right before it is created. */
  constructor(opts: { client: KubeClient; clock: Clock; logger: Logger; instance: string; metrics?: OperatorMetrics }) {
    this.#metrics = opts.metrics;
    this.#client = opts.client;
    this.#clock = opts.clock;
    this.#log = opts.logger;
    this.#component = 'fleetward-operator';
    this.#instance = opts.instance;
  }

  async emit(ref: ObjectRef & { uid?: string }, e: EventInput): Promise<void> {
    const namespace = ref.namespace ?? 'default';
    const hash = createHash('sha256').update(`${ref.kind}/${ref.namespace ?? ''}/${ref.name}\0${e.dedupKey}`).digest('hex').slice(0, 16);
    const name = `${ref.name.slice(0, 200)}.${hash}`;
    const now = this.#clock.now();
    try {
      await this.#client.createEvent(namespace, {
        metadata: { name, namespace },
        involvedObject: { apiVersion: API_VERSION, kind: ref.kind, name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}), ...(ref.uid ? { uid: ref.uid } : {}) },
        type: e.type,
        reason: e.reason,
        message: e.message.slice(0, 1024),
        source: { component: this.#component },
        reportingComponent: this.#component,
        reportingInstance: this.#instance,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
      this.#metrics?.eventsCreated.inc({ reason: e.reason });
      this.#log.info({ object: `${ref.kind}/${ref.name}`, reason: e.reason }, e.message);
    } catch (err) {
      if (err instanceof FencedOut) throw err;
      if (statusCode(err) === 409) return; // already reported
      this.#log.warn({ object: `${ref.kind}/${ref.name}`, reason: e.reason, err: (err as Error).message }, 'event not recorded');
    }
  }
}

/**
 * The forced-update Events of some devices (one per forced operation Fleetward issued, on its
 * SoftwareUpdate), leaving out operations already in `reported`. The Event name dedups across replicas.
 */
export function forcedUpdateEvents(records: Iterable<DeviceRecord>, source: Pick<KubernetesSource, 'lookup'>, reported: ReadonlySet<string>): { operationId: string; ref: ObjectRef; event: EventInput }[] {
  const out: { operationId: string; ref: ObjectRef; event: EventInput }[] = [];
  for (const rec of records) {
    for (const h of rec.history) {
      if (!h.forced || h.issuedBy !== 'fleetward' || reported.has(h.operationId) || !h.softwareUpdate) continue;
      const su = source.lookup('SoftwareUpdate', h.softwareUpdate);
      if (!su?.owns) continue;
      out.push({
        operationId: h.operationId, ref: su.ref,
        event: {
          type: 'Normal', reason: 'ForcedUpdate',
          message: `forced ${h.component ?? 'update'} update of ${rec.id} ${h.fromVersion ?? '?'} → ${h.toVersion ?? '?'} (operation ${h.operationId}, revision ${h.revision ?? 'unknown'})`,
          dedupKey: `forced/${h.operationId}`,
        },
      });
    }
  }
  return out;
}
