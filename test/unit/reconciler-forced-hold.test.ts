// The blast-radius hold through a whole pass (real planner, simulator and state directory, ManualClock): a
// forced `schedule: now` SoftwareUpdate on a group matching every phone starts nothing and says so on the
// SoftwareUpdate's status until it is acknowledged; acknowledged, it still goes --max-ops-per-pass at a time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ForcedUpdateHeld } from '../../controller/reconciler/reasons.ts';
import { getCondition } from '../../controller/status/conditions.ts';
import { Fixture, aForcedPhoneUpdate, aPhone, aRelease, anAlwaysWindow, aGroup } from '../support/reconciler-fixture.ts';

function fixture(): Fixture {
  // 47 phones, 18 of them in a meeting.
  const devices = Array.from({ length: 47 }, (_, i) => aPhone(`p${String(i).padStart(2, '0')}`, { activityState: i < 18 ? 'busy' : 'idle' }));
  return new Fixture({
    devices, releases: [aRelease('122.15.0.30', { releasedAt: '2026-06-01T00:00:00Z' }), aRelease('122.15.0.44')],
    behaviour: { busyDuringMeetings: 0 },
    config: { 'window.yaml': anAlwaysWindow('weekend', '[Saturday]'), 'group.yaml': aGroup('phones', 'weekend'), 'update.yaml': aForcedPhoneUpdate() },
  });
}

test('held: no operation starts, and the SoftwareUpdate is Stalled with ForcedUpdateHeld saying how to go ahead', async () => {
  const f = fixture();
  try {
    const r = await f.reconciler.reconcile();
    assert.is(r.issued, 0);
    assert.is(f.updates().length, 0, 'no meeting interrupted');
    const status = f.store.readObjects()['SoftwareUpdate/all-phones']!;
    const ready = getCondition(status.conditions, 'Ready')!;
    assert.equal([ready.status, ready.reason], ['False', ForcedUpdateHeld]);
    assert.match(ready.message, /would force 47 devices at once.*acknowledgeForcedDevices is at least 47/);
    assert.is(getCondition(status.conditions, 'Stalled')?.status, 'True');
    const device = f.store.readDevice('p00')!;
    assert.ok(JSON.stringify(device).includes('ForcedUpdateNotAcknowledged'), 'the device record says why');
  } finally {
    await f.close();
  }
});

test('acknowledged for 47: forced, but no more than --max-ops-per-pass (10) per pass', async () => {
  const f = fixture();
  try {
    f.writeConfig({ 'update.yaml': aForcedPhoneUpdate(47) });
    await f.restart({ maxOperationsPerPass: 10 });
    const r = await f.reconciler.reconcile();
    assert.is(r.issued, 10);
    const issued = f.updates().map((o) => f.store.readDevice(o.deviceId)!.history[0]!);
    assert.equal(issued.map((h) => [h.forced, h.softwareUpdate]), Array(10).fill([true, 'all-phones']), 'each recorded as forced by the SoftwareUpdate');
    assert.is(getCondition(f.store.readObjects()['SoftwareUpdate/all-phones']!.conditions, 'Ready')!.reason === ForcedUpdateHeld, false);
  } finally {
    await f.close();
  }
});

test.run();
