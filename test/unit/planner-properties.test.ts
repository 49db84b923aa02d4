// Invariants of the planner, checked on generated fleets and configs (fast-check):
//  - no operation starts outside a window, in device-local time (checked with luxon DateTime, a
//    separate code path from the planner's calendar), across DST changes in several zones;
//  - none before releasedAt + the phase deferral (or the ring start);
//  - none for a device on an unknown version (unless a person asked), none skipping a minimumVersion;
//  - nothing planned for a component with an operation in flight; notBefore never before now;
//  - the same inputs give byte-identical JSON, whatever the order of devices.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { plan } from '../../controller/planner/index.ts';
import { BUILTIN_PHASES } from '../../controller/api/builtins.ts';
import { WEEKDAYS, type DeviceOperation, type FleetDevice, type FleetwardObject, type MaintenanceWindowSpec, type SoftwareReleaseSpec, type Weekday } from '../../controller/api/types.ts';
import { compareVersions } from '../../controller/api/version.ts';
import { aGroup, aPhase, aPolicy, aRing, aSoftwareUpdate, aWindow, config } from '../support/builders.ts';
import type { Plan } from '../../controller/planner/types.ts';
import { DEFAULT_ROOM_WINDOW, DEFAULT_ROOM_WINDOW_NAME, DEFAULT_WINDOW } from '../../controller/api/builtins.ts';

const ZONES = ['Europe/London', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'Europe/Paris', 'UTC'];
// Instants close to DST changes in those zones (spring and autumn, both hemispheres).
const DST_EDGES = ['2026-03-08T07:00:00Z', '2026-03-29T01:00:00Z', '2026-04-05T16:00:00Z', '2026-10-04T16:00:00Z', '2026-10-25T01:00:00Z', '2026-11-01T06:00:00Z', '2027-03-14T07:00:00Z', '2027-03-28T01:00:00Z'].map(Date.parse);
const DAY = 86_400_000;

const arbWindow: fc.Arbitrary<MaintenanceWindowSpec> = fc.record({
  startQ: fc.integer({ min: 0, max: 95 }),
  lengthQ: fc.integer({ min: 12, max: 40 }),
  days: fc.subarray([...WEEKDAYS], { minLength: 1 }),
  fixed: fc.option(fc.constantFrom(...ZONES), { freq: 4 }),
}).map(({ startQ, lengthQ, days, fixed }) => {
  const hhmm = (q: number) => `${String(Math.floor((q % 96) / 4)).padStart(2, '0')}:${String((q % 4) * 15).padStart(2, '0')}`;
  return { start: hhmm(startQ), end: hhmm(startQ + lengthQ), days: days as Weekday[], ...(fixed ? { timeZone: fixed } : {}) };
});

interface World { objects: FleetwardObject[]; devices: FleetDevice[]; releases: SoftwareReleaseSpec[]; operations: DeviceOperation[]; now: number }

const arbWorld: fc.Arbitrary<World> = fc.record({
  now: fc.tuple(fc.constantFrom(...DST_EDGES), fc.integer({ min: -3 * 24, max: 3 * 24 })).map(([t, h]) => t + h * 3_600_000),
  windows: fc.array(arbWindow, { minLength: 1, maxLength: 3 }),
  releaseAges: fc.array(fc.integer({ min: -10, max: 200 }), { minLength: 2, maxLength: 6 }),
  labels: fc.array(fc.constantFrom('verified', 'verified', 'verified', 'preview', 'blocked'), { minLength: 6, maxLength: 6 }),
  minimums: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  critical: fc.boolean(),
  paused: fc.option(fc.integer({ min: -20, max: 5 }), { freq: 4 }),
  manual: fc.option(fc.record({
    version: fc.integer({ min: 0, max: 6 }),
    schedule: fc.constantFrom('now', 'nextMaintenanceWindow', 'at'),
    force: fc.boolean(),
    group: fc.integer({ min: 0, max: 3 }),
  }), { freq: 3 }),
  devices: fc.array(fc.record({
    zone: fc.constantFrom(...ZONES),
    room: fc.boolean(),
    version: fc.integer({ min: 0, max: 6 }),
    group: fc.integer({ min: 0, max: 4 }),
    activity: fc.constantFrom('idle', 'idle', 'idle', 'busy', 'offline'),
    op: fc.constantFrom('none', 'none', 'none', 'failed', 'inProgress', 'queued'),
  }), { minLength: 1, maxLength: 25 }),
}).map((g) => {
  const versions = g.releaseAges.map((_, i) => `7.${i + 1}.0.${10 * (i + 1)}`);
  const releasesSorted = [...g.releaseAges].sort((a, b) => b - a); // older first
  const releases: SoftwareReleaseSpec[] = versions.map((version, i) => ({
    component: 'firmware', version, releasedAt: new Date(g.now - releasesSorted[i]! * DAY).toISOString(),
    label: g.labels[i] === 'preview' ? 'preview' : 'verified',
    ...(g.labels[i] === 'blocked' ? { blocked: { reason: 'test' } } : {}),
    ...(g.minimums[i] && i >= 2 ? { minimumVersion: versions[i - 1] } : {}),
    ...(i === versions.length - 1 && g.critical ? { critical: true } : {}),
  }));
  const objects: FleetwardObject[] = [
    ...g.windows.map((w, i) => aWindow(`w${i}`, w)),
    aPhase('Quick', { deferrals: { firmware: '3d' }, rolloutDuration: '2d' }),
    aRing('Canary', { order: 1, rolloutDuration: '1d', testPeriod: '1d' }),
    aGroup('g0', { selector: { matchLabels: { g: '0' } }, updatePhase: 'Validation', maintenanceWindow: 'w0' }),
    aGroup('g1', { selector: { matchLabels: { g: '1' } }, updatePhase: 'Quick', maintenanceWindow: `w${1 % g.windows.length}` }),
    aGroup('g2', { selector: { matchLabels: { g: '2' } }, ring: 'Canary', maintenanceWindow: `w${2 % g.windows.length}` }),
    aGroup('g3', { selector: { matchLabels: { g: '3' } }, ring: 'General' }),
  ];
  if (g.paused !== null) objects.push(aPolicy({ autoUpdates: { pausedAt: new Date(g.now + g.paused * DAY).toISOString() } }));
  if (g.manual) {
    const m = g.manual;
    objects.push(aSoftwareUpdate('manual', {
      target: { group: `g${m.group}` }, component: 'firmware', force: m.force,
      version: m.version >= versions.length ? 'latest' : versions[m.version]!,
      schedule: m.schedule === 'at' ? { at: new Date(g.now + 2 * DAY).toISOString().slice(0, 16), timeZone: 'Europe/London' } : m.schedule as 'now' | 'nextMaintenanceWindow',
    }));
  }
  const operations: DeviceOperation[] = [];
  const devices: FleetDevice[] = g.devices.map((d, i) => {
    const id = `d${String(i).padStart(3, '0')}`;
    const current = d.version === 6 || d.version >= versions.length ? '6.6.6.6' /* unknown */ : versions[d.version]!;
    if (d.op !== 'none') {
      operations.push({ id: `op${i}`, deviceId: id, operationType: 'softwareUpdate', component: 'firmware', toVersion: versions.at(-1)!, status: d.op as DeviceOperation['status'],
        createdAt: new Date(g.now - 3_600_000).toISOString(), startedAt: new Date(g.now - 3_600_000).toISOString(), ...(d.op === 'failed' ? { completedAt: new Date(g.now - 1_800_000).toISOString() } : {}) });
    }
    return {
      id, deviceType: d.room ? 'teamsRoom' : 'ipPhone', manufacturer: 'Acme', model: 'X1', timeZone: d.zone,
      labels: { g: String(d.group) }, online: d.activity !== 'offline', activityState: d.activity as FleetDevice['activityState'], software: { firmware: current },
    };
  });
  return { objects, devices, releases, operations, now: g.now };
});

/** Devices a SoftwareUpdate of the world targets: their decisions follow the manual rules, not these. */
function manualTargets(w: World, p: Plan): Set<string> {
  const groups = new Set(w.objects.filter((o) => o.kind === 'SoftwareUpdate').map((o) => (o.spec as { target: { group?: string } }).target.group));
  return new Set(p.devices.filter((d) => groups.has(d.group ?? undefined)).map((d) => d.id));
}

function run(w: World, devices = w.devices): Plan {
  return plan(config(...w.objects), { devices, releases: w.releases, operations: w.operations }, new Date(w.now));
}

/**
 * Is `t` inside a window of `spec` for a device in `zone`? Computed with luxon DateTime, a separate code
 * path from the planner's calendar. (luxon resolves an ambiguous local time — the repeated hour when
 * clocks go back — with a guess that depends on today's date, so the wall-clock test comes first.)
 */
function insideWindow(spec: MaintenanceWindowSpec, zone: string, t: number): boolean {
  const z = spec.timeZone && spec.timeZone !== 'device' ? spec.timeZone : zone;
  const [sh, sm] = spec.start.split(':').map(Number) as [number, number];
  const [eh, em] = spec.end.split(':').map(Number) as [number, number];
  const crosses = eh * 60 + em <= sh * 60 + sm;
  const local = DateTime.fromMillis(t, { zone: z });
  const days = spec.days ?? ['Sunday'];
  // Wall clock: the local time of t is between start and end on a window day (or the day after, across midnight).
  const m = local.hour * 60 + local.minute;
  const today = days.includes(WEEKDAYS[local.weekday - 1]!);
  const yesterday = days.includes(WEEKDAYS[(local.weekday + 5) % 7]!);
  if (!crosses && today && m >= sh * 60 + sm && m < eh * 60 + em) return true;
  if (crosses && ((today && m >= sh * 60 + sm) || (yesterday && m < eh * 60 + em))) return true;
  // Or inside [open, close) as luxon resolves the local times (an opening in a DST gap moves forward).
  for (const back of [0, 1, 2]) {
    const day = local.minus({ days: back }).startOf('day');
    if (!(spec.days ?? ['Sunday']).includes(WEEKDAYS[day.weekday - 1]!)) continue;
    const open = DateTime.fromObject({ year: day.year, month: day.month, day: day.day, hour: sh, minute: sm }, { zone: z }).toMillis();
    const endDay = crosses ? day.plus({ days: 1 }) : day;
    const close = DateTime.fromObject({ year: endDay.year, month: endDay.month, day: endDay.day, hour: eh, minute: em }, { zone: z }).toMillis();
    if (open <= t && t < close) return true;
  }
  return false;
}

const RUNS = { numRuns: 150 };
const AUTO = new Set(['PhaseRollout', 'RingRollout', 'RolloutSlot', 'PhaseDeferral', 'RingNotStarted', 'OutsideWindow', 'TenantPaused', 'RetryBackoff', 'RetryAfterFailure', 'OperationTimedOut', 'CatchUpUnsupported', 'DeviceBusy', 'DeviceOffline']);

test('no automatic operation starts outside a maintenance window, in device-local time, across DST changes', () => {
  fc.assert(fc.property(arbWorld, (w) => {
    const p = run(w);
    const manual = manualTargets(w, p);
    const windowOf = new Map(w.objects.filter((o) => o.kind === 'MaintenanceWindow').map((o) => [o.metadata.name, o.spec as MaintenanceWindowSpec]));
    for (const d of p.devices) {
      if (manual.has(d.id)) continue;
      const dev = w.devices.find((x) => x.id === d.id)!;
      const spec = windowOf.get(d.maintenanceWindow) ?? (d.maintenanceWindow === DEFAULT_ROOM_WINDOW_NAME ? DEFAULT_ROOM_WINDOW : DEFAULT_WINDOW);
      for (const c of d.components) {
        if (!c.notBefore || !AUTO.has(c.reason)) continue;
        assert.ok(insideWindow(spec, dev.timeZone, Date.parse(c.notBefore)), `${d.id} ${c.reason} ${c.notBefore} in ${d.maintenanceWindow} ${JSON.stringify(spec)} ${dev.timeZone}`);
      }
    }
  }), RUNS);
});

test('no automatic operation starts before releasedAt + the phase deferral, or before the ring start', () => {
  fc.assert(fc.property(arbWorld, (w) => {
    const p = run(w);
    const manual = manualTargets(w, p);
    for (const d of p.devices) {
      if (manual.has(d.id)) continue;
      for (const c of d.components) {
        // A room on an unsupported version catches up outside the ring order (seed 001): checked in planner-lifecycle.
        if (!c.notBefore || !c.targetVersion || !AUTO.has(c.reason) || (c.unsupported && d.ring)) continue;
        const r = w.releases.find((x) => x.version === c.targetVersion)!;
        const released = Date.parse(r.releasedAt);
        const t = Date.parse(c.notBefore);
        if (d.phase) {
          const deferral = d.phase === 'Quick' ? 3 * DAY : Number(BUILTIN_PHASES[d.phase as 'General'].deferrals.firmware!.replace('d', '')) * DAY;
          assert.ok(t >= released + deferral, `${d.id} ${d.phase} ${c.notBefore} before ${r.releasedAt} + deferral`);
        } else {
          const stage = p.releases.find((x) => x.version === r.version)!.stages.find((s) => s.kind === 'ring' && s.name === d.ring)!;
          assert.ok(t >= Date.parse(stage.startsAt!), `${d.id} ${d.ring} ${c.notBefore} before ring start ${stage.startsAt}`);
        }
        assert.ok(t >= w.now, 'never before now');
      }
    }
  }), RUNS);
});

test('no automatic operation for an unknown version; no operation skipping a minimumVersion, to a blocked release, downgrading, while one is in flight, or beside another for the same device', () => {
  fc.assert(fc.property(arbWorld, (w) => {
    const p = run(w);
    const inFlight = new Set(w.operations.filter((o) => ['queued', 'scheduled', 'inProgress'].includes(o.status) && Date.parse(o.startedAt ?? o.createdAt) + 4 * 3_600_000 > w.now).map((o) => o.deviceId));
    const issued = new Set<string>();
    for (const op of p.operations) {
      const r = w.releases.find((x) => x.version === op.toVersion)!;
      assert.ok(!r.blocked, `${op.toVersion} is not blocked`);
      // A person may update an unknown version, or to a preview release; automatic updates may not.
      if (!op.softwareUpdate) {
        assert.is.not(op.fromVersion, '6.6.6.6', `${op.deviceId} is on an unknown version`);
        assert.ok(r.label === 'verified', `${op.toVersion} is verified`);
      }
      if (r.minimumVersion) assert.ok(compareVersions(op.fromVersion!, r.minimumVersion) >= 0, `${op.deviceId}: ${op.fromVersion} → ${op.toVersion} skips ${r.minimumVersion}`);
      assert.ok(compareVersions(op.toVersion, op.fromVersion!) > 0, 'never a downgrade');
      assert.not.ok(inFlight.has(op.deviceId), `${op.deviceId} already has an operation in flight`);
      assert.not.ok(issued.has(op.deviceId), `${op.deviceId} gets a second operation in the same plan`);
      issued.add(op.deviceId);
    }
    const manual = manualTargets(w, p);
    for (const d of p.devices) {
      if (manual.has(d.id)) continue;
      for (const c of d.components) {
        if (c.currentVersion === '6.6.6.6' && c.state !== 'InProgress') assert.is(c.reason, 'UnknownVersion', d.id);
      }
    }
  }), RUNS);
});

test('the same inputs give byte-identical JSON, whatever the order of devices', () => {
  fc.assert(fc.property(arbWorld, fc.integer(), (w, seed) => {
    const a = JSON.stringify(run(w));
    assert.is(JSON.stringify(run(w)), a);
    const shuffled = [...w.devices].sort((x, y) => ((x.id.charCodeAt(3) * 31 + seed) % 7) - ((y.id.charCodeAt(3) * 31 + seed) % 7));
    assert.is(JSON.stringify(run(w, shuffled)), a);
  }), { numRuns: 60 });
});

test.run();
