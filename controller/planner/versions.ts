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

/**
 * The automatic target: the release to install next and when it becomes available, or a terminal
 * decision (UpToDate / Blocked) saying why there is none.
 */
export function chooseTarget(ci: ComponentInput, ctx: PlanContext, avail: AvailabilityFn, newestOnly: boolean): Choice | Decision {
  const list = ci.entry?.releases;
  if (!list) return UP_TO_DATE;
  const current = ci.current;
  const curKey = ci.currentRelease?.vkey ?? (current === null ? '' : versionKey(current));
  const lag = ci.d.stage.phase?.lag ?? 0;
  const pin = ci.d.group?.pin[ci.component];
  let rank = 0;
  let sawMin: CompiledRelease | undefined, sawBlocked: CompiledRelease | undefined;
  let sawPin = false, sawLag = false, sawPreview = false;
  let best: Choice | undefined;
  for (let i = list.length - 1; i >= 0; i--) {
    const r = list[i]!;
    if (r.vkey <= curKey) break;
    if (r.blocked) { sawBlocked ??= r; continue; }
    if (!r.verified) { sawPreview = true; continue; }
    if (++rank <= lag) { sawLag = true; continue; }
    if (pin !== undefined && cmpV(r.version, pin) > 0) { sawPin = true; continue; }
    if (!meetsMinimum(current, r)) { sawMin ??= r; continue; }
    const a = avail(ci, r, ctx);
    if (newestOnly || a.at <= ctx.now) return a;
    if (!best || a.at < best.at) best = a;
  }
  if (best) return best;
  const none = (state: 'UpToDate' | 'Blocked', reason: Reason, target: string | null, message?: string): Decision =>
    message ? { state, reason, target, notBefore: null, message } : state === 'UpToDate' && reason === Reason.UpToDate ? UP_TO_DATE : { state, reason, target, notBefore: null };
  if (sawMin) return none('Blocked', Reason.NoUpdatePath, sawMin.version, `${sawMin.version} needs at least ${sawMin.minimumVersion} and no release in between is available`);
  if (sawPin) return none('UpToDate', Reason.Pinned, null, `pinned at ${pin}`);
  if (sawLag) return none('UpToDate', Reason.LagVersions, null, `kept ${lag} verified version${lag === 1 ? '' : 's'} behind the newest`);
  if (sawBlocked) return none('Blocked', Reason.ReleaseBlocked, sawBlocked.version, `${sawBlocked.version} is blocked: ${sawBlocked.blocked}`);
  if (sawPreview) return none('UpToDate', Reason.PreviewManualOnly, null);
  return none('UpToDate', Reason.UpToDate, null);
}
