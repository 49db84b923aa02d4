// Leader election over a coordination.k8s.io Lease, as client-go's leaderelection does it: so two replicas
// never both act.
//
//   leaseDuration (15 s)  how long a holder's claim stands after its last renewal; a candidate takes over
//                         only after it has seen the same record unchanged for this long (its own clock).
//   renewDeadline (10 s)  a leader that could not renew for this long steps down — before anyone else may
//                         take over, since renewDeadline < leaseDuration.
//   retryPeriod (2 s)     how often candidates try and leaders renew.
//
// Updates are optimistic (resourceVersion): of two candidates racing for an expired lease, one gets 409.
import type { V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { statusCode, type KubeClient } from './kube.ts';

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  logger: Logger;
  onStartedLeading: () => void;
  /** Leadership lost (or given up on stop): the caller must stop acting at once. */
  onStoppedLeading: () => void;
  /** Wall time; injectable for tests. */
  now?: () => Date;
}

/**
 * A Lease's times are MicroTime: the API server parses exactly six fractional digits, and client-node would
 * send a Date as toISOString()'s three (400 Bad Request). A string passes through its serializer unchanged.
 */
export function microTime(d: Date): Date {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') as unknown as Date;
}

function keepMicro(v: Date | undefined): Date | undefined {
  return v instanceof Date ? microTime(v) : v;
}

export class LeaderElector {
  readonly #o: Required<Omit<LeaderElectionOptions, 'now'>> & { now: () => Date };
  #leading = false;
  #stopped = false;
  #lastRenew = 0;
  /** The record last seen, and when (local clock) it was first seen unchanged. */
  #observed: { key: string; at: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(opts: LeaderElectionOptions) {
    this.#o = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, now: () => new Date(), ...opts };
    if (this.#o.renewDeadlineMs >= this.#o.leaseDurationMs) throw new Error('renewDeadline must be shorter than leaseDuration');
    if (this.#o.retryPeriodMs >= this.#o.renewDeadlineMs) throw new Error('retryPeriod must be shorter than renewDeadline');
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops trying; a leader releases the lease so a standby takes over at once instead of after leaseDuration. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    if (this.#leading) {
      await this.#release().catch((err) => this.#o.logger.warn({ err: (err as Error).message }, 'lease release failed'));
      this.#setLeading(false);
    }
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const ok = await this.#tryAcquireOrRenew().catch((err: unknown) => {
        this.#o.logger.warn({ lease: this.#o.name, err: (err as Error).message }, 'lease request failed');
        return false;
      });
      const t = this.#o.now().getTime();
      if (ok) {
        this.#lastRenew = t;
        if (!this.#leading) this.#setLeading(true);
      } else if (this.#leading && t - this.#lastRenew >= this.#o.renewDeadlineMs) {
        this.#o.logger.error({ lease: this.#o.name }, `could not renew the lease for ${this.#o.renewDeadlineMs} ms: stepping down`);
        this.#setLeading(false);
      }
      if (this.#stopped) break;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, this.#o.retryPeriodMs);
      });
      if (this.#timer) clearTimeout(this.#timer);
    }
  }

  #setLeading(leading: boolean): void {
    this.#leading = leading;
    this.#o.logger.info({ lease: `${this.#o.namespace}/${this.#o.name}`, identity: this.#o.identity }, leading ? 'became leader' : 'stopped leading');
    if (leading) this.#o.onStartedLeading();
    else this.#o.onStoppedLeading();
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name, identity } = this.#o;
    const now = this.#o.now();
    const seconds = Math.ceil(this.#o.leaseDurationMs / 1000);
    const lease = await client.readLease(namespace, name);
    if (!lease) {
      try {
        await client.createLease(namespace, {
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
        });
        return true;
      } catch (err) {
        if (statusCode(err) === 409) return false;
        throw err;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const key = `${holder}\0${String(spec.renewTime ?? '')}\0${lease.metadata?.resourceVersion ?? ''}`;
    const local = now.getTime();
    if (this.#observed?.key !== key) this.#observed = { key, at: local };
    const held = holder !== '' && holder !== identity;
    const durationMs = (spec.leaseDurationSeconds ?? seconds) * 1000;
    if (held && local - this.#observed.at < durationMs) return false; // someone else holds it and renewed recently
    const next: V1Lease = {
      ...lease,
      spec: {
        ...spec,
        ...(spec.acquireTime ? { acquireTime: keepMicro(spec.acquireTime) } : {}),
        holderIdentity: identity,
        leaseDurationSeconds: seconds,
        renewTime: microTime(now),
        ...(holder === identity ? {} : { acquireTime: microTime(now), leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
      },
    };
    try {
      await client.replaceLease(namespace, next);
      return true;
    } catch (err) {
      if (statusCode(err) === 409) return false;
      throw err;
    }
  }

  async #release(): Promise<void> {
    const lease = await this.#o.client.readLease(this.#o.namespace, this.#o.name);
    if (!lease || lease.spec?.holderIdentity !== this.#o.identity) return;
    await this.#o.client.replaceLease(this.#o.namespace, {
      ...lease,
      spec: { ...lease.spec, acquireTime: keepMicro(lease.spec.acquireTime), holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(this.#o.now()) },
    });
  }
}
