// One update per device at a time (seed 003: a second operation while one is queued is a 409): the plan
// says which component goes first and what waits, so `fleetward plan` shows what will really be issued.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  aGroup, aPhase, aPhone, aRelease, aSoftwareUpdate, alwaysOpen, anOperation, componentOf, config, fleet, hoursAgo, planAt,
} from '../support/builders.ts';
import type { DeviceOperation, FleetwardObject } from '../../controller/api/types.ts';

const releases = [
  aRelease('firmware', '1.0.0.1', { daysAgo: 200 }), aRelease('firmware', '1.0.0.2', { daysAgo: 60 }),
  aRelease('teamsClient', '2.0.0.1', { daysAgo: 200 }), aRelease('teamsClient', '2.0.0.2', { daysAgo: 60 }),
  aRelease('companyPortal', '5.0.1', { daysAgo: 200 }), aRelease('companyPortal', '5.0.2', { daysAgo: 60 }),
];
const objs = [alwaysOpen(), aPhase('General', { rolloutDuration: '0d' }), aGroup('all', { updatePhase: 'General', maintenanceWindow: 'always' })];
const phone = (software: Record<string, string>) => aPhone({ id: 'p', software });
function run(software: Record<string, string>, ops: DeviceOperation[] = [], ...extra: FleetwardObject[]) {
  return planAt(config(...objs, ...extra), fleet([phone(software)], releases, ops));
}
const stateOf = (p: ReturnType<typeof run>, c: Parameters<typeof componentOf>[2]) => {
  const x = componentOf(p, 'p', c);
  return [x.state, x.reason, x.targetVersion];
};

test('when firmware and the Teams app are due together, firmware is issued and the app waits for it', () => {
  const p = run({ firmware: '1.0.0.1', teamsClient: '2.0.0.1' });
  assert.equal(p.operations.map((o) => [o.component, o.toVersion]), [['firmware', '1.0.0.2']]);
  assert.equal(stateOf(p, 'firmware'), ['Due', 'PhaseRollout', '1.0.0.2']);
  assert.equal(stateOf(p, 'teamsClient'), ['Scheduled', 'OneUpdateAtATime', '2.0.0.2']);
  assert.match(componentOf(p, 'p', 'teamsClient').message!, /waits for the firmware update issued first/);
});

test('a component due while another update of the device is in flight waits for it, and nothing is issued', () => {
  const inFlight = anOperation('p', 'teamsClient', '2.0.0.2', { status: 'inProgress', createdAt: hoursAgo(1), startedAt: hoursAgo(1) });
  const p = run({ firmware: '1.0.0.1', teamsClient: '2.0.0.1' }, [inFlight]);
  assert.equal(p.operations, []);
  assert.equal(stateOf(p, 'teamsClient'), ['InProgress', 'OperationInFlight', '2.0.0.2']);
  assert.equal(stateOf(p, 'firmware'), ['Scheduled', 'OneUpdateAtATime', '1.0.0.2']);
  assert.match(componentOf(p, 'p', 'firmware').message!, /waits for the teamsClient update in progress/);
});

test('a forced manual update goes before a due automatic one', () => {
  const forced = aSoftwareUpdate('portal-now', { component: 'companyPortal', version: '5.0.2', target: { devices: ['p'] }, schedule: 'now', force: true });
  const p = run({ firmware: '1.0.0.1', companyPortal: '5.0.1' }, [], forced);
  assert.equal(p.operations.map((o) => [o.component, o.forced]), [['companyPortal', true]]);
  assert.equal(stateOf(p, 'firmware'), ['Scheduled', 'OneUpdateAtATime', '1.0.0.2']);
});

test('once the first update is done, the one that waited is issued', () => {
  const done = anOperation('p', 'firmware', '1.0.0.2', { status: 'successful', createdAt: hoursAgo(2), startedAt: hoursAgo(2), completedAt: hoursAgo(1) });
  const p = run({ firmware: '1.0.0.2', teamsClient: '2.0.0.1' }, [done]);
  assert.equal(p.operations.map((o) => o.component), ['teamsClient']);
  assert.equal(stateOf(p, 'firmware'), ['UpToDate', 'UpToDate', null]);
});

test.run();
