// Object-level rules: identity (apiVersion, kind, name), duplicates, the FleetPolicy singleton,
// SoftwareUpdate targets and schedules, release versions, wrong types and unknown fields.
import { test } from 'uvu';
import { aGroup, aPolicy, aRelease, aRing, anObject, anUpdate, assertLoaded, assertRefused, loadFiles, loadObjects, yamlOf } from '../support/config.ts';

test('the FleetPolicy named default is accepted', () => {
  assertLoaded(loadObjects(aPolicy('default', { cloud: 'commercial', autoUpdates: { pausedAt: '2026-11-20T09:00:00Z' } })), ['FleetPolicy/default']);
});

test('a FleetPolicy with another name is refused: it is a singleton', () => {
  assertRefused(loadObjects(aPolicy('tenant')), [
    'config.yaml:4: FleetPolicy/tenant metadata.name: a FleetPolicy must be named default (there is one per fleet; got "tenant")',
  ]);
});

test('a kind/name declared twice is refused on the second, naming the first, even across files', () => {
  assertRefused(loadFiles({
    'a.yaml': yamlOf(aGroup('phones')),
    'sub/b.yaml': yamlOf(aGroup('phones', { updatePhase: 'Final' })),
  }), [
    'sub/b.yaml:4: DeviceGroup/phones metadata.name: DeviceGroup/phones is declared twice; the first is at a.yaml:4',
  ]);
});

test('the same name in two kinds is no duplicate', () => {
  assertLoaded(loadObjects(aGroup('pilot'), aRing('pilot', { order: 4, rolloutDuration: '1d', testPeriod: '1d' })), ['DeviceGroup/pilot', 'Ring/pilot']);
});

test('an unknown kind and an unknown apiVersion are refused, with the nearest kind', () => {
  assertRefused(loadFiles({
    'a.yaml': 'apiVersion: fleetward.dev/v1alpha1\nkind: DeviceGrop\nmetadata: {name: x}\nspec: {}\n---\napiVersion: fleetward.dev/v1\nkind: Ring\nmetadata: {name: y}\nspec: {order: 4}\n',
  }), [
    'a.yaml:2: kind: unknown kind "DeviceGrop" (did you mean DeviceGroup?); known kinds: DeviceGroup, UpdatePhase, Ring, MaintenanceWindow, ProvisioningBatch, SoftwareUpdate, FleetPolicy, SoftwareRelease, NotificationProvider, NotificationRule, DeviceInventory',
    'a.yaml:6: Ring/y apiVersion: "fleetward.dev/v1" is not a Fleetward API version; use fleetward.dev/v1alpha1',
  ]);
});

test('a document that is not a mapping is refused', () => {
  assertRefused(loadFiles({ 'a.yaml': '- just\n- a list\n' }), [
    'a.yaml:1: a document must be a mapping with apiVersion, kind, metadata and spec (got a list)',
  ]);
});

test('an object without metadata.name or spec is refused', () => {
  assertRefused(loadFiles({ 'a.yaml': 'apiVersion: fleetward.dev/v1alpha1\nkind: Ring\nmetadata: {}\n' }), [
    'a.yaml:1: Ring spec: is required',
    'a.yaml:3: Ring metadata.name: is required',
  ]);
});

test('wrong types are refused, saying what was found', () => {
  assertRefused(loadObjects(aRing('pilot', { order: 'four', startDays: 'Monday' }), aGroup('g', { suspend: 'yes', priority: 1.5 })), [
    'config.yaml:6: Ring/pilot spec.order: must be a whole number (got the text "four")',
    'config.yaml:7: Ring/pilot spec.startDays: must be a list (got the text "Monday")',
    'config.yaml:17: DeviceGroup/g spec.suspend: must be true or false (got the text "yes")',
    'config.yaml:18: DeviceGroup/g spec.priority: must be a whole number (got the number 1.5)',
  ]);
});

test('a version YAML reads as a number is refused with the advice to quote it', () => {
  assertRefused(loadObjects(aRelease('1.0', { version: 1.0 })), [
    'config.yaml:7: SoftwareRelease/fw-1-0 spec.version: must be text (got the number 1); put the value in quotes',
  ]);
});

test('an unknown field is refused, with the nearest known field', () => {
  assertRefused(loadObjects(aRing('pilot', { order: 4, rolloutDuraton: '5d' })), [
    'config.yaml:7: Ring/pilot spec.rolloutDuraton: unknown field (did you mean rolloutDuration?)',
  ]);
});

test('a SoftwareUpdate needs exactly one of target.group or target.devices', () => {
  assertLoaded(loadObjects(anUpdate('one', { target: { devices: ['dev-1'] }, schedule: 'now', force: true })), ['SoftwareUpdate/one']);
  assertRefused(loadObjects(aGroup('phones'), anUpdate('both', { target: { group: 'phones', devices: ['dev-1'] } }), anUpdate('none', { target: {} })), [
    'config.yaml:15: SoftwareUpdate/both spec.target: set exactly one of group or devices',
    'config.yaml:27: SoftwareUpdate/none spec.target: set exactly one of group or devices',
  ]);
});

test('acknowledgeForcedDevices is accepted on a forced update and refused without force, and nothing of that config loads', () => {
  assertLoaded(loadObjects(anUpdate('forced', { target: { devices: ['dev-1'] }, schedule: 'now', force: true, acknowledgeForcedDevices: 47 })), ['SoftwareUpdate/forced']);
  assertRefused(loadObjects(aGroup('phones'), anUpdate('plain', { target: { group: 'phones' }, schedule: 'now', acknowledgeForcedDevices: 47 })), [
    'config.yaml:20: SoftwareUpdate/plain spec.acknowledgeForcedDevices: acknowledgeForcedDevices counts the devices a forced update interrupts: it needs force: true (remove it, or set force)',
  ]);
});

test('schedules: now, nextMaintenanceWindow and {at, timeZone} are accepted', () => {
  assertLoaded(loadObjects(
    aGroup('phones'),
    anUpdate('a', { schedule: 'now' }),
    anUpdate('b', { schedule: 'nextMaintenanceWindow' }),
    anUpdate('c', { schedule: { at: '2026-12-01T02:30', timeZone: 'Europe/Paris' } }),
    anUpdate('d', { schedule: { at: '2026-12-01T02:30' } }),
  ), ['DeviceGroup/phones', 'SoftwareUpdate/a', 'SoftwareUpdate/b', 'SoftwareUpdate/c', 'SoftwareUpdate/d']);
});

test('malformed schedules are refused with the three accepted shapes', () => {
  assertRefused(loadObjects(
    aGroup('phones'),
    anUpdate('a', { schedule: 'tonight' }),
    anUpdate('b', { schedule: { at: '2026-02-30T02:30', timeZone: 'Paris', when: 1 } }),
    anUpdate('c', { schedule: 3 }),
  ), [
    'config.yaml:19: SoftwareUpdate/a spec.schedule: "tonight" is not a schedule; write now, nextMaintenanceWindow, or {at: YYYY-MM-DDTHH:MM, timeZone: device or an IANA zone}',
    'config.yaml:31: SoftwareUpdate/b spec.schedule.at: "2026-02-30T02:30" is not a local date and time; write YYYY-MM-DDTHH:MM (the zone is timeZone)',
    'config.yaml:32: SoftwareUpdate/b spec.schedule.timeZone: "Paris" is not an IANA time zone; write device or a name such as Europe/Paris',
    'config.yaml:33: SoftwareUpdate/b spec.schedule.when: unknown field; a schedule has at and timeZone',
    'config.yaml:44: SoftwareUpdate/c spec.schedule: must be text or a mapping (got the number 3); write now, nextMaintenanceWindow, or {at: YYYY-MM-DDTHH:MM, timeZone: device or an IANA zone}',
  ]);
});

test('a SoftwareUpdate of an unknown component or a malformed version is refused', () => {
  assertRefused(loadObjects(aGroup('phones'), anUpdate('x', { component: 'teamsApp', version: '1.0-beta' })), [
    'config.yaml:17: SoftwareUpdate/x spec.component: "teamsApp" is not allowed; one of: teamsClient, firmware, adminAgent, companyPortal, operatingSystem, partnerAgent',
    'config.yaml:18: SoftwareUpdate/x spec.version: "1.0-beta" is not a version; write dotted numbers such as 58.15.0.124, or latest',
  ]);
});

test('a release whose minimumVersion is above its own version is refused', () => {
  assertLoaded(loadObjects(aRelease('58.15.0.124', { minimumVersion: '58.14.0.7' })), ['SoftwareRelease/fw-58-15-0-124']);
  assertRefused(loadObjects(aRelease('58.15.0.124', { minimumVersion: '58.16' })), [
    'config.yaml:10: SoftwareRelease/fw-58-15-0-124 spec.minimumVersion: 58.16 is newer than the release itself (58.15.0.124); a release cannot require a newer version than it installs',
  ]);
});

test('a release with a malformed releasedAt or label is refused', () => {
  assertRefused(loadObjects(aRelease('1.0.96.22', { releasedAt: '1 Oct 2026', label: 'beta' })), [
    'config.yaml:8: SoftwareRelease/fw-1-0-96-22 spec.releasedAt: "1 Oct 2026" is not an ISO-8601 instant; write e.g. 2026-11-23T15:00:00Z',
    'config.yaml:9: SoftwareRelease/fw-1-0-96-22 spec.label: "beta" is not allowed; one of: verified, preview',
  ]);
});

test('the same release declared twice is refused; the same version for other models is not', () => {
  assertLoaded(loadObjects(aRelease('58.15.0.124', { models: ['T58'] }), { ...aRelease('58.15.0.124', { models: ['VP59'] }), metadata: { name: 'vp59' } }),
    ['SoftwareRelease/fw-58-15-0-124', 'SoftwareRelease/vp59']);
  assertRefused(loadObjects(aRelease('58.15.0.124'), { ...aRelease('58.15.0.124'), metadata: { name: 'again' } }), [
    'config.yaml:17: SoftwareRelease/again spec.version: firmware 58.15.0.124 for the same devices is already declared by SoftwareRelease/fw-58-15-0-124 (config.yaml:4); keep one',
  ]);
});

test('a retry backoff longer than maxBackoff is refused', () => {
  assertLoaded(loadObjects(aPolicy('default', { retry: { backoff: '5m', maxBackoff: '1h' } })), ['FleetPolicy/default']);
  assertRefused(loadObjects(aPolicy('default', { retry: { backoff: '2h', maxBackoff: '1h' } })), [
    'config.yaml:7: FleetPolicy/default spec.retry.backoff: 2h is longer than maxBackoff (1h); the first delay cannot exceed the longest',
  ]);
});

test('FleetPolicy fields are range-checked', () => {
  assertRefused(loadObjects(aPolicy('default', { cloud: 'gcc', retry: { maxAttempts: 50 }, failureThreshold: 101 })), [
    'config.yaml:6: FleetPolicy/default spec.cloud: "gcc" is not allowed (did you mean gcch?); one of: commercial, gcch, dod',
    'config.yaml:8: FleetPolicy/default spec.retry.maxAttempts: must be between 0 and 20 (got 50)',
    'config.yaml:9: FleetPolicy/default spec.failureThreshold: must be between 0 and 100 (got 101)',
  ]);
});

test('object names must be names', () => {
  assertRefused(loadObjects(anObject('DeviceGroup', 'my group!', { selector: {} })), [
    'config.yaml:4: DeviceGroup/my group! metadata.name: "my group!" is not a valid name; use letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit',
  ]);
});

test('status in a committed file is ignored, not loaded', () => {
  const r = loadFiles({ 'a.yaml': yamlOf({ ...aGroup('phones'), status: { devices: 3 } }) });
  assertLoaded(r, ['DeviceGroup/phones']);
  if (r.ok && 'status' in r.revision.objects[0]!) throw new Error('status was loaded');
});

test.run();
