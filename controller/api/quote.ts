// Quoting untrusted input in an error message (issue 10 item 3): a value from a config repo can be megabytes
// long, and an error line that echoes it whole floods logs, status conditions and terminals. Every quote is
// cut to a bounded length and says how long the value really was, so the reader still knows what they wrote.

/** Characters of a value shown in a message before it is cut. */
export const QUOTE_MAX = 80;
/** Characters of a whole error message (file, path and text) before it is cut. */
export const MESSAGE_MAX = 1000;

/** `"fleetward.dev/v1…" (786432 characters)` for long text; JSON for short values. */
export function quote(v: unknown, max = QUOTE_MAX): string {
  if (typeof v === 'string') {
    if (v.length <= max) return JSON.stringify(v);
    return `${JSON.stringify(v.slice(0, max) + '…')} (${v.length} characters)`;
  }
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length} characters)`;
}

/** Any text cut to `max` characters with `… (N characters)`: the last guard before a line is printed. */
export function bounded(text: string, max = MESSAGE_MAX): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}
