// The contract every Driver passes (controller/drivers/driver.ts, docs/drivers.md). A driver's test file
// calls `driverContract(name, harness)` and runs the suite it returns. The harness builds a fresh back end
// for each test from a small fleet, and can move that back end's time forward: the suite only needs
// "time passes", "this device's updates fail", so a harness for another back end (a phone maker's
// portal, a recorded sandbox) can provide it too.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeviceOperation, FleetFile } from '../../controller/api/types.ts';
import { IN_FLIGHT_STATUSES } from '../../controller/api/types.ts';
import { DriverError, type Driver } from '../../controller/drivers/driver.ts';

export interface ContractScenario {
  fleet: FleetFile;
  /** Devices whose software updates fail. Every other update succeeds. */
  failing: string[];
  /** How long every accepted update stays queued before it starts (the back end's queue). */
  queueMs: number;
}

export interface ContractBackend {
  driver: Driver;
  /** The back end's current instant (deadlines are given in its time). */
  now(): Date;
  /** Moves the back end's clock forward. Updates and diagnostics finish within 2 hours of being accepted. */
  advance(ms: number): Promise<void> | void;
  close(): Promise<void>;
}

export type ContractHarness = (scenario: ContractScenario) => Promise<ContractBackend>;

const HOUR = 3_600_000;

function aDevice(id: string, over: Partial<FleetFile['devices'][number]> = {}): FleetFile['devices'][number] {
  return {
    id,
    deviceType: 'ipPhone',
    manufacturer: 'Yealink',
    model: 'MP54',
    timeZone: 'Europe/Paris',
    macAddress: `00-15-65-00-00-${String(id.length).padStart(2, '0')}`,
    online: true,
    activityState: 'idle',
    healthStatus: 'healthy',
    software: { firmware: '122.15.0.36', teamsClient: '1449.1.0.7' },
    ...over,
  };
}

export const CONTRACT_FLEET: FleetFile = {
  devices: [
    aDevice('phone-1'),
    aDevice('phone-2', { macAddress: '00-15-65-00-00-02' }),
    aDevice('room-1', { deviceType: 'teamsRoom', manufacturer: 'Logitech', model: 'Tap', timeZone: 'America/New_York', macAddress: undefined, software: { teamsClient: '5.2.115.0', operatingSystem: '10.0.19045' } }),
    aDevice('phone-broken', { macAddress: '00-15-65-00-00-09' }),
  ].map((d) => JSON.parse(JSON.stringify(d))),
  releases: [
    { component: 'firmware', version: '122.15.0.58', manufacturer: 'Yealink', models: ['MP54'], releasedAt: '2026-10-01T00:00:00Z', label: 'verified' },
    { component: 'teamsClient', version: '1449.1.0.9', releasedAt: '2026-10-15T00:00:00Z', label: 'verified' },
    { component: 'firmware', version: '122.15.0.61', manufacturer: 'Yealink', models: ['MP54'], releasedAt: '2026-11-10T00:00:00Z', label: 'verified', blocked: { reason: 'reboot loop' } },
    { component: 'firmware', version: '122.15.0.30', manufacturer: 'Yealink', models: ['MP54'], releasedAt: '2026-06-01T00:00:00Z', label: 'verified' },
    { component: 'firmware', version: '2.0.0.9', manufacturer: 'Logitech', models: ['Tap'], releasedAt: '2026-10-01T00:00:00Z', label: 'verified' },
  ],
};

const MIN = 60_000;
/** The contract's back ends keep every update queued this long before it starts. */
const QUEUE_MS = 30 * MIN;

async function rejectsWith(fn: () => Promise<unknown>, code: DriverError['code']): Promise<DriverError> {
  try {
    await fn();
  } catch (err) {
    assert.instance(err, DriverError);
    assert.is((err as DriverError).code, code, (err as Error).message);
    return err as DriverError;
  }
  assert.unreachable(`expected DriverError ${code}`);
  throw new Error('unreachable');
}

const updatesOf = (ops: DeviceOperation[]) => ops.filter((o) => o.operationType === 'softwareUpdate');

export function driverContract(name: string, harness: ContractHarness) {
  const test = suite(`driver contract: ${name}`);
  const withBackend = (fn: (b: ContractBackend) => Promise<void>) => async () => {
    const b = await harness({ fleet: structuredClone(CONTRACT_FLEET), failing: ['phone-broken'], queueMs: QUEUE_MS });
    try {
      await fn(b);
    } finally {
      await b.close();
    }
  };

  test('inventory lists every device of the fleet with the versions it reports', withBackend(async ({ driver }) => {
    const devices = await driver.inventory();
    assert.equal(devices.map((d) => d.id).sort(), ['phone-1', 'phone-2', 'phone-broken', 'room-1']);
    const phone = devices.find((d) => d.id === 'phone-1')!;
    assert.equal(phone.software, { firmware: '122.15.0.36', teamsClient: '1449.1.0.7' });
    assert.is(phone.deviceType, 'ipPhone');
    assert.is(phone.manufacturer, 'Yealink');
    assert.is(phone.model, 'MP54');
    assert.is(phone.online, true);
    const room = devices.find((d) => d.id === 'room-1')!;
    assert.is(room.software.operatingSystem, '10.0.19045');
  }));

  test('the catalog offers the releases of the back end', withBackend(async ({ driver }) => {
    const releases = await driver.catalog();
    assert.equal(releases.map((r) => `${r.component}@${r.version}`).sort(), ['firmware@122.15.0.30', 'firmware@122.15.0.58', 'firmware@122.15.0.61', 'firmware@2.0.0.9', 'teamsClient@1449.1.0.9']);
    assert.equal(releases.find((r) => r.version === '122.15.0.61')?.blocked, { reason: 'reboot loop' });
  }));

  test('an accepted update is in flight and listed in the device operations', withBackend(async ({ driver }) => {
    const r = await driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '122.15.0.58' });
    assert.ok(r.accepted);
    if (!r.accepted) return;
    assert.is(r.operation.deviceId, 'phone-1');
    assert.is(r.operation.operationType, 'softwareUpdate');
    assert.is(r.operation.component, 'firmware');
    assert.is(r.operation.toVersion, '122.15.0.58');
    assert.ok(IN_FLIGHT_STATUSES.includes(r.operation.status), r.operation.status);
    assert.ok(!Number.isNaN(Date.parse(r.operation.createdAt)));
    const ops = await driver.operations('phone-1');
    assert.equal(ops.map((o) => o.id), [r.operation.id]);
    assert.equal(await driver.operations('phone-2'), []);
  }));

  test('a second start while an update is in flight answers AlreadyInFlight and adds no operation', withBackend(async ({ driver }) => {
    const first = await driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '122.15.0.58' });
    assert.ok(first.accepted);
    const again = await driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '122.15.0.58' });
    assert.equal(again.accepted, false);
    if (!again.accepted) assert.is(again.reason, 'AlreadyInFlight');
    const other = await driver.startUpdate({ deviceId: 'phone-1', component: 'teamsClient', version: '1449.1.0.9' });
    assert.equal(other.accepted, false, 'one software update per device at a time, whatever the component');
    assert.is(updatesOf(await driver.operations('phone-1')).length, 1);
  }));

  test('an update runs to successful and inventory then reports the new version', withBackend(async ({ driver, advance }) => {
    const r = await driver.startUpdate({ deviceId: 'phone-2', component: 'firmware', version: '122.15.0.58' });
    assert.ok(r.accepted);
    await advance(2 * HOUR);
    const op = r.accepted ? await driver.operation('phone-2', r.operation.id) : undefined;
    assert.is(op?.status, 'successful');
    assert.ok(op?.completedAt && op.startedAt && Date.parse(op.completedAt) >= Date.parse(op.startedAt));
    const phone = (await driver.inventory()).find((d) => d.id === 'phone-2')!;
    assert.is(phone.software.firmware, '122.15.0.58');
    assert.is(phone.software.teamsClient, '1449.1.0.7', 'other components unchanged');
  }));

  test('once an update finished, the next one is accepted', withBackend(async ({ driver, advance }) => {
    assert.ok((await driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '122.15.0.58' })).accepted);
    await advance(2 * HOUR);
    assert.ok((await driver.startUpdate({ deviceId: 'phone-1', component: 'teamsClient', version: '1449.1.0.9' })).accepted);
    assert.is(updatesOf(await driver.operations('phone-1')).length, 2);
  }));

  test('a failing update ends failed with an error and leaves the version unchanged', withBackend(async ({ driver, advance }) => {
    const r = await driver.startUpdate({ deviceId: 'phone-broken', component: 'firmware', version: '122.15.0.58' });
    assert.ok(r.accepted);
    await advance(2 * HOUR);
    const [op] = await driver.operations('phone-broken');
    assert.is(op?.status, 'failed');
    assert.ok(op?.error?.code, 'a failed operation says why');
    const device = (await driver.inventory()).find((d) => d.id === 'phone-broken')!;
    assert.is(device.software.firmware, '122.15.0.36');
  }));

  test('operation() finds an operation by id and answers undefined for an unknown one', withBackend(async ({ driver }) => {
    const r = await driver.startUpdate({ deviceId: 'room-1', component: 'teamsClient', version: '1449.1.0.9' });
    assert.ok(r.accepted);
    if (r.accepted) assert.is((await driver.operation('room-1', r.operation.id))?.id, r.operation.id);
    assert.is(await driver.operation('room-1', '00000000-0000-4000-8000-000000000000'), undefined);
  }));

  test('operations() without a device lists the operations of every device', withBackend(async ({ driver }) => {
    await driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '122.15.0.58' });
    await driver.startUpdate({ deviceId: 'room-1', component: 'teamsClient', version: '1449.1.0.9' });
    const all = await driver.operations();
    assert.equal(all.map((o) => o.deviceId).sort(), ['phone-1', 'room-1']);
  }));

  test('an unknown device is DeviceNotFound for updates, operations and diagnostics', withBackend(async ({ driver }) => {
    await rejectsWith(() => driver.startUpdate({ deviceId: 'nope', component: 'firmware', version: '1.0' }), 'DeviceNotFound');
    await rejectsWith(() => driver.operations('nope'), 'DeviceNotFound');
    await rejectsWith(() => driver.runDiagnostics('nope'), 'DeviceNotFound');
    assert.equal(await driver.operations(), []);
  }));

  test('an unknown component is InvalidRequest and starts nothing', withBackend(async ({ driver }) => {
    const err = await rejectsWith(() => driver.startUpdate({ deviceId: 'phone-1', component: 'bios' as never, version: '1.0' }), 'InvalidRequest');
    assert.match(err.message, /bios/);
    assert.equal(await driver.operations('phone-1'), []);
  }));

  test('diagnostics give a deviceDiagnostics operation whose logs link leads to log text', withBackend(async ({ driver, advance }) => {
    const op = await driver.runDiagnostics('phone-1');
    assert.is(op.operationType, 'deviceDiagnostics');
    assert.is(op.deviceId, 'phone-1');
    assert.type(op.logsUrl, 'string');
    await advance(2 * HOUR);
    assert.is((await driver.operation('phone-1', op.id))?.status, 'successful');
    if (driver.readLogs) {
      const text = await driver.readLogs(op);
      assert.type(text, 'string');
      assert.match(text!, /phone-1/);
    }
  }));

  test('diagnostics do not block a software update', withBackend(async ({ driver }) => {
    await driver.runDiagnostics('phone-1');
    const r = await driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '122.15.0.58' });
    assert.ok(r.accepted);
  }));

  test('a forced update is recorded as forced', withBackend(async ({ driver }) => {
    const r = await driver.startUpdate({ deviceId: 'phone-2', component: 'teamsClient', version: '1449.1.0.9', forced: true });
    assert.ok(r.accepted);
    const [op] = await driver.operations('phone-2');
    assert.is(op?.forced, true);
  }));

  // ---- refusals: a tenant only installs what was released for the model (issue 9 item 5) ----------

  const refusals: [string, string, string, RegExp][] = [
    ['a version released for another model only', '2.0.0.9', 'VersionNotReleased', /firmware 2\.0\.0\.9 is not released for Yealink MP54; released versions: 122\.15\.0\.30, 122\.15\.0\.58/],
    ['a version never released', '122.99.0.1', 'VersionNotReleased', /firmware 122\.99\.0\.1 is not released for Yealink MP54/],
    ['a blocked version', '122.15.0.61', 'VersionBlocked', /firmware 122\.15\.0\.61 is blocked for Yealink MP54: reboot loop/],
    ['a downgrade', '122.15.0.30', 'DowngradeRefused', /firmware 122\.15\.0\.30 is older than the installed 122\.15\.0\.36 on phone-1/],
  ];
  for (const [what, version, refusal, message] of refusals) {
    test(`${what} is refused as VersionRefused (${refusal}) and starts nothing`, withBackend(async ({ driver }) => {
      const err = await rejectsWith(() => driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version }), 'VersionRefused');
      assert.is(err.refusal, refusal);
      assert.match(err.message, message);
      assert.equal(await driver.operations('phone-1'), []);
      assert.ok((await driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '122.15.0.58' })).accepted, 'the device is not left busy');
    }));
  }

  // ---- start deadline: the end of the maintenance window (seed 000, issue 9 item 3) ----------------

  test('an update not started by its startBy is cancelled with WindowMissed and changes nothing', withBackend(async ({ driver, advance, now }) => {
    const startBy = new Date(now().getTime() + QUEUE_MS / 3).toISOString();
    const r = await driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '122.15.0.58', startBy });
    assert.ok(r.accepted);
    if (!r.accepted) return;
    await advance(2 * HOUR);
    const op = await driver.operation('phone-1', r.operation.id);
    assert.is(op?.status, 'cancelled');
    assert.is(op?.error?.code, 'WindowMissed');
    assert.match(op?.error?.message ?? '', /had not started when its maintenance window ended/);
    assert.is(op?.startedAt, undefined, 'it never started');
    assert.is(op?.startBy, startBy);
    assert.is((await driver.inventory()).find((d) => d.id === 'phone-1')!.software.firmware, '122.15.0.36');
    assert.ok((await driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '122.15.0.58' })).accepted, 'the device is free again');
  }));

  test('an update that starts before its startBy runs to the end', withBackend(async ({ driver, advance, now }) => {
    const startBy = new Date(now().getTime() + 2 * QUEUE_MS).toISOString();
    const r = await driver.startUpdate({ deviceId: 'phone-2', component: 'firmware', version: '122.15.0.58', startBy });
    assert.ok(r.accepted);
    await advance(2 * HOUR);
    const op = r.accepted ? await driver.operation('phone-2', r.operation.id) : undefined;
    assert.is(op?.status, 'successful');
    assert.ok(op!.startedAt! < startBy, `started ${op?.startedAt}, deadline ${startBy}`);
  }));

  return test;
}
