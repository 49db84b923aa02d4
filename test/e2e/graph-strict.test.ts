// The graph driver against a back end that answers only what Graph documents (the simulator server with
// strictGraph): no `$expand`, no catalog or fleet-wide operations route, 202 with an empty body and a
// relative Location (seed 003), no time zones. The driver falls back and still works: operations and health
// through `$batch`, the catalog from each device's health.
import { test } from 'uvu';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import type { FleetDevice } from '../../controller/api/types.ts';
import { ManualClock } from '../../controller/util/clock.ts';
import { Simulator } from '../../controller/drivers/simulator/simulator.ts';
import { startSimulatorServer } from '../../controller/drivers/simulator/server.ts';
import { GraphDriver } from '../../controller/drivers/graph/driver.ts';

const TOKEN = 'strict-token';

function aPhone(id: string, over: Partial<FleetDevice> = {}): FleetDevice {
  return { id, deviceType: 'ipPhone', manufacturer: 'Yealink', model: 'MP54', timeZone: 'Asia/Tokyo', software: { firmware: '122.15.0.36', teamsClient: '1449.1.0.7' }, ...over };
}

async function aStrictTenant() {
  const clock = new ManualClock('2026-11-23T02:00:00Z');
  const simulator = new Simulator({
    fleet: { devices: [aPhone('p1'), aPhone('p2'), aPhone('p3', { online: false })], releases: [{ component: 'firmware', version: '122.15.0.58', releasedAt: '2026-10-01T00:00:00Z', label: 'verified' }] },
    clock,
    behaviour: { failureRate: 0, offlineRate: 0, busyDuringMeetings: 0, rollbackRate: 0, installDuration: '30m' },
  });
  const server = await startSimulatorServer({ simulator, token: TOKEN, strictGraph: true });
  const driver = new GraphDriver({ baseUrl: `${server.url}/beta`, token: TOKEN, pageSize: 2, defaultTimeZone: 'Europe/Berlin' });
  return { clock, simulator, server, driver };
}

test('inventory reads versions from each device health when the list has none', async () => {
  const { server, driver } = await aStrictTenant();
  try {
    const devices = await driver.inventory();
    assert.equal(devices.map((d) => d.id), ['p1', 'p2', 'p3']);
    assert.equal(devices[0]!.software, { firmware: '122.15.0.36', teamsClient: '1449.1.0.7' });
    assert.is(devices[0]!.timeZone, 'Europe/Berlin', 'Graph gives no time zone: the configured default applies');
    assert.is(devices[2]!.online, false);
    assert.is(devices[2]!.activityState, 'offline');
  } finally {
    await server.close();
  }
});

test('an update accepted with an empty 202 is read from its relative Location', async () => {
  const { server, driver, clock } = await aStrictTenant();
  try {
    const r = await driver.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58' });
    assert.ok(r.accepted);
    if (!r.accepted) return;
    assert.is(r.operation.status, 'queued');
    assert.is(r.operation.component, 'firmware', 'what was asked is kept even though Graph does not say it');
    assert.is(r.operation.toVersion, '122.15.0.58');
    const again = await driver.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58' });
    assert.equal(again.accepted, false);
    if (!again.accepted) assert.is(again.operation?.id, r.operation.id);
    clock.advance(3_600_000);
    assert.is((await driver.operation('p1', r.operation.id))?.status, 'successful');
    assert.is((await driver.inventory())[0]!.software.firmware, '122.15.0.58');
  } finally {
    await server.close();
  }
});

test('without a fleet-wide operations route, each device is asked inside $batch requests, never one request per device', async () => {
  const { server, driver } = await aStrictTenant();
  try {
    await driver.startUpdate({ deviceId: 'p2', component: 'firmware', version: '122.15.0.58' });
    await driver.runDiagnostics('p1');
    const before = driver.stats.requests;
    const observed = await driver.observe();
    assert.equal(observed.operations.map((o) => [o.deviceId, o.operationType]).sort(), [['p1', 'deviceDiagnostics'], ['p2', 'softwareUpdate']]);
    assert.equal(observed.devices.map((d) => [d.id, d.software.firmware]), [['p1', '122.15.0.36'], ['p2', '122.15.0.36'], ['p3', '122.15.0.36']]);
    // 3 devices, pages of 2: 2 list pages, 1 batch of operations, 1 batch of health, and the two routes a
    // real tenant lacks asked once (the driver remembers their 404).
    assert.is(driver.stats.requests - before, 2 + 1 + 1 + 2);
    const again = driver.stats.requests;
    await driver.observe();
    assert.is(driver.stats.requests - again, 2 + 1 + 1, 'the missing routes are not asked again');
  } finally {
    await server.close();
  }
});

test('without a catalog route, the catalog is built from what the devices run and are offered', async () => {
  const { server } = await aStrictTenant();
  const dir = mkdtempSync(join(tmpdir(), 'fw-graph-catalog-'));
  const catalogFile = join(dir, 'graph-catalog.json');
  const driver = new GraphDriver({ baseUrl: `${server.url}/beta`, token: TOKEN, pageSize: 2, catalogFile, now: () => new Date('2026-11-23T02:00:00Z') });
  try {
    const releases = await driver.catalog();
    assert.equal(releases, [
      { component: 'firmware', version: '122.15.0.36', manufacturer: 'Yealink', models: ['MP54'], releasedAt: '2026-11-23T02:00:00.000Z', label: 'preview' },
      { component: 'firmware', version: '122.15.0.58', manufacturer: 'Yealink', models: ['MP54'], releasedAt: '2026-11-23T02:00:00.000Z', label: 'verified' },
      { component: 'teamsClient', version: '1449.1.0.7', manufacturer: 'Yealink', models: ['MP54'], releasedAt: '2026-11-23T02:00:00.000Z', label: 'preview' },
    ], 'the offered version is a verified release; versions devices merely run are known (preview), so no device is on an unknown version');
    // Graph gives no release date: first sight is kept, so a restart a week later does not restart deferrals.
    const restarted = new GraphDriver({ baseUrl: `${server.url}/beta`, token: TOKEN, catalogFile, now: () => new Date('2026-11-30T02:00:00Z') });
    assert.equal([...new Set((await restarted.catalog()).map((r) => r.releasedAt))], ['2026-11-23T02:00:00.000Z']);
    assert.is((statSync(catalogFile).mode & 0o777).toString(8), '600');
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
