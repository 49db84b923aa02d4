// Invariants of the simulated fleet whatever happens to it (fast-check): one update in flight per device,
// operations only move forward, timestamps are ordered, a device only ever runs its original version or
// one a successful update installed, a downgrade is never accepted, and no update starts at or after its
// start deadline (one still queued then is cancelled with WindowMissed at that instant).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import type { OperationStatus } from '../../controller/api/types.ts';
import { IN_FLIGHT_STATUSES } from '../../controller/api/types.ts';
import { compareVersions } from '../../controller/api/version.ts';
import { DriverError } from '../../controller/drivers/driver.ts';
import { ManualClock } from '../../controller/util/clock.ts';
import { Simulator } from '../../controller/drivers/simulator/simulator.ts';

const DEVICES = ['a', 'b', 'c'];
const VERSIONS = ['2.0', '2.1', '3.0'];
const RANK: Record<OperationStatus, number> = { queued: 0, scheduled: 0, inProgress: 1, successful: 2, failed: 2, cancelled: 2 };

type Action =
  | { kind: 'start'; device: string; version: string; deadlineMinutes: number | null }
  | { kind: 'advance'; minutes: number }
  | { kind: 'online'; device: string; online: boolean | undefined }
  | { kind: 'diagnostics'; device: string };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant('start' as const), device: fc.constantFrom(...DEVICES), version: fc.constantFrom(...VERSIONS),
    deadlineMinutes: fc.option(fc.integer({ min: 0, max: 300 })),
  }),
  fc.record({ kind: fc.constant('advance' as const), minutes: fc.integer({ min: 0, max: 600 }) }),
  fc.record({ kind: fc.constant('online' as const), device: fc.constantFrom(...DEVICES), online: fc.constantFrom(true, false, undefined) }),
  fc.record({ kind: fc.constant('diagnostics' as const), device: fc.constantFrom(...DEVICES) }),
);

test('whatever happens, updates stay one per device, move forward, and versions come from successful updates', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(action, { maxLength: 60 }), fc.integer({ min: 1, max: 1000 }), async (actions, seed) => {
      const clock = new ManualClock('2026-11-23T07:00:00Z');
      const sim = new Simulator({
        fleet: { devices: DEVICES.map((id) => ({ id, deviceType: 'teamsRoom' as const, manufacturer: 'Logitech', model: 'Tap', timeZone: 'Europe/Paris', software: { firmware: '1.0' } })),
          releases: VERSIONS.map((version) => ({ component: 'firmware' as const, version, releasedAt: '2026-10-01T00:00:00Z', label: 'verified' as const })),
        },
        clock,
        seed,
        behaviour: {
          failureRate: 0.3, offlineRate: 0.3, rollbackRate: 0.3, busyDuringMeetings: 0.5, installDuration: { min: '10m', max: '3h' }, rollbackAfter: '1h',
          queueDelay: '45m',
        },
      });
      const seenStatus = new Map<string, number>();
      for (const a of actions) {
        if (a.kind === 'start') {
          const inFlightBefore = sim.operations(a.device).some((o) => o.operationType === 'softwareUpdate' && IN_FLIGHT_STATUSES.includes(o.status));
          const downgrade = compareVersions(a.version, sim.device(a.device)!.software.firmware!) < 0;
          const startBy = a.deadlineMinutes === null ? undefined : new Date(clock.now().getTime() + a.deadlineMinutes * 60_000).toISOString();
          try {
            const r = await sim.startUpdate({ deviceId: a.device, component: 'firmware', version: a.version, ...(startBy ? { startBy } : {}) });
            assert.ok(!downgrade, `${a.version} over ${sim.device(a.device)!.software.firmware} is a downgrade and was accepted`);
            assert.is(r.accepted, !inFlightBefore, 'accepted exactly when nothing was in flight');
          } catch (err) {
            assert.ok(downgrade && (err as DriverError).refusal === 'DowngradeRefused', `refused: ${(err as Error).message}`);
          }
        } else if (a.kind === 'advance') clock.advance(a.minutes * 60_000);
        else if (a.kind === 'online') await sim.setOnline(a.device, a.online);
        else await sim.runDiagnostics(a.device);

        for (const device of sim.inventory()) {
          const ops = sim.operations(device.id);
          const updates = ops.filter((o) => o.operationType === 'softwareUpdate');
          assert.ok(updates.filter((o) => IN_FLIGHT_STATUSES.includes(o.status)).length <= 1, 'one update in flight per device');
          const installed = new Set(['1.0', ...updates.filter((o) => o.status === 'successful').map((o) => o.toVersion!)]);
          assert.ok(installed.has(device.software.firmware!), `${device.id} runs ${device.software.firmware}, which nothing installed`);
          for (const o of ops) {
            const rank = RANK[o.status];
            assert.ok(rank >= (seenStatus.get(o.id) ?? 0), `${o.id} went back to ${o.status}`);
            seenStatus.set(o.id, rank);
            const created = Date.parse(o.createdAt);
            if (o.startedAt) assert.ok(Date.parse(o.startedAt) >= created);
            if (o.startedAt && o.startBy) assert.ok(o.startedAt < o.startBy, `${o.id} started at ${o.startedAt}, at or after its deadline ${o.startBy}`);
            if (o.status === 'cancelled') {
              assert.is(o.error?.code, 'WindowMissed');
              assert.is(o.completedAt, o.startBy, 'cancelled at its deadline');
              assert.is(o.startedAt, undefined);
            } else if (o.completedAt) assert.ok(Date.parse(o.completedAt) >= Date.parse(o.startedAt!));
            assert.is(o.completedAt !== undefined, RANK[o.status] === 2, 'completed exactly when finished');
          }
        }
      }
    }),
    { numRuns: 60 },
  );
});

test.run();
