// Maintenance windows (seed 000 "Configure Maintenance window", seed 001 "nightly maintenance window"):
// an operation may only START inside a window; windows are local to the device's zone (or a fixed
// zone), open on given days, may cross midnight, and follow DST. Default: Sunday 01:00–04:00.
//
// luxon is slow per call, so a WindowCalendar computes the openings of one (window, zone) pair one
// UTC week at a time, once, and answers every later question with arithmetic on those numbers.
import { IANAZone } from 'luxon';
import { DEFAULT_WINDOW, DEFAULT_WINDOW_NAME, DEVICE_TIME_ZONE } from '../api/builtins.ts';
import { WEEKDAYS, type MaintenanceWindowSpec } from '../api/types.ts';
import { Reason } from './reasons.ts';
import type { ComponentInput, Decision, DeviceInput } from './gather.ts';

export interface CompiledWindow {
  name: string;
  startMin: number;
  endMin: number;
  /** Indexed by luxon weekday (1 = Monday … 7 = Sunday). */
  days: boolean[];
  /** A fixed IANA zone, or null for "the device's own zone". */
  zone: string | null;
}

function minutes(hhmm: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
  if (!m) throw new Error(`invalid time ${JSON.stringify(hhmm)} (validation should have caught it)`);
  return Number(m[1]) * 60 + Number(m[2]);
}

export function compileWindow(name: string, spec: MaintenanceWindowSpec): CompiledWindow {
  const days = new Array<boolean>(8).fill(false);
  for (const d of spec.days ?? DEFAULT_WINDOW.days) days[WEEKDAYS.indexOf(d) + 1] = true;
  const zone = spec.timeZone && spec.timeZone !== DEVICE_TIME_ZONE ? spec.timeZone : null;
  return { name, startMin: minutes(spec.start), endMin: minutes(spec.end), days, zone };
}

export const DEFAULT_COMPILED_WINDOW: CompiledWindow = compileWindow(DEFAULT_WINDOW_NAME, DEFAULT_WINDOW);

const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** 1970-01-05 was a Monday. */
const MONDAY0 = Date.UTC(1970, 0, 5);

/**
 * UTC offsets (minutes) of one zone, from a table of its transitions built a year at a time: luxon is
 * asked about 80 times per zone and year (weekly samples, then a bisection to the minute around each
 * change) instead of once per opening. Offsets only change at whole minutes, never twice in a week.
 */
export class ZoneOffsets {
  static readonly #cache = new Map<string, ZoneOffsets>();
  static for(zone: string): ZoneOffsets {
    let z = ZoneOffsets.#cache.get(zone);
    if (!z) ZoneOffsets.#cache.set(zone, (z = new ZoneOffsets(zone)));
    return z;
  }
  static readonly BLOCK = 364 * DAY;
  readonly #zone: IANAZone;
  /** block → [from0, offset0, from1, offset1, …]: offset_i holds from from_i on. */
  readonly #blocks = new Map<number, number[]>();

  private constructor(zone: string) {
    this.#zone = IANAZone.create(zone);
    if (!this.#zone.isValid) throw new Error(`unknown time zone ${JSON.stringify(zone)}`);
  }

  #block(b: number): number[] {
    let table = this.#blocks.get(b);
    if (table) return table;
    const z = this.#zone;
    const start = b * ZoneOffsets.BLOCK;
    let prevT = start;
    let prev = z.offset(start);
    table = [start, prev];
    for (let t = start + WEEK; t <= start + ZoneOffsets.BLOCK; t += WEEK) {
      const o = z.offset(t);
      if (o !== prev) {
        // Bisect (prevT, t] to the first minute with the new offset.
        let lo = prevT, hi = t;
        while (hi - lo > 60_000) {
          const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
          if (z.offset(mid) === prev) lo = mid; else hi = mid;
        }
        table.push(hi, z.offset(hi));
        prev = o;
      }
      prevT = t;
    }
    this.#blocks.set(b, table);
    return table;
  }

  offset(t: number): number {
    const table = this.#block(Math.floor(t / ZoneOffsets.BLOCK));
    let o = table[1]!;
    for (let i = 2; i < table.length && table[i]! <= t; i += 2) o = table[i + 1]!;
    return o;
  }
}

/** The openings of one window in one zone: [open, close) pairs in UTC ms, computed a week at a time. */
export class WindowCalendar {
  readonly window: CompiledWindow;
  readonly zone: string;
  readonly #weeks = new Map<number, number[]>();
  readonly #never: boolean;
  readonly #zone: ZoneOffsets;
  /** True when the window has no days: it never opens. */
  get never(): boolean { return this.#never; }
  #lastT = NaN;
  #lastAnswer = NaN;

  constructor(window: CompiledWindow, zone: string) {
    this.window = window;
    this.zone = zone;
    this.#never = !window.days.some(Boolean);
    this.#zone = ZoneOffsets.for(zone);
  }

  /** UTC ms of a local wall-clock time (given as if it were UTC); a time in a DST gap moves forward, like luxon. */
  #utc(wall: number): number {
    const z = this.#zone;
    const o = z.offset(wall - 0);
    let guess = wall - o * 60_000;
    const o2 = z.offset(guess);
    if (o === o2) return guess;
    guess -= (o2 - o) * 60_000;
    const o3 = z.offset(guess);
    if (o2 === o3) return guess;
    return wall - Math.min(o2, o3) * 60_000;
  }

  /** [open0, close0, open1, close1, …] of the windows that OPEN in UTC week `w`, sorted. */
  #week(w: number): number[] {
    let iv = this.#weeks.get(w);
    if (iv) return iv;
    iv = [];
    const base = MONDAY0 + w * WEEK;
    const { startMin, endMin, days } = this.window;
    const crosses = endMin <= startMin;
    // Local calendar days that can hold an opening inside this UTC week (zones are within ±14 h).
    const first = base - DAY;
    const firstWall = first + this.#zone.offset(first) * 60_000;
    const day0 = Math.floor(firstWall / DAY) * DAY;
    for (let i = 0; i < 10; i++) {
      const dayWall = day0 + i * DAY;
      const js = new Date(dayWall).getUTCDay();
      if (!days[js === 0 ? 7 : js]) continue;
      const open = this.#utc(dayWall + startMin * 60_000);
      if (open < base || open >= base + WEEK) continue;
      const close = this.#utc(dayWall + (crosses ? DAY : 0) + endMin * 60_000);
      if (close > open) iv.push(open, close);
    }
    this.#weeks.set(w, iv);
    return iv;
  }

  /** The earliest instant at or after `t` inside a window (t itself when a window is open at t); NaN if it never opens. */
  nextStart(t: number): number {
    if (t === this.#lastT) return this.#lastAnswer;
    let answer = NaN;
    if (!this.#never) {
      let w = Math.floor((t - MONDAY0) / WEEK) - 1;
      search: for (let n = 0; n < 10; n++, w++) {
        const iv = this.#week(w);
        for (let k = 0; k < iv.length; k += 2) {
          if (iv[k + 1]! > t) { answer = iv[k]! > t ? iv[k]! : t; break search; }
        }
      }
    }
    this.#lastT = t;
    this.#lastAnswer = answer;
    return answer;
  }

  isOpen(t: number): boolean {
    return this.nextStart(t) === t;
  }

  /** When the window open at `t` closes (t must be inside one). */
  closeAfter(t: number): number {
    let w = Math.floor((t - MONDAY0) / WEEK) - 1;
    for (let n = 0; n < 3; n++, w++) {
      const iv = this.#week(w);
      for (let k = 0; k < iv.length; k += 2) if (iv[k]! <= t && iv[k + 1]! > t) return iv[k + 1]!;
    }
    return NaN;
  }
}

/** One calendar per (window, zone), shared by every device of that zone. */
export class Calendars {
  readonly #byWindow = new Map<CompiledWindow, Map<string, WindowCalendar>>();
  get(window: CompiledWindow, deviceZone: string): WindowCalendar {
    const zone = window.zone ?? deviceZone;
    let byZone = this.#byWindow.get(window);
    if (!byZone) this.#byWindow.set(window, (byZone = new Map()));
    let c = byZone.get(zone);
    if (!c) byZone.set(zone, (c = new WindowCalendar(window, zone)));
    return c;
  }
}

// ---- checks ------------------------------------------------------------------------------------

/** An operation only starts inside a window: move `t` to the next opening (OutsideWindow). */
export function windowStart(input: DeviceInput, t: number): number {
  return input.calendar.nextStart(t);
}

/**
 * The start deadline of an operation due at `now` inside the device's window: when that window closes
 * (seed 000: "unable to start execution within the maintenance window … it is cancelled"). Undefined
 * when no window is open at `now`.
 */
export function windowEnd(ci: ComponentInput, now: number): number | undefined {
  const end = ci.d.calendar.closeAfter(now);
  return Number.isNaN(end) ? undefined : end;
}

/**
 * An update waiting for the next window because its last attempt could not start before its window ended
 * (seed 000: "cancelled and rescheduled for the next available maintenance window") says so: WindowMissed
 * instead of OutsideWindow, until the next attempt is issued. Returns the decision to use, or null.
 */
export function windowMissedWait(ci: ComponentInput, d: Decision): Decision | null {
  const op = ci.history.windowMissed;
  if (!op || d.state !== 'Scheduled' || d.reason !== Reason.OutsideWindow || op.toVersion !== d.target) return null;
  return {
    ...d, reason: Reason.WindowMissed,
    message: `operation ${op.id} had not started when its window ended at ${op.completedAt ?? op.startBy ?? '?'} and was cancelled; planned again for the next window`,
  };
}

/** A window that never opens blocks automatic work (validation normally refuses it). */
export function noWindow(ci: ComponentInput): Decision | null {
  if (!ci.d.calendar.never) return null;
  return { state: 'Blocked', reason: Reason.NoWindow, target: null, notBefore: null };
}

/**
 * A device in a meeting is not interrupted, and an offline device waits until it is back
 * (seed 001 "when next the room is available", seed 000 FAQ). Returns the reason that keeps a due
 * operation from being issued now, or null. `force` with `schedule: now` overrides busy.
 */
export function activityHold(input: DeviceInput, overrideBusy: boolean): Reason | null {
  const d = input.device;
  if (d.online === false || d.activityState === 'offline') return Reason.DeviceOffline;
  if (d.activityState === 'busy' && !overrideBusy) return Reason.DeviceBusy;
  return null;
}
