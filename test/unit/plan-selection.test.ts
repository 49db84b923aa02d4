// `plan --device/--group/--changed-only` (controller/cli/plan-selection.ts) and the streamed `-o json`
// (controller/cli/format/json.ts writeStableJson): narrowing shows less but decides nothing differently,
// and the streamed JSON is the same bytes as the one-string JSON.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { generateFleet } from '../../bench/support/fleetgen.ts';
import { UsageError } from '../../controller/cli/errors.ts';
import { stableJsonChunks, stableStringify, writeStableJson } from '../../controller/cli/format/json.ts';
import { formatDiffMarkdown, formatPlanMarkdown } from '../../controller/cli/format/markdown.ts';
import { formatPlanTable } from '../../controller/cli/format/table.ts';
import { liveNote, narrowPlan, selectedIds, type PlanSelection } from '../../controller/cli/plan-selection.ts';
import { diffPlans } from '../../controller/planner/diff.ts';
import { isUpToDate } from '../../controller/planner/outcomes.ts';
import type { ComponentPlan, Plan } from '../../controller/planner/types.ts';
import { plan as makePlan } from '../../controller/planner/index.ts';

const { desired, observed, now } = generateFleet(3000);
const whole = makePlan(desired, observed, now);
const groups = desired.deviceGroups.map((g) => g.metadata.name);
const sel = (s: Partial<PlanSelection>): PlanSelection => ({ deviceIds: [], groups: [], changedOnly: false, ...s });
const narrow = (s: Partial<PlanSelection>) => narrowPlan(whole, selectedIds([whole], sel(s), groups), sel(s));

async function streamed(value: unknown, highWaterMark = 1024): Promise<string> {
  const out = new PassThrough({ highWaterMark });
  const chunks: Buffer[] = [];
  const done = writeStableJson(value, out);
  // A slow reader: the writer must wait for 'drain' and still produce every byte in order.
  for await (const c of out) {
    chunks.push(c as Buffer);
    if (chunks.length % 7 === 0) await new Promise((r) => setTimeout(r, 1));
    if (Buffer.concat(chunks).toString().endsWith('}\n')) break;
  }
  await done;
  return Buffer.concat(chunks).toString();
}

test('streamed plan JSON is byte-identical to the one-string JSON, with a slow reader', async () => {
  const text = await streamed(whole);
  assert.ok(text.length > 1_000_000, `${text.length} bytes`);
  assert.ok(text === stableStringify(whole), 'streamed bytes differ');
});

test('the chunked writer gives stableStringify bytes for any JSON value', () => {
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 5 }), fc.integer({ min: 0, max: 4 }), (v, depth) => {
    assert.is([...stableJsonChunks(v, depth)].join('') + '\n', stableStringify(v));
  }), { numRuns: 500, seed: 5 });
  const withHoles = { b: [1, undefined, { z: undefined, a: new Date(0) }], a: undefined, f: () => 1 };
  assert.is([...stableJsonChunks(withHoles)].join('') + '\n', stableStringify(withHoles));
});

test('--device shows that device and its operations, planned exactly as in the whole-fleet plan', () => {
  const op = whole.operations[0]!;
  const other = whole.devices.find((d) => d.id !== op.deviceId)!;
  const shown = narrow({ deviceIds: [op.deviceId, other.id] });
  assert.equal(shown.devices.map((d) => d.id).sort(), [op.deviceId, other.id].sort());
  for (const d of shown.devices) assert.equal(d, whole.devices.find((w) => w.id === d.id));
  assert.equal(shown.operations, whole.operations.filter((o) => o.deviceId === op.deviceId || o.deviceId === other.id));
  assert.equal(shown.releases, whole.releases);
  assert.equal(shown.selection, { shown: 2, of: 3000, devices: [op.deviceId, other.id] });
  assert.match(formatPlanTable(shown, { color: false }), `Showing 2 of 3,000 devices (--device ${op.deviceId}, --device ${other.id})`);
});

test('--group and --changed-only keep the group\'s devices with something pending', () => {
  const inHq = whole.devices.filter((d) => d.group === 'hq');
  assert.ok(inHq.some(isUpToDate) && inHq.some((d) => !isUpToDate(d)), 'the fixture has both kinds in hq');
  const shown = narrow({ groups: ['hq'], changedOnly: true });
  assert.equal(shown.devices.map((d) => d.id), inHq.filter((d) => !isUpToDate(d)).map((d) => d.id));
  assert.ok(shown.operations.every((o) => shown.devices.some((d) => d.id === o.deviceId)));
  assert.match(formatPlanMarkdown(shown), 'Showing');
  assert.match(formatPlanMarkdown(shown), '--group hq, --changed-only');
});

test('an unknown device or group is a usage error naming it; nothing narrowed means the plan as it is', () => {
  assert.throws(() => narrow({ deviceIds: ['dev-0000001', 'no-such-phone'] }), (e: unknown) => e instanceof UsageError && e.message === '--device: no device "no-such-phone" in the fleet (3000 devices)');
  assert.throws(() => narrow({ groups: ['hq', 'hqq'] }), (e: unknown) => e instanceof UsageError && /^--group: no DeviceGroup "hqq" in the config \(groups: canary-rooms, exec-rooms, execs, hq, /.test(e.message));
  assert.is(narrow({}), whole);
});

test('a narrowed diff lists only the selected devices\' changes and says so', () => {
  const moved = generateFleet(3000);
  moved.desired.deviceGroups = moved.desired.deviceGroups.map((g) => g.metadata.name === 'hq' ? { ...g, spec: { ...g.spec, maintenanceWindow: 'nights' } } : g);
  const after = makePlan(moved.desired, observed, now);
  const s = sel({ groups: ['hq'] });
  const ids = selectedIds([whole, after], s, groups);
  const full = diffPlans(whole, after);
  const narrowed = diffPlans(narrowPlan(whole, ids, s), narrowPlan(after, ids, s));
  assert.ok(full.assignments.length > 0);
  assert.equal(narrowed.assignments, full.assignments.filter((a) => ids!.has(a.deviceId)));
  assert.equal(narrowed.updates, full.updates.filter((u) => ids!.has(u.deviceId)));
  const md = formatDiffMarkdown({ ...narrowed, selection: narrowPlan(after, ids, s).selection } as typeof narrowed);
  assert.match(md, /Showing \d[\d,]* of 3,000 devices \(--group hq\)/);
});

test('the live note counts components by their outcome: a rolled-back one and one blocked by a paused release are held', () => {
  const c = (state: ComponentPlan['state'], reason: string): ComponentPlan => ({ component: 'firmware', currentVersion: '1', targetVersion: '2', state, reason, notBefore: null });
  const p: Plan = {
    ...whole, devices: [
      { id: 'a', group: null, phase: null, ring: 'General', maintenanceWindow: 'default-rooms', components: [c('InProgress', 'OperationInFlight'), c('Failed', 'RetryBackoff')] },
      { id: 'b', group: null, phase: null, ring: 'General', maintenanceWindow: 'default-rooms', components: [c('Held', 'RolledBack'), c('Blocked', 'ReleasePaused')] },
      { id: 'c', group: null, phase: null, ring: 'General', maintenanceWindow: 'default-rooms', components: [c('Blocked', 'ManualOnlyComponent'), c('Held', 'FailureHold')] },
    ],
  };
  assert.equal(liveNote(p, '2026-11-23T16:00:00Z'), { observedAt: '2026-11-23T16:00:00Z', devices: 3, inFlight: 1, failed: 1, held: 3 });
});

test.run();
