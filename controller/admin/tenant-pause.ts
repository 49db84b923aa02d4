// `fleetward pause` / `resume` (seed 000 "Pause automatic updates": paused for the tenant, resuming by
// itself after 15 days or when an admin resumes): the FleetPolicy `default`'s `spec.autoUpdates.pausedAt`,
// set or removed in the config directory. A FleetPolicy elsewhere in the directory is edited where it is;
// without one, a new one is written.
import { Document } from 'yaml';
import { API_VERSION } from '../api/types.ts';
import { autoUpdatesPause, FLEET_POLICY_NAME } from '../api/builtins.ts';
import { wholeSecondsIso } from '../api/instant.ts';
import { pauseHolds } from '../planner/tenant.ts';
import {
  appendDocument, deleteIn, findObject, printDocument, quoted, readIfExists, replaceDocument, scalarText, type ConfigChange,
} from './config-edit.ts';

const PAUSED_AT = ['spec', 'autoUpdates', 'pausedAt'];
/** Where a FleetPolicy goes when the config has none (examples/config keeps it there too). */
export const DEFAULT_POLICY_FILE = 'policy.yaml';

export interface AdminResult {
  /** Null when nothing needs to change (already paused, not paused): nothing is written. */
  change: ConfigChange | null;
  /** One line for the person who ran the command. */
  message: string;
}

/** Pauses automatic updates from `at` (now, or a later instant for a planned freeze) for 15 days. */
export function pauseChange(dir: string, at: Date, opts: { file?: string; now?: Date } = {}): AdminResult {
  const now = opts.now ?? at;
  const located = findObject(dir, 'FleetPolicy', FLEET_POLICY_NAME);
  const pausedAt = wholeSecondsIso(at);
  const until = wholeSecondsIso(autoUpdatesPause(pausedAt)!.until);
  if (located) {
    const doc = located.docs[located.index]!;
    const current = autoUpdatesPause(scalarText(doc, PAUSED_AT));
    if (pauseHolds(current, now.getTime())) {
      return { change: null, message: `automatic updates are already paused since ${wholeSecondsIso(current.from)}, until ${wholeSecondsIso(current.until)}; nothing changed (fleetward resume lifts the pause)` };
    }
    doc.setIn(PAUSED_AT, quoted(doc, pausedAt));
    return {
      change: { dir, file: located.file, text: replaceDocument(located), created: false, document: printDocument(doc) },
      message: pauseMessage(pausedAt, until, now, `${located.file}`),
    };
  }
  const file = opts.file ?? DEFAULT_POLICY_FILE;
  const doc = new Document({ apiVersion: API_VERSION, kind: 'FleetPolicy', metadata: { name: FLEET_POLICY_NAME }, spec: {} });
  doc.commentBefore = ' Tenant-wide settings (docs/spec/fleetpolicies.md); written by `fleetward pause`.';
  doc.setIn(PAUSED_AT, quoted(doc, pausedAt));
  const existing = readIfExists(dir, file);
  return {
    change: { dir, file, text: appendDocument(existing, doc), created: existing === undefined, document: printDocument(doc) },
    message: pauseMessage(pausedAt, until, now, file),
  };
}

function pauseMessage(pausedAt: string, until: string, now: Date, file: string): string {
  const when = Date.parse(pausedAt) > now.getTime() ? `will be paused from ${pausedAt}` : `paused from ${pausedAt}`;
  return `automatic updates ${when} until ${until} (15 days) in FleetPolicy/${FLEET_POLICY_NAME} (${file}); manual SoftwareUpdates still run`;
}

/** Lifts the pause: `spec.autoUpdates.pausedAt` removed (comments and the other fields stay). */
export function resumeChange(dir: string, now: Date): AdminResult {
  const located = findObject(dir, 'FleetPolicy', FLEET_POLICY_NAME);
  const doc = located?.docs[located.index];
  const text = doc ? scalarText(doc, PAUSED_AT) : undefined;
  if (!located || !doc || text === undefined) {
    return { change: null, message: `automatic updates are not paused (no autoUpdates.pausedAt in FleetPolicy/${FLEET_POLICY_NAME}); nothing changed` };
  }
  const pause = autoUpdatesPause(text);
  deleteIn(doc, PAUSED_AT);
  const change: ConfigChange = { dir, file: located.file, text: replaceDocument(located), created: false, document: printDocument(doc) };
  let state: string;
  if (!pause) state = `an unreadable pausedAt ${JSON.stringify(text)} removed`;
  else if (now.getTime() >= pause.until) state = `the pause of ${wholeSecondsIso(pause.from)} had already lifted on ${wholeSecondsIso(pause.until)}; its pausedAt is removed`;
  else if (now.getTime() < pause.from) state = `the pause planned from ${wholeSecondsIso(pause.from)} is cancelled`;
  else state = `automatic updates resume now instead of ${wholeSecondsIso(pause.until)}`;
  return { change, message: `${state} (FleetPolicy/${FLEET_POLICY_NAME} in ${located.file})` };
}
