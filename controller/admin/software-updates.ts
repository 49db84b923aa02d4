// `fleetward force` and `fleetward retry-failed` (seed 001 "Force updates" and "Retry all failed"; seed 000
// manual updates now or scheduled): each writes one SoftwareUpdate (docs/spec/softwareupdates.md) into the
// config directory. What they check first comes from the state store of the running installation: the
// device exists, the release is one the fleet has seen, the devices that failed it or are held.
import { Document } from 'yaml';
import { ATTEMPTS_SINCE_ANNOTATION } from '../api/builtins.ts';
import { API_VERSION, COMPONENTS, type Component, type UpdateSchedule } from '../api/types.ts';
import { compareVersions, isVendorVersion } from '../api/version.ts';
import type { StateStore } from '../store/store.ts';
import { componentOutcome } from '../planner/outcomes.ts';
import { Reason } from '../planner/reasons.ts';
import {
  appendDocument, ConfigEditError, findObject, findObjects, printDocument, quoted, readIfExists, replaceDocument, type ConfigChange,
} from './config-edit.ts';
import { wholeSecondsIso } from '../api/instant.ts';

/** What the admin commands read from a state store (its read methods only): device records, the revision in force. */
export type AdminStateReader = Pick<StateStore, 'listDeviceIds' | 'readDevice' | 'readLastGoodRevision'>;

export function parseComponent(text: string, flag = '--component'): Component {
  if ((COMPONENTS as readonly string[]).includes(text)) return text as Component;
  throw new ConfigEditError(`${flag} ${JSON.stringify(text)} is not a component; use one of ${COMPONENTS.join(', ')}`);
}

/** `firmware@58.15.0.142`, as `fleetward forecast --release` takes it. */
export function parseRelease(text: string): { component: Component; version: string } {
  const at = text.indexOf('@');
  if (at <= 0) throw new ConfigEditError(`release ${JSON.stringify(text)}: write COMPONENT@VERSION, such as firmware@58.15.0.142`);
  const component = parseComponent(text.slice(0, at), 'release component');
  const version = text.slice(at + 1);
  if (!isVendorVersion(version)) throw new ConfigEditError(`release ${JSON.stringify(text)}: ${JSON.stringify(version)} is not a version; write dotted numbers such as 58.15.0.142`);
  return { component, version };
}

// ---- names --------------------------------------------------------------------------------------

/** `20261123-0900`: the UTC minute a change was made, for names a person can sort. */
function stamp(now: Date): string {
  const s = now.toISOString();
  return `${s.slice(0, 4)}${s.slice(5, 7)}${s.slice(8, 10)}-${s.slice(11, 13)}${s.slice(14, 16)}`;
}

/** Lowercase letters, digits, '-' and '.': a name both the loader and Kubernetes (RFC 1123) accept. */
function dnsPart(text: string, max: number): string {
  return text.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/-{2,}/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '').slice(0, max).replace(/[^a-z0-9]+$/, '');
}

/** `base`, or `base-2`, `base-3`, … when the config already has a SoftwareUpdate of that name. */
function freeName(dir: string, base: string): string {
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base}-${n}`;
    if (!findObject(dir, 'SoftwareUpdate', name)) return name;
  }
}

// ---- the SoftwareUpdate document --------------------------------------------------------------

export interface SoftwareUpdateDraft {
  name: string;
  devices: string[];
  component: Component;
  version: string;
  schedule: UpdateSchedule;
  force: boolean;
  /** Why, in one line: the comment above the document. */
  comment: string;
  now: Date;
}

export function softwareUpdateDocument(d: SoftwareUpdateDraft): Document {
  const doc = new Document({ apiVersion: API_VERSION, kind: 'SoftwareUpdate', metadata: { name: d.name }, spec: {} });
  doc.commentBefore = ` ${d.comment}`;
  armAttempts(doc, d.now);
  const devices = doc.createNode(d.devices);
  devices.flow = d.devices.length <= 5;
  doc.setIn(['spec', 'target', 'devices'], devices);
  doc.setIn(['spec', 'component'], d.component);
  doc.setIn(['spec', 'version'], d.version === 'latest' ? 'latest' : quoted(doc, d.version));
  setSchedule(doc, d.schedule);
  if (d.force) doc.setIn(['spec', 'force'], true);
  return doc;
}

function setSchedule(doc: Document, schedule: UpdateSchedule): void {
  if (typeof schedule === 'string') return doc.setIn(['spec', 'schedule'], schedule);
  doc.setIn(['spec', 'schedule', 'at'], quoted(doc, schedule.at));
  if (schedule.timeZone) doc.setIn(['spec', 'schedule', 'timeZone'], schedule.timeZone);
}

/**
 * The update's own attempts (retry.maxAttempts) count from now: failures before it do not count against it
 * (controller/planner/failures.ts). An annotation, not creationTimestamp, so it also moves on an object that
 * exists, in git and in Kubernetes alike.
 */
function armAttempts(doc: Document, now: Date): void {
  doc.setIn(['metadata', 'annotations', ATTEMPTS_SINCE_ANNOTATION], quoted(doc, wholeSecondsIso(now)));
}

function newUpdateChange(dir: string, doc: Document, name: string, file: string | undefined): ConfigChange {
  const target = file ?? `updates/${name}.yaml`;
  const existing = readIfExists(dir, target);
  return { dir, file: target, text: appendDocument(existing, doc), created: existing === undefined, document: printDocument(doc) };
}

// ---- force --------------------------------------------------------------------------------------

export interface ForceInput {
  device: string;
  component: Component;
  /** A version or `latest` (default). */
  version?: string;
  /** Default `now`: seed 001 "force the update immediately or when next the room is available". */
  schedule?: UpdateSchedule;
  now: Date;
  name?: string;
  file?: string;
}

export function forceChange(dir: string, store: AdminStateReader, input: ForceInput): { change: ConfigChange; message: string } {
  const version = input.version ?? 'latest';
  if (version !== 'latest' && !isVendorVersion(version)) {
    throw new ConfigEditError(`--version ${JSON.stringify(version)} is not a version; write dotted numbers such as 58.15.0.142, or latest`);
  }
  const rec = store.readDevice(input.device);
  if (!rec) throw new ConfigEditError(`device ${JSON.stringify(input.device)} is not in the state store (fleetward status lists the devices it knows); nothing was written`);
  const current = rec.components?.find((c) => c.component === input.component)?.currentVersion ?? null;
  if (version !== 'latest' && current !== null && isVendorVersion(current) && compareVersions(current, version) >= 0) {
    throw new ConfigEditError(`${input.device} already runs ${input.component} ${current}, not older than ${version}: Fleetward never downgrades; nothing was written`);
  }
  // Two SoftwareUpdates for one device and component: the first by name applies, the other does nothing
  // (docs/spec/softwareupdates.md). A force that would silently lose is refused, naming the one in the way.
  const other = updatesOf(dir, input.component).find((u) => u.spec.target?.devices?.includes(input.device) || (rec.group && u.spec.target?.group === rec.group));
  if (other) {
    throw new ConfigEditError(`SoftwareUpdate/${other.name} (${other.file}) already updates ${input.component} of ${input.device}; edit it (force: true, version, schedule) or delete it first; nothing was written`);
  }
  const schedule = input.schedule ?? 'now';
  const name = input.name ?? freeName(dir, `force-${dnsPart(input.device, 120)}-${input.component.toLowerCase()}-${stamp(input.now)}`);
  const when = schedule === 'now' ? 'now, even in a meeting' : schedule === 'nextMaintenanceWindow' ? 'in its next maintenance window' : `at ${schedule.at}${schedule.timeZone ? ` ${schedule.timeZone}` : ' device time'}`;
  const doc = softwareUpdateDocument({
    name, devices: [input.device], component: input.component, version, schedule, force: true, now: input.now,
    comment: `Forced by \`fleetward force\` at ${wholeSecondsIso(input.now)}: ${input.device} ${input.component} → ${version}, ${when}. Every forced operation is recorded (seed 001).`,
  });
  return {
    change: newUpdateChange(dir, doc, name, input.file),
    message: `SoftwareUpdate/${name} forces ${input.component} ${current ?? '(none)'} → ${version} on ${input.device}, ${when}`,
  };
}

interface DeclaredUpdate {
  name: string;
  file: string;
  spec: { target?: { devices?: string[]; group?: string }; component?: string; version?: string; suspend?: boolean };
  located: ReturnType<typeof findObjects>[number];
}

/** The config's SoftwareUpdates for a component, first by name (the one the planner applies when several do). */
function updatesOf(dir: string, component: Component): DeclaredUpdate[] {
  return findObjects(dir, 'SoftwareUpdate')
    .map((located) => {
      const v = located.value as { metadata?: { name?: unknown }; spec?: DeclaredUpdate['spec'] };
      return { name: String(v.metadata?.name ?? ''), file: located.file, spec: v.spec ?? {}, located };
    })
    .filter((u) => u.spec.component === component && !u.spec.suspend)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// ---- retry-failed -------------------------------------------------------------------------------

export interface RetryDevice {
  id: string;
  group: string | null;
  /**
   * The device's outcome on that release (planner/outcomes.ts): `failed`, the last attempt failed; `held`,
   * its retries are spent and it waits for a person; `rolledBack`, it undid the update after it succeeded.
   */
  outcome: 'failed' | 'held' | 'rolledBack';
}

/**
 * The devices whose update to `component` `version` failed, is held after its retries or was rolled back,
 * from the store: the outcome of the plan recorded for the device or, for a device the plan moved on from,
 * the newest attempt at that version in its history having failed. Devices already on it (or newer) are not.
 */
export function devicesToRetry(store: AdminStateReader, component: Component, version: string, group?: string): { known: boolean; devices: RetryDevice[] } {
  let known = (store.readLastGoodRevision()?.objects ?? []).some((o) => o.kind === 'SoftwareRelease'
    && (o.spec as { component?: string }).component === component && (o.spec as { version?: string }).version === version);
  const devices: RetryDevice[] = [];
  for (const id of store.listDeviceIds()) {
    const rec = store.readDevice(id);
    if (!rec) continue;
    const plan = rec.components?.find((c) => c.component === component);
    const attempts = rec.history.filter((h) => h.operationType === 'softwareUpdate' && h.component === component && h.toVersion === version);
    if (plan?.targetVersion === version || attempts.length) known = true;
    if (group !== undefined && rec.group !== group) continue;
    const current = plan?.currentVersion ?? null;
    if (current !== null && isVendorVersion(current) && compareVersions(current, version) >= 0) continue;
    let outcome: RetryDevice['outcome'] | null = null;
    const now = plan?.targetVersion === version ? componentOutcome(plan) : null;
    // Held for another reason (a paused release, an unknown version) is not a failure of the device: no retry.
    if (now === 'failed' || now === 'rolledBack' || (now === 'held' && plan!.reason === Reason.FailureHold)) outcome = now;
    // The plan moved on (a newer release, a manual update of another version): the last attempt at it says.
    else if (now === null && attempts.at(-1)?.status === 'failed') outcome = 'failed';
    if (outcome) devices.push({ id, group: rec.group ?? null, outcome });
  }
  return { known, devices };
}

export interface RetryInput {
  component: Component;
  version: string;
  group?: string;
  /** Default: each device's next maintenance window (automatic retries wait for one too). */
  schedule?: UpdateSchedule;
  now: Date;
  name?: string;
  file?: string;
}

export function retryFailedChange(dir: string, store: AdminStateReader, input: RetryInput): { change: ConfigChange | null; message: string; devices: RetryDevice[] } {
  const release = `${input.component}@${input.version}`;
  const { known, devices } = devicesToRetry(store, input.component, input.version, input.group);
  if (!known) {
    throw new ConfigEditError(`release ${release} is unknown: no device in the state store was ever planned or updated to it, and no SoftwareRelease declares it; nothing was written`);
  }
  const scope = input.group !== undefined ? ` in DeviceGroup/${input.group}` : '';
  if (devices.length === 0) return { change: null, message: `no device${scope} failed ${release} or is held on it; nothing to retry, nothing written`, devices };
  const n = (o: RetryDevice['outcome']) => devices.filter((d) => d.outcome === o).length;
  const counts = `${devices.length} device(s): ${n('failed')} failed, ${n('held')} held${n('rolledBack') ? `, ${n('rolledBack')} rolled back` : ''}`;
  // Retried before: the SoftwareUpdate of that release is re-armed rather than joined by a second one, which
  // would do nothing (the first by name applies). Its devices still short of the version stay on it.
  const previous = updatesOf(dir, input.component).find((u) => u.spec.version === input.version);
  if (previous) return rearm(dir, store, previous, input, devices, counts);
  const schedule = input.schedule ?? 'nextMaintenanceWindow';
  const groupPart = input.group !== undefined ? `${dnsPart(input.group, 60)}-` : '';
  const name = input.name ?? freeName(dir, `retry-${groupPart}${input.component.toLowerCase()}-${input.version}-${stamp(input.now)}`);
  const when = describeSchedule(schedule);
  const doc = softwareUpdateDocument({
    name, devices: devices.map((d) => d.id), component: input.component, version: input.version, schedule, force: false, now: input.now,
    comment: `Retry all failed (seed 001), by \`fleetward retry-failed ${release}\`${input.group !== undefined ? ` --group ${input.group}` : ''} at ${wholeSecondsIso(input.now)}: ${counts}.`,
  });
  return {
    change: newUpdateChange(dir, doc, name, input.file),
    message: `SoftwareUpdate/${name} retries ${release} on ${counts}${scope}, ${when}`,
    devices,
  };
}

function describeSchedule(schedule: UpdateSchedule): string {
  return schedule === 'now' ? 'now' : schedule === 'nextMaintenanceWindow' ? 'in each device\'s next maintenance window' : `at ${schedule.at}${schedule.timeZone ? ` ${schedule.timeZone}` : ' device time'}`;
}

/**
 * A second "retry all failed" of a release: the existing SoftwareUpdate gets the devices that failed since
 * (beside its own that are not on the version yet), its attempts count from now, and a new schedule when one
 * was asked for; its comments and the rest stay.
 */
function rearm(dir: string, store: AdminStateReader, previous: DeclaredUpdate, input: RetryInput, devices: RetryDevice[], counts: string): { change: ConfigChange; message: string; devices: RetryDevice[] } {
  const doc = previous.located.docs[previous.located.index]!;
  const release = `${input.component}@${input.version}`;
  if (previous.spec.target?.devices) {
    const done = (id: string) => {
      const v = store.readDevice(id)?.components?.find((c) => c.component === input.component)?.currentVersion ?? null;
      return v !== null && isVendorVersion(v) && compareVersions(v, input.version) >= 0;
    };
    const ids = [...new Set([...previous.spec.target.devices.filter((id) => !done(id)), ...devices.map((d) => d.id)])].sort();
    const node = doc.createNode(ids);
    node.flow = ids.length <= 5;
    doc.setIn(['spec', 'target', 'devices'], node);
  }
  armAttempts(doc, input.now);
  if (input.schedule !== undefined) {
    doc.deleteIn(['spec', 'schedule']);
    setSchedule(doc, input.schedule);
  }
  const target = previous.spec.target?.group !== undefined ? `DeviceGroup/${previous.spec.target.group}` : `${(doc.getIn(['spec', 'target', 'devices']) as { items: unknown[] }).items.length} device(s)`;
  return {
    change: { dir, file: previous.located.file, text: replaceDocument(previous.located), created: false, document: printDocument(doc) },
    message: `SoftwareUpdate/${previous.name} retries ${release} again on ${target} (${counts} now), with fresh attempts from ${wholeSecondsIso(input.now)}`,
    devices,
  };
}
