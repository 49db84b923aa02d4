// The live fleet from device records (controller/cli/live-fleet.ts): what `plan --state` tells the planner.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FleetDevice } from '../../controller/api/types.ts';
import { fleetFromRecords } from '../../controller/cli/live-fleet.ts';
import type { DeviceRecord } from '../../controller/store/records.ts';

const device = (id: string): FleetDevice => ({
  id, deviceType: 'ipPhone', manufacturer: 'Yealink', model: 'MP58', timeZone: 'UTC', software: { firmware: '122.15.0.52' },
});
const catalog = [{ component: 'firmware' as const, version: '122.15.0.58', releasedAt: '2026-11-13T12:00:00Z', label: 'verified' as const }];

test('history entries become the driver-shaped operations the planner reads, without what only Fleetward knows', () => {
  const rec: DeviceRecord = {
    id: 'p1', observed: device('p1'),
    history: [{
      operationId: 'op-1', operationType: 'softwareUpdate', component: 'firmware', fromVersion: '122.15.0.52', toVersion: '122.15.0.58',
      status: 'failed', createdAt: '2026-11-23T12:00:00Z', completedAt: '2026-11-23T13:01:00Z', error: { code: 'InstallFailed', message: 'no' },
      reason: 'Due', revision: 'sha256:abc', issuedBy: 'fleetward', diagnostics: { operationId: 'op-2', status: 'successful' },
    }],
  };
  const live = fleetFromRecords([rec], catalog, '2026-11-23T16:00:00Z');
  assert.equal(live.fleet, { devices: [device('p1')], releases: catalog });
  assert.equal(live.operations, [{
    id: 'op-1', deviceId: 'p1', operationType: 'softwareUpdate', status: 'failed', createdAt: '2026-11-23T12:00:00Z',
    component: 'firmware', fromVersion: '122.15.0.52', toVersion: '122.15.0.58', completedAt: '2026-11-23T13:01:00Z',
    error: { code: 'InstallFailed', message: 'no' },
  }]);
  assert.is(live.withoutInventory, 0);
});

test('an update Fleetward was about to start counts as queued; a record without inventory is counted, not planned', () => {
  const live = fleetFromRecords([
    { id: 'p1', observed: device('p1'), pending: [{ component: 'firmware', toVersion: '122.15.0.58', reason: 'Due', revision: 'r', forced: true }], history: [] },
    { id: 'old', history: [{ operationId: 'x', operationType: 'softwareUpdate', status: 'inProgress', createdAt: '2026-11-01T00:00:00Z', issuedBy: 'fleetward' }] },
  ], catalog, '2026-11-23T16:00:00Z');
  assert.equal(live.fleet.devices.map((d) => d.id), ['p1']);
  assert.equal(live.operations, [{
    id: 'pending:p1:firmware', deviceId: 'p1', operationType: 'softwareUpdate', component: 'firmware', toVersion: '122.15.0.58',
    status: 'queued', createdAt: '2026-11-23T16:00:00Z', forced: true,
  }]);
  assert.is(live.withoutInventory, 1);
});

test.run();
