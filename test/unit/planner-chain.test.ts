// The planner's one chain (controller/planner/chain.ts): every check of the CHAIN table, asked directly, with
// the reason code and the message a person reads. Tables keyed by sentences (docs/style.md, after
// cert-manager's policy chain tests); the plan-level behaviour of each rule is in its own planner-*.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DesiredState } from '../../controller/api/desired.ts';
import { COMPONENTS, type Component, type FleetDevice, type ObservedState } from '../../controller/api/types.ts';
import { CHAIN, decide, fleetHold, notices, settle } from '../../controller/planner/chain.ts';
import { historyOf, manualFor, type ComponentInput, type PlanContext } from '../../controller/planner/gather.ts';
import { gatherFleet } from '../../controller/planner/index.ts';
import { chooseTarget, type Choice } from '../../controller/planner/versions.ts';
import { ringAvailability } from '../../controller/planner/rings.ts';
import { phaseAvailability } from '../../controller/planner/phases.ts';
import {
  HOUR, NOW, aGroup, aPhone, aPolicy, aRelease, aRing, aRoom, aSoftwareUpdate, aWindow, alwaysOpen, anOperation, config, daysAgo, fleet, hoursAgo,
} from '../support/builders.ts';

const releases = [aRelease('firmware', '1.0.0.1', { daysAgo: 200 }), aRelease('firmware', '1.0.0.2', { daysAgo: 100 })];

/** The input the chain sees for one device's component, in the fleet gathered as plan() gathers it. */
function inputOf(desired: DesiredState, observed: ObservedState, deviceId: string, component: Component = 'firmware'): { ci: ComponentInput; ctx: PlanContext } {
  const { ctx, inputs } = gatherFleet(desired, observed, NOW);
  const d = inputs.find((x) => x.device.id === deviceId)!;
  const current = d.device.software?.[component] ?? null;
  const entry = d.row[COMPONENTS.indexOf(component)];
  return {
    ctx,
    ci: {
      d, component, current, entry, currentRelease: current === null ? undefined : entry?.versions.get(current),
      history: historyOf(ctx, d, component), manual: manualFor(ctx, d, component),
    },
  };
}
const choiceOf = (ci: ComponentInput, ctx: PlanContext): Choice =>
  chooseTarget(ci, ctx, ci.d.stage.kind === 'ring' ? ringAvailability : phaseAvailability, false) as Choice;
const phone = (over: Partial<FleetDevice> = {}) => aPhone({ id: 'p', software: { firmware: '1.0.0.1' }, ...over });

// ---- gates ----------------------------------------------------------------------------------------

const gates: [string, () => { ci: ComponentInput; ctx: PlanContext }, string, string | undefined][] = [
  ['a component only a SoftwareUpdate installs is blocked', () => inputOf(config(), fleet([phone({ software: { adminAgent: '1.0' } })], []), 'p', 'adminAgent'),
    'ManualOnlyComponent', 'adminAgent updates only through a SoftwareUpdate'],
  ['a gcch tenant gets no automatic update', () => inputOf(config(aPolicy({ cloud: 'gcch' })), fleet([phone()], releases), 'p'),
    'CloudManualOnly', 'automatic updates are not available in gcch; update manually'],
  ['a suspended group gets no automatic update', () => inputOf(config(aGroup('lobby', { suspend: true })), fleet([phone()], releases), 'p'),
    'GroupSuspended', 'DeviceGroup lobby is suspended'],
  ['a component left out of autoUpdate.components is not automatic', () => inputOf(config(aGroup('lobby', { autoUpdate: { components: ['teamsClient'] } })), fleet([phone()], releases), 'p'),
    'AutoUpdateDisabled', 'DeviceGroup lobby does not update firmware automatically'],
  ['a version the catalog does not know gets no automatic update', () => inputOf(config(), fleet([phone({ software: { firmware: '0.0.0.9' } })], releases), 'p'),
    'UnknownVersion', 'firmware 0.0.0.9 is not in the release catalog for Yealink MP56; update it manually'],
  ['a window that never opens blocks', () => inputOf(config(aWindow('never', { start: '01:00', end: '04:00', days: [] as never }), aGroup('g', { maintenanceWindow: 'never' })), fleet([phone()], releases), 'p'),
    'NoWindow', undefined],
  ['a room unhealthy in its ring test period after its update has failed it', () => inputOf(config(), fleet(
    [aRoom({ id: 'r', healthStatus: 'critical', software: { firmware: '1.0.0.2' } })], releases,
    [anOperation('r', 'firmware', '1.0.0.2', { id: 'op-1', status: 'successful', createdAt: hoursAgo(3), completedAt: hoursAgo(2) })]), 'r'),
    'UnhealthyAfterUpdate', `unhealthy (healthStatus critical) within ring General's test period after the update to 1.0.0.2 (operation op-1, ${hoursAgo(2)}); counts against the ring's failure threshold`],
];
for (const [sentence, input, reason, message] of gates) {
  test(`gate: ${sentence}`, () => {
    const { ci, ctx } = input();
    const decisions = CHAIN.autoGates.map((g) => g(ci, ctx)).filter((d) => d !== null);
    assert.is(decisions.length, 1, `exactly one gate decides (${decisions.map((d) => d!.reason).join(', ')})`);
    assert.is(decisions[0]!.reason, reason);
    assert.is(decisions[0]!.message, message);
  });
}

test('first in the chain: an operation in flight is InProgress, naming it, before anything else is asked', () => {
  const { ci, ctx } = inputOf(config(aGroup('lobby', { suspend: true })), fleet([phone()], releases,
    [anOperation('p', 'firmware', '1.0.0.2', { id: 'op-7', status: 'inProgress', createdAt: hoursAgo(1), startedAt: hoursAgo(1) })]), 'p');
  const d = decide(ci, ctx, false);
  assert.equal([d.state, d.reason, d.target, d.message], ['InProgress', 'OperationInFlight', '1.0.0.2', 'operation op-7 is inProgress']);
});

test('the manual path uses the same bounds: a SoftwareUpdate that failed waits for the shared backoff, not a copy of it', () => {
  const failedAt = Date.parse(hoursAgo(0.25));
  const su = aSoftwareUpdate('fix', { target: { devices: ['p'] }, component: 'firmware', version: '1.0.0.2' }, hoursAgo(2));
  const { ci, ctx } = inputOf(config(su), fleet([phone()], releases, [anOperation('p', 'firmware', '1.0.0.2', { createdAt: hoursAgo(0.25) })]), 'p');
  const d = decide(ci, ctx, false);
  assert.equal([d.state, d.reason, d.notBefore, d.softwareUpdate], ['Failed', 'RetryBackoff', failedAt + HOUR / 2, 'fix']);
  assert.equal(CHAIN.bounds.map((b) => b({ ci, version: '1.0.0.2', manual: true }, NOW.getTime(), ctx)).filter(Boolean), [{ at: failedAt + HOUR / 2, reason: 'RetryBackoff' }]);
});

test('gate: a device nothing rules out passes every gate', () => {
  const { ci, ctx } = inputOf(config(), fleet([phone()], releases), 'p');
  assert.equal(CHAIN.autoGates.map((g) => g(ci, ctx)), CHAIN.autoGates.map(() => null));
});

// ---- target checks --------------------------------------------------------------------------------

const failed = (n: number) => Array.from({ length: n }, (_, i) => anOperation('p', 'firmware', '1.0.0.2', { id: `f${i}`, createdAt: hoursAgo(10 - i) }));
const targetChecks: [string, () => { ci: ComponentInput; ctx: PlanContext }, string, string][] = [
  ['a hop that failed retry.maxAttempts times is held', () => inputOf(config(alwaysOpen('default')), fleet([phone()], releases, failed(3)), 'p'),
    'FailureHold', '3 attempts of 1.0.0.2 failed; held until a person acts'],
  ['a version the device rolled back is not sent again', () => inputOf(config(), fleet([phone()], releases,
    [anOperation('p', 'firmware', '1.0.0.2', { id: 'ok-1', status: 'successful', createdAt: hoursAgo(5), completedAt: hoursAgo(4) })]), 'p'),
    'RolledBack', `the update to 1.0.0.2 succeeded (operation ok-1, ${hoursAgo(4)}) but the device reports 1.0.0.1: rolled back; not issued again until a person acts (a SoftwareUpdate, or a newer release)`],
];
for (const [sentence, input, reason, message] of targetChecks) {
  test(`target check: ${sentence}`, () => {
    const { ci, ctx } = input();
    const choice = choiceOf(ci, ctx);
    const d = CHAIN.targetChecks.map((c) => c(ci, choice, ctx)).find((x) => x !== null);
    assert.is(d?.reason, reason);
    assert.is(d?.message, message);
  });
}

test('target check: a release paused in the ring by failures beyond its threshold is not deployed', () => {
  const rooms = ['a', 'b', 'c'].map((id) => aRoom({ id, software: { firmware: '1.0.0.1' } }));
  const ops = ['a', 'b'].map((id) => anOperation(id, 'firmware', '1.0.0.2', { id: `op-${id}`, createdAt: daysAgo(10) }));
  const { ci, ctx } = inputOf(config(aRing('General', { order: 2, failureThreshold: 50 })), fleet(rooms, [aRelease('firmware', '1.0.0.1', { daysAgo: 200 }), aRelease('firmware', '1.0.0.2', { daysAgo: 60 })], ops), 'c');
  const d = CHAIN.targetChecks.map((c) => c(ci, choiceOf(ci, ctx), ctx)).find((x) => x !== null);
  assert.is(d?.reason, 'ReleasePaused');
  assert.is(d?.message, '1.0.0.2 is paused in ring General: 2 of 3 targeted devices failed (threshold 50%)');
});

// ---- bounds ---------------------------------------------------------------------------------------

test('bound: a failed hop waits for its backoff (30 minutes after one failure)', () => {
  const failedAt = Date.parse(hoursAgo(0.25));
  const { ci, ctx } = inputOf(config(), fleet([phone()], releases, [anOperation('p', 'firmware', '1.0.0.2', { createdAt: hoursAgo(0.25) })]), 'p');
  const holds = CHAIN.bounds.map((b) => b({ ci, version: '1.0.0.2', manual: false }, NOW.getTime(), ctx)).filter((h) => h !== null);
  assert.equal(holds, [{ at: failedAt + HOUR / 2, reason: 'RetryBackoff' }]);
});

test('bound: a tenant pause holds automatic starts until it lifts, not SoftwareUpdates', () => {
  const pausedAt = daysAgo(1);
  const { ci, ctx } = inputOf(config(aPolicy({ autoUpdates: { pausedAt } })), fleet([phone()], releases), 'p');
  const until = Date.parse(pausedAt) + 15 * 86_400_000;
  assert.equal(CHAIN.bounds.map((b) => b({ ci, version: '1.0.0.2', manual: false }, NOW.getTime(), ctx)).filter(Boolean), [{ at: until, reason: 'TenantPaused' }]);
  assert.equal(CHAIN.bounds.map((b) => b({ ci, version: '1.0.0.2', manual: true }, NOW.getTime(), ctx)).filter(Boolean), []);
  assert.equal(fleetHold(ctx, NOW.getTime()), { at: until, reason: 'TenantPaused' }, 'the release state asks the same bound');
  assert.is(fleetHold(ctx, until), null, 'nothing holds once it lifted');
});

test('bound: a freeze holds automatic starts until its end, naming it; SoftwareUpdates only when it says so', () => {
  const freeze = { name: 'close', start: '2026-11-18T00:00', end: '2026-11-20T00:00', reason: 'quarter close' };
  const { ci, ctx } = inputOf(config(aPolicy({ freezes: [freeze] })), fleet([phone()], releases), 'p');
  const hold = { at: Date.parse('2026-11-20T00:00:00Z'), reason: 'Frozen', message: 'frozen until 2026-11-20T00:00:00Z (FleetPolicy freeze close: quarter close)' };
  assert.equal(CHAIN.bounds.map((b) => b({ ci, version: '1.0.0.2', manual: false }, NOW.getTime(), ctx)).filter(Boolean), [hold]);
  assert.equal(CHAIN.bounds.map((b) => b({ ci, version: '1.0.0.2', manual: true }, NOW.getTime(), ctx)).filter(Boolean), []);
  assert.equal(fleetHold(ctx, NOW.getTime()), hold);
  const { ci: ci2, ctx: ctx2 } = inputOf(config(aPolicy({ freezes: [{ ...freeze, manualUpdates: 'frozen' }] })), fleet([phone()], releases), 'p');
  assert.equal(CHAIN.bounds.map((b) => b({ ci: ci2, version: '1.0.0.2', manual: true }, NOW.getTime(), ctx2)).filter(Boolean), [hold]);
});

test('bound: a freeze for some groups holds their devices only, and no release', () => {
  const freeze = { name: 'close', start: '2026-11-18T00:00', end: '2026-11-20T00:00', groups: ['lobby'] };
  const { ci, ctx } = inputOf(config(aGroup('lobby', { selector: { matchLabels: { site: 'lobby' } } }), aPolicy({ freezes: [freeze] })),
    fleet([phone(), phone({ id: 'l', labels: { site: 'lobby' } })], releases), 'p');
  assert.equal(CHAIN.bounds.map((b) => b({ ci, version: '1.0.0.2', manual: false }, NOW.getTime(), ctx)).filter(Boolean), []);
  assert.is(fleetHold(ctx, NOW.getTime()), null);
  const { ci: lobby } = inputOf(config(aGroup('lobby', { selector: { matchLabels: { site: 'lobby' } } }), aPolicy({ freezes: [freeze] })),
    fleet([phone(), phone({ id: 'l', labels: { site: 'lobby' } })], releases), 'l');
  assert.is(CHAIN.bounds.map((b) => b({ ci: lobby, version: '1.0.0.2', manual: false }, NOW.getTime(), ctx)).find(Boolean)?.reason, 'Frozen');
});

test('notice: a freeze ahead is a finding naming its dates and groups; one that has ended is not', () => {
  const { ctx } = inputOf(config(aPolicy({ freezes: [
    { name: 'xmas', start: '2026-12-24T00:00', end: '2026-12-27T00:00', timeZone: 'Europe/London', groups: ['b', 'a'], manualUpdates: 'frozen' },
    { name: 'past', start: '2026-11-01T00:00', end: '2026-11-02T00:00' },
  ] })), fleet([phone()], releases), 'p');
  assert.equal(notices(ctx), [{
    code: 'Frozen', objects: ['FleetPolicy/default'],
    message: 'automatic updates and SoftwareUpdates are frozen from 2026-12-24T00:00:00Z until 2026-12-27T00:00:00Z for DeviceGroups a, b (FleetPolicy freeze xmas)',
  }]);
});

test('settle: the bounds and the window together — a retry after its backoff starts at the next opening', () => {
  const { ci, ctx } = inputOf(config(aWindow('default', { start: '22:00', end: '03:00' }), aPolicy({ retry: { backoff: '1h' } })),
    fleet([phone()], releases, [anOperation('p', 'firmware', '1.0.0.2', { createdAt: hoursAgo(0.5) })]), 'p');
  const s = settle({ ci, version: '1.0.0.2', manual: false }, NOW.getTime(), ctx, ci.d.calendar);
  assert.is(new Date(s.at).toISOString(), '2026-11-22T22:00:00.000Z', 'the default window is Sundays; NOW is a Wednesday');
  assert.is(s.hold?.reason, 'RetryBackoff');
  assert.ok(s.windowMoved);
});

// ---- notices --------------------------------------------------------------------------------------

test('notice: a tenant pause in force is one finding / note, naming the FleetPolicy', () => {
  const pausedAt = daysAgo(1);
  const { ctx } = inputOf(config(aPolicy({ autoUpdates: { pausedAt } })), fleet([phone()], releases), 'p');
  assert.equal(notices(ctx), [{
    code: 'TenantPaused', objects: ['FleetPolicy/default'],
    message: `automatic updates are paused from ${pausedAt} until ${new Date(Date.parse(pausedAt) + 15 * 86_400_000).toISOString()} (15 days; remove autoUpdates.pausedAt to resume earlier)`,
  }]);
  const { ctx: none } = inputOf(config(), fleet([phone()], releases), 'p');
  assert.equal(notices(none), []);
});

test.run();
