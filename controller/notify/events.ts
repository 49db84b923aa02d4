// The events worth a message (docs/notifications.md "Events"), derived from what the pass already computed:
// the plan's release views and component reasons (planner/releases.ts, planner/reasons.ts), the tenant pause
// the planner resolved, the revision the loader refused, the provisioning statuses recorded. Nothing here
// decides a rule of the domain again; it only reads the pass's result and names what a person must hear.
//
// Level-triggered like the pass: every pass derives the full set of events true now, each with a stable key.
// Whether a message goes out (first seen, changed, resolved, cool-down) is decided by ./delivery.ts against
// what the store says was already announced, so a pass that sees the same thing again sends nothing.
import { createHash } from 'node:crypto';
import type { NotificationReason } from '../api/types.ts';
import { Reason as PlannerReason } from '../planner/reasons.ts';
import type { Plan } from '../planner/types.ts';
import { pauseSentence, releaseStatus } from '../reconciler/release-status.ts';
import { InvalidRevision } from '../reconciler/reasons.ts';
import type { PassFacts } from '../reconciler/reconciler.ts';
import type { NotificationContent, NotificationSeverity } from '../store/records.ts';

/** Devices named in a message; the rest are counted (`deviceCount`). */
export const NOTIFY_DEVICES_LISTED = 50;
/** TenantPauseEndingSoon: this long before a tenant pause lifts by itself. */
export const PAUSE_ENDING_SOON_MS = 24 * 3_600_000;
/** CodesExpiring, unless a rule says otherwise (NotificationRule spec.codesExpiringWithin). */
export const DEFAULT_CODES_EXPIRING_MS = 6 * 3_600_000;

export interface DeriveOptions {
  codesExpiringWithinMs?: number;
}

const SEVERITY_OF: Record<NotificationReason, NotificationSeverity> = {
  ReleasePaused: 'error', DevicesHeld: 'warning', DevicesRolledBack: 'error', OperationsTimedOut: 'warning', WindowMissed: 'info',
  TenantPaused: 'warning', TenantPauseEndingSoon: 'info', InvalidRevision: 'error', CodesExpiring: 'warning', FirmwareTooOld: 'warning',
  LeaderLost: 'error', RevisionStatus: 'info',
};

/**
 * Events that have nothing to resolve: a reminder (a pause ending soon, codes about to expire) is not
 * followed by an "all clear". Every other event sends one message when it opens and one when it resolves.
 */
export const NO_RESOLVE_MESSAGE: ReadonlySet<string> = new Set<NotificationReason>(['TenantPauseEndingSoon', 'CodesExpiring', 'LeaderLost', 'RevisionStatus']);

export function severityOf(reason: NotificationReason): NotificationSeverity {
  return SEVERITY_OF[reason];
}

function event(reason: NotificationReason, key: string, object: string, title: string, message: string, devices: readonly string[] = [], more: Partial<NotificationContent> = {}): NotificationContent {
  const sorted = [...new Set(devices)].sort();
  return {
    key, reason, severity: SEVERITY_OF[reason], object, title, message,
    devices: sorted.slice(0, NOTIFY_DEVICES_LISTED), deviceCount: sorted.length, ...more,
  };
}

/** Every event true after this pass, sorted by key. */
export function deriveEvents(f: PassFacts, o: DeriveOptions = {}): NotificationContent[] {
  const out: NotificationContent[] = [
    ...releaseEvents(f), ...componentEvents(f), ...tenantEvents(f), ...revisionEvents(f), ...provisioningEvents(f, o.codesExpiringWithinMs ?? DEFAULT_CODES_EXPIRING_MS),
  ];
  const status = revisionStatus(f);
  if (status) out.push(status);
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The object a release's events are about: its committed SoftwareRelease, else the tenant's FleetPolicy. */
function releaseObject(f: PassFacts, component: string, version: string): string {
  const o = f.revision.objects.find((x) => x.kind === 'SoftwareRelease' && x.spec.component === component && x.spec.version === version);
  return o ? `SoftwareRelease/${o.metadata.name}` : 'FleetPolicy/default';
}

function releaseEvents(f: PassFacts): NotificationContent[] {
  const out: NotificationContent[] = [];
  for (const r of f.plan.releases) {
    const object = releaseObject(f, r.component, r.version);
    const id = `${r.component}/${r.version}`;
    // A failure-threshold pause (seed 001 Paused); a tenant-wide pause is TenantPaused below.
    if (r.state === 'Paused' && r.pause) {
      out.push(event('ReleasePaused', `ReleasePaused/${id}`, object, `Release ${r.component} ${r.version} paused in ring ${r.pause.ring}`,
        `${pauseSentence(releaseStatus(r))}. Retry the failed devices with a SoftwareUpdate, or force it with a declared change.`, r.pause.failedDevices));
    }
    if (r.rolledBackDevices?.length) {
      const n = r.rolledBackDevices.length;
      out.push(event('DevicesRolledBack', `DevicesRolledBack/${id}`, object, `${n} device(s) rolled back ${r.component} ${r.version}`,
        `${n} device(s) report an older version after ${r.component} ${r.version} succeeded; they are not updated again automatically until a SoftwareUpdate (or a newer release) asks.`, r.rolledBackDevices));
    }
  }
  return out;
}

/**
 * Per release, the devices whose component the planner holds after its attempts (FailureHold), whose
 * operation ran past the operation timeout, or whose update missed its window: one event per release each,
 * so a burst (50 devices held in one night) is one message listing them.
 */
function componentEvents(f: PassFacts): NotificationContent[] {
  const groups = new Map<string, { reason: NotificationReason; component: string; version: string; devices: string[] }>();
  const REASONS: Partial<Record<string, NotificationReason>> = {
    [PlannerReason.FailureHold]: 'DevicesHeld', [PlannerReason.OperationTimedOut]: 'OperationsTimedOut', [PlannerReason.WindowMissed]: 'WindowMissed',
  };
  for (const d of f.plan.devices) {
    for (const c of d.components) {
      const reason = REASONS[c.reason];
      if (!reason || !c.targetVersion) continue;
      const key = `${reason}/${c.component}/${c.targetVersion}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { reason, component: c.component, version: c.targetVersion, devices: [] }));
      g.devices.push(d.id);
    }
  }
  const out: NotificationContent[] = [];
  for (const [key, g] of groups) {
    const object = releaseObject(f, g.component, g.version);
    const n = g.devices.length;
    const what = `${g.component} ${g.version}`;
    if (g.reason === 'DevicesHeld') {
      out.push(event(g.reason, key, object, `${n} device(s) held after repeated failures of ${what}`,
        `${n} device(s) failed ${what} retry.maxAttempts times and are held until a person acts: a SoftwareUpdate for them, or a newer release, lets them be tried again.`, g.devices));
    } else if (g.reason === 'OperationsTimedOut') {
      out.push(event(g.reason, key, object, `${n} ${what} update(s) stuck`,
        `${n} device(s) ran their ${what} update past FleetPolicy operationTimeout; it counts as failed and is retried with backoff.`, g.devices));
    } else {
      out.push(event(g.reason, key, object, `${n} ${what} update(s) missed their maintenance window`,
        `${n} device(s) could not start ${what} inside their window; the update is planned for the next window.`, g.devices));
    }
  }
  return out;
}

function tenantEvents(f: PassFacts): NotificationContent[] {
  const pause = f.plan.autoUpdatesPause;
  const now = Date.parse(f.at);
  if (!pause || now < Date.parse(pause.pausedAt)) return [];
  const out = [event('TenantPaused', `TenantPaused/${pause.pausedAt}`, 'FleetPolicy/default', `Automatic updates paused until ${pause.resumeAt}`,
    `Automatic updates are paused for the tenant since ${pause.pausedAt}; they resume by themselves at ${pause.resumeAt} (seed 000: 15 days), or sooner when autoUpdates.pausedAt is removed (fleetward resume).`)];
  if (Date.parse(pause.resumeAt) - now <= PAUSE_ENDING_SOON_MS) {
    out.push(event('TenantPauseEndingSoon', `TenantPauseEndingSoon/${pause.pausedAt}`, 'FleetPolicy/default', `Automatic updates resume at ${pause.resumeAt}`,
      `The tenant pause that began ${pause.pausedAt} lifts by itself at ${pause.resumeAt}; set autoUpdates.pausedAt again to extend it.`));
  }
  return out;
}

function revisionEvents(f: PassFacts): NotificationContent[] {
  const p = f.problem;
  if (!p || p.reason !== InvalidRevision) return [];
  const errors = (p.errors ?? []).slice(0, 10);
  return [event('InvalidRevision', 'InvalidRevision', 'FleetPolicy/default', `Revision ${short(p.attempted) ?? ''} rejected: ${p.errors?.length ?? 1} error(s)`.replace('  ', ' '),
    p.message, [], { ...(p.attempted ? { revision: p.attempted } : {}), errors })];
}

function provisioningEvents(f: PassFacts, expiringWithinMs: number): NotificationContent[] {
  const out: NotificationContent[] = [];
  const now = Date.parse(f.at);
  for (const [key, s] of Object.entries(f.objects)) {
    if (s.kind !== 'ProvisioningBatch' || !Array.isArray(s.devices)) continue;
    const devices = s.devices as { macAddress: string; state?: string; codeExpiresAt?: string; requiredFirmware?: string; firmwareVersion?: string }[];
    const expiring = devices.filter((d) => d.state === 'AwaitingActivation' && d.codeExpiresAt && Date.parse(d.codeExpiresAt) > now && Date.parse(d.codeExpiresAt) - now <= expiringWithinMs);
    if (expiring.length) {
      // One event per expiry cycle: codes are regenerated after 24 hours, and the next cycle is news again.
      const first = expiring.map((d) => d.codeExpiresAt!).sort()[0]!;
      out.push(event('CodesExpiring', `CodesExpiring/${s.name}/${first}`, key, `${expiring.length} verification code(s) of batch ${s.name} expire from ${first}`,
        `${expiring.length} device(s) of ProvisioningBatch ${s.name} have not activated and their codes expire from ${first}; a new code is issued after expiry (fleetward provision export hands the current ones out).`,
        expiring.map((d) => d.macAddress)));
    }
    const old = devices.filter((d) => d.state === 'FirmwareTooOld');
    if (old.length) {
      out.push(event('FirmwareTooOld', `FirmwareTooOld/${s.name}`, key, `${old.length} device(s) of batch ${s.name} need newer firmware`,
        `${old.length} device(s) of ProvisioningBatch ${s.name} run firmware below the model's minimum for remote provisioning (seed 004); update their firmware on site.`,
        old.map((d) => d.macAddress)));
    }
  }
  return out;
}

/** A git SHA (the revision id of a git source): only those can carry a commit status. */
export function isCommit(id: string | undefined): id is string {
  return !!id && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(id);
}

/**
 * The commit status of the revision in force (or of the commit just refused): pending while it rolls out,
 * failure when the pass says a person must act (a refused commit, a paused release, held or rolled-back
 * devices), success once nothing is due, running or planned any more.
 */
function revisionStatus(f: PassFacts): NotificationContent | undefined {
  const p = f.problem;
  if (p?.reason === InvalidRevision && isCommit(p.attempted)) {
    return event('RevisionStatus', `RevisionStatus/${p.attempted}`, 'FleetPolicy/default', 'Fleetward: invalid config',
      `rejected: ${p.errors?.[0] ?? p.message}`, [], { revision: p.attempted, state: 'failure' });
  }
  const sha = f.revision.id;
  if (!isCommit(sha)) return undefined;
  const paused = f.plan.releases.filter((r) => r.state === 'Paused' && r.pause);
  const stuck = f.plan.releases.reduce((n, r) => n + (r.rolledBackDevices?.length ?? 0), 0)
    + f.plan.devices.filter((d) => d.components.some((c) => c.reason === PlannerReason.FailureHold)).length;
  const key = `RevisionStatus/${sha}`;
  if (paused.length || stuck) {
    const what = paused.length ? `${paused.map((r) => `${r.component} ${r.version}`).join(', ')} paused` : `${stuck} device(s) held or rolled back`;
    return event('RevisionStatus', key, 'FleetPolicy/default', 'Fleetward: rollout needs a person', what, [], { revision: sha, state: 'failure' });
  }
  if (f.complete) return event('RevisionStatus', key, 'FleetPolicy/default', 'Fleetward: applied', 'every device is on its target', [], { revision: sha, state: 'success' });
  return event('RevisionStatus', key, 'FleetPolicy/default', 'Fleetward: rolling out', 'rolling out to the fleet', [], { revision: sha, state: 'pending' });
}

function short(id: string | undefined): string | undefined {
  return id ? id.slice(0, 12) : undefined;
}

/** What a message said, in short: a change of it (more devices held, a new state) may send an update. */
export function fingerprint(c: NotificationContent): string {
  return createHash('sha256').update(JSON.stringify([c.state ?? '', c.devices, c.deviceCount, c.revision ?? '', c.errors ?? []])).digest('hex').slice(0, 16);
}
