// Freeze periods (FleetPolicy `spec.freezes`, docs/spec/fleetpolicies.md): dated ranges, local to a time
// zone, in which nothing automatic starts — a company change freeze, the year-end close, an event week.
// Seed 000 gives admins a 15-day pause; a freeze is the same idea planned ahead with an end date of its
// own, optionally for some DeviceGroups only. Manual updates (SoftwareUpdate) still run unless the freeze
// says `manualUpdates: frozen` (then they wait too, forced ones included: narrow or end the freeze for an
// emergency fix). An operation already started is not stopped; one that would start inside the freeze
// starts when it ends, in the device's next window.
//
// The whole rule is this file and its line in chain.ts's CHAIN: plan, forecast, manual updates and the
// release states follow it from there.
import { wholeSecondsIso } from '../api/instant.ts';
import { scheduledAt, type Hold, type Notice, type PlanContext, type StartQuery } from './gather.ts';
import { Finding, Reason } from './reasons.ts';

interface CompiledFreeze {
  name: string;
  from: number;
  until: number;
  /** DeviceGroup names it applies to; null for every device. */
  groups: Set<string> | null;
  /** `manualUpdates: frozen`: SoftwareUpdates wait too. */
  holdsManual: boolean;
  reason: string | null;
}

const compiled = new WeakMap<PlanContext, CompiledFreeze[]>();

/** The freezes of the FleetPolicy, as instants; one that cannot be read or is empty is left out (validation refuses it). */
function freezesOf(ctx: PlanContext): CompiledFreeze[] {
  let out = compiled.get(ctx);
  if (out) return out;
  out = [];
  for (const f of ctx.policySpec.freezes ?? []) {
    const zone = f.timeZone ?? 'UTC';
    const from = scheduledAt(f.start, zone);
    const until = scheduledAt(f.end, zone);
    if (Number.isNaN(from) || Number.isNaN(until) || until <= from) continue;
    out.push({
      name: f.name, from, until, groups: f.groups?.length ? new Set(f.groups) : null,
      holdsManual: f.manualUpdates === 'frozen', reason: f.reason ?? null,
    });
  }
  compiled.set(ctx, out);
  return out;
}

const why = (f: CompiledFreeze) => `FleetPolicy freeze ${f.name}${f.reason ? `: ${f.reason}` : ''}`;

/**
 * Bound: a start inside a freeze that applies moves to its end. A freeze for some groups applies to the
 * devices of those groups; asked without a device (a release's state), only a freeze for every device does.
 */
export function frozen(q: StartQuery, t: number, ctx: PlanContext): Hold | null {
  let hit: CompiledFreeze | null = null;
  for (const f of freezesOf(ctx)) {
    if (t < f.from || t >= f.until) continue;
    if (q.manual && !f.holdsManual) continue;
    if (f.groups) {
      const group = q.ci?.d.group?.name;
      if (group === undefined || !f.groups.has(group)) continue;
    }
    if (!hit || f.until > hit.until) hit = f;
  }
  if (!hit) return null;
  return { at: hit.until, reason: Reason.Frozen, message: `frozen until ${wholeSecondsIso(hit.until)} (${why(hit)})` };
}

/** Notice: each freeze in force or ahead, as a plan finding and a forecast note. */
export function freezeNotices(ctx: PlanContext): Notice[] {
  return freezesOf(ctx).filter((f) => f.until > ctx.now).map((f) => ({
    code: Finding.Frozen,
    message: `automatic updates${f.holdsManual ? ' and SoftwareUpdates' : ''} are frozen from ${wholeSecondsIso(f.from)} until ${wholeSecondsIso(f.until)}`
      + `${f.groups ? ` for DeviceGroup${f.groups.size === 1 ? '' : 's'} ${[...f.groups].sort().join(', ')}` : ''} (${why(f)})`,
    objects: ['FleetPolicy/default'],
  }));
}
