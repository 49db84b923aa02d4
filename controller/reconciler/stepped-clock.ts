// A clock for simulated runs where time moves only while the loop sleeps (`fleetward run --clock stepped`).
//
// With a ScaledClock, a pass that takes 200 ms of wall time at 86 400× speed lasts 4.8 simulated hours:
// longer than a maintenance window, so the demo would miss windows on a slow machine. Here `now()` stands
// still during a pass, and `sleep(ms)` moves simulated time forward by `ms` while waiting `ms / speed` of
// wall time, so what happens does not depend on how fast the machine is, only how quickly it is shown.
import { wallSleep, type Clock } from '../util/clock.ts';

export class SteppedClock implements Clock {
  #now: number;
  readonly #speed: number;

  constructor(start: Date | string, speed: number) {
    this.#now = new Date(start).getTime();
    this.#speed = speed;
  }

  now(): Date {
    return new Date(this.#now);
  }

  /** Simulated time jumps by `ms` once the (shortened) wall wait is over; an aborted sleep moves it not at all. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const step = Math.max(0, ms);
    return wallSleep(step / this.#speed, signal, () => { this.#now += step; });
  }
}
