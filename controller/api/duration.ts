// Durations in specs are strings such as `30d`, `12h`, `90m`, `45s`, or sums like `1d12h` (docs/design.md section 3).

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
export const DURATION_PATTERN = '^([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$';
const DURATION_RE = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Milliseconds, or undefined when the text is not a duration. `0d` is a valid zero. */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== 'string' || text.length === 0) return undefined;
  const m = DURATION_RE.exec(text);
  if (!m || m.slice(1).every((p) => p === undefined)) return undefined;
  const [, d, h, mi, s] = m;
  return (
    Number(d ?? 0) * UNIT_MS.d + Number(h ?? 0) * UNIT_MS.h + Number(mi ?? 0) * UNIT_MS.m + Number(s ?? 0) * UNIT_MS.s
  );
}

/** Like parseDuration, for values validation has already accepted. */
export function durationMs(text: string | undefined, fallback: string): number {
  const ms = parseDuration(text ?? fallback);
  if (ms === undefined) throw new Error(`invalid duration ${JSON.stringify(text)} (validation should have caught it)`);
  return ms;
}

/** The shortest text for a whole number of ms, e.g. 36h → `1d12h`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  let out = '';
  for (const [unit, size] of Object.entries(UNIT_MS)) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return sign + (out || '0s');
}
