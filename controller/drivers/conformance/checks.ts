// The driver conformance checks: what every Driver (controller/drivers/driver.ts) must do, as plain functions
// that run against a fresh back end and throw CheckFailed with the reason when the driver does otherwise.
// `fleetward driver conformance` runs them against an out-of-process driver; test/contract/ runs them as uvu
// suites against every driver Fleetward ships. One list, so the kit and the tests cannot disagree.
import type { DeviceOperation } from '../../api/types.ts';
import { IN_FLIGHT_STATUSES } from '../../api/types.ts';
import { equal, is, match, ok, rejectsWith } from './expect.ts';
import { QUEUE_MS, type ConformanceBackend, type ConformanceCapabilities } from './scenario.ts';

export interface ConformanceCheck {
  /** A sentence saying the behaviour, shown as the check's name. */
  name: string;
  /** Run only when the back end has this capability. */
  needs?: keyof ConformanceCapabilities;
  run(backend: ConformanceBackend): Promise<void>;
}

const HOUR = 3_600_000;
const updatesOf = (ops: DeviceOperation[]) => ops.filter((o) => o.operationType === 'softwareUpdate');
const check = (name: string, run: ConformanceCheck['run'], needs?: ConformanceCheck['needs']): ConformanceCheck => ({ name, run, ...(needs ? { needs } : {}) });

const core: ConformanceCheck[] = [
  check('inventory lists every device of the fleet with the versions it reports', async ({ driver }) => {
    const devices = await driver.inventory();
    equal(devices.map((d) => d.id).sort(), ['phone-1', 'phone-2', 'phone-broken', 'room-1'], 'device ids');
    const phone = devices.find((d) => d.id === 'phone-1')!;
    equal(phone.software, { firmware: '122.15.0.36', teamsClient: '1449.1.0.7' }, 'phone-1 software');
    is(phone.deviceType, 'ipPhone', 'phone-1 deviceType');
    is(phone.manufacturer, 'Yealink', 'phone-1 manufacturer');
    is(phone.model, 'MP54', 'phone-1 model');
    is(phone.online, true, 'phone-1 online');
    const room = devices.find((d) => d.id === 'room-1')!;
    is(room.software.operatingSystem, '10.0.19045', 'room-1 operatingSystem version');
  }),

  check('the catalog offers the releases of the back end', async ({ driver }) => {
    const releases = await driver.catalog();
    equal(releases.map((r) => `${r.component}@${r.version}`).sort(), ['firmware@122.15.0.30', 'firmware@122.15.0.58', 'firmware@122.15.0.61', 'firmware@2.0.0.9', 'teamsClient@1449.1.0.9'], 'releases');
    equal(releases.find((r) => r.version === '122.15.0.61')?.blocked, { reason: 'reboot loop' }, 'blocked release 122.15.0.61');
  }),

  check('an accepted update is in flight and listed in the device operations', async ({ driver }) => {
    const r = await driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '122.15.0.58' });
    ok(r.accepted, 'the update of phone-1 to firmware 122.15.0.58 was not accepted');
    is(r.operation.deviceId, 'phone-1', 'operation deviceId');
    is(r.operation.operationType, 'softwareUpdate', 'operation operationType');
    is(r.operation.component, 'firmware', 'operation component');
    is(r.operation.toVersion, '122.15.0.58', 'operation toVersion');
    ok(IN_FLIGHT_STATUSES.includes(r.operation.status), `a just accepted operation is queued, scheduled or inProgress, not ${r.operation.status}`);
    ok(!Number.isNaN(Date.parse(r.operation.createdAt)), `createdAt ${JSON.stringify(r.operation.createdAt)} is not an ISO instant`);
    equal((await driver.operations('phone-1')).map((o) => o.id), [r.operation.id], 'operations of phone-1');
    equal(await driver.operations('phone-2'), [], 'operations of phone-2');
  }),

  check('a second start while an update is in flight answers AlreadyInFlight and adds no operation', async ({ driver }) => {
    const first = await driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '122.15.0.58' });
    ok(first.accepted, 'the first update was not accepted');
    const again = await driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '122.15.0.58' });
    is(again.accepted, false, 'a repeated start accepted');
    if (!again.accepted) is(again.reason, 'AlreadyInFlight', 'reason of the refused start');
    const other = await driver.startUpdate({ deviceId: 'phone-1', component: 'teamsClient', version: '1449.1.0.9' });
    is(other.accepted, false, 'one software update per device at a time, whatever the component: a teamsClient start accepted');
    is(updatesOf(await driver.operations('phone-1')).length, 1, 'software updates of phone-1');
  }),

  check('an update runs to successful and inventory then reports the new version', async ({ driver, advance }) => {
    const r = await driver.startUpdate({ deviceId: 'phone-2', component: 'firmware', version: '122.15.0.58' });
    ok(r.accepted, 'the update was not accepted');
    await advance(2 * HOUR);
    const op = await driver.operation('phone-2', r.operation.id);
    is(op?.status, 'successful', 'status 2 hours later');
    ok(op?.completedAt && op.startedAt && Date.parse(op.completedAt) >= Date.parse(op.startedAt), `startedAt ${op?.startedAt} and completedAt ${op?.completedAt}: both set, in order`);
    const phone = (await driver.inventory()).find((d) => d.id === 'phone-2')!;
    is(phone.software.firmware, '122.15.0.58', 'phone-2 firmware in inventory');
    is(phone.software.teamsClient, '1449.1.0.7', 'phone-2 teamsClient (other components unchanged)');
  }),

  check('once an update finished, the next one is accepted', async ({ driver, advance }) => {
    ok((await driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '122.15.0.58' })).accepted, 'the first update was not accepted');
    await advance(2 * HOUR);
    ok((await driver.startUpdate({ deviceId: 'phone-1', component: 'teamsClient', version: '1449.1.0.9' })).accepted, 'the next update, after the first finished, was not accepted');
    is(updatesOf(await driver.operations('phone-1')).length, 2, 'software updates of phone-1');
  }),

  check('a failing update ends failed with an error and leaves the version unchanged', async ({ driver, advance }) => {
    ok((await driver.startUpdate({ deviceId: 'phone-broken', component: 'firmware', version: '122.15.0.58' })).accepted, 'the update was not accepted');
    await advance(2 * HOUR);
    const [op] = await driver.operations('phone-broken');
    is(op?.status, 'failed', 'status of the failing update 2 hours later');
    ok(op?.error?.code, 'a failed operation says why: error.code is missing');
    const device = (await driver.inventory()).find((d) => d.id === 'phone-broken')!;
    is(device.software.firmware, '122.15.0.36', 'phone-broken firmware after the failure');
  }),

  check('operation() finds an operation by id and answers undefined for an unknown one', async ({ driver }) => {
    const r = await driver.startUpdate({ deviceId: 'room-1', component: 'teamsClient', version: '1449.1.0.9' });
    ok(r.accepted, 'the update was not accepted');
    is((await driver.operation('room-1', r.operation.id))?.id, r.operation.id, 'operation found by id');
    is(await driver.operation('room-1', '00000000-0000-4000-8000-000000000000'), undefined, 'an unknown operation id');
  }),

  check('operations() without a device lists the operations of every device', async ({ driver }) => {
    await driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '122.15.0.58' });
    await driver.startUpdate({ deviceId: 'room-1', component: 'teamsClient', version: '1449.1.0.9' });
    equal((await driver.operations()).map((o) => o.deviceId).sort(), ['phone-1', 'room-1'], 'devices of all operations');
  }),

  check('an unknown device is DeviceNotFound for updates, operations and diagnostics', async ({ driver }) => {
    await rejectsWith(() => driver.startUpdate({ deviceId: 'nope', component: 'firmware', version: '1.0' }), 'DeviceNotFound', 'an update of device "nope"');
    await rejectsWith(() => driver.operations('nope'), 'DeviceNotFound', 'the operations of device "nope"');
    await rejectsWith(() => driver.runDiagnostics('nope'), 'DeviceNotFound', 'diagnostics of device "nope"');
    equal(await driver.operations(), [], 'operations after the refusals');
  }),

  check('an unknown component is InvalidRequest and starts nothing', async ({ driver }) => {
    const err = await rejectsWith(() => driver.startUpdate({ deviceId: 'phone-1', component: 'bios' as never, version: '1.0' }), 'InvalidRequest', 'an update of component "bios"');
    match(err.message, /bios/, 'the error names the component');
    equal(await driver.operations('phone-1'), [], 'operations of phone-1');
  }),

  check('diagnostics give a deviceDiagnostics operation whose logs link leads to log text', async ({ driver, advance }) => {
    const op = await driver.runDiagnostics('phone-1');
    is(op.operationType, 'deviceDiagnostics', 'operationType');
    is(op.deviceId, 'phone-1', 'deviceId');
    is(typeof op.logsUrl, 'string', 'type of logsUrl');
    await advance(2 * HOUR);
    is((await driver.operation('phone-1', op.id))?.status, 'successful', 'diagnostics status 2 hours later');
    if (driver.readLogs) match(await driver.readLogs(op), /phone-1/, 'the log text names the device');
  }),

  check('diagnostics do not block a software update', async ({ driver }) => {
    await driver.runDiagnostics('phone-1');
    ok((await driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '122.15.0.58' })).accepted, 'an update during diagnostics was not accepted');
  }),

  check('a forced update is recorded as forced', async ({ driver }) => {
    ok((await driver.startUpdate({ deviceId: 'phone-2', component: 'teamsClient', version: '1449.1.0.9', forced: true })).accepted, 'the update was not accepted');
    const [op] = await driver.operations('phone-2');
    is(op?.forced, true, 'forced on the listed operation');
  }),
];

// ---- refusals: a tenant only installs what was released for the model ------------------------------

const REFUSALS: [string, string, string, RegExp][] = [
  ['a version released for another model only', '2.0.0.9', 'VersionNotReleased', /firmware 2\.0\.0\.9 is not released for Yealink MP54; released versions: 122\.15\.0\.30, 122\.15\.0\.58/],
  ['a version never released', '122.99.0.1', 'VersionNotReleased', /firmware 122\.99\.0\.1 is not released for Yealink MP54/],
  ['a blocked version', '122.15.0.61', 'VersionBlocked', /firmware 122\.15\.0\.61 is blocked for Yealink MP54: reboot loop/],
  ['a downgrade', '122.15.0.30', 'DowngradeRefused', /firmware 122\.15\.0\.30 is older than the installed 122\.15\.0\.36 on phone-1/],
];
const refusals = REFUSALS.map(([what, version, refusal, message]) =>
  check(`${what} is refused as VersionRefused (${refusal}) and starts nothing`, async ({ driver }) => {
    const err = await rejectsWith(() => driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version }), 'VersionRefused', `an update of phone-1 to firmware ${version}`);
    is(err.refusal, refusal, 'refusal');
    match(err.message, message, 'the refusal message');
    equal(await driver.operations('phone-1'), [], 'operations of phone-1');
    ok((await driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '122.15.0.58' })).accepted, 'after the refusal the device is left busy: a released version is not accepted');
  }));

// ---- start deadline: the end of the maintenance window (seed 000) ------------------------------------

const deadlines: ConformanceCheck[] = [
  check('an update not started by its startBy is cancelled with WindowMissed and changes nothing', async ({ driver, advance, now }) => {
    const startBy = new Date(now().getTime() + QUEUE_MS / 3).toISOString();
    const r = await driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '122.15.0.58', startBy });
    ok(r.accepted, 'the update was not accepted');
    await advance(2 * HOUR);
    const op = await driver.operation('phone-1', r.operation.id);
    is(op?.status, 'cancelled', `status of an update still queued at its startBy ${startBy}`);
    is(op?.error?.code, 'WindowMissed', 'error.code');
    match(op?.error?.message, /had not started when its maintenance window ended/, 'error.message');
    is(op?.startedAt, undefined, 'startedAt of an update that never started');
    is(op?.startBy, startBy, 'startBy reported on the operation');
    is((await driver.inventory()).find((d) => d.id === 'phone-1')!.software.firmware, '122.15.0.36', 'phone-1 firmware');
    ok((await driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '122.15.0.58' })).accepted, 'the device is not free again after the cancellation');
  }),

  check('an update that starts before its startBy runs to the end', async ({ driver, advance, now }) => {
    const startBy = new Date(now().getTime() + 2 * QUEUE_MS).toISOString();
    const r = await driver.startUpdate({ deviceId: 'phone-2', component: 'firmware', version: '122.15.0.58', startBy });
    ok(r.accepted, 'the update was not accepted');
    await advance(2 * HOUR);
    const op = await driver.operation('phone-2', r.operation.id);
    is(op?.status, 'successful', 'status 2 hours later');
    ok(op!.startedAt! < startBy, `started ${op?.startedAt}, after its deadline ${startBy}`);
  }),
];

// ---- capabilities: cancel and provisioning, where the back end has them -----------------------------

const VERIFIER = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';

const capabilities: ConformanceCheck[] = [
  check('a queued update can be cancelled, frees the device and changes nothing', async ({ driver, advance }) => {
    const r = await driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '122.15.0.58' });
    ok(r.accepted, 'the update was not accepted');
    const c = await driver.cancel!('phone-1', r.operation.id);
    ok(c?.cancelled, `cancel of a queued operation answered ${JSON.stringify(c)}`);
    is(c.operation.status, 'cancelled', 'status after cancel');
    await advance(2 * HOUR);
    is((await driver.operation('phone-1', r.operation.id))?.status, 'cancelled', 'status 2 hours after cancel');
    is((await driver.inventory()).find((d) => d.id === 'phone-1')!.software.firmware, '122.15.0.36', 'phone-1 firmware');
    ok((await driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '122.15.0.58' })).accepted, 'the device is not free again after the cancel');
  }, 'cancel'),

  check('a finished update cannot be cancelled, and an unknown one is not found', async ({ driver, advance }) => {
    const r = await driver.startUpdate({ deviceId: 'phone-2', component: 'firmware', version: '122.15.0.58' });
    ok(r.accepted, 'the update was not accepted');
    await advance(2 * HOUR);
    const c = await driver.cancel!('phone-2', r.operation.id);
    is(c?.cancelled, false, 'cancelled a finished operation');
    if (c && !c.cancelled) is(c.operation.status, 'successful', 'status of the finished operation');
    is(await driver.cancel!('phone-2', '00000000-0000-4000-8000-000000000000'), undefined, 'cancel of an unknown operation id');
    await rejectsWith(() => driver.cancel!('nope', r.operation.id), 'DeviceNotFound', 'cancel on device "nope"');
  }, 'cancel'),

  check('provisioning registers a MAC once, however often asked, and forgets it', async ({ driver, now }) => {
    const p = driver.provisioning!;
    const codeExpiresAt = new Date(now().getTime() + 24 * HOUR).toISOString();
    const req = { macAddress: 'AA-BB-CC-00-00-01', location: 'Oslo 4th floor', codeHash: VERIFIER, codeExpiresAt };
    const rec = await p.register(req);
    is(rec.state, 'AwaitingActivation', 'state of a registered MAC');
    is(rec.macAddress, 'AA-BB-CC-00-00-01', 'macAddress');
    await p.register(req);
    const listed = (await p.list()).filter((r) => r.macAddress === 'AA-BB-CC-00-00-01');
    is(listed.length, 1, 'records of a MAC registered twice');
    is(listed[0]!.codeExpiresAt, codeExpiresAt, 'codeExpiresAt');
    await p.unregister('AA-BB-CC-00-00-01');
    equal((await p.list()).filter((r) => r.macAddress === 'AA-BB-CC-00-00-01'), [], 'records after unregister');
    await p.unregister('AA-BB-CC-00-00-01'); // an unknown MAC: a no-op
  }, 'provisioning'),

  check('remote sign-in is refused for a device not yet activated and for an unknown one', async ({ driver, now }) => {
    const p = driver.provisioning!;
    await p.register({ macAddress: 'AA-BB-CC-00-00-02', codeHash: VERIFIER, codeExpiresAt: new Date(now().getTime() + 24 * HOUR).toISOString() });
    const early = await p.signIn('AA-BB-CC-00-00-02', 'room-oslo@example.com');
    is(early.accepted, false, 'sign-in before activation accepted');
    if (!early.accepted) is(early.reason, 'NotAwaitingSignIn', 'reason');
    const unknown = await p.signIn('AA-BB-CC-00-00-99', 'room-oslo@example.com');
    is(unknown.accepted, false, 'sign-in of an unknown MAC accepted');
    if (!unknown.accepted) is(unknown.reason, 'UnknownDevice', 'reason');
    is((await p.list()).find((r) => r.macAddress === 'AA-BB-CC-00-00-02')?.state, 'AwaitingActivation', 'state after the refused sign-in');
  }, 'provisioning'),
];

/** Every check, in the order they run. */
export const CONFORMANCE_CHECKS: readonly ConformanceCheck[] = [...core, ...refusals, ...deadlines, ...capabilities];
