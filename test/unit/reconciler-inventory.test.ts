// The inventory overlay in a pass: a DeviceInventory in the config repo gives a device the time zone the back end
// does not report, so its maintenance window opens in its own evening, not in UTC; its status counts the entries
// that matched a device and those that matched none.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Fixture, aGroup, aPhone, aRelease, anAlwaysWindow } from '../support/reconciler-fixture.ts';

// 20:00–23:00 in each device's zone, every day. At the fixture's instant (12:00 UTC) that is open in Tokyo
// (21:00) and closed in UTC.
const EVENING = anAlwaysWindow('evening', '[Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday]', '20:00', '23:00');
const INVENTORY = `apiVersion: fleetward.dev/v1alpha1
kind: DeviceInventory
metadata:
  name: tokyo
spec:
  defaults:
    timeZone: Asia/Tokyo
    site: tokyo-hq
  devices:
    - macAddress: 00:15:65:00:00:01
    - id: p-typo
`;

test('a device the inventory places in Tokyo is updated in its Tokyo window; one it does not name stays in UTC', async () => {
  const f = new Fixture({
    devices: [aPhone('p1', { timeZone: 'UTC', macAddress: '00-15-65-00-00-01' }), aPhone('p2', { timeZone: 'UTC' })],
    releases: [aRelease('122.15.0.30', { releasedAt: '2026-08-01T00:00:00Z' }), aRelease('122.15.0.44')],
    config: { 'window.yaml': EVENING, 'group.yaml': aGroup('phones', 'evening'), 'inventory.yaml': INVENTORY },
  });
  try {
    const r = await f.reconciler.reconcile();
    assert.is(r.ok, true);
    assert.equal(f.updates().map((u) => u.deviceId), ['p1'], 'only the device whose window is open in its own zone');
    const p1 = f.store.readDevice('p1')!;
    assert.is(p1.observed!.timeZone, 'Asia/Tokyo');
    assert.equal(p1.observed!.labels, { site: 'tokyo-hq' });
    assert.is(f.store.readDevice('p2')!.observed!.timeZone, 'UTC');
    const status = f.store.readObjects()['DeviceInventory/tokyo']!;
    assert.is(status.matched, 1);
    assert.is(status.unmatched, 1);
    const ready = status.conditions!.find((c) => c.type === 'Ready')!;
    assert.is(ready.message, '1 of 2 entries match a device the back end reports; the other 1 match none (a typo in an id, serial number or MAC, or a device not enrolled yet)');
  } finally {
    await f.close();
  }
});

test.run();
