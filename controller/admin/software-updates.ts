// `fleetward force` and `fleetward retry-failed` (seed 001 "Force updates" and "Retry all failed"; seed 000
// manual updates now or scheduled): each writes one SoftwareUpdate (docs/spec/softwareupdates.md) into the
// config directory. What they check first comes from the state store of the running installation: the
// device exists, the release is one the fleet has seen, the devices that failed it or are held.
import { Document } from 'yaml';
import { API_VERSION, COMPONENTS, type Component, type UpdateSchedule } from '../api/types.ts';
import { compareVersions, isVendorVersion } from '../api/version.ts';
import type { StateStore } from '../store/store.ts';
import { Reason } from '../planner/reasons.ts';
import {
  appendDocument, ConfigEditError, findObject, printDocument, quoted, readIfExists, type ConfigChange,
} from './config-edit.ts';

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

/** `2026-11-23T14:00:00Z`: an instant as an admin would type it. */
const instant = (d: Date): string => d.toISOString().replace('.000Z', 'Z');

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
  // The creation instant starts the update's own retry budget (controller/planner/failures.ts): attempts
  // that failed before it do not count against it. Kubernetes sets its own on create.
  doc.setIn(['metadata', 'creationTimestamp'], quoted(doc, instant(d.now)));
  const devices = doc.createNode(d.devices);
  devices.flow = d.devices.length <= 5;
  doc.setIn(['spec', 'target', 'devices'], devices);
  doc.setIn(['spec', 'component'], d.component);
  doc.setIn(['spec', 'version'], d.version === 'latest' ? 'latest' : quoted(doc, d.version));
  if (typeof d.schedule === 'string') doc.setIn(['spec', 'schedule'], d.schedule);
  else {
    doc.setIn(['spec', 'schedule', 'at'], quoted(doc, d.schedule.at));
    if (d.schedule.timeZone) doc.setIn(['spec', 'schedule', 'timeZone'], d.schedule.timeZone);
  }
  if (d.force) doc.setIn(['spec', 'force'], true);
  return doc;
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
  const schedule = input.schedule ?? 'now';
  const name = input.name ?? freeName(dir, `force-${dnsPart(input.device, 120)}-${input.component.toLowerCase()}-${stamp(input.now)}`);
  const when = schedule === 'now' ? 'now, even in a meeting' : schedule === 'nextMaintenanceWindow' ? 'in its next maintenance window' : `at ${schedule.at}${schedule.timeZone ? ` ${schedule.timeZone}` : ' device time'}`;
  const doc = softwareUpdateDocument({
    name, devices: [input.device], component: input.component, version, schedule, force: true, now: input.now,
    comment: `Forced by \`fleetward force\` at ${instant(input.now)}: ${input.device} ${input.component} → ${version}, ${when}. Every forced operation is recorded (seed 001).`,
  });
  return {
    change: newUpdateChange(dir, doc, name, input.file),
    message: `SoftwareUpdate/${name} forces ${input.component} ${current ?? '(none)'} → ${version} on ${input.device}, ${when}`,
  };
}

// ---- retry-failed -------------------------------------------------------------------------------

export interface RetryDevice {
  id: string;
  group: string | null;
  /** `held`: retries exhausted, waiting for a person; `failed`: the last attempt failed. */
  outcome: 'failed' | 'held';
}

/**
 * The devices whose update to `component` `version` failed or is held, from the store: the plan recorded
 * for the device (Held after its retries, or Failed) or, for a device the plan moved on from, the newest
 * attempt at that version in its history having failed. Devices already on it (or newer) are not.
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
    if (plan?.targetVersion === version && plan.state === 'Held' && plan.reason === Reason.FailureHold) outcome = 'held';
    else if (plan?.targetVersion === version && plan.state === 'Failed') outcome = 'failed';
    else if (attempts.at(-1)?.status === 'failed') outcome = 'failed';
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
  const schedule = input.schedule ?? 'nextMaintenanceWindow';
  const groupPart = input.group !== undefined ? `${dnsPart(input.group, 60)}-` : '';
  const name = input.name ?? freeName(dir, `retry-${groupPart}${input.component.toLowerCase()}-${input.version}-${stamp(input.now)}`);
  const held = devices.filter((d) => d.outcome === 'held').length;
  const counts = `${devices.length} device(s): ${devices.length - held} failed, ${held} held`;
  const when = schedule === 'now' ? 'now' : schedule === 'nextMaintenanceWindow' ? 'in each device\'s next maintenance window' : `at ${schedule.at}${schedule.timeZone ? ` ${schedule.timeZone}` : ' device time'}`;
  const doc = softwareUpdateDocument({
    name, devices: devices.map((d) => d.id), component: input.component, version: input.version, schedule, force: false, now: input.now,
    comment: `Retry all failed (seed 001), by \`fleetward retry-failed ${release}\`${input.group !== undefined ? ` --group ${input.group}` : ''} at ${instant(input.now)}: ${counts}.`,
  });
  return {
    change: newUpdateChange(dir, doc, name, input.file),
    message: `SoftwareUpdate/${name} retries ${release} on ${counts}${scope}, ${when}`,
    devices,
  };
}
