// Kubernetes Events about Fleetward objects (`kubectl describe` shows them). Each Event's name is derived
// from what it reports, so the same fact reported twice — by a retry, or by a new leader after a handover —
// is one Event (the second create answers 409 and is dropped).
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { API_VERSION } from '../api/types.ts';
import type { Clock } from '../util/clock.ts';
import { statusCode, type KubeClient } from './kube.ts';
import type { ObjectRef } from './source.ts';

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
  /** Events created (not counting duplicates), for tests and metrics. */
  created = 0;

  constructor(opts: { client: KubeClient; clock: Clock; logger: Logger; instance: string }) {
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
      this.created++;
      this.#log.info({ object: `${ref.kind}/${ref.name}`, reason: e.reason }, e.message);
    } catch (err) {
      if (statusCode(err) === 409) return; // already reported
      this.#log.warn({ object: `${ref.kind}/${ref.name}`, reason: e.reason, err: (err as Error).message }, 'event not recorded');
    }
  }
}
