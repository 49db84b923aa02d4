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
