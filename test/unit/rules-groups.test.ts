// Device groups: references to phases, rings and windows must exist (built-ins count); a group follows
// either a phase or a ring; only firmware and teamsClient update automatically (seed 000).
import { test } from 'uvu';
import { aGroup, aPhase, aRing, aWindow, anUpdate, assertLoaded, assertRefused, loadObjects } from '../support/config.ts';

test('a group may name built-in phases, rings and the default window without declaring them, in any case', () => {
  assertLoaded(loadObjects(
    aGroup('lobby', { updatePhase: 'Validation', maintenanceWindow: 'default' }),
    aGroup('phones', { updatePhase: 'general' }),
    aGroup('boardrooms', { selector: { deviceTypes: ['teamsRoom'] }, ring: 'Executive' }),
    aGroup('rooms', { selector: { deviceTypes: ['teamsRoom'] }, ring: 'staging' }),
  ), ['DeviceGroup/lobby', 'DeviceGroup/phones', 'DeviceGroup/boardrooms', 'DeviceGroup/rooms']);
});

test('a group naming declared objects is accepted', () => {
  assertLoaded(loadObjects(
    aPhase('contact-centre', { deferrals: { firmware: '45d' } }),
    aRing('pilot', { order: 4, rolloutDuration: '2d', testPeriod: '2d' }),
    aWindow('nightly', '00:00', '05:00'),
    aGroup('agents', { updatePhase: 'contact-centre', maintenanceWindow: 'nightly' }),
    aGroup('pilot-rooms', { selector: { deviceTypes: ['teamsRoom'] }, ring: 'pilot', maintenanceWindow: 'nightly' }),
  ), ['UpdatePhase/contact-centre', 'Ring/pilot', 'MaintenanceWindow/nightly', 'DeviceGroup/agents', 'DeviceGroup/pilot-rooms']);
});

test('a group naming a missing phase, ring or window is refused, listing what exists', () => {
  assertRefused(loadObjects(
    aPhase('contact-centre'),
    aGroup('a', { updatePhase: 'contact-center' }),
    aGroup('b', { selector: { deviceTypes: ['teamsRoom'] }, ring: 'Exec', maintenanceWindow: 'nightly' }),
  ), [
    'config.yaml:15: DeviceGroup/a spec.updatePhase: UpdatePhase "contact-center" does not exist; declared or built in: Validation, General, Final, contact-centre',
    'config.yaml:25: DeviceGroup/b spec.ring: Ring "Exec" does not exist; declared or built in: Staging, General, Executive',
    'config.yaml:26: DeviceGroup/b spec.maintenanceWindow: MaintenanceWindow "nightly" does not exist; declared or built in: default, default-rooms',
  ]);
});

test('a reference to an object that exists but is itself invalid is not reported as missing', () => {
  assertRefused(loadObjects(
    aWindow('nightly', '00:00', '01:00'),
    aGroup('rooms', { maintenanceWindow: 'nightly' }),
  ), [
    'config.yaml:7: MaintenanceWindow/nightly spec.end: the window 00:00–01:00 lasts 1h; a maintenance window must last at least 3 hours (seed 000)',
  ]);
});

test('a group with both updatePhase and ring is refused', () => {
  assertRefused(loadObjects(aGroup('mixed', { updatePhase: 'General', ring: 'General' })), [
    'config.yaml:10: DeviceGroup/mixed spec.ring: set either updatePhase or ring, not both (phones follow update phases, room systems follow rings)',
  ]);
});

test('autoUpdate.components accepts firmware and teamsClient', () => {
  assertLoaded(loadObjects(aGroup('phones', { autoUpdate: { components: ['firmware', 'teamsClient'] } })), ['DeviceGroup/phones']);
});

test('autoUpdate.components naming another component is refused, pointing at SoftwareUpdate', () => {
  assertRefused(loadObjects(aGroup('phones', { autoUpdate: { components: ['firmware', 'adminAgent'] } })), [
    'config.yaml:12: DeviceGroup/phones spec.autoUpdate.components[1]: "adminAgent" does not update automatically; only firmware and teamsClient do (use a SoftwareUpdate for the others)',
  ]);
});

test('a device type that Graph does not know is refused with the nearest one', () => {
  assertRefused(loadObjects(aGroup('phones', { selector: { deviceTypes: ['ipphone', 'deskPhone'] } })), [
    'config.yaml:8: DeviceGroup/phones spec.selector.deviceTypes[0]: "ipphone" is not allowed (did you mean ipPhone?); one of: ipPhone, lowCostPhone, teamsRoom, collaborationBar, teamsPanel, teamsDisplay, touchConsole, surfaceHub, sip',
    'config.yaml:9: DeviceGroup/phones spec.selector.deviceTypes[1]: "deskPhone" is not allowed; one of: ipPhone, lowCostPhone, teamsRoom, collaborationBar, teamsPanel, teamsDisplay, touchConsole, surfaceHub, sip',
  ]);
});

test('a pinned version must be a vendor version of a known component', () => {
  assertLoaded(loadObjects(aGroup('held', { pin: { firmware: '58.15.0.124' } })), ['DeviceGroup/held']);
  assertRefused(loadObjects(aGroup('held', { pin: { firmware: 'v58', teams: '1.0' } })), [
    'config.yaml:10: DeviceGroup/held spec.pin.firmware: "v58" is not a version; write dotted numbers such as 58.15.0.124',
    'config.yaml:11: DeviceGroup/held spec.pin.teams: unknown field; known fields: teamsClient, firmware, adminAgent, companyPortal, operatingSystem, partnerAgent',
  ]);
});

test('a SoftwareUpdate naming a missing group is refused', () => {
  assertRefused(loadObjects(aGroup('phones'), anUpdate('fw', { target: { group: 'phone' } })), [
    'config.yaml:16: SoftwareUpdate/fw spec.target.group: DeviceGroup "phone" does not exist; declared: phones',
  ]);
});

test('phase deferrals and lagVersions are checked', () => {
  assertRefused(loadObjects(aPhase('slow', { deferrals: { firmware: '30', companyPortal: '1d' }, lagVersions: 5 })), [
    'config.yaml:7: UpdatePhase/slow spec.deferrals.firmware: "30" is not a duration; write days, hours, minutes, seconds such as 30d, 12h, 90m or 1d12h',
    'config.yaml:8: UpdatePhase/slow spec.deferrals.companyPortal: unknown field; known fields: firmware, teamsClient',
    'config.yaml:9: UpdatePhase/slow spec.lagVersions: must be between 0 and 3 (got 5)',
  ]);
});

test('a phase or window overriding a built-in twice, in different case, is refused; once is fine', () => {
  assertLoaded(loadObjects(aPhase('final', { deferrals: { firmware: '60d' } }), aWindow('default', '02:00', '05:00')), ['UpdatePhase/final', 'MaintenanceWindow/default']);
  assertRefused(loadObjects(aPhase('Final'), aPhase('final'), aWindow('default', '02:00', '05:00'), aWindow('Default', '02:00', '05:00')), [
    'config.yaml:10: UpdatePhase/final metadata.name: UpdatePhase/final and UpdatePhase/Final (config.yaml:4) both override the built-in phase Final; keep one',
    'config.yaml:24: MaintenanceWindow/Default metadata.name: MaintenanceWindow/Default and MaintenanceWindow/default (config.yaml:16) both override the built-in window default; keep one',
  ]);
});

test.run();
