// Leader election over a coordination.k8s.io Lease, timed as client-go's leaderelection: so two replicas
// never both act (docs/kubernetes.md "Leader election and fencing").
//
//   leaseDuration (15 s)  how long a holder's claim stands after its last renewal. A candidate takes over at
//                         the renewal instant + leaseDuration, the renewal instant read from the record's
//                         renewTime shifted by the smallest delay seen between a renewTime and the moment this
//                         candidate read it: that delay includes any clock skew and is never smaller than it,
//                         so the estimate is never early, and a SIGKILLed leader is replaced leaseDuration after
//                         its last renewal (not leaseDuration after a candidate happened to poll).
//   renewDeadline (10 s)  a leader that has not renewed for this long (counted from when its last successful
//                         renewal was sent) writes nothing more and steps down, 5 s before anyone may take over.
//   retryPeriod (2 s)     leaders renew this often. Candidates read the Lease four times as often (a GET of
//                         one small object every ~0.5 s), jittered up to +20 % so that their reads fall at
//                         every phase of the leader's renewals: within seconds the smallest delay seen is a
//                         few milliseconds, and takeover comes that close to leaseDuration after the last renewal.
//
// The election runs on its own thread (ThreadedLeaderElector below): a pass that keeps the main thread busy
// cannot make a renewal late. What the main thread needs to know — leading, which term, when last renewed —
// is in a SharedArrayBuffer it reads synchronously right before each write (controller/operator/fence.ts).
//
// Updates are optimistic (resourceVersion): of two candidates racing for an expired lease, one gets 409.
import { Worker } from 'node:worker_threads';
import type { KubeConfig, V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface LeaseTiming {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export const DEFAULT_LEASE_TIMING: LeaseTiming = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
/** client-go's JitterFactor: a candidate's poll interval is stretched by up to 20 %. */
const JITTER = 0.2;

/** What is wrong with a timing, as client-go checks it; undefined when it is sound. */
export function leaseTimingProblem(t: LeaseTiming): string | undefined {
  if (!(t.renewDeadlineMs < t.leaseDurationMs)) return 'renew-deadline must be shorter than lease-duration';
  if (!(t.retryPeriodMs * (1 + JITTER) < t.renewDeadlineMs)) return 'retry-period × 1.2 must be shorter than renew-deadline';
  return undefined;
}

/** The three Lease calls the election makes. */
export interface LeaseClient {
  readLease(namespace: string, name: string): Promise<V1Lease | undefined>;
  createLease(namespace: string, lease: V1Lease): Promise<V1Lease>;
  replaceLease(namespace: string, lease: V1Lease): Promise<V1Lease>;
}

/**
 * Leading, the term (a number this elector gives each leadership it wins, so a pass started under one term
 * is refused after the lease was lost and won again), and when the last successful renewal was sent: shared
 * between the thread that renews and the one that writes. Each value is one aligned float64 write.
 */
export class LeaseState {
  readonly buffer: SharedArrayBuffer;
  readonly #v: Float64Array;
  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(3 * 8)) {
    this.buffer = buffer;
    this.#v = new Float64Array(buffer);
  }
  get leading(): boolean { return this.#v[0] === 1; }
  get term(): number { return this.#v[1]!; }
  get renewedAt(): number { return this.#v[2]!; }
  /** Term and renewal first, leading last: a reader never sees leading with a stale renewal. */
  acquired(term: number, renewedAt: number): void {
    this.#v[1] = term;
    this.#v[2] = renewedAt;
    this.#v[0] = 1;
  }
  renewed(at: number): void { this.#v[2] = at; }
  lost(): void { this.#v[0] = 0; }
  /** Still the holder of `term`, within the renew deadline of the last renewal. */
  holds(term: number, renewDeadlineMs: number, now = Date.now()): boolean {
    return this.#v[0] === 1 && this.#v[1] === term && now - this.#v[2]! < renewDeadlineMs;
  }
}

export interface ElectionEvents {
  onStartedLeading(term: number): void;
  /** Leadership lost (or given up on stop): the caller must stop acting at once. */
  onStoppedLeading(term: number): void;
  /** A renewal (or the acquisition) succeeded; gapMs since the previous successful one of the same term. */
  onRenewed?(gapMs: number | undefined): void;
  log(level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, message: string): void;
}

export interface LeaderElectionOptions extends LeaseTiming, ElectionEvents {
  client: LeaseClient;
  namespace: string;
  name: string;
  identity: string;
  state: LeaseState;
  /** Wall ms; injectable for tests. */
  now?: () => number;
  random?: () => number;
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

function statusCode(err: unknown): number | undefined {
  const c = (err as { code?: unknown })?.code;
  return typeof c === 'number' ? c : undefined;
}

/** The election itself, on whichever thread constructs it (the operator runs it on its own; tests may not). */
export class LeaderElector {
  readonly #o: LeaderElectionOptions & { now: () => number; random: () => number };
  #stopped = false;
  #terms = 0;
  /** The record last seen, and when (local clock) it was first seen. */
  #observed: { key: string; at: number; expiresAt: number } | undefined;
  /** Per holder: the smallest (local read time − record renewTime) seen, i.e. clock skew + the fastest read. */
  #offset: { holder: string; ms: number } | undefined;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(opts: LeaderElectionOptions) {
    this.#o = { now: () => Date.now(), random: Math.random, ...opts };
    const problem = leaseTimingProblem(opts);
    if (problem) throw new Error(problem);
  }

  get isLeader(): boolean {
    return this.#o.state.holds(this.#o.state.term, this.#o.renewDeadlineMs, this.#o.now());
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops trying; a leader releases the lease so a standby takes over at once instead of after leaseDuration. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    const s = this.#o.state;
    if (s.leading) {
      s.lost();
      const released = await this.#release().then(() => true, (err) => { this.#o.log('warn', { err: (err as Error).message }, 'lease release failed'); return false; });
      this.#o.log('info', { lease: `${this.#o.namespace}/${this.#o.name}`, identity: this.#o.identity, term: s.term, released }, 'stopped leading');
      this.#o.onStoppedLeading(s.term);
    }
  }

  async #run(): Promise<void> {
    const s = this.#o.state;
    while (!this.#stopped) {
      const sentAt = this.#o.now();
      // A request that hangs must not outlive the renew deadline: it counts as failed when the deadline passes.
      const budget = s.leading ? s.renewedAt + this.#o.renewDeadlineMs - sentAt : this.#o.leaseDurationMs;
      // Past the deadline already (this process was frozen): no request can make up for it.
      const ok = budget > 0 && await withTimeout(this.#tryAcquireOrRenew(sentAt), budget).catch((err: unknown) => {
        this.#o.log('warn', { lease: this.#o.name, err: (err as Error).message }, 'lease request failed');
        return false;
      });
      if (this.#stopped && !s.leading) break;
      if (ok) {
        if (!s.leading) {
          s.acquired(++this.#terms, sentAt);
          this.#o.log('info', { lease: `${this.#o.namespace}/${this.#o.name}`, identity: this.#o.identity, term: s.term }, 'became leader');
          this.#o.onRenewed?.(undefined);
          this.#o.onStartedLeading(s.term);
        } else {
          const gap = sentAt - s.renewedAt;
          s.renewed(sentAt);
          this.#o.onRenewed?.(gap);
        }
      } else if (s.leading && this.#o.now() - s.renewedAt >= this.#o.renewDeadlineMs) {
        s.lost();
        this.#o.log('error', { lease: this.#o.name }, `could not renew the lease for ${this.#o.renewDeadlineMs} ms: stepping down`);
        this.#o.onStoppedLeading(s.term);
      }
      if (this.#stopped) break;
      await this.#sleep(this.#nextDelay());
    }
  }

  /** Leaders renew every retryPeriod; candidates poll (jittered) and wake exactly when the lease they saw expires. */
  #nextDelay(): number {
    const { retryPeriodMs } = this.#o;
    if (this.#o.state.leading) return retryPeriodMs;
    const poll = (retryPeriodMs / 4) * (1 + this.#o.random() * JITTER);
    const expiresAt = this.#observed?.expiresAt;
    if (expiresAt === undefined) return poll;
    return Math.max(0, Math.min(poll, expiresAt - this.#o.now()));
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => { clearTimeout(timer); resolve(); };
    });
  }

  async #tryAcquireOrRenew(now: number): Promise<boolean> {
    const { client, namespace, name, identity } = this.#o;
    const seconds = Math.ceil(this.#o.leaseDurationMs / 1000);
    const at = new Date(now);
    const lease = await client.readLease(namespace, name);
    if (!lease) {
      try {
        await client.createLease(namespace, {
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: microTime(at), renewTime: microTime(at), leaseTransitions: 0 },
        });
        return true;
      } catch (err) {
        if (statusCode(err) === 409) return false;
        throw err;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const held = holder !== '' && holder !== identity;
    if (held) {
      const local = this.#o.now();
      const key = `${holder}\0${String(spec.renewTime ?? '')}\0${lease.metadata?.resourceVersion ?? ''}`;
      const durationMs = (spec.leaseDurationSeconds ?? seconds) * 1000;
      if (this.#observed?.key !== key) {
        const renewed = spec.renewTime ? new Date(spec.renewTime as unknown as string).getTime() : NaN;
        if (this.#offset?.holder !== holder) {
          this.#offset = undefined;
          this.#o.log('info', { lease: `${namespace}/${name}`, holder }, 'lease held by another replica: standing by');
        }
        if (Number.isFinite(renewed)) this.#offset = { holder, ms: Math.min(this.#offset?.ms ?? Infinity, local - renewed) };
        // Never later than the record was first seen here + leaseDuration (client-go's rule); earlier when the
        // smallest delay seen so far says the renewal happened before this read.
        const since = this.#offset && Number.isFinite(renewed) ? Math.min(local, renewed + this.#offset.ms) : local;
        this.#observed = { key, at: local, expiresAt: since + durationMs };
      }
      if (local < this.#observed!.expiresAt) return false; // someone else holds it and renewed recently
    }
    const next: V1Lease = {
      ...lease,
      spec: {
        ...spec,
        ...(spec.acquireTime ? { acquireTime: keepMicro(spec.acquireTime) } : {}),
        holderIdentity: identity,
        leaseDurationSeconds: seconds,
        renewTime: microTime(at),
        ...(holder === identity ? {} : { acquireTime: microTime(at), leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
      },
    };
    try {
      await client.replaceLease(namespace, next);
      this.#observed = undefined;
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
      spec: { ...lease.spec, acquireTime: keepMicro(lease.spec.acquireTime), holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date(this.#o.now())) },
    });
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** What the main thread asks of an election, wherever it runs. */
export interface Election {
  readonly isLeader: boolean;
  /** Still the holder of `term`, within the renew deadline (read right before each write). */
  holds(term: number): boolean;
  start(): void;
  stop(): Promise<void>;
}

export interface ThreadedElectionOptions extends LeaseTiming {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  logger: Logger;
  onStartedLeading(term: number): void;
  onStoppedLeading(term: number): void;
  onRenewed?(gapMs: number | undefined): void;
}

/** Messages from the election thread (controller/operator/lease-worker.ts). */
export type ElectionMessage =
  | { type: 'started'; term: number }
  | { type: 'stopped'; term: number }
  | { type: 'renewed'; gapMs: number | undefined }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; fields: Record<string, unknown>; message: string }
  | { type: 'done' };

export interface ElectionWorkerData extends LeaseTiming {
  kubeConfig: string;
  namespace: string;
  name: string;
  identity: string;
  state: SharedArrayBuffer;
}

/** The election on a thread of its own: renewals keep their time whatever the main thread is doing. */
export class ThreadedLeaderElector implements Election {
  readonly #o: ThreadedElectionOptions;
  readonly state = new LeaseState();
  #worker: Worker | undefined;
  #done: Promise<void> | undefined;

  constructor(opts: ThreadedElectionOptions) {
    const problem = leaseTimingProblem(opts);
    if (problem) throw new Error(problem);
    this.#o = opts;
  }

  get isLeader(): boolean {
    return this.state.holds(this.state.term, this.#o.renewDeadlineMs);
  }

  holds(term: number): boolean {
    return this.state.holds(term, this.#o.renewDeadlineMs);
  }

  start(): void {
    if (this.#worker) return;
    const o = this.#o;
    const data: ElectionWorkerData = {
      kubeConfig: o.kubeConfig.exportConfig(), namespace: o.namespace, name: o.name, identity: o.identity,
      leaseDurationMs: o.leaseDurationMs, renewDeadlineMs: o.renewDeadlineMs, retryPeriodMs: o.retryPeriodMs, state: this.state.buffer,
    };
    const w = new Worker(new URL('./lease-worker.ts', import.meta.url), { workerData: data });
    this.#worker = w;
    this.#done = new Promise<void>((resolve) => {
      w.on('message', (m: ElectionMessage) => {
        if (m.type === 'started') o.onStartedLeading(m.term);
        else if (m.type === 'stopped') o.onStoppedLeading(m.term);
        else if (m.type === 'renewed') o.onRenewed?.(m.gapMs);
        else if (m.type === 'log') o.logger[m.level](m.fields, m.message);
        else if (m.type === 'done') resolve();
      });
      w.on('error', (err) => {
        // The election thread died: whatever it held is no longer renewed, so nothing more may be written.
        this.state.lost();
        o.logger.error({ err: err.message }, 'leader election thread failed');
        o.onStoppedLeading(this.state.term);
        resolve();
      });
      w.on('exit', () => resolve());
    });
  }

  /** Stops the election; a leader releases the lease first (a standby takes over at once). */
  async stop(): Promise<void> {
    const w = this.#worker;
    if (!w) return;
    w.postMessage('stop');
    await Promise.race([this.#done, new Promise((r) => setTimeout(r, this.#o.leaseDurationMs).unref())]);
    this.state.lost();
    await w.terminate();
    this.#worker = undefined;
  }
}
