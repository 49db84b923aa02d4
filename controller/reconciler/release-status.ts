// The release view a person reads (seed 001 "Updates": Scheduled, In progress, Completed with failures,
// Completed, Deprecated, Paused, Not required): the planner's ReleasePlan (planner/releases.ts, the one
// function behind `plan`, `status` and the SoftwareRelease status), with its device lists capped so a
// large fleet's failures do not make run.json or a Kubernetes object unbounded. The counts stay exact.
import type { ReleasePlan } from '../planner/types.ts';
import type { ReleaseStatus } from '../store/records.ts';

/** Device ids kept in each list of a release's status; the counts beside them are exact. */
export const LISTED_DEVICES = 100;

/** A status whose device list was cut says where every device is (docs/kubernetes.md "Limits"). */
export const STATUS_DETAILS = 'every device: fleetward status (or the console)';

/** Without null dates (a status schema types every field; an unknown date is left out). */
function dated<T extends { startsAt?: string | null; endsAt?: string | null }>(x: T): T {
  const out = { ...x };
  if (out.startsAt == null) delete out.startsAt;
  if (out.endsAt == null) delete out.endsAt;
  return out;
}

export function releaseStatus(r: ReleasePlan): ReleaseStatus {
  // The message of a fleet-wide hold goes into the Ready condition (reconciler.ts), not a status field.
  const { failedDevices, heldDevices, rolledBackDevices, pause, message: _message, ...plan } = r;
  const rest = { ...dated(plan), stages: plan.stages.map(dated) };
  const out: ReleaseStatus = { ...rest, failed: failedDevices?.length ?? 0, held: heldDevices?.length ?? 0, rolledBack: rolledBackDevices?.length ?? 0 };
  if (failedDevices?.length) out.failedDevices = failedDevices.slice(0, LISTED_DEVICES);
  if (heldDevices?.length) out.heldDevices = heldDevices.slice(0, LISTED_DEVICES);
  if (rolledBackDevices?.length) out.rolledBackDevices = rolledBackDevices.slice(0, LISTED_DEVICES);
  if ([failedDevices, heldDevices, rolledBackDevices, pause?.failedDevices].some((l) => (l?.length ?? 0) > LISTED_DEVICES)) out.details = STATUS_DETAILS;
  if (pause) out.pause = { ring: pause.ring, threshold: pause.threshold, targeted: pause.targeted, failed: pause.failedDevices.length, failedDevices: pause.failedDevices.slice(0, LISTED_DEVICES) };
  return out;
}

/** One sentence on why a release is paused, naming the ring, the threshold and the failures that tripped it. */
export function pauseSentence(r: Pick<ReleaseStatus, 'component' | 'version' | 'reason' | 'pause'>): string {
  const p = r.pause;
  if (!p) return `${r.component} ${r.version} is paused (${r.reason ?? 'paused'})`;
  const named = p.failedDevices.slice(0, 5).join(', ') + (p.failed > 5 ? `, … (${p.failed - 5} more)` : '');
  return `${r.component} ${r.version} is paused in ring ${p.ring}: ${p.failed} of ${p.targeted} targeted devices failed, above its failure threshold of ${p.threshold}% (${named})`;
}
