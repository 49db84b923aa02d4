// Every component outside the planner gets time from an injected Clock (docs/style.md, "Time"),
// so a month of simulated rollout can run in seconds and tests use a fixed instant.

export interface Clock {
  now(): Date;
  /**
   * Resolves after `ms` of this clock's time, or at once when `signal` aborts: then its timer is cleared, so
   * an abandoned sleep keeps no process alive. A clock that wraps another passes `signal` on.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Waits `wallMs` of wall time, then calls `elapsed` and resolves; when `signal` aborts first, clears the
 * timer and resolves without calling `elapsed`.
 */
export function wallSleep(wallMs: number, signal?: AbortSignal, elapsed?: () => void): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const abort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      elapsed?.();
      resolve();
    }, Math.max(0, wallMs));
    signal?.addEventListener('abort', abort, { once: true });
  });
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) => wallSleep(ms, signal),
};

/** Time moves only when told to; sleepers wake when `advance` passes their deadline. */
export class ManualClock implements Clock {
  #now: number;
  #sleepers: { until: number; wake: () => void }[] = [];
  constructor(start: Date | string) {
    this.#now = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.#now);
  }
  set(to: Date | string): void {
    this.#now = new Date(to).getTime();
    this.#wake();
  }
  advance(ms: number): void {
    this.#now += ms;
    this.#wake();
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((wake) => {
      if (signal?.aborted) return wake();
      const sleeper = { until: this.#now + ms, wake };
      this.#sleepers.push(sleeper);
      signal?.addEventListener('abort', () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        wake();
      }, { once: true });
      this.#wake();
    });
  }
  #wake(): void {
    const due = this.#sleepers.filter((s) => s.until <= this.#now);
    this.#sleepers = this.#sleepers.filter((s) => s.until > this.#now);
    for (const s of due) s.wake();
  }
}

/** Runs `factor` times faster than the wall clock from `start` (the README's live demo uses this). */
export class ScaledClock implements Clock {
  readonly #start: number;
  readonly #wallStart: number;
  readonly #factor: number;
  constructor(start: Date | string, factor: number, wallNow: () => number = Date.now) {
    this.#start = new Date(start).getTime();
    this.#factor = factor;
    this.#wallNow = wallNow;
    this.#wallStart = wallNow();
  }
  readonly #wallNow: () => number;
  now(): Date {
    return new Date(this.#start + (this.#wallNow() - this.#wallStart) * this.#factor);
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return wallSleep(ms / this.#factor, signal);
  }
}
