// DeviceInventory (docs/spec/deviceinventories.md): the config repo's time zones, sites and labels for devices the
// back end reports without them (Graph gives none). Validated like the rest of the config; applied by id, serial
// number or MAC address.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeviceInventory, FleetDevice } from '../../controller/api/types.ts';
import { applyInventory } from '../../controller/api/inventory.ts';
import { anObject, assertLoaded, assertRefused, loadFiles, loadObjects, yamlOf } from '../support/config.ts';

const anInventory = (name: string, spec: Record<string, unknown>) => anObject('DeviceInventory', name, spec);

function aPhone(id: string, over: Partial<FleetDevice> = {}): FleetDevice {
  return { id, deviceType: 'ipPhone', manufacturer: 'Yealink', model: 'MP56', timeZone: 'UTC', software: { firmware: '122.15.0.36' }, ...over };
}

test('a well-formed inventory loads', () => {
  assertLoaded(loadObjects(anInventory('berlin', {
    defaults: { timeZone: 'Europe/Berlin', site: 'berlin-hq' },
    devices: [{ id: 'dev-1' }, { serialNumber: 'SN-2', labels: { floor: '3' } }, { macAddress: 'aa:bb:cc:00:00:03', timeZone: 'Europe/Paris' }],
  })), ['DeviceInventory/berlin']);
});

test('an entry naming no device, or two keys at once, is refused at its line', () => {
  assertRefused(loadObjects(anInventory('bad', { devices: [{ timeZone: 'Europe/Berlin' }, { id: 'd1', macAddress: 'aa-bb-cc-00-00-01' }] })), [
    'config.yaml:7: DeviceInventory/bad spec.devices[0]: name the device by exactly one of id, serialNumber or macAddress',
    'config.yaml:8: DeviceInventory/bad spec.devices[1]: name the device by exactly one of id, serialNumber or macAddress (this entry names 2)',
  ]);
});

test('a device listed twice — across objects and MAC spellings — names the first listing', () => {
  const r = loadFiles({
    'inventory/berlin.yaml': yamlOf(anInventory('berlin', { devices: [{ macAddress: 'aa:bb:cc:00:00:01' }] })),
    'inventory/paris.yaml': yamlOf(anInventory('paris', { devices: [{ id: 'x' }, { macAddress: 'AABB.CC00.0001' }] })),
  });
  assertRefused(r, [
    'inventory/paris.yaml:8: DeviceInventory/paris spec.devices[1].macAddress: "AABB.CC00.0001" is already listed by DeviceInventory/berlin spec.devices[0] (inventory/berlin.yaml:4); list each device once',
  ]);
});

test('a time zone that does not exist, and a site set twice, are refused', () => {
  assertRefused(loadObjects(anInventory('z', {
    defaults: { timeZone: 'Europe/Berln' },
    devices: [{ id: 'a', timeZone: 'device' }, { id: 'b', site: 's1', labels: { site: 's2' } }],
  })), [
    'config.yaml:7: DeviceInventory/z spec.defaults.timeZone: "Europe/Berln" is not an IANA time zone (did you mean Europe/Berlin?); write a name such as Europe/Paris',
    'config.yaml:10: DeviceInventory/z spec.devices[0].timeZone: "device" is not an IANA time zone; write a name such as Europe/Paris',
    'config.yaml:14: DeviceInventory/z spec.devices[1].labels.site: site is already set by the entry\'s site field (it becomes the label site); set it once',
  ]);
});

test('devices take time zone, site and labels by id first, then serial number, then MAC; the rest are untouched', () => {
  const inventory = (name: string, spec: DeviceInventory['spec']): DeviceInventory =>
    ({ apiVersion: 'fleetward.dev/v1alpha1', kind: 'DeviceInventory', metadata: { name }, spec });
  const devices = [
    aPhone('d1', { macAddress: '00-15-65-00-00-01', labels: { tier: 'pilot' } }),
    aPhone('d2', { serialNumber: 'sn-0002', macAddress: '00-15-65-00-00-02' }),
    aPhone('d3', { macAddress: '00-15-65-00-00-03' }),
    aPhone('d4'),
  ];
  const r = applyInventory(devices, [
    inventory('berlin', {
      defaults: { timeZone: 'Europe/Berlin', site: 'berlin-hq', labels: { country: 'de' } },
      devices: [{ id: 'd1', labels: { floor: '3' } }, { serialNumber: 'SN-0002', timeZone: 'Europe/Vienna' }, { macAddress: '0015.6500.0002', site: 'ignored' }],
    }),
    inventory('paris', { devices: [{ macAddress: '00:15:65:00:00:03', timeZone: 'Europe/Paris', site: 'paris' }, { id: 'gone' }] }),
  ]);
  assert.equal(r.devices.map((d) => [d.id, d.timeZone, d.labels ?? {}]), [
    ['d1', 'Europe/Berlin', { tier: 'pilot', country: 'de', floor: '3', site: 'berlin-hq' }],
    ['d2', 'Europe/Vienna', { country: 'de', site: 'berlin-hq' }],
    ['d3', 'Europe/Paris', { site: 'paris' }],
    ['d4', 'UTC', {}],
  ]);
  assert.is(r.devices[3], devices[3], 'a device no entry names is the same object');
  assert.equal([...r.counts], [['berlin', { matched: 2, unmatched: 1 }], ['paris', { matched: 1, unmatched: 1 }]]);
});

test.run();
