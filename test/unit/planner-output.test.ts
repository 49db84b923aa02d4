// The plan as a whole (issue 3 items 2 and 6): operations are exactly the Due components, the
// seed-000 update-paths widget, the seed-001 release states, findings, determinism.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  NOW, aGroup, aPhase, aPhone, aRelease, aRoom, alwaysOpen, componentOf, config, fleet, planAt,
} from '../support/builders.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateFleet } from '../../bench/support/fleetgen.ts';
import type { FleetDevice } from '../../controller/api/types.ts';
import { plan } from '../../controller/planner/index.ts';

const objs = [alwaysOpen('default'), aPhase('Validation', { rolloutDuration: '0d' }), aPhase('General', { rolloutDuration: '0d' }),
  aGroup('lab', { selector: { matchLabels: { lab: 'yes' } }, updatePhase: 'Validation' })];
const releases = [aRelease('firmware', '1.0.0.1'), aRelease('firmware', '1.0.0.2', { daysAgo: 40 }), aRelease('firmware', '1.0.0.3', { daysAgo: 5 })];
const phones = [
  aPhone({ id: 'lab-1', labels: { lab: 'yes' }, software: { firmware: '1.0.0.1' } }),
  aPhone({ id: 'lab-2', labels: { lab: 'yes' }, software: { firmware: '1.0.0.2' } }),
  aPhone({ id: 'gen-1', software: { firmware: '1.0.0.1' } }),
  aPhone({ id: 'gen-2', software: { firmware: '1.0.0.1' } }),
  aPhone({ id: 'gen-3', software: { firmware: '1.0.0.3' } }),
];

test('operations are exactly the components that are Due, in device and component order', () => {
  const p = planAt(config(...objs), fleet(phones, releases));
  const due = p.devices.flatMap((d) => d.components.filter((c) => c.state === 'Due').map((c) => [d.id, c.component, c.currentVersion, c.targetVersion]));
  assert.equal(p.operations.map((o) => [o.deviceId, o.component, o.fromVersion, o.toVersion]), due);
  assert.equal(p.operations.map((o) => o.deviceId), ['gen-1', 'gen-2', 'lab-1', 'lab-2']);
});

test('every component carries state, reason, versions and notBefore', () => {
  const p = planAt(config(...objs), fleet(phones, releases));
  const c = componentOf(p, 'gen-1', 'firmware');
  assert.equal(Object.keys(c), ['component', 'currentVersion', 'targetVersion', 'state', 'reason', 'notBefore']);
  assert.equal(p.devices.find((d) => d.id === 'gen-1'), { id: 'gen-1', group: null, phase: 'General', ring: null, maintenanceWindow: 'default', components: [c] });
  assert.is(p.at, NOW.toISOString());
});

test('the update paths count devices ready per model and current → new version, with the active phase', () => {
  const p = planAt(config(...objs), fleet(phones, releases));
  assert.equal(p.updatePaths, [
    // gen-1, gen-2 (General: 1.0.0.2 is past its 30 days, 1.0.0.3 is not); lab-1 (Validation) goes straight to 1.0.0.3.
    { manufacturer: 'Yealink', model: 'MP56', component: 'firmware', currentVersion: '1.0.0.1', newVersion: '1.0.0.2', eligibleDevices: 2, activeStage: 'General' },
    { manufacturer: 'Yealink', model: 'MP56', component: 'firmware', currentVersion: '1.0.0.1', newVersion: '1.0.0.3', eligibleDevices: 1, activeStage: 'Validation' },
    { manufacturer: 'Yealink', model: 'MP56', component: 'firmware', currentVersion: '1.0.0.2', newVersion: '1.0.0.3', eligibleDevices: 1, activeStage: 'Validation' },
  ]);
});

test('the update path includes stragglers of an earlier phase and names the latest active phase', () => {
  const p = planAt(config(...objs), fleet(phones.slice(0, 4), releases.slice(0, 2)));
  assert.equal(p.updatePaths, [
    { manufacturer: 'Yealink', model: 'MP56', component: 'firmware', currentVersion: '1.0.0.1', newVersion: '1.0.0.2', eligibleDevices: 3, activeStage: 'General' },
  ]);
});

test('devices whose phase has not opened are not counted as eligible', () => {
  const p = planAt(config(...objs), fleet([aPhone({ id: 'g', software: { firmware: '1.0.0.2' } })], releases));
  assert.is(componentOf(p, 'g', 'firmware').state, 'Scheduled');
  assert.equal(p.updatePaths, []);
});

test('each release has a seed-001 state and per-stage counts', () => {
  const p = planAt(config(...objs), fleet(phones, releases));
  const r2 = p.releases.find((r) => r.version === '1.0.0.2')!;
  assert.is(r2.state, 'InProgress');
  const general = r2.stages.find((s) => s.name === 'General')!;
  assert.equal([general.kind, general.devices, general.updated, general.failed], ['phase', 3, 1, 0]);
  assert.is(p.releases.find((r) => r.version === '1.0.0.1')!.state, 'Completed');
  assert.equal(p.releases.map((r) => r.version), ['1.0.0.1', '1.0.0.2', '1.0.0.3']);
});

test('a release no device in the fleet can take is NotRequired', () => {
  const p = planAt(config(...objs), fleet(phones, [...releases, aRelease('firmware', '3.0.0.0', { models: ['CCX600'] })]));
  assert.is(p.releases.find((r) => r.version === '3.0.0.0')!.state, 'NotRequired');
});

test('phones are staged by phase and rooms by ring in the same plan', () => {
  const p = planAt(config(...objs), fleet([...phones, aRoom({ id: 'room', software: { firmware: '1.0.0.1' } })], releases));
  const kinds = new Set(p.releases.find((r) => r.version === '1.0.0.3')!.stages.map((s) => s.kind));
  assert.equal([...kinds].sort(), ['phase', 'ring']);
});

test('the same inputs give byte-identical JSON', () => {
  const a = JSON.stringify(planAt(config(...objs), fleet(phones, releases)));
  const b = JSON.stringify(planAt(config(...[...objs].reverse()), fleet([...phones].reverse(), [...releases].reverse())));
  assert.is(a, b);
});

test('a generated fleet of 3000 devices plans to the same JSON twice, whatever the device order', () => {
  const { desired, observed, now } = generateFleet(3000, 7);
  const a = JSON.stringify(plan(desired, observed, now));
  assert.is(JSON.stringify(plan(desired, observed, now)), a);
  assert.is(JSON.stringify(plan(desired, { ...observed, devices: [...observed.devices].reverse(), operations: [...observed.operations].reverse() }, now)), a);
});

test('planning does not change its inputs', () => {
  const devices = structuredClone(phones);
  const rel = structuredClone(releases);
  planAt(config(...objs), fleet(devices, rel));
  assert.equal(devices, phones);
  assert.equal(rel, releases);
});

test('the planner reads no clock and draws no random numbers (now is an argument, slots are hashes)', () => {
  const dir = join(import.meta.dirname, '../../controller/planner');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    const src = readFileSync(join(dir, f), 'utf8');
    assert.not.match(src, /Date\.now\(|new Date\(\)|Math\.random\(|performance\.now\(/, f);
  }
});

test('a device reported without software, manufacturer or labels is planned with nothing to update', () => {
  const bare = { id: 'bare', deviceType: 'ipPhone', timeZone: 'UTC' } as unknown as FleetDevice;
  const p = planAt(config(aGroup('poly', { selector: { manufacturers: ['Poly'], matchLabels: { a: 'b' } } })), fleet([bare, ...phones], releases));
  assert.equal(p.devices.find((d) => d.id === 'bare'), { id: 'bare', group: null, phase: 'General', ring: null, maintenanceWindow: 'default', components: [] });
  assert.is(p.devices.length, phones.length + 1);
});

test('an invalid clock is a clear error', () => {
  assert.throws(() => planAt(config(), fleet([]), new Date('nope')), /`now` is not a valid date/);
});

test('an empty fleet gives an empty plan', () => {
  const p = planAt(config(), fleet([], releases));
  assert.equal([p.operations, p.devices, p.updatePaths, p.findings], [[], [], [], []]);
  assert.ok(p.releases.every((r) => r.state === 'NotRequired'));
});

test.run();
