// Instants as a person types and reads them back: ISO-8601 UTC in whole seconds, `2026-12-08T12:00:00Z`.
// Used where an admin's own instant is written into the config or echoed to them (`fleetward pause`,
// SoftwareUpdates written by `fleetward retry-failed`, the plan's `autoUpdatesPause`, freeze messages);
// machine fields elsewhere keep toISOString().

/** `t` (ms or Date) floored to the second, without `.000`. */
export function wholeSecondsIso(t: number | Date): string {
  const ms = typeof t === 'number' ? t : t.getTime();
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
