// Runs reconcile passes until told to stop. A pass runs every `interval` (in the clock's time, so a scaled
// clock shortens it), sooner when the plan says something may start earlier, and at once when kicked (a
// file changed, a signed webhook arrived). Kicks only bring the next pass forward: the pass itself reads
// everything afresh (level-triggered). Passes never overlap; kicks during a pass coalesce into one more pass.
import type { Clock } from '../util/clock.ts';
import type { PassResult, Reconciler } from './reconciler.ts';
import { StoreUnavailable } from './reasons.ts';

export interface LoopOptions {
  clock: Clock;
  /** Time between passes, in the clock's milliseconds. */
  intervalMs: number;
  /** Never sleep less than this on the clock between passes, unless kicked. Default 1 s. */
  minIntervalMs?: number;
  /** Never sleep less than this much wall time between passes (keeps a fast clock from spinning). Default 20 ms. */
  minPauseMs?: number;
  /** Called right before every pass (the operator counts what triggered it). */
  beforePass?: () => void;
  /** Called after every pass. Return `true` to stop. */
  afterPass?: (r: PassResult) => boolean | void | Promise<boolean | void>;
}

export class ReconcileLoop {
  readonly #rec: Reconciler;
  readonly #o: LoopOptions;
  #stopped = false;
  #kicked = false;
  #wake: (() => void) | undefined;
  #done: Promise<void> | undefined;
  /** Passes in a row the state store could not record. */
  #storeFailures = 0;

  constructor(reconciler: Reconciler, opts: LoopOptions) {
    this.#rec = reconciler;
    this.#o = opts;
  }

  /** Ask for a pass now (or right after the current one). */
  kick = (): void => {
    this.#kicked = true;
    this.#wake?.();
  };

  start(): Promise<void> {
    this.#done ??= this.#run();
    return this.#done;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#done;
  }

  /**
   * One pass and its afterPass; only what the loop needs to schedule the next pass is kept, so the pass's
   * observed state and plan (every device, twice) are garbage while the loop sleeps, not carried into the next.
   */
  async #passOnce(): Promise<'stop' | Pick<PassResult, 'reason' | 'nextStartAt'>> {
    const result = await this.#rec.reconcile();
    if (this.#stopped) return 'stop';
    if (await this.#o.afterPass?.(result)) return 'stop';
    return { reason: result.reason, nextStartAt: result.nextStartAt };
  }

  async #run(): Promise<void> {
    const { clock, intervalMs } = this.#o;
    const minPause = this.#o.minPauseMs ?? 20;
    while (!this.#stopped) {
      this.#kicked = false;
      this.#o.beforePass?.();
      const result = await this.#passOnce();
      if (result === 'stop') break;
      // stop() may have been called while afterPass ran: it found no sleep to cut short.
      if (this.#stopped) break;
      if (result.reason === StoreUnavailable) {
        // The database is down: back off in wall time (1 s doubling to 30 s), whatever kicks arrive meanwhile.
        const backoff = Math.min(30_000, 1000 * 2 ** Math.min(this.#storeFailures++, 5));
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, backoff);
          this.#wake = () => { if (this.#stopped) { clearTimeout(t); resolve(); } };
        });
        this.#wake = undefined;
        continue;
      }
      this.#storeFailures = 0;
      if (this.#kicked) continue;
      let delay = intervalMs;
      if (result.nextStartAt) delay = Math.min(delay, result.nextStartAt.getTime() - clock.now().getTime());
      delay = Math.max(delay, this.#o.minIntervalMs ?? 1000);
      const wallStart = Date.now();
      const sleeping = new AbortController();
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        void clock.sleep(delay, sleeping.signal).then(resolve);
      });
      this.#wake = undefined;
      // However the sleep ended (its time, a kick, stop()), its timer goes with it: after stop() nothing of
      // the loop keeps the process alive, and kicks leave no timers behind.
      sleeping.abort();
      const spent = Date.now() - wallStart;
      if (!this.#stopped && !this.#kicked && spent < minPause) await new Promise((r) => setTimeout(r, minPause - spent));
    }
  }
}
