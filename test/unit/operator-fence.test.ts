// The operator's guards, without a cluster: which watch events start a pass (triggers.ts), how they are
// coalesced, and that a fenced write refused after the lease is lost leaves nothing behind (fence.ts,
// leader.ts's shared state). The k8s suites run the same code against a real API server.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { changeCause, fingerprint, SeenObjects, TriggerGate } from '../../controller/operator/triggers.ts';
import { FencedDriver, FencedStore, LeaseFence, StopFence } from '../../controller/operator/fence.ts';
import { LeaseState, leaseTimingProblem, type Election } from '../../controller/operator/leader.ts';
import { REQUESTED_AT_ANNOTATION, SHARD_LABEL } from '../../controller/operator/source.ts';
import { FencedOut } from '../../controller/reconciler/fenced.ts';
import { SimulatorDriver } from '../../controller/drivers/simulator/driver.ts';
import { SqliteStore } from '../../controller/store/sqlite.ts';
import { ManualClock } from '../../controller/util/clock.ts';

function group(extra: { generation?: number; labels?: Record<string, string>; annotations?: Record<string, string>; status?: unknown } = {}): KubernetesObject & { status?: unknown } {
  return {
    apiVersion: 'fleetward.dev/v1alpha1', kind: 'DeviceGroup',
    metadata: {
      name: 'phones', namespace: 'fleet', uid: 'uid-1', generation: extra.generation ?? 1, resourceVersion: String(Math.random()),
      ...(extra.labels ? { labels: extra.labels } : {}),
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': String(Math.random()), ...extra.annotations },
    },
    ...(extra.status !== undefined ? { status: extra.status } : {}),
  };
}

test('a status-only update starts no pass; generation, labels, annotations, add and delete do', () => {
  const base = fingerprint(group());
  assert.equal(changeCause(base, fingerprint(group({ status: { devices: 3 } }))), { ignored: 'status_only' });
  assert.equal(changeCause(base, fingerprint(group({ generation: 2 }))), { cause: 'spec_changed' });
  assert.equal(changeCause(base, fingerprint(group({ labels: { [SHARD_LABEL]: 'emea' } }))), { cause: 'metadata_changed' });
  assert.equal(changeCause(base, fingerprint(group({ annotations: { [REQUESTED_AT_ANNOTATION]: '2026-11-23T12:00:00Z' } }))), { cause: 'reconcile_requested' });
  assert.equal(changeCause(base, fingerprint(group({ annotations: { owner: 'it' } }))), { cause: 'metadata_changed' });
  assert.equal(changeCause(undefined, base), { cause: 'object_added' });
  assert.equal(changeCause(base, undefined), { cause: 'object_deleted' });
});

test('a relist re-delivering an object as it was is no change; one that changed meanwhile is', () => {
  const seen = new SeenObjects();
  assert.equal(seen.note('add', group()), { cause: 'object_added' });
  assert.equal(seen.note('add', group({ status: { devices: 1 } })), { ignored: 'unchanged' });
  assert.equal(seen.note('update', group({ status: { devices: 2 } })), { ignored: 'status_only' });
  assert.equal(seen.note('add', group({ generation: 2 })), { cause: 'spec_changed' });
  assert.equal(seen.note('delete', group({ generation: 2 })), { cause: 'object_deleted' });
  assert.equal(seen.note('add', group({ generation: 2 })), { cause: 'object_added' }, 'added again after the delete');
});

test('changes close together are one kick, with every cause; the pass about to start takes them', async () => {
  let kicks = 0;
  const gate = new TriggerGate({ kick: () => { kicks++; }, coalesceMs: 30, minIntervalMs: 0 });
  gate.add('spec_changed');
  gate.add('object_added');
  gate.add('spec_changed');
  await new Promise((r) => setTimeout(r, 80));
  assert.is(kicks, 1);
  assert.equal(gate.take().sort(), ['object_added', 'spec_changed']);
  assert.equal(gate.take(), [], 'taken once');
  gate.add('object_deleted');
  assert.equal(gate.take(), ['object_deleted'], 'a pass starting meanwhile takes the cause');
  await new Promise((r) => setTimeout(r, 80));
  assert.is(kicks, 1, 'and the kick it covered is not sent');
  gate.close();
});

test('lease timings are checked as client-go checks them', () => {
  assert.is(leaseTimingProblem({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }), undefined);
  assert.is(leaseTimingProblem({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }), 'renew-deadline must be shorter than lease-duration');
  assert.is(leaseTimingProblem({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 9_000 }), 'retry-period × 1.2 must be shorter than renew-deadline');
});

test('the shared lease state holds a term only while leading it and within the renew deadline', () => {
  const s = new LeaseState();
  assert.not.ok(s.holds(0, 10_000, 1_000));
  s.acquired(1, 1_000);
  assert.ok(s.holds(1, 10_000, 10_999));
  assert.not.ok(s.holds(1, 10_000, 11_000), 'past the renew deadline');
  s.renewed(5_000);
  assert.ok(s.holds(1, 10_000, 11_000));
  assert.not.ok(s.holds(2, 10_000, 11_000), 'another term');
  const other = new LeaseState(s.buffer);
  assert.ok(other.holds(1, 10_000, 11_000), 'read through the same buffer (the election thread writes it)');
  s.lost();
  assert.not.ok(other.holds(1, 10_000, 11_000));
  s.acquired(2, 12_000);
  assert.not.ok(other.holds(1, 10_000, 12_001), 'a pass of the old term stays refused after the lease is won again');
});

const FLEET = {
  devices: [{ id: 'phone-1', deviceType: 'ipPhone' as const, manufacturer: 'Yealink', model: 'MP58', timeZone: 'UTC', online: true, activityState: 'idle' as const, healthStatus: 'healthy' as const, software: { firmware: '1.0.0.1' } }],
  releases: [
    { component: 'firmware' as const, version: '1.0.0.1', manufacturer: 'Yealink', models: ['MP58'], releasedAt: '2026-01-01T00:00:00Z', label: 'verified' as const },
    { component: 'firmware' as const, version: '1.0.0.2', manufacturer: 'Yealink', models: ['MP58'], releasedAt: '2026-02-01T00:00:00Z', label: 'verified' as const },
  ],
};

test('after the lease is lost, a fenced driver starts nothing and says why; reads still work', async () => {
  const sim = new SimulatorDriver({ fleet: FLEET, clock: new ManualClock('2026-11-23T10:00:00Z'), seed: 1 });
  const state = new LeaseState();
  state.acquired(1, Date.now());
  const election: Election = { isLeader: true, holds: (t) => state.holds(t, 10_000), start() {}, async stop() {} };
  const refused: string[] = [];
  const driver = new FencedDriver(sim, new LeaseFence(election, 1, (w) => refused.push(w)));
  state.lost();
  const err = await driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '1.0.0.2' }).catch((e: unknown) => e);
  assert.instance(err, FencedOut);
  assert.match((err as Error).message, 'not the leader any more (lease lost): operation not written');
  assert.equal(await sim.operations(), [], 'nothing reached the back end');
  assert.equal(refused, ['operation']);
  assert.is((await driver.inventory()).length, 1);
});

test('a pass whose lease was lost before its commit leaves the store as it was', async () => {
  const store = new SqliteStore(mkdtempSync(join(tmpdir(), 'fleetward-fence-')));
  store.writeDevice({ id: 'phone-1', history: [] });
  const fence = new StopFence();
  const fenced = new FencedStore(store, fence);
  await fenced.beginPass();
  fenced.writeDevice({ id: 'phone-1', group: 'phones', history: [] });
  fence.stop();
  const err = await fenced.commitPass().catch((e: unknown) => e);
  assert.instance(err, FencedOut);
  await fenced.abortPass();
  assert.equal(store.readDevice('phone-1'), { id: 'phone-1', history: [] }, 'the pass\'s write was not committed');
  assert.throws(() => fenced.writeDevice({ id: 'phone-2', history: [] }), (e: unknown) => e instanceof FencedOut);
  assert.is(store.readDevice('phone-2'), undefined);
  await store.close();
});

test.run();
