// Stable JSON for `-o json`: the same value gives the same bytes whatever order its objects' keys
// were built in (docs/design.md section 5: the same inputs give byte-identical JSON).
// Keys a reader looks for first (`id`, `component`, versions, `state`) come first in a fixed order;
// every other key follows alphabetically. Arrays keep their order: the planner's order is meaningful.

const LEADING_KEYS = [
  'at', 'revision', 'before', 'after', 'summary', 'assignments', 'updates', 'release',
  'id', 'deviceId', 'name', 'kind', 'component', 'version', 'field', 'from', 'to', 'change',
  'group', 'phase', 'ring', 'maintenanceWindow',
  'currentVersion', 'fromVersion', 'targetVersion', 'toVersion', 'state', 'reason', 'message', 'notBefore', 'shiftMs',
  'operations', 'startsAt', 'endsAt', 'devices', 'updated', 'failed', 'share',
  'releases', 'updatePaths', 'findings', 'eligibleDevices', 'stages', 'adoption', 'notes',
];
const RANK = new Map(LEADING_KEYS.map((k, i) => [k, i]));

function compareKeys(a: string, b: string): number {
  const ra = RANK.get(a) ?? LEADING_KEYS.length;
  const rb = RANK.get(b) ?? LEADING_KEYS.length;
  if (ra !== rb) return ra - rb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Key orders by object shape: a plan has a handful of shapes repeated for every device. Shapes are found by
 * their key count and first key, then compared key by key, so looking one up allocates nothing.
 */
const orderByShape = new Map<string, { keys: string[]; order: string[] }[]>();
let shapeCount = 0;
function orderedKeys(value: object): string[] {
  const keys = Object.keys(value);
  const bucketKey = `${keys.length}\u0000${keys[0] ?? ''}`;
  let bucket = orderByShape.get(bucketKey);
  if (bucket) {
    for (const shape of bucket) {
      let same = true;
      for (let i = 1; i < keys.length; i++) if (shape.keys[i] !== keys[i]) { same = false; break; }
      if (same) return shape.order;
    }
  }
  const order = [...keys].sort(compareKeys);
  if (shapeCount < 10_000) {
    if (!bucket) orderByShape.set(bucketKey, (bucket = []));
    bucket.push({ keys, order });
    shapeCount++;
  }
  return order;
}

/** Rebuilds plain objects with their keys in the stable order; drops `undefined` as JSON does. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : canonical(v)));
  if (value !== null && typeof value === 'object') {
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonical((value as { toJSON(): unknown }).toJSON());
    const out: Record<string, unknown> = {};
    for (const key of orderedKeys(value)) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined && typeof v !== 'function') out[key] = canonical(v);
    }
    return out;
  }
  return value;
}

/** Two-space indented, newline-terminated, keys in the stable order. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(canonical(value), null, 2) + '\n';
}

/**
 * The chunks of stableStringify(value), byte for byte: objects and arrays down to `depth` levels are opened
 * and closed here, and each value below is stringified alone. A plan of 100,000 devices (135 MB of JSON)
 * is then written device by device instead of being built as one string first.
 */
const BATCH = 250;
const WRAP_HEAD = '{\n  "k": [\n';
const WRAP_TAIL = '\n  ]\n}';

export function* stableJsonChunks(value: unknown, depth = 2, indent = ''): Generator<string> {
  const inner = indent + '  ';
  if (depth > 0 && Array.isArray(value) && value.length > 0 && indent === '  ' && depth === 1) {
    // An array under a top-level key (a plan's devices): its items are stringified 250 at a time as
    // `{"k": [items]}`, which indents them exactly as the whole document would, then cut out of that wrapper.
    yield '[\n';
    for (let i = 0; i < value.length; i += BATCH) {
      const batch = value.slice(i, i + BATCH).map((v) => (v === undefined ? null : canonical(v)));
      const wrapped = JSON.stringify({ k: batch }, null, 2);
      yield wrapped.slice(WRAP_HEAD.length, wrapped.length - WRAP_TAIL.length);
      yield i + BATCH < value.length ? ',\n' : '\n';
    }
    yield `${indent}]`;
    return;
  }
  if (depth > 0 && Array.isArray(value) && value.length > 0) {
    yield '[\n';
    for (let i = 0; i < value.length; i++) {
      yield inner;
      yield* stableJsonChunks(value[i] === undefined ? null : value[i], depth - 1, inner);
      yield i < value.length - 1 ? ',\n' : '\n';
    }
    yield `${indent}]`;
    return;
  }
  if (depth > 0 && value !== null && typeof value === 'object' && !Array.isArray(value) && typeof (value as { toJSON?: unknown }).toJSON !== 'function') {
    // The keys as canonical() leaves them: built by assignment, so integer-like keys come first as in any
    // JS object, and the same keys are dropped.
    const built: Record<string, true> = {};
    for (const k of orderedKeys(value)) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined && typeof v !== 'function') built[k] = true;
    }
    const keys = Object.keys(built);
    if (keys.length > 0) {
      yield '{\n';
      for (let i = 0; i < keys.length; i++) {
        yield `${inner}${JSON.stringify(keys[i])}: `;
        yield* stableJsonChunks((value as Record<string, unknown>)[keys[i]!], depth - 1, inner);
        yield i < keys.length - 1 ? ',\n' : '\n';
      }
      yield `${indent}}`;
      return;
    }
  }
  const text = JSON.stringify(canonical(value), null, 2);
  yield indent === '' ? text : text.replaceAll('\n', `\n${indent}`);
}

/** Writes stableStringify(value) to `out` in pieces of about 64 KiB, waiting when the reader is slower. */
export async function writeStableJson(value: unknown, out: NodeJS.WritableStream): Promise<void> {
  let buf = '';
  const flush = async (): Promise<void> => {
    const chunk = buf;
    buf = '';
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
  };
  for (const chunk of stableJsonChunks(value)) {
    buf += chunk;
    if (buf.length >= 65_536) await flush();
  }
  buf += '\n';
  await flush();
}
