// The rate limits on starting operations, shared by `fleetward run` and `fleetward operator` (docs/run.md
// "Rate limits"): at most `perPass` starts in one pass (keeps a pass short), and optionally at most
// `perMinute` starts in any 60 s of the run's clock (what a back end is willing to take, as AWS IoT Jobs'
// `maximumPerMinute`). Operations held back stay due; the pass tells the loop when more may start, so a
// capped backlog is worked through at the rate and never waits for the next resync.
//
// Starts are counted by this process: a restarted operator may start up to `perMinute` again in its first
// minute. The back end's 429 answers (driver retries) remain the last line of defence.

export interface StartLimits {
  /** Starts per pass, at least 1. */
  perPass: number;
  /** Starts in any sliding 60 s of the clock; undefined: no per-minute limit. */
  perMinute?: number;
}

export const MINUTE_MS = 60_000;

export class StartBudget {
  readonly limits: StartLimits;
  /** Clock instants (ms) of the starts in the last minute, oldest first. */
  #recent: number[] = [];

  constructor(limits: StartLimits) {
    this.limits = limits;
  }

  /** How many operations may start now. */
  available(now: number): number {
    this.#forget(now);
    const perMinute = this.limits.perMinute === undefined ? Infinity : this.limits.perMinute - this.#recent.length;
    return Math.max(0, Math.min(this.limits.perPass, perMinute));
  }

  /** Count `n` start attempts made at `now` (every call to the back end counts, accepted or not). */
  spend(n: number, now: number): void {
    for (let i = 0; i < n; i++) this.#recent.push(now);
  }

  /**
   * When the next start may happen, for operations held back now: at once (the next pass) when only the
   * per-pass cap held them, else when the oldest start of the last minute leaves the window.
   */
  nextAt(now: number): number {
    this.#forget(now);
    const perMinute = this.limits.perMinute;
    if (perMinute === undefined || this.#recent.length < perMinute) return now;
    return this.#recent[this.#recent.length - perMinute]! + MINUTE_MS;
  }

  #forget(now: number): void {
    let drop = 0;
    while (drop < this.#recent.length && this.#recent[drop]! <= now - MINUTE_MS) drop++;
    if (drop) this.#recent.splice(0, drop);
  }
}
