// Where the k8s suites get their binaries: explicit paths win (envtest conventions), then the build cache.
// Nothing here builds anything; `node test/support/k8s-assets.ts` does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assetCacheDir, locateK8sAssets } from '../support/k8s-assets.ts';

const VARS = ['KUBEBUILDER_ASSETS', 'TEST_ASSET_KUBE_APISERVER', 'TEST_ASSET_ETCD', 'TEST_ASSET_KUBECTL', 'TEST_ASSET_HELM', 'TEST_ASSET_PROMTOOL', 'FLEETWARD_ASSET_CACHE'];

function withEnv<T>(vars: Record<string, string>, fn: () => T): T {
  const saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));
  for (const v of VARS) delete process.env[v];
  Object.assign(process.env, vars);
  try { return fn(); } finally {
    for (const v of VARS) { if (saved[v] === undefined) delete process.env[v]; else process.env[v] = saved[v]; }
  }
}

function fakeBinaries(names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetward-assets-'));
  for (const n of names) { writeFileSync(join(dir, n), '#!/bin/sh\n'); chmodSync(join(dir, n), 0o755); }
  return dir;
}

test('KUBEBUILDER_ASSETS provides what it holds; helm and promtool, which envtest does not ship, come from the cache', () => {
  const kb = fakeBinaries(['kube-apiserver', 'etcd', 'kubectl']);
  const cache = mkdtempSync(join(tmpdir(), 'fleetward-cache-'));
  const { assets, missing } = withEnv({ KUBEBUILDER_ASSETS: kb, FLEETWARD_ASSET_CACHE: cache }, () => locateK8sAssets());
  assert.is(assets['kube-apiserver'], join(kb, 'kube-apiserver'));
  assert.is(assets.etcd, join(kb, 'etcd'));
  assert.is(assets.kubectl, join(kb, 'kubectl'));
  assert.ok(assets.helm.startsWith(cache), assets.helm);
  assert.ok(assets.promtool.startsWith(cache), assets.promtool);
  assert.equal(missing.map((m) => m.split(' ')[0]), ['helm', 'promtool']);
});

test('TEST_ASSET_* wins over KUBEBUILDER_ASSETS, and a wrong path is reported, not replaced by a build', () => {
  const kb = fakeBinaries(['kube-apiserver', 'etcd', 'kubectl', 'helm', 'promtool']);
  const own = fakeBinaries(['my-etcd']);
  const { assets, missing } = withEnv({
    KUBEBUILDER_ASSETS: kb, FLEETWARD_ASSET_CACHE: mkdtempSync(join(tmpdir(), 'fleetward-cache-')), TEST_ASSET_ETCD: join(own, 'my-etcd'), TEST_ASSET_HELM: '/nonexistent/helm',
  }, () => locateK8sAssets());
  assert.is(assets.etcd, join(own, 'my-etcd'));
  assert.is(assets.helm, '/nonexistent/helm');
  assert.equal(missing, ['helm (TEST_ASSET_HELM=/nonexistent/helm is not an executable file)']);
});

test('the cache directory is versioned and follows FLEETWARD_ASSET_CACHE', () => {
  const dir = withEnv({ FLEETWARD_ASSET_CACHE: '/srv/cache' }, () => assetCacheDir());
  assert.match(dir, /^\/srv\/cache\/v\d+\.\d+\.\d+-etcdv\d+\.\d+\.\d+-helmv\d+\.\d+\.\d+$/);
});

test.run();
