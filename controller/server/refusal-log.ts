// Refused webhook deliveries reach the log at a bounded rate. Anyone who can reach the port can send
// unsigned requests; a warn line each would let them grow the log without bound. The first refusal after a
// quiet minute is logged at once (so a misconfigured sender is noticed quickly); the ones after it are
// counted, and one summary line per interval says how many, by reason, and the last sender's address. The
// metric (fleetward_webhooks_total) still counts every one.
import type { Logger } from 'pino';
import type { Clock } from '../util/clock.ts';

export class RefusalLog {
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  /** Refusals since the last line, by reason. */
  #pending = new Map<string, number>();
  #lastRemote: string | undefined;
  /** When the last line was written (clock ms); undefined: none yet. */
  #lastLineAt: number | undefined;
  #timer: AbortController | undefined;

  constructor(logger: Logger, clock: Clock, intervalMs = 60_000) {
    this.#logger = logger;
    this.#clock = clock;
    this.#intervalMs = intervalMs;
  }

  /** One refused delivery: `reason` is the metric's result label, `message` the line written if it is logged now. */
  note(reason: string, message: string, remote: string | undefined): void {
    const now = this.#clock.now().getTime();
    if (this.#lastLineAt === undefined || now - this.#lastLineAt >= this.#intervalMs) {
      this.#lastLineAt = now;
      this.#logger.warn({ remote, reason }, `${message}; further refusals are summed up at most once every ${this.#intervalMs / 1000} s`);
      this.#arm();
      return;
    }
    this.#pending.set(reason, (this.#pending.get(reason) ?? 0) + 1);
    this.#lastRemote = remote;
    this.#arm();
  }

  close(): void {
    this.#timer?.abort();
    this.#timer = undefined;
  }

  /** One timer at a time, due when the interval since the last line ends. */
  #arm(): void {
    if (this.#timer || this.#lastLineAt === undefined) return;
    const ctl = new AbortController();
    this.#timer = ctl;
    const wait = this.#lastLineAt + this.#intervalMs - this.#clock.now().getTime();
    void this.#clock.sleep(Math.max(0, wait), ctl.signal).then(() => {
      if (ctl.signal.aborted) return;
      this.#timer = undefined;
      this.#flush();
    });
  }

  #flush(): void {
    if (!this.#pending.size) return;
    const total = [...this.#pending.values()].reduce((a, b) => a + b, 0);
    const byReason = [...this.#pending].sort(([a], [b]) => (a < b ? -1 : 1)).map(([r, n]) => `${r} ${n}`).join(', ');
    this.#logger.warn(
      { refused: Object.fromEntries(this.#pending), lastRemote: this.#lastRemote },
      `webhook: ${total} more deliveries refused in the last ${this.#intervalMs / 1000} s (${byReason})`,
    );
    this.#pending = new Map();
    this.#lastLineAt = this.#clock.now().getTime();
    // Refusals that come during the next interval are summed up at its end.
    this.#arm();
  }
}
