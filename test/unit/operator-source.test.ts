// The operator's view of the cluster, without a cluster: which objects a shard reads and owns, what the
// revision id follows, and that a revision is validated as a whole. (The k8s suites run the same code
// against a real API server.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KubernetesObject } from '@kubernetes/client-node';
import { KubernetesSource, SHARD_LABEL, inShard, toFleetwardObject } from '../../controller/operator/source.ts';

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

test('an unsharded operator reads and owns only unlabelled objects', () => {
  assert.equal(inShard(ring('a', 4), undefined), { reads: true, owns: true });
  assert.equal(inShard(ring('b', 4, { shard: 'emea' }), undefined), { reads: false, owns: false });
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

test.run();
