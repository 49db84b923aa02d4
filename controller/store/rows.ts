// How a device record is laid out in the SQL stores (SQLite and PostgreSQL share it): one row per device
// (its planned components, compact) and one row per history entry. Strings that repeat across the fleet —
// versions, states, reason codes, revision ids, group names — are stored once in a `words` table and referred
// to by number; instants as epoch milliseconds. That is what keeps 100,000 devices with ten history entries
// each well under 100 MB (docs/run.md "State"), where the JSON files of the first releases took 408 MB
// without any history.
//
// Every encoder has its decoder beside it, and decode(encode(x)) gives x back exactly (the tests check it):
// a record read back is the record that was written.
import type { FleetDevice, Instant } from '../api/types.ts';
import type { ComponentPlan } from '../planner/types.ts';
import type { DeviceRecord, HistoryEntry, PendingIntent } from './records.ts';

/** The dictionary of repeated strings. Ids are positive; 0 is never used. */
export class Words {
  readonly #ids = new Map<string, number>();
  readonly #texts: (string | undefined)[] = [undefined];
  /** Words added since the last `saved()`, to be written in the same transaction as the rows using them. */
  #added: [number, string][] = [];

  load(rows: Iterable<{ id: number; text: string }>): void {
    for (const r of rows) {
      this.#ids.set(r.text, r.id);
      this.#texts[r.id] = r.text;
    }
  }
  get size(): number { return this.#ids.size; }
  /** The next id to hand out. */
  get #next(): number { return this.#texts.length; }

  id(text: string): number {
    let id = this.#ids.get(text);
    if (id === undefined) {
      id = this.#next;
      this.#ids.set(text, id);
      this.#texts[id] = text;
      this.#added.push([id, text]);
    }
    return id;
  }
  /** The word, or undefined when this dictionary does not know the id (yet: a reader may need to reload). */
  text(id: number): string | undefined {
    return this.#texts[id];
  }
  /** Words to insert along with the rows that use them. */
  pending(): readonly [number, string][] { return this.#added; }
  saved(): void { this.#added = []; }
  /** The transaction that added them was rolled back: forget them. */
  rollback(): void {
    for (const [id, text] of this.#added) {
      this.#ids.delete(text);
      this.#texts[id] = undefined;
    }
    while (this.#texts.length > 1 && this.#texts[this.#texts.length - 1] === undefined) this.#texts.pop();
    this.#added = [];
  }
}

/** A word that is missing from the dictionary, or a row that does not decode: the caller reports the device. */
export class UndecodableRow extends Error {}

/**
 * An instant as a number when it round-trips exactly, else its text. The sign keeps the shape: positive for
 * `…:00.000Z` (JavaScript's toISOString), negative for `…:00Z` (no fraction, as Graph writes them). Whole
 * seconds are stored as seconds (4 bytes in SQLite until 2038, 10 digits in JSON), others as milliseconds;
 * the size tells them apart (any millisecond value after 1974 is above 1e11, any second value below).
 */
export function encodeInstant(iso: Instant): number | string {
  const t = parseInstant(iso);
  if (t === undefined) return iso;
  const v = t % 1000 === 0 ? t / 1000 : t;
  return iso.length === 24 ? v : -v;
}
export function decodeInstant(v: number | string): Instant {
  if (typeof v === 'string') return v;
  if (!Number.isInteger(v) || v === 0) throw new UndecodableRow(`bad instant ${v}`);
  const a = Math.abs(v);
  const iso = new Date(a < SECONDS_BELOW ? a * 1000 : a).toISOString();
  return v > 0 ? iso : iso.slice(0, -5) + 'Z';
}
const SECONDS_BELOW = 1e11;

/**
 * Epoch ms of `YYYY-MM-DDTHH:MM:SS.mmmZ` or `YYYY-MM-DDTHH:MM:SSZ` (1974 or later), read field by field: a
 * Date.parse and toISOString round trip costs ~1 µs, and a pass encodes several per device. Anything else
 * (another shape, an impossible date) is undefined and stays text.
 */
function parseInstant(iso: string): number | undefined {
  const n = iso.length;
  if ((n !== 24 && n !== 20) || iso.charCodeAt(n - 1) !== 90 /* Z */) return undefined;
  if (iso[4] !== '-' || iso[7] !== '-' || iso[10] !== 'T' || iso[13] !== ':' || iso[16] !== ':' || (n === 24 && iso[19] !== '.')) return undefined;
  const d = (i: number, len: number): number => {
    let v = 0;
    for (let k = i; k < i + len; k++) {
      const c = iso.charCodeAt(k) - 48;
      if (c < 0 || c > 9) return -1;
      v = v * 10 + c;
    }
    return v;
  };
  const y = d(0, 4), mo = d(5, 2), day = d(8, 2), h = d(11, 2), mi = d(14, 2), sec = d(17, 2), ms = n === 24 ? d(20, 3) : 0;
  if (y < 1974 || mo < 1 || mo > 12 || day < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || ms < 0) return undefined;
  if (day > 28 && new Date(Date.UTC(y, mo - 1, day)).getUTCDate() !== day) return undefined;
  return Date.UTC(y, mo - 1, day, h, mi, sec, ms);
}

/**
 * A start or completion instant as its distance from the creation when both have the same shape (one to
 * three bytes instead of four to six): even numbers count seconds, odd ones milliseconds. Else its text.
 */
function encodeSince(created: Instant, iso: Instant): number | string {
  const c = parseInstant(created), t = parseInstant(iso);
  if (c === undefined || t === undefined || created.length !== iso.length) return iso;
  const d = t - c;
  return d % 1000 === 0 ? (d / 1000) * 2 : d * 2 + 1;
}
function decodeSince(created: number | string, v: number | string): Instant {
  if (typeof v === 'string') return v;
  if (typeof created !== 'number' || !Number.isInteger(v)) throw new UndecodableRow('bad offset');
  const a = Math.abs(created);
  const c = a < SECONDS_BELOW ? a * 1000 : a;
  const d = Math.abs(v) % 2 === 0 ? (v / 2) * 1000 : (v - 1) / 2;
  const t = c + d;
  return decodeInstant(Math.sign(created) * (t % 1000 === 0 ? t / 1000 : t));
}

/**
 * One history row: operation id, created, then word ids (or null) for type, status, component, from, to,
 * started, completed (instants), issuedBy, reason, revision, softwareUpdate, and the rest as JSON (or null).
 */
export type HistoryRow = [
  operation: string | Uint8Array, created: number | string, type: number, status: number, component: number | null,
  fromVersion: number | null, toVersion: number | null, started: number | string | null, completed: number | string | null,
  issuedBy: number, reason: number | null, revision: number | null, softwareUpdate: number | null, extra: string | null,
];

const COLUMNS = new Set([
  'operationId', 'createdAt', 'operationType', 'status', 'component', 'fromVersion', 'toVersion', 'startedAt', 'completedAt',
  'issuedBy', 'reason', 'revision', 'softwareUpdate',
]);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Operation ids are GUIDs at Graph (and in the simulator): 16 bytes instead of 36 characters when they are. */
export function encodeOperationId(id: string): string | Uint8Array {
  return id.length === 36 && UUID.test(id) ? Buffer.from(id.replaceAll('-', ''), 'hex') : id;
}
export function decodeOperationId(v: string | Uint8Array): string {
  if (typeof v === 'string') return v;
  if (!(v instanceof Uint8Array) || v.length !== 16) throw new UndecodableRow('bad operation id');
  const h = Buffer.from(v.buffer, v.byteOffset, v.length).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function encodeHistory(h: HistoryEntry, w: Words): HistoryRow {
  const opt = (s: string | undefined) => (s === undefined ? null : w.id(s));
  let extra: Record<string, unknown> | null = null;
  for (const k of Object.keys(h)) {
    if (COLUMNS.has(k)) continue;
    const v = (h as unknown as Record<string, unknown>)[k];
    if (v === undefined) continue;
    (extra ??= {})[k] = v;
  }
  return [
    encodeOperationId(h.operationId), encodeInstant(h.createdAt), w.id(h.operationType), w.id(h.status), opt(h.component),
    opt(h.fromVersion), opt(h.toVersion), h.startedAt === undefined ? null : encodeSince(h.createdAt, h.startedAt),
    h.completedAt === undefined ? null : encodeSince(h.createdAt, h.completedAt), w.id(h.issuedBy), opt(h.reason), opt(h.revision),
    opt(h.softwareUpdate), extra ? JSON.stringify(extra) : null,
  ];
}

export function decodeHistory(row: HistoryRow, w: Words): HistoryEntry {
  const word = (id: number | null): string | undefined => {
    if (id === null) return undefined;
    const t = w.text(id);
    if (t === undefined) throw new UndecodableRow(`unknown word ${id}`);
    return t;
  };
  const [operation, created, type, status, component, from, to, started, completed, issuedBy, reason, revision, su, extra] = row;
  let more: Record<string, unknown> = {};
  if (extra !== null) {
    let v: unknown;
    try { v = JSON.parse(extra); } catch { throw new UndecodableRow('extra is not JSON'); }
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new UndecodableRow('extra is not an object');
    more = v as Record<string, unknown>;
  }
  // Field order as the reconciler builds entries (the intent's fields, then mergeOperation's, then the
  // diagnostics link), so a record read back serialises as the one written and is not seen as changed.
  const h: Record<string, unknown> = { issuedBy: word(issuedBy) };
  if (reason !== null) h.reason = word(reason);
  if (revision !== null) h.revision = word(revision);
  if ('forced' in more) h.forced = more.forced;
  if (su !== null) h.softwareUpdate = word(su);
  h.operationId = decodeOperationId(operation);
  h.operationType = word(type);
  h.status = word(status);
  h.createdAt = decodeInstant(created);
  if (component !== null) h.component = word(component);
  if (from !== null) h.fromVersion = word(from);
  if (to !== null) h.toVersion = word(to);
  if (started !== null) h.startedAt = decodeSince(created, started);
  if (completed !== null) h.completedAt = decodeSince(created, completed);
  for (const [k, v] of Object.entries(more)) if (k !== 'forced') h[k] = v;
  if (!h.operationId || !h.operationType || !h.status || !h.issuedBy) throw new UndecodableRow('missing field');
  return h as unknown as HistoryEntry;
}

/**
 * What the store remembers of a written record, to write only what changed: the plan's names, a fingerprint of
 * its components, observed device and other fields (never the caller's objects, which it may edit in place),
 * and copies of each history entry. A fingerprint is a number where copies were some 600 bytes a device, kept
 * for every device between passes (docs/kubernetes.md "Sizing"); hashing the fields costs a fraction of
 * encoding or serialising them, and an unchanged device — most of them, each pass — costs only that.
 */
export interface Remembered {
  group: string | null | undefined;
  phase: string | null | undefined;
  ring: string | null | undefined;
  window: string | undefined;
  /** fieldsFingerprint of the components, the observed device and the other fields, as written. */
  content: number;
  pending: string | null;
  /** operation id → a copy of the entry as written. */
  ops: Map<string, HistoryEntry>;
}

export function remember(rec: DeviceRecord, ops: Map<string, HistoryEntry> = new Map()): Remembered {
  return {
    group: rec.group, phase: rec.phase, ring: rec.ring, window: rec.maintenanceWindow,
    content: contentFingerprint(rec), pending: encodePending(rec.pending), ops,
  };
}

/** Whether the device row (plan and intents) differs from what was remembered. */
export function planChanged(m: Remembered, rec: DeviceRecord): boolean {
  if (m.group !== rec.group || m.phase !== rec.phase || m.ring !== rec.ring || m.window !== rec.maintenanceWindow) return true;
  if (m.pending !== (rec.pending && rec.pending.length ? JSON.stringify(rec.pending) : null)) return true;
  return m.content !== contentFingerprint(rec);
}

function contentFingerprint(rec: DeviceRecord): number {
  return fieldsFingerprint({ components: rec.components, observed: rec.observed, rest: otherFields(rec) });
}

/** 32-bit FNV-1a of `s`, continuing from `h`. */
function fnv(s: string, h: number): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** One 32-bit half of fieldsFingerprint: each field's key salts its value's hash, and the fields are summed. */
function fieldsHash(v: unknown, seed: number): number {
  if (v === null) return fnv('null', seed);
  switch (typeof v) {
    case 'string': return fnv(v, fnv('s', seed));
    case 'boolean': return fnv(v ? 'true' : 'false', seed);
    case 'number': return fnv(String(v), fnv('n', seed));
    case 'object': {
      let sum = 0;
      for (const k in v) {
        const x = (v as Flat)[k];
        if (x !== undefined) sum = (sum + fieldsHash(x, fnv(k, seed))) >>> 0;
      }
      return Math.imul(sum ^ fnv('o', seed), 0x85ebca6b) >>> 0;
    }
    default: return fnv(String(v), seed);
  }
}

/**
 * A 53-bit fingerprint of a value's fields that is equal whenever sameFields would call two values the same:
 * undefined fields left out, whatever their order (a record read back from the store lists its fields in
 * another order than the planner and the driver). Two different values share one with odds of 2^-53.
 */
export function fieldsFingerprint(v: unknown): number {
  return (fieldsHash(v, 0x811c9dc5) & 0x1fffff) * 0x1_0000_0000 + fieldsHash(v, 0x2f6b9e31);
}

type Flat = Record<string, unknown>;

/** Same keys, same values; one level of nested plain objects (an entry's error, its diagnostics link). */
export function sameFields(a: Flat, b: Flat): boolean {
  let n = 0;
  for (const k in a) {
    const x = a[k];
    if (x === undefined) continue;
    n++;
    const y = b[k];
    if (x === y) continue;
    if (x === null || y === null || typeof x !== 'object' || typeof y !== 'object') return false;
    if (!sameFields(x as Flat, y as Flat)) return false;
  }
  for (const k in b) if (b[k] !== undefined) n--;
  return n === 0;
}

/**
 * Brings a device's stored history in line with `history`, given `ops` (operation id → what was last written):
 * `put` each entry that is new or changed, `drop` each operation no longer in it (retention dropped it). `ops` is
 * updated to match. Whether anything was written.
 */
export function mergeHistory(
  ops: Map<string, HistoryEntry>, history: HistoryEntry[], put: (h: HistoryEntry) => void, drop: (operationId: string) => void,
): boolean {
  let changed = false;
  for (const h of history) {
    const was = ops.get(h.operationId);
    if (was && sameFields(was as unknown as Flat, h as unknown as Flat)) continue;
    put(h);
    ops.set(h.operationId, copyEntry(h));
    changed = true;
  }
  // Operation ids are unique in a history: more remembered than written means some were dropped (retention).
  if (ops.size > history.length) {
    const seen = new Set(history.map((h) => h.operationId));
    for (const op of [...ops.keys()]) {
      if (seen.has(op)) continue;
      drop(op);
      ops.delete(op);
      changed = true;
    }
  }
  return changed;
}

/** A copy deep enough that the caller editing its entry cannot edit the store's memory of it. */
export function copyEntry(h: HistoryEntry): HistoryEntry {
  return copyNested(h);
}
/** The object and the plain objects it holds (an entry's error or diagnostics; a device's labels, software). */
function copyNested<T extends object>(o: T): T {
  const c = { ...o } as Record<string, unknown>;
  for (const k in c) {
    const v = c[k];
    if (v && typeof v === 'object') c[k] = Array.isArray(v) ? v.map((x: unknown) => (x && typeof x === 'object' ? { ...x } : x)) : { ...v };
  }
  return c as T;
}

// ---- the device row ------------------------------------------------------------------------------

/** 0 stands for "absent", null for null, else a word id. */
const ABSENT = 0;

export function encodePlan(rec: DeviceRecord, w: Words): string {
  const ref = (v: string | null | undefined) => (v === undefined ? ABSENT : v === null ? null : w.id(v));
  const comps = rec.components === undefined ? ABSENT : rec.components.map((c) => encodeComponent(c, w));
  const row: unknown[] = [ref(rec.group), ref(rec.phase), ref(rec.ring), ref(rec.maintenanceWindow), comps];
  const rest = otherFields(rec);
  if (rest) row.push(rest);
  return JSON.stringify(row);
}

/** Fields of a device record that have no column of their own (historyLost, and any added later): kept as JSON. */
const RECORD_FIELDS = new Set(['id', 'group', 'phase', 'ring', 'maintenanceWindow', 'components', 'pending', 'observed', 'history']);
export function otherFields(rec: DeviceRecord): Record<string, unknown> | undefined {
  let rest: Record<string, unknown> | undefined;
  for (const k in rec) {
    if (RECORD_FIELDS.has(k)) continue;
    const v = (rec as unknown as Record<string, unknown>)[k];
    if (v !== undefined) (rest ??= {})[k] = v;
  }
  return rest;
}

/** [component, current, target, state, reason, notBefore, message?, unsupported?, {other fields}?], trailing absences dropped. */
function encodeComponent(c: ComponentPlan, w: Words): unknown[] {
  const out: unknown[] = [
    w.id(c.component), c.currentVersion === null ? null : w.id(c.currentVersion), c.targetVersion === null ? null : w.id(c.targetVersion),
    w.id(c.state), w.id(c.reason), c.notBefore === null ? null : encodeInstant(c.notBefore),
    // message repeats across devices (same reason, same versions): a word.
    c.message === undefined ? null : w.id(c.message), c.unsupported === undefined ? null : c.unsupported ? 1 : 0,
  ];
  let rest: Record<string, unknown> | undefined;
  for (const k of Object.keys(c)) {
    if (KNOWN_COMPONENT_FIELDS.has(k)) continue;
    const v = (c as unknown as Record<string, unknown>)[k];
    if (v !== undefined) (rest ??= {})[k] = v;
  }
  if (rest) out.push(rest);
  else while (out.length > 6 && out[out.length - 1] === null) out.pop();
  return out;
}
const KNOWN_COMPONENT_FIELDS = new Set(['component', 'currentVersion', 'targetVersion', 'state', 'reason', 'notBefore', 'message', 'unsupported']);

export function decodePlan(text: string, w: Words, into: DeviceRecord): void {
  let v: unknown;
  try { v = JSON.parse(text); } catch { throw new UndecodableRow('plan is not JSON'); }
  if (!Array.isArray(v) || (v.length !== 5 && v.length !== 6)) throw new UndecodableRow('plan is not a plan');
  const word = (id: unknown): string => {
    const t = typeof id === 'number' ? w.text(id) : undefined;
    if (t === undefined) throw new UndecodableRow(`unknown word ${String(id)}`);
    return t;
  };
  const ref = (id: unknown): string | null | undefined => (id === ABSENT ? undefined : id === null ? null : word(id));
  const [group, phase, ring, window, comps, rest] = v as unknown[];
  if (rest !== undefined) {
    if (!rest || typeof rest !== 'object' || Array.isArray(rest)) throw new UndecodableRow('plan extras');
    Object.assign(into, rest);
  }
  const g = ref(group), p = ref(phase), r = ref(ring), mw = ref(window);
  if (g !== undefined) into.group = g;
  if (p !== undefined) into.phase = p;
  if (r !== undefined) into.ring = r;
  if (mw !== undefined && mw !== null) into.maintenanceWindow = mw;
  if (comps === ABSENT) return;
  if (!Array.isArray(comps)) throw new UndecodableRow('components');
  into.components = comps.map((c: unknown) => {
    if (!Array.isArray(c) || c.length < 6) throw new UndecodableRow('component');
    const [comp, cur, tgt, state, reason, notBefore, message, unsupported, rest] = c as [
      number, number | null, number | null, number, number, number | string | null, number | null | undefined, number | null | undefined, Record<string, unknown>?,
    ];
    const out: Record<string, unknown> = {
      component: word(comp), currentVersion: cur === null ? null : word(cur), targetVersion: tgt === null ? null : word(tgt),
      state: word(state), reason: word(reason),
    };
    // Field order as the planner builds them, so a record read back serialises as the one written.
    out.notBefore = notBefore === null ? null : decodeInstant(notBefore);
    if (message !== undefined && message !== null) out.message = word(message);
    if (unsupported !== undefined && unsupported !== null) out.unsupported = unsupported === 1;
    if (rest) Object.assign(out, rest);
    return out as unknown as ComponentPlan;
  });
}

// ---- the device as the driver reported it -------------------------------------------------------

const OBSERVED_FIELDS = new Set(['id', 'macAddress', 'deviceType', 'manufacturer', 'model', 'timeZone', 'labels', 'online', 'activityState', 'healthStatus', 'software', 'displayName', 'serialNumber']);

/**
 * [mac, type, manufacturer, model, zone, labels [k, v, …], online 1/0, activity, health, software [c, v, …],
 * displayName, serialNumber, {other fields}]: words for everything that repeats across the fleet.
 */
export function encodeObserved(o: FleetDevice | undefined, id: string, w: Words): string | null {
  if (!o) return null;
  const opt = (s: string | undefined) => (s === undefined ? null : w.id(s));
  const pairs = (r: Record<string, string | undefined> | undefined) => {
    if (!r) return null;
    const out: number[] = [];
    for (const k in r) if (r[k] !== undefined) out.push(w.id(k), w.id(r[k]!));
    return out;
  };
  let rest: Record<string, unknown> | undefined;
  for (const k in o) {
    const v = (o as unknown as Record<string, unknown>)[k];
    if (v === undefined || (OBSERVED_FIELDS.has(k) && (k !== 'id' || v === id))) continue;
    (rest ??= {})[k] = v;
  }
  const row: unknown[] = [
    o.macAddress ?? null, opt(o.deviceType), opt(o.manufacturer), opt(o.model), opt(o.timeZone), pairs(o.labels),
    o.online === undefined ? null : o.online ? 1 : 0, opt(o.activityState), opt(o.healthStatus), pairs(o.software),
    o.displayName ?? null, o.serialNumber ?? null,
  ];
  if (rest) row.push(rest);
  else while (row.length > 10 && row[row.length - 1] === null) row.pop();
  return JSON.stringify(row);
}

export function decodeObserved(text: string | null, id: string, w: Words): FleetDevice | undefined {
  if (text === null) return undefined;
  let v: unknown;
  try { v = JSON.parse(text); } catch { throw new UndecodableRow('observed is not JSON'); }
  if (!Array.isArray(v) || v.length < 10) throw new UndecodableRow('observed is not a device');
  const word = (x: unknown): string => {
    const t = typeof x === 'number' ? w.text(x) : undefined;
    if (t === undefined) throw new UndecodableRow(`unknown word ${String(x)}`);
    return t;
  };
  const record = (x: unknown): Record<string, string> | undefined => {
    if (x === null) return undefined;
    if (!Array.isArray(x) || x.length % 2) throw new UndecodableRow('observed pairs');
    const r: Record<string, string> = {};
    for (let i = 0; i < x.length; i += 2) r[word(x[i])] = word(x[i + 1]);
    return r;
  };
  const [mac, type, mfr, model, zone, labels, online, activity, health, software, displayName, serial, rest] = v as unknown[];
  const o: Record<string, unknown> = { id };
  if (mac !== null) o.macAddress = mac;
  if (type !== null) o.deviceType = word(type);
  if (mfr !== null) o.manufacturer = word(mfr);
  if (model !== null) o.model = word(model);
  if (zone !== null) o.timeZone = word(zone);
  if (displayName !== undefined && displayName !== null) o.displayName = displayName;
  if (serial !== undefined && serial !== null) o.serialNumber = serial;
  const l = record(labels);
  if (l) o.labels = l;
  if (online !== null) o.online = online === 1;
  if (activity !== null) o.activityState = word(activity);
  if (health !== null) o.healthStatus = word(health);
  o.software = record(software) ?? {};
  if (rest && typeof rest === 'object') Object.assign(o, rest);
  return o as unknown as FleetDevice;
}

export function encodePending(p: PendingIntent[] | undefined): string | null {
  return p && p.length ? JSON.stringify(p) : null;
}
export function decodePending(text: string | null): PendingIntent[] | undefined {
  if (text === null) return undefined;
  let v: unknown;
  try { v = JSON.parse(text); } catch { throw new UndecodableRow('pending is not JSON'); }
  if (!Array.isArray(v)) throw new UndecodableRow('pending is not a list');
  return v as PendingIntent[];
}

/** The record in the field order the reconciler writes (orderRecord), history oldest first. */
export function assemble(id: string, plan: DeviceRecord, pending: PendingIntent[] | undefined, observed: FleetDevice | undefined, history: HistoryEntry[]): DeviceRecord {
  history.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.operationId < b.operationId ? -1 : 1));
  return {
    ...otherFields(plan),
    id, ...(plan.group !== undefined ? { group: plan.group } : {}), ...(plan.phase !== undefined ? { phase: plan.phase } : {}),
    ...(plan.ring !== undefined ? { ring: plan.ring } : {}), ...(plan.maintenanceWindow !== undefined ? { maintenanceWindow: plan.maintenanceWindow } : {}),
    ...(plan.components ? { components: plan.components } : {}), ...(pending ? { pending } : {}), ...(observed ? { observed } : {}), history,
  };
}
