// Notifications (docs/notifications.md; docs/design.md section 8): an explicit step of the pass and a
// delivery loop beside it.
//
//   pass:      … record → notify: derive events (./events.ts) → advance (./delivery.ts) → write to the store
//   committed: Kubernetes Events for what was announced; wake the delivery loop
//   delivery:  due messages → provider format (./providers/) → HTTP → the result written in a transaction of
//              its own (never inside a pass: a slow receiver never stalls reconciling, and a pass that is
//              aborted never forgets a message that was delivered)
//
// What is due, what was announced and what failed lives in the state store, so a restart neither sends a
// message twice nor loses one: a message is dropped from the store only after the receiver answered 2xx. A
// process killed between the receiver's answer and that write sends it again with the same
// X-Fleetward-Delivery id (and a ticket under the same dedup key): at least once, never silently lost.
import type { Logger } from 'pino';
import type { Metrics } from '../server/metrics.ts';
import type { DeliveryRecord, NotificationChanges, NotificationContent, NotificationEventRecord, NotificationRecords } from '../store/records.ts';
import type { StateStore } from '../store/store.ts';
import type { Clock } from '../util/clock.ts';
import { redactSecrets } from '../util/redact.ts';
import { notifyConfig, routes, type NotifyConfig, type ProviderConfig } from './config.ts';
import { DEFAULT_SETTINGS, advance, deliveryId, type DeliverySettings } from './delivery.ts';
import { deriveEvents, severityOf } from './events.ts';
import type { NotifyStep, PassFacts, ProviderStatus } from '../reconciler/reconciler.ts';
import { FORMATS } from './providers/index.ts';
import { resolveSecret, SecretUnavailable, type SecretSources } from './secrets.ts';

export interface RetryPolicy {
  /** Attempts before a message is dead-lettered. */
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
}
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, backoffMs: 30_000, maxBackoffMs: 30 * 60_000 };

export interface NotifierOptions {
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
  secrets?: SecretSources;
  /** The console's external URL: messages link to the object's page there. */
  consoleUrl?: string;
  settings?: Partial<DeliverySettings>;
  retry?: Partial<RetryPolicy>;
  /** Operator mode: one Kubernetes Event per announcement, on the object it is about. */
  kubernetesEvents?: (record: NotificationEventRecord, action: DeliveryRecord['action']) => Promise<void>;
}

/** Writes notification records in a transaction of their own, serialized with the passes (Reconciler.writeOutsidePass). */
export type OutsidePassWriter = (write: (store: StateStore) => void) => Promise<void>;

export class Notifier implements NotifyStep {
  readonly #o: NotifierOptions;
  readonly #settings: DeliverySettings;
  readonly #retry: RetryPolicy;
  #store: StateStore | undefined;
  #write: OutsidePassWriter | undefined;
  #config: NotifyConfig = notifyConfig(undefined);
  /** A pass has told this process the providers (until then nothing is sent, nor given up). */
  #configured = false;
  /** Announcements of the pass under way: their Kubernetes Events go out once it is committed. */
  #announced: { record: NotificationEventRecord; action: DeliveryRecord['action'] }[] = [];
  #draining: Promise<void> | undefined;
  #again = false;
  #closed = false;
  #timer: AbortController | undefined;
  /** Aborted by close(): a request under way is dropped, and stays due in the store for the next start. */
  readonly #closing = new AbortController();
  /** Per provider, when its recent sends happened (rate limit: a sliding window). */
  readonly #sent = new Map<string, number[]>();

  constructor(opts: NotifierOptions) {
    this.#o = opts;
    this.#settings = { ...DEFAULT_SETTINGS, ...opts.settings };
    this.#retry = { ...DEFAULT_RETRY, ...opts.retry };
  }

  /** The reconciler hands over its store and its way of writing outside a pass. */
  attach(store: StateStore, write: OutsidePassWriter): void {
    this.#store = store;
    this.#write = write;
  }

  /**
   * The pass's notify step, inside its transaction: the events true now, compared with what was announced;
   * new messages are written to the store with the pass. Returns each declared provider's delivery counts.
   */
  step(facts: PassFacts): Record<string, ProviderStatus> {
    const store = this.#need();
    this.#config = notifyConfig(facts.revision);
    this.#configured = true;
    const derived = deriveEvents(facts, { codesExpiringWithinMs: this.#config.codesExpiringWithinMs });
    const stored = store.readNotifications();
    const { changes, announced } = advance({
      now: facts.at, stored, derived, routes: (c) => routes(this.#config, c), settings: this.#settings,
    });
    store.writeNotifications(changes);
    this.#announced = announced;
    for (const a of announced) {
      this.#o.logger.info({ event: a.record.key, reason: a.record.reason, action: a.action, devices: a.record.deviceCount }, `notification ${a.action}: ${a.record.title}`);
    }
    return this.#providerStatus(store.readNotifications());
  }

  /** The pass was committed: its Kubernetes Events, then delivery of what is due (not awaited by the pass). */
  committed(): void {
    const announced = this.#announced;
    this.#announced = [];
    if (this.#o.kubernetesEvents) {
      for (const a of announced) {
        if (a.record.reason === 'RevisionStatus') continue;
        void this.#o.kubernetesEvents(a.record, a.action).catch(() => undefined);
      }
    }
    this.kick();
  }

  /** The pass was not recorded: nothing it announced happened. */
  aborted(): void {
    this.#announced = [];
  }

  /** Deliver what is due now, soon (coalesced with a round under way). */
  kick(): void {
    void this.deliverDue();
  }

  /** Delivers everything due now and resolves when that round (and any it triggered) is done. */
  deliverDue(): Promise<void> {
    if (this.#closed || !this.#store) return Promise.resolve();
    if (this.#draining) {
      this.#again = true;
      return this.#draining;
    }
    this.#timer?.abort();
    this.#draining = (async () => {
      do {
        this.#again = false;
        await this.#round();
      } while (this.#again && !this.#closed);
    })().catch((err: unknown) => {
      this.#o.logger.warn({ err: redactSecrets((err as Error)?.message ?? String(err)) }, 'notification delivery round failed; retried later');
    }).finally(() => {
      this.#draining = undefined;
      this.#scheduleNext();
    });
    return this.#draining;
  }

  /** Stops delivering; what is still due stays in the store for the next start. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#timer?.abort();
    this.#closing.abort();
    await this.#draining;
  }

  /**
   * The replica lost its lease (operator mode): said once, straight to the providers, without the store (it
   * belongs to the next leader now). Best effort: one attempt each, not cut short by close().
   */
  async leaderLost(identity: string): Promise<void> {
    const at = this.#o.clock.now().toISOString();
    const content: NotificationContent = {
      key: `LeaderLost/${identity}/${at}`, reason: 'LeaderLost', severity: severityOf('LeaderLost'), object: 'FleetPolicy/default',
      title: `Fleetward replica ${identity} lost its leader lease`,
      message: `The replica ${identity} stopped leading at ${at}; another replica takes over when it acquires the lease. If none does, nothing is reconciled: check the operator's pods.`,
      devices: [], deviceCount: 0,
    };
    await Promise.all(routes(this.#config, content).map(async (provider) => {
      const p = this.#config.providers.get(provider);
      if (!p) return;
      const d: DeliveryRecord = { id: deliveryId(provider, content.key, 'open', at), provider, action: 'open', content, createdAt: at, attempts: 0, nextAttemptAt: at };
      await this.#attempt(d, p, true);
    }));
  }

  #need(): StateStore {
    if (!this.#store) throw new Error('Notifier used before Reconciler attached it');
    return this.#store;
  }

  #providerStatus(book: NotificationRecords): Record<string, ProviderStatus> {
    const out: Record<string, ProviderStatus> = {};
    for (const name of this.#config.providers.keys()) out[name] = { pending: 0, deadLettered: 0, failing: 0 };
    const last = new Map<string, { at: string; error: string }>();
    for (const d of Object.values(book.deliveries)) {
      const s = out[d.provider];
      if (!s) continue;
      if (d.deadLetteredAt) s.deadLettered++;
      else {
        s.pending++;
        if (d.lastError) s.failing++;
      }
      const at = d.deadLetteredAt ?? d.nextAttemptAt;
      if (d.lastError && (!last.has(d.provider) || last.get(d.provider)!.at < at)) last.set(d.provider, { at, error: d.lastError });
    }
    for (const [p, l] of last) out[p]!.lastError = l.error;
    for (const [p, s] of Object.entries(out)) this.#o.metrics?.notificationsPending.set({ provider: p }, s.pending);
    return out;
  }

  /** Per provider, its messages not given up, in the order they were enqueued. */
  #queues(): Map<string, DeliveryRecord[]> {
    const byProvider = new Map<string, DeliveryRecord[]>();
    const live = Object.values(this.#need().readNotifications().deliveries).filter((d) => !d.deadLetteredAt)
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
    for (const d of live) {
      let l = byProvider.get(d.provider);
      if (!l) byProvider.set(d.provider, (l = []));
      l.push(d);
    }
    return byProvider;
  }

  /**
   * One round: per provider, its messages in the order they were enqueued, while they are due and within its
   * rate limit. A message waiting for its retry holds the ones behind it, so a person never reads an incident
   * resolved before it was opened.
   */
  async #round(): Promise<void> {
    if (!this.#configured) return; // no pass yet in this process: the providers are not known
    const now = this.#o.clock.now().getTime();
    await Promise.all([...this.#queues()].map(async ([name, list]) => {
      const p = this.#config.providers.get(name);
      if (!p) {
        // The provider was removed from the config: its messages cannot go anywhere.
        await this.#persist({ deliveries: Object.fromEntries(list.map((d) => [d.id, { ...d, deadLetteredAt: this.#o.clock.now().toISOString(), lastError: `no NotificationProvider ${name} in the revision in force` }])) });
        for (const _ of list) this.#o.metrics?.notificationsDeadLettered.inc({ provider: name, type: 'unknown' });
        return;
      }
      if (p.spec.suspend) return;
      for (const d of list) {
        if (this.#closed || Date.parse(d.nextAttemptAt) > now || !this.#takeToken(p)) return;
        if (!(await this.#attempt(d, p))) return;
      }
    }));
  }

  /** When a provider can next be sent to: its first message's retry time, or when its rate limit frees a send. */
  #nextWake(): number | undefined {
    if (!this.#configured) return undefined;
    const now = this.#o.clock.now().getTime();
    let wake: number | undefined;
    for (const [name, list] of this.#queues()) {
      const p = this.#config.providers.get(name);
      if (!p || p.spec.suspend) continue;
      let at = Date.parse(list[0]!.nextAttemptAt);
      const sent = this.#sent.get(name) ?? [];
      if (sent.length >= p.rate.messages) at = Math.max(at, sent[sent.length - p.rate.messages]! + p.rate.perMs);
      at = Math.max(at, now + 1);
      if (wake === undefined || at < wake) wake = at;
    }
    return wake;
  }

  /** The rate limit: at most `messages` sends per `perMs` to one provider. */
  #takeToken(p: ProviderConfig): boolean {
    const now = this.#o.clock.now().getTime();
    const recent = (this.#sent.get(p.name) ?? []).filter((t) => now - t < p.rate.perMs);
    if (recent.length >= p.rate.messages) {
      this.#sent.set(p.name, recent);
      return false;
    }
    recent.push(now);
    this.#sent.set(p.name, recent);
    return true;
  }

  /** One attempt of one message; its result written to the store. True when the receiver accepted it. */
  async #attempt(d: DeliveryRecord, p: ProviderConfig, detached = false): Promise<boolean> {
    const labels = { provider: p.name, type: p.spec.type };
    let cause: string;
    let error: string;
    let retryAfterMs: number | undefined;
    try {
      const secret = await resolveSecret(p.spec.secretRef, this.#o.secrets ?? {});
      const req = FORMATS[p.spec.type]({ delivery: d, provider: p, secret, link: this.#link(d.content) });
      const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body, signal: detached ? AbortSignal.timeout(p.timeoutMs) : AbortSignal.any([AbortSignal.timeout(p.timeoutMs), this.#closing.signal]), redirect: 'error' });
      await res.arrayBuffer().catch(() => undefined); // the answer body is never read into a message: it may echo a secret
      if (res.ok) {
        this.#o.metrics?.notificationsSent.inc({ ...labels, reason: d.content.reason, action: d.action });
        this.#o.logger.info({ provider: p.name, type: p.spec.type, event: d.content.key, action: d.action, delivery: d.id, attempts: d.attempts + 1 }, 'notification delivered');
        await this.#persist({ deliveries: { [d.id]: null } });
        return true;
      }
      cause = res.status === 429 ? 'http_429' : res.status >= 500 ? 'http_5xx' : 'http_4xx';
      error = `HTTP ${res.status}`;
      const ra = res.headers.get('retry-after');
      if (ra && /^\d+$/.test(ra)) retryAfterMs = Number(ra) * 1000;
    } catch (err) {
      if (this.#closing.signal.aborted && !detached) return false; // shutting down: not an attempt, it stays due as it was
      const e = err as Error & { cause?: { code?: string } };
      if (err instanceof SecretUnavailable) { cause = 'secret'; error = e.message; }
      else if (e.name === 'TimeoutError' || e.name === 'AbortError') { cause = 'timeout'; error = `no answer within ${p.timeoutMs / 1000}s`; }
      else { cause = 'network'; error = `cannot reach the receiver (${e.cause?.code ?? e.message})`; }
    }
    error = redactSecrets(error);
    this.#o.metrics?.notificationFailures.inc({ ...labels, cause });
    const attempts = d.attempts + 1;
    const now = this.#o.clock.now();
    let next: DeliveryRecord;
    if (attempts >= this.#retry.maxAttempts) {
      next = { ...d, attempts, lastError: error, deadLetteredAt: now.toISOString() };
      this.#o.metrics?.notificationsDeadLettered.inc(labels);
      this.#o.logger.warn({ provider: p.name, type: p.spec.type, event: d.content.key, delivery: d.id, attempts, err: error }, 'notification dead-lettered after its last attempt');
    } else {
      const backoff = Math.max(retryAfterMs ?? 0, Math.min(this.#retry.maxBackoffMs, this.#retry.backoffMs * 2 ** (attempts - 1)));
      next = { ...d, attempts, lastError: error, nextAttemptAt: new Date(now.getTime() + backoff).toISOString() };
      this.#o.metrics?.notificationRetries.inc(labels);
      this.#o.logger.warn({ provider: p.name, type: p.spec.type, event: d.content.key, delivery: d.id, attempts, retryAt: next.nextAttemptAt, err: error }, 'notification not delivered; retried after a backoff');
    }
    await this.#persist({ deliveries: { [d.id]: next } });
    return false;
  }

  async #persist(changes: NotificationChanges): Promise<void> {
    if (!this.#write) return;
    // LeaderLost messages are never in the store: nothing to record for them.
    const ids = Object.keys(changes.deliveries ?? {});
    const book = this.#need().readNotifications();
    if (ids.every((id) => !book.deliveries[id])) return;
    await this.#write((s) => s.writeNotifications(changes));
  }

  #link(c: NotificationContent): string | undefined {
    const base = this.#o.consoleUrl?.replace(/\/+$/, '');
    return base ? `${base}/ui/#/${c.object}` : undefined;
  }

  /** Sleeps (on the injected clock) until a provider can next be sent to, then delivers. */
  #scheduleNext(): void {
    if (this.#closed || !this.#store) return;
    const wake = this.#nextWake();
    this.#timer?.abort();
    if (wake === undefined) return;
    const timer = new AbortController();
    this.#timer = timer;
    void this.#o.clock.sleep(wake - this.#o.clock.now().getTime(), timer.signal).then(() => {
      if (!timer.signal.aborted && this.#timer === timer) this.kick();
    });
  }
}

