// One informer per Fleetward kind (and per watched namespace), kept alive.
//
// The client's ListWatch stops for good after any error that is not a 410 Gone or a client-side timeout:
// it calls the `error` callbacks and never reconnects (its doneHandler returns early). So every error
// restarts the informer after a backoff, and a watchdog restarts one that has been quiet longer than
// `staleAfterMs` (a watch can hang on a half-open connection without ever failing). A restart relists,
// which re-delivers every object: harmless, since the reconciler is level-triggered.
import { makeInformer, type Informer, type KubeConfig, type KubernetesObject, type ObjectCache, type KubernetesListObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface WatchTarget {
  /** For logs: `devicegroups` or `devicegroups@fleet`. */
  name: string;
  /** API path of the collection, e.g. `/apis/fleetward.dev/v1alpha1/namespaces/fleet/devicegroups`. */
  path: string;
  list: () => Promise<KubernetesListObject<KubernetesObject>>;
  labelSelector?: string;
}

export interface ResilientInformerOptions {
  kubeConfig: KubeConfig;
  logger: Logger;
  /** Called on every add/update/delete (with the object), and after every (re)list. */
  onChange: (change: InformerChange) => void;
  /** Restart an informer that saw neither an event nor a (re)connect for this long. Default 10 min. */
  staleAfterMs?: number;
  /** Called on each restart (an error or the staleness watchdog), with the target's name: a metric counts them. */
  onRestart?: (informer: string) => void;
  /** First backoff after an error; doubles up to maxBackoffMs. Default 1 s / 30 s. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

export type InformerChange = { type: 'add' | 'update' | 'delete'; object: KubernetesObject } | { type: 'listed' };

type LiveInformer = Informer<KubernetesObject> & ObjectCache<KubernetesObject>;

class Kept {
  informer!: LiveInformer;
  lastActivity = Date.now();
  synced = false;
  failures = 0;
  restarts = 0;
  timer: NodeJS.Timeout | undefined;
  readonly target: WatchTarget;
  constructor(target: WatchTarget) {
    this.target = target;
  }
}

export class ResilientInformers {
  readonly #o: Required<Omit<ResilientInformerOptions, 'kubeConfig' | 'logger' | 'onChange' | 'onRestart'>> & ResilientInformerOptions;
  readonly #kept: Kept[];
  #stopped = true;
  #watchdog: NodeJS.Timeout | undefined;

  constructor(targets: WatchTarget[], opts: ResilientInformerOptions) {
    this.#o = { staleAfterMs: 10 * 60_000, backoffMs: 1000, maxBackoffMs: 30_000, ...opts };
    this.#kept = targets.map((t) => new Kept(t));
  }

  /** Starts every informer; resolves once each has listed once (or failed its first list and is retrying). */
  async start(): Promise<void> {
    this.#stopped = false;
    await Promise.all(this.#kept.map((k) => this.#startOne(k)));
    this.#watchdog = setInterval(() => this.#checkStaleness(), Math.max(1000, Math.min(this.#o.staleAfterMs / 4, 30_000)));
    this.#watchdog.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#watchdog) clearInterval(this.#watchdog);
    for (const k of this.#kept) {
      if (k.timer) clearTimeout(k.timer);
      await k.informer?.stop().catch(() => undefined);
    }
  }

  /** True once every informer has listed at least once since it last (re)started. */
  get synced(): boolean {
    return this.#kept.every((k) => k.synced);
  }

  /** Every cached object of every target, by target name. */
  objects(): Map<string, readonly KubernetesObject[]> {
    return new Map(this.#kept.map((k) => [k.target.name, k.informer?.list() ?? []]));
  }

  /** Restart counts by target (for metrics and tests). */
  restarts(): Record<string, number> {
    return Object.fromEntries(this.#kept.map((k) => [k.target.name, k.restarts]));
  }

  async #startOne(k: Kept): Promise<void> {
    const { target } = k;
    k.synced = false;
    // The list function marks the informer synced: ListWatch calls it on start and after a 410.
    const list = async () => {
      const result = await target.list();
      queueMicrotask(() => { k.synced = true; k.failures = 0; this.#touch(k); this.#o.onChange({ type: 'listed' }); });
      return result;
    };
    const informer = makeInformer(this.#o.kubeConfig, target.path, list, target.labelSelector) as LiveInformer;
    k.informer = informer;
    const changed = (type: 'add' | 'update' | 'delete') => (object: KubernetesObject) => { this.#touch(k); this.#o.onChange({ type, object }); };
    informer.on('add', changed('add'));
    informer.on('update', changed('update'));
    informer.on('delete', changed('delete'));
    informer.on('connect', () => this.#touch(k));
    informer.on('error', (err: unknown) => this.#restartLater(k, informer, err));
    try {
      await informer.start();
    } catch (err) {
      this.#restartLater(k, informer, err);
    }
  }

  #touch(k: Kept): void {
    k.lastActivity = Date.now();
  }

  #restartLater(k: Kept, informer: LiveInformer, err: unknown): void {
    if (this.#stopped || k.informer !== informer || k.timer) return;
    k.failures++;
    const delay = Math.min(this.#o.backoffMs * 2 ** (k.failures - 1), this.#o.maxBackoffMs);
    this.#o.logger.warn({ informer: k.target.name, err: describe(err), retryInMs: delay }, 'informer stopped; restarting');
    k.timer = setTimeout(() => {
      k.timer = undefined;
      void this.#restart(k, informer);
    }, delay);
    k.timer.unref?.();
  }

  async #restart(k: Kept, old: LiveInformer): Promise<void> {
    if (this.#stopped || k.informer !== old) return;
    k.restarts++;
    this.#o.onRestart?.(k.target.name);
    await old.stop().catch(() => undefined);
    await this.#startOne(k);
  }

  #checkStaleness(): void {
    const now = Date.now();
    for (const k of this.#kept) {
      if (k.timer || now - k.lastActivity < this.#o.staleAfterMs) continue;
      this.#o.logger.warn({ informer: k.target.name, quietMs: now - k.lastActivity }, 'informer quiet for too long; restarting');
      this.#touch(k);
      void this.#restart(k, k.informer);
    }
  }
}

function describe(err: unknown): string {
  if (!err) return 'unknown error';
  const e = err as { message?: string; code?: number; statusCode?: number; body?: unknown };
  const code = e.code ?? e.statusCode;
  return `${code !== undefined ? `${code} ` : ''}${e.message ?? String(err)}`;
}
