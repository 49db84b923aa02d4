// Stable JSON for `-o json`: the same value gives the same bytes whatever order its objects' keys
// were built in (DESIGN.md section 5: the same inputs give byte-identical JSON).
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

/** Key orders by object shape: a plan has a handful of shapes repeated for every device. */
const orderByShape = new Map<string, string[]>();
function orderedKeys(value: object): string[] {
  const keys = Object.keys(value);
  const shape = keys.join('\u0000');
  let order = orderByShape.get(shape);
  if (!order) {
    order = [...keys].sort(compareKeys);
    if (orderByShape.size < 10_000) orderByShape.set(shape, order);
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
