// Every component outside the planner gets time from an injected Clock (STYLE.md, "Time"),
// so a month of simulated rollout can run in seconds and tests use a fixed instant.

export interface Clock {
  now(): Date;
  /** Resolves after `ms` of this clock's time. */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
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
  sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      this.#sleepers.push({ until: this.#now + ms, wake });
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
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms / this.#factor)));
  }
}
