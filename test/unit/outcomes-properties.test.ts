// Invariants of the outcome classification (issue 9 item 8), on generated fleets and histories run through
// the real planner (fast-check): failures, hung and in-flight operations, rollbacks, missed windows, devices
// offline after their update, paused rings, suspended groups, unknown versions, manual-only components.
//  - every device has exactly one outcome: no device is counted in two, none is left out;
//  - per group (DeviceGroup status) and per phase / ring (progress lines) the counts add up to the size;
//  - per release and stage, held and rolled-back devices are disjoint and within the stage's devices;
//  - a device is `updated` only when every component it has is current or not updated automatically by design.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import type { DeviceOperation, FleetDevice } from '../../controller/api/types.ts';
import { OUTCOMES, deviceOutcome, componentOutcome } from '../../controller/planner/outcomes.ts';
import { summarizeProgress } from '../../controller/reconciler/progress.ts';
import { groupStatus } from '../../controller/reconciler/reconciler.ts';
import { DAY, HOUR, NOW, aGroup, aRelease, aRing, aWindow, alwaysOpen, config, fleet, planAt } from '../support/builders.ts';
import { WEEKDAYS } from '../../controller/api/types.ts';

const VERSIONS = ['1.0.0.1', '1.0.0.2', '1.0.0.3', '9.9.9.9'];
const ago = (h: number) => new Date(NOW.getTime() - h * HOUR).toISOString();

const arbDevice = fc.record({
  room: fc.boolean(),
  group: fc.integer({ min: 0, max: 3 }),
  version: fc.integer({ min: 0, max: 3 }),
  online: fc.constantFrom(true, true, true, false),
  health: fc.constantFrom('healthy', 'healthy', 'critical'),
  agent: fc.boolean(),
  history: fc.array(fc.record({
    to: fc.integer({ min: 0, max: 2 }),
    status: fc.constantFrom('failed', 'failed', 'successful', 'inProgress', 'queued', 'cancelled', 'windowMissed'),
    hoursAgo: fc.integer({ min: 1, max: 400 }),
  }), { maxLength: 5 }),
});

const arbWorld = fc.record({
  devices: fc.array(arbDevice, { minLength: 1, maxLength: 30 }),
  threshold: fc.integer({ min: 0, max: 100 }),
  suspend: fc.boolean(),
  inFlight: fc.array(fc.integer({ min: 0, max: 29 }), { maxLength: 5 }),
});

test('every device has exactly one outcome, and the counts of each group, stage and release add up', () => {
  fc.assert(fc.property(arbWorld, (w) => {
    const devices: FleetDevice[] = [];
    const ops: DeviceOperation[] = [];
    w.devices.forEach((g, i) => {
      const id = `d${String(i).padStart(2, '0')}`;
      devices.push({
        id, deviceType: g.room ? 'teamsRoom' : 'ipPhone', manufacturer: 'Acme', model: 'M1', timeZone: 'UTC',
        online: g.online, activityState: g.online ? 'idle' : 'offline', healthStatus: g.health as FleetDevice['healthStatus'],
        labels: { g: String(g.group) },
        software: { firmware: VERSIONS[g.version]!, ...(g.agent ? { adminAgent: '2.0' } : {}) },
      });
      for (const [k, h] of g.history.entries()) {
        const at = ago(h.hoursAgo);
        const missed = h.status === 'windowMissed';
        ops.push({
          id: `${id}-op${k}`, deviceId: id, operationType: 'softwareUpdate', component: 'firmware', toVersion: VERSIONS[h.to]!,
          status: missed ? 'cancelled' : h.status as DeviceOperation['status'], createdAt: at, ...(missed ? {} : { startedAt: at }),
          ...(h.status !== 'inProgress' && h.status !== 'queued' ? { completedAt: ago(h.hoursAgo - 0.5) } : {}),
          ...(missed ? { error: { code: 'WindowMissed', message: 'the update had not started when its maintenance window ended' } } : {}),
        });
      }
    });
    const objects = [
      alwaysOpen(),
      aWindow('night', { start: '02:00', end: '05:00', days: [...WEEKDAYS] }),
      aRing('Staging', { order: 1, rolloutDuration: '1d', testPeriod: '2d', failureThreshold: w.threshold }),
      ...[0, 1, 2, 3].map((n) => aGroup(`g${n}`, {
        selector: { matchLabels: { g: String(n) } }, maintenanceWindow: n >= 2 ? 'night' : 'always',
        ...(n % 2 ? { ring: 'Staging' } : { updatePhase: 'Validation' }), ...(n === 3 && w.suspend ? { suspend: true } : {}),
      })),
    ];
    const releases = [aRelease('firmware', '1.0.0.1', { daysAgo: 300 }), aRelease('firmware', '1.0.0.2', { daysAgo: 20 }), aRelease('firmware', '1.0.0.3', { at: new Date(NOW.getTime() - 2 * DAY).toISOString() })];
    const p = planAt(config(...objects), fleet(devices, releases, ops));
    const busy = new Set(w.inFlight.map((i) => `d${String(i).padStart(2, '0')}`));

    // One outcome per device, from the list.
    const outcome = new Map(p.devices.map((d) => [d.id, deviceOutcome(d, busy.has(d.id))]));
    assert.is(outcome.size, devices.length);
    for (const o of outcome.values()) assert.ok(OUTCOMES.includes(o));
    for (const d of p.devices) {
      if (outcome.get(d.id) === 'updated') assert.ok(d.components.every((c) => componentOutcome(c) === 'updated'), `${d.id} updated with work left`);
    }

    // Groups: counts add up to the group size; the listed devices are those failed, held or rolled back.
    for (const n of [0, 1, 2, 3]) {
      const members = p.devices.filter((d) => d.group === `g${n}`);
      const { fields } = groupStatus(p, `g${n}`, busy);
      const sum = (['upToDate', 'progressing', 'waiting', 'failed', 'held', 'rolledBack', 'windowMissed'] as const).reduce((a, k) => a + (fields[k] as number), 0);
      assert.is(fields.devices, members.length);
      assert.is(sum, members.length, `group g${n}: ${JSON.stringify(fields)}`);
      const attention = members.filter((d) => ['failed', 'held', 'rolledBack'].includes(outcome.get(d.id)!)).map((d) => d.id).sort();
      assert.equal(fields.failedDevices ?? [], attention);
    }

    // Progress lines: per stage the counts add up, and over the stages to the fleet.
    const summary = summarizeProgress(p, [], 0, busy);
    let total = 0;
    for (const s of summary.stages) {
      assert.is(OUTCOMES.reduce((a, o) => a + s[o], 0), s.devices, `${s.kind} ${s.name}`);
      total += s.devices;
    }
    assert.is(total, devices.length);

    // Releases: held and rolled-back devices are disjoint, and no stage counts more than it has.
    for (const r of p.releases) {
      const held = new Set(r.heldDevices ?? []);
      for (const id of r.rolledBackDevices ?? []) assert.not.ok(held.has(id), `${id} both held and rolled back for ${r.version}`);
      for (const s of r.stages) assert.ok((s.held ?? 0) + (s.rolledBack ?? 0) + (s.inProgress ?? 0) <= s.devices, `${r.version} ${s.name}`);
    }
  }), { numRuns: 300, seed: 9 });
});

test.run();
