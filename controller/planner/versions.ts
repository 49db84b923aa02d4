// Versions (seed 000 "Software versions on Teams Admin Center", step-wise updates; seed 002 N-1;
// seed 001 Deprecated): which release a device may take next.
//  - only verified releases are automatic; preview ones only by a manual update;
//  - a device on a version the catalog does not know gets no automatic update;
//  - each hop is the newest release whose minimumVersion the device meets (N-3 → N-2 → N-1 → N);
//  - blocked releases are never targeted; a group pin caps the target; lagVersions skips the newest N.
//  - rings (seed 001): a release superseded by a newer one is Deprecated and no longer deployed, so a
//    ring device always waits for the newest hop; phases (seed 000) take the newest release whose
//    deferral has passed.
import { cmpV, componentOwner, versionKey } from './slots.ts';
import type { CompiledRelease, ComponentInput, Decision, PlanContext } from './gather.ts';
import { Finding, Reason } from './reasons.ts';

/** When a release becomes available to one device, and why it waits or goes. */
export interface Availability {
  release: CompiledRelease;
  at: number;
  stageStart: number;
  stageName: string;
  waitReason: Reason;
  dueReason: Reason;
}
export type AvailabilityFn = (ci: ComponentInput, r: CompiledRelease, ctx: PlanContext) => Availability;

export type Choice = Availability;

/** Shared, never mutated: most components of most devices are simply up to date. */
export const UP_TO_DATE: Decision = Object.freeze({ state: 'UpToDate', reason: Reason.UpToDate, target: null, notBefore: null });

/** A device running a version the catalog does not know gets no automatic update (seed 000 "Unknown version"). */
export function unknownVersion(ci: ComponentInput, ctx: PlanContext): Decision | null {
  if (!ci.entry || ci.current === null || ci.currentRelease) return null;
  const { component, current } = ci;
  const owner = componentOwner(component);
  if (!ctx.findings.bump(Finding.UnknownVersion, owner, current)) {
    ctx.findings.tally(Finding.UnknownVersion, owner, current, () =>
      `${component} ${current} is not in the release catalog, so no automatic update: {count} device{s}`);
  }
  return {
    state: 'Blocked', reason: Reason.UnknownVersion, target: newestVerified(ci)?.version ?? null, notBefore: null,
    message: `${ci.component} ${ci.current} is not in the release catalog for ${ci.d.device.manufacturer} ${ci.d.device.model}; update it manually`,
  };
}

/** The newest verified, unblocked release newer than the current version (for reports), if any. */
export function newestVerified(ci: ComponentInput): CompiledRelease | undefined {
  const list = ci.entry?.releases;
  if (!list) return undefined;
  const curKey = ci.currentRelease?.vkey ?? (ci.current === null ? '' : versionKey(ci.current));
  for (let i = list.length - 1; i >= 0; i--) {
    const r = list[i]!;
    if (r.vkey <= curKey) return undefined;
    if (r.verified && !r.blocked) return r;
  }
  return undefined;
}

/** Does `current` meet the release's minimumVersion? A device without the component meets none. */
export function meetsMinimum(current: string | null, r: CompiledRelease): boolean {
  if (!r.minimumVersion) return true;
  return current !== null && cmpV(current, r.minimumVersion) >= 0;
}

/** Why an automatic update may not target `r` (rank: its position among the newer verified, unblocked releases, newest = 1). */
type Skip = 'blocked' | 'preview' | 'lag' | 'pin' | 'minimum' | null;
function skipped(ci: ComponentInput, r: CompiledRelease, rank: number): Skip {
  if (r.blocked) return 'blocked';
  if (!r.verified) return 'preview';
  if (rank <= (ci.d.stage.phase?.lag ?? 0)) return 'lag';
  const pin = ci.d.group?.pin[ci.component];
  if (pin !== undefined && cmpV(r.version, pin) > 0) return 'pin';
  if (!meetsMinimum(ci.current, r)) return 'minimum';
  return null;
}

/** The terminal decision when no release is left to target, from the first reason a newer one was skipped. */
function noTarget(ci: ComponentInput, saw: { minimum?: CompiledRelease; pin?: boolean; lag?: boolean; blocked?: CompiledRelease; preview?: boolean }): Decision {
  const none = (state: 'UpToDate' | 'Blocked', reason: Reason, target: string | null, message?: string): Decision =>
    message ? { state, reason, target, notBefore: null, message } : state === 'UpToDate' && reason === Reason.UpToDate ? UP_TO_DATE : { state, reason, target, notBefore: null };
  const lag = ci.d.stage.phase?.lag ?? 0;
  if (saw.minimum) return none('Blocked', Reason.NoUpdatePath, saw.minimum.version, `${saw.minimum.version} needs at least ${saw.minimum.minimumVersion} and no release in between is available`);
  if (saw.pin) return none('UpToDate', Reason.Pinned, null, `pinned at ${ci.d.group?.pin[ci.component]}`);
  if (saw.lag) return none('UpToDate', Reason.LagVersions, null, `kept ${lag} verified version${lag === 1 ? '' : 's'} behind the newest`);
  if (saw.blocked) return none('Blocked', Reason.ReleaseBlocked, saw.blocked.version, `${saw.blocked.version} is blocked: ${saw.blocked.blocked}`);
  if (saw.preview) return none('UpToDate', Reason.PreviewManualOnly, null);
  return none('UpToDate', Reason.UpToDate, null);
}

/**
 * The automatic target: the release to install next and when it becomes available, or a terminal
 * decision (UpToDate / Blocked) saying why there is none.
 */
export function chooseTarget(ci: ComponentInput, ctx: PlanContext, avail: AvailabilityFn, newestOnly: boolean): Choice | Decision {
  const list = ci.entry?.releases;
  if (!list) return UP_TO_DATE;
  const curKey = ci.currentRelease?.vkey ?? (ci.current === null ? '' : versionKey(ci.current));
  let rank = 0;
  const saw: Parameters<typeof noTarget>[1] = {};
  let best: Choice | undefined;
  for (let i = list.length - 1; i >= 0; i--) {
    const r = list[i]!;
    if (r.vkey <= curKey) break;
    if (r.verified && !r.blocked) rank++;
    const skip = skipped(ci, r, rank);
    if (skip === 'blocked') { saw.blocked ??= r; continue; }
    if (skip === 'minimum') { saw.minimum ??= r; continue; }
    if (skip) { saw[skip] = true; continue; }
    const a = avail(ci, r, ctx);
    if (newestOnly || a.at <= ctx.now) return a;
    if (!best || a.at < best.at) best = a;
  }
  return best ?? noTarget(ci, saw);
}

/**
 * The same rules for one given release (the forecast asks about one): its availability to this device, or
 * the decision saying why an automatic update would not install it.
 */
export function targetRelease(ci: ComponentInput, ctx: PlanContext, avail: AvailabilityFn, r: CompiledRelease): Choice | Decision {
  const list = ci.entry?.releases;
  if (!list) return UP_TO_DATE;
  const curKey = ci.currentRelease?.vkey ?? (ci.current === null ? '' : versionKey(ci.current));
  if (r.vkey <= curKey) return UP_TO_DATE;
  let rank = 0;
  for (let i = list.length - 1; i >= 0 && list[i]!.vkey >= r.vkey; i--) if (list[i]!.verified && !list[i]!.blocked) rank++;
  const skip = skipped(ci, r, rank);
  if (skip === 'blocked') return noTarget(ci, { blocked: r });
  if (skip === 'minimum') return noTarget(ci, { minimum: r });
  if (skip) return noTarget(ci, { [skip]: true });
  return avail(ci, r, ctx);
}
