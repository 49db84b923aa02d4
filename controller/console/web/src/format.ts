// How instants and numbers read on every page: UTC, to the minute (the store keeps ISO UTC), so two admins in
// different zones read the same figures, and a screenshot is the same wherever it was taken.
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}
export function day(iso: string | null | undefined): string {
  if (!iso) return '—';
  return iso.slice(0, 10);
}
export function pct(n: number, of: number): string {
  return of ? `${Math.round((n / of) * 100)}%` : '—';
}
/** A link from an untrusted back end (diagnostics logs): only http(s), never `javascript:` or `data:`. */
export function safeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : undefined;
  } catch { return undefined; }
}
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
