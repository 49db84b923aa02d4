// Gradual rollout (seed 000 "updated gradually over a few weeks", seed 001 rollout duration): each
// device gets a stable slot in [0, 1) from a hash of its id and the target version — the same
// inputs give the same slot every time, and a new version reshuffles the order.

/** FNV-1a (32 bit) of `deviceId \0 version`, scaled to [0, 1). */
export function slotFraction(deviceId: string, version: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < deviceId.length; i++) {
    h ^= deviceId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h = Math.imul(h, 0x01000193); // the \0 separator
  for (let i = 0; i < version.length; i++) {
    h ^= version.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 4294967296;
}

/** The device's start inside a rollout of `rolloutMs` that begins at `stageStart`. */
export function slotStart(stageStart: number, rolloutMs: number, deviceId: string, version: string): number {
  if (rolloutMs <= 0) return stageStart;
  return stageStart + Math.floor(slotFraction(deviceId, version) * rolloutMs);
}

// ---- version order, memoised --------------------------------------------------------------------
// The planner compares the same few dozen version strings millions of times; each gets a sort key
// once (numeric parts zero-padded, trailing zero parts dropped so `1.2` == `1.2.0`), and comparing
// keys is a string comparison. Same order as controller/api/version.ts compareVersions.
const versionKeys = new Map<string, string>();
export function versionKey(v: string): string {
  let k = versionKeys.get(v);
  if (k === undefined) {
    const parts = v.split('.').map((p) => (/^\d+$/.test(p) ? String(Number(p)) : p).padStart(16, '0'));
    while (parts.length > 1 && /^0+$/.test(parts[parts.length - 1]!)) parts.pop();
    k = parts.join('.');
    if (versionKeys.size > 100_000) versionKeys.clear();
    versionKeys.set(v, k);
  }
  return k;
}
/** Negative, 0 or positive like compareVersions, from memoised keys. */
export function cmpV(a: string, b: string): number {
  if (a === b) return 0;
  const ka = versionKey(a), kb = versionKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** One findings-tally owner per component: per-device findings aggregate per component and version. */
const OWNERS = new Map<string, object>();
export function componentOwner(component: string): object {
  let o = OWNERS.get(component);
  if (!o) OWNERS.set(component, (o = { component }));
  return o;
}
