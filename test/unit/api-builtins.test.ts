// Built-in phases, rings and the default window (controller/api/builtins.ts), as validation and the planner
// both resolve them: user objects of the same name (any case) override field by field; custom ones get defaults.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  BUILTIN_PHASES, DEFAULT_WINDOW, canonicalPhaseName, canonicalRingName, canonicalWindowName, resolvePhases, resolveRings,
} from '../../controller/api/builtins.ts';

const named = <S>(name: string, spec: S) => ({ metadata: { name }, spec });

test('seed 000: Validation 0/0, General 30/15, Final 90/45 days (firmware/teamsClient), 21 days of rollout', () => {
  const p = resolvePhases([]);
  assert.equal([...p.values()].map((x) => `${x.name} ${x.deferrals.firmware}/${x.deferrals.teamsClient} ${x.rolloutDuration}`), [
    'Validation 0d/0d 21d', 'General 30d/15d 21d', 'Final 90d/45d 21d',
  ]);
  assert.is(BUILTIN_PHASES.General.lagVersions, 0);
});

test('a user phase named like a built-in, in any case, overrides only the fields it sets', () => {
  const p = resolvePhases([named('general', { deferrals: { firmware: '20d' } })]);
  const g = p.get('General')!;
  assert.equal([g.deferrals.firmware, g.deferrals.teamsClient, g.rolloutDuration, g.builtIn], ['20d', '15d', '21d', true]);
  assert.not.ok(p.has('general'));
});

test('a custom phase defers like General for the components it leaves out', () => {
  const c = resolvePhases([named('contact-centre', { deferrals: { teamsClient: '7d' }, lagVersions: 1 })]).get('contact-centre')!;
  assert.equal([c.deferrals.firmware, c.deferrals.teamsClient, c.rolloutDuration, c.lagVersions, c.builtIn], ['30d', '7d', '21d', 1, false]);
});

test('rings resolve in order, built-ins first by order, overrides and custom rings merged', () => {
  const rings = resolveRings([
    named('pilot', { order: 4 }),
    named('EXECUTIVE', { order: 5, testPeriod: '10d' }),
  ]);
  assert.equal(rings.map((r) => `${r.order} ${r.name} ${r.deferment}+${r.rolloutDuration}+${r.testPeriod} ${r.startDays.join(',')}`), [
    '1 Staging 0d+5d+5d Wednesday',
    '2 General 0d+14d+7d Wednesday',
    '4 pilot 0d+7d+7d Wednesday',
    '5 Executive 0d+7d+10d Wednesday',
  ]);
});

test('references resolve built-in names in any case and leave custom names alone', () => {
  assert.equal(['executive', 'General', 'pilot'].map(canonicalRingName), ['Executive', 'General', 'pilot']);
  assert.equal(['VALIDATION', 'final', 'slow'].map(canonicalPhaseName), ['Validation', 'Final', 'slow']);
  assert.equal(['Default', 'nightly'].map(canonicalWindowName), ['default', 'nightly']);
});

test('the default window is Sunday 01:00–04:00 in the device\'s own zone (seed 000)', () => {
  assert.equal(DEFAULT_WINDOW, { start: '01:00', end: '04:00', days: ['Sunday'], timeZone: 'device' });
});

test.run();
