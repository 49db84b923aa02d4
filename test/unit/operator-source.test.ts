// The operator's view of the cluster, without a cluster: which objects a shard reads and owns, what the
// revision id follows, and that a revision is validated as a whole. (The k8s suites run the same code
// against a real API server.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KubernetesObject } from '@kubernetes/client-node';
import { KubernetesSource, SHARD_LABEL, inShard, toFleetwardObject } from '../../controller/operator/source.ts';
import { ShardDriver } from '../../controller/operator/operator.ts';
import { SimulatorDriver } from '../../controller/drivers/simulator/driver.ts';
import { ManualClock } from '../../controller/util/clock.ts';
import type { FleetFile } from '../../controller/api/types.ts';

type Obj = KubernetesObject & { spec: Record<string, unknown>; status?: unknown };

function ring(name: string, order: number, extra: { shard?: string; generation?: number; uid?: string } = {}): Obj {
  return {
    apiVersion: 'fleetward.dev/v1alpha1', kind: 'Ring',
    metadata: {
      name, namespace: 'fleet', generation: extra.generation ?? 1, uid: extra.uid ?? `uid-${name}`, resourceVersion: '7',
      managedFields: [{ manager: 'kubectl' }], ...(extra.shard ? { labels: { [SHARD_LABEL]: extra.shard } } : {}),
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
    },
    spec: { order },
    status: { conditions: [] },
  };
}

function source(objects: Obj[], shard?: string): KubernetesSource {
  return new KubernetesSource({ objects: () => objects, synced: () => true, description: 'test', ...(shard ? { shard } : {}) });
}

test('an unsharded operator reads and owns every object, labelled or not', () => {
  assert.equal(inShard(ring('a', 4), undefined), { reads: true, owns: true });
  assert.equal(inShard(ring('b', 4, { shard: 'emea' }), undefined), { reads: true, owns: true });
});

test('a sharded operator reads the shared config, and reads and owns its own shard only', () => {
  assert.equal(inShard(ring('a', 4), 'emea'), { reads: true, owns: false });
  assert.equal(inShard(ring('b', 4, { shard: 'emea' }), 'emea'), { reads: true, owns: true });
  assert.equal(inShard(ring('c', 4, { shard: 'amer' }), 'emea'), { reads: false, owns: false });
});

test('the object Fleetward plans with has no status and no server bookkeeping', () => {
  const o = toFleetwardObject(ring('pilot', 4));
  assert.equal(o.metadata, { name: 'pilot', namespace: 'fleet', generation: 1, uid: 'uid-pilot' });
  assert.is((o as { status?: unknown }).status, undefined);
  assert.equal(o.spec, { order: 4 });
});

test('the revision id follows spec generations, not status writes or resourceVersions', async () => {
  const a = await source([ring('pilot', 4)]).load();
  const sameGen = ring('pilot', 4);
  sameGen.metadata!.resourceVersion = '99';
  sameGen.status = { conditions: [{ type: 'Ready' }] };
  const b = await source([sameGen]).load();
  const c = await source([ring('pilot', 5, { generation: 2 })]).load();
  assert.ok(a.ok && b.ok && c.ok);
  if (a.ok && b.ok && c.ok) {
    assert.is(a.revision.id, b.revision.id);
    assert.is.not(a.revision.id, c.revision.id);
    assert.match(a.revision.id, /^k8s-[0-9a-f]{12}$/);
  }
});

test('a revision with one invalid object is refused whole, and the object at fault is named', async () => {
  const s = source([ring('pilot', 4), ring('other', 4)]);
  const r = await s.load();
  assert.is(r.ok, false);
  if (!r.ok && r.reason === 'invalid') assert.ok(r.errors.some((e) => /order/.test(e)), r.errors.join('\n'));
  assert.ok([...s.invalidObjects().keys()].some((k) => k.startsWith('Ring/')));
});

test('the same name in two watched namespaces is an error naming both', async () => {
  const other = ring('pilot', 5);
  other.metadata!.namespace = 'lab';
  const s = source([ring('pilot', 4), other]);
  const r = await s.load();
  assert.is(r.ok, false);
  if (!r.ok && r.reason === 'invalid') assert.match(r.errors[0]!, /Ring\/pilot: declared in namespace fleet and in namespace lab/);
});

test('no revision is offered before the caches have synced', async () => {
  const s = new KubernetesSource({ objects: () => [ring('pilot', 4)], synced: () => false, description: 'test' });
  const r = await s.load();
  assert.equal(r, { ok: false, reason: 'unavailable', message: 'the Kubernetes caches have not synced yet' });
});

test('a sharded operator sees and updates only the devices labelled with its shard', async () => {
  const fleet: FleetFile = {
    devices: ['emea', 'amer', undefined].map((shard, i) => ({
      id: `phone-${i}`, deviceType: 'ipPhone', manufacturer: 'Yealink', model: 'MP58', timeZone: 'UTC',
      ...(shard ? { labels: { [SHARD_LABEL]: shard } } : {}), software: { firmware: '1.0.0.1' },
    })),
    releases: [],
  };
  const sim = new SimulatorDriver({ fleet, clock: new ManualClock('2026-11-23T10:00:00Z'), behaviour: { offlineRate: 0, busyDuringMeetings: 0 } });
  const emea = new ShardDriver(sim, 'emea');
  assert.equal((await emea.inventory()).map((d) => d.id), ['phone-0']);
  const refused = await emea.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '1.0.0.2' }).then(() => undefined, (e: Error) => e);
  assert.match(refused?.message ?? 'started', /phone-1 is not in shard emea/);
  assert.equal(await sim.operations('phone-1'), [], 'nothing was started on another shard\'s device');
  assert.equal((await new ShardDriver(sim, undefined).inventory()).map((d) => d.id), ['phone-0', 'phone-1', 'phone-2']);
});

test.run();
