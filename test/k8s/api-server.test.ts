// The CRDs and the example config on a real kube-apiserver + etcd: the CRDs install, the examples apply
// with kubectl and read back unpruned, `kubectl get` shows useful columns, and invalid objects are refused
// by the API server's own schema validation (and leave nothing changed).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CRD_DIR, REPO_ROOT, eventually, installCrds, k8sAssetsOrExplain, startKubeEnv, type KubeEnv } from '../support/k8s-env.ts';
import { KIND_NAMES } from '../../controller/api/schemas.ts';
import { KINDS } from '../../controller/api/types.ts';
import { Operator } from '../../controller/operator/operator.ts';
import { KubeClient, loadKubeConfig } from '../../controller/operator/kube.ts';
import { createDriver } from '../../controller/drivers/index.ts';
import { loadFleetFile } from '../../controller/sources/fleet-file.ts';
import { silentLogger } from '../../controller/reconciler/log.ts';
import { systemClock } from '../../controller/util/clock.ts';

const NS = 'fleet';
const assets = k8sAssetsOrExplain();
let env: KubeEnv;

/** Every example object, with the file it came from. */
function exampleObjects(): { file: string; obj: { kind: string; metadata: { name: string }; spec: unknown } }[] {
  const out: { file: string; obj: { kind: string; metadata: { name: string }; spec: unknown } }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name)) {
        for (const doc of parseAllDocuments(readFileSync(p, 'utf8'))) {
          const obj = doc.toJS();
          if (obj) out.push({ file: relative(REPO_ROOT, p), obj });
        }
      }
    }
  };
  walk(join(REPO_ROOT, 'examples', 'config'));
  return out;
}

/** kubectl apply of one pasted object; returns the command's result without throwing. */
function applyYaml(yaml: string) {
  return env.kubectl(['apply', '-n', NS, '-f', '-'], { input: yaml });
}

if ('skip' in assets) {
  test.skip('the Kubernetes suite (FLEETWARD_SKIP_K8S=1)', () => {});
} else {
  test.before(async () => {
    env = await startKubeEnv(assets.assets);
    env.kubectlOk(['create', 'namespace', NS]);
  });
  test.after(async () => { await env?.stop(); });

  test('every Fleetward CRD installs and becomes Established', () => {
    const names = installCrds(env);
    const expected = KINDS.map((k) => `customresourcedefinition.apiextensions.k8s.io/${KIND_NAMES[k].plural}.fleetward.dev`).sort();
    assert.equal(names, expected);
    assert.ok(readdirSync(CRD_DIR).length >= KINDS.length, 'the chart ships one CRD file per kind');
    // The API group is served: discovery lists every kind.
    const resources = env.kubectlOk(['api-resources', '--api-group=fleetward.dev', '-o', 'name']).trim().split('\n').sort();
    assert.equal(resources, KINDS.map((k) => `${KIND_NAMES[k].plural}.fleetward.dev`).sort());
  });

  test('the example config applies with kubectl and every spec reads back exactly as written (nothing pruned)', () => {
    const examples = exampleObjects();
    assert.ok(examples.length >= 10, `expected a full example config, found ${examples.length} objects`);
    const out = env.kubectlOk(['apply', '-n', NS, '-R', '-f', join(REPO_ROOT, 'examples', 'config')]);
    assert.match(out, /created/);
    for (const { file, obj } of examples) {
      const plural = KIND_NAMES[obj.kind as keyof typeof KIND_NAMES].plural;
      const stored = JSON.parse(env.kubectlOk(['get', '-n', NS, `${plural}.fleetward.dev`, obj.metadata.name, '-o', 'json']));
      assert.equal(stored.spec, obj.spec, `${file}: ${obj.kind}/${obj.metadata.name} spec changed on the way through the API server`);
    }
  });

  test('kubectl get shows the columns a person needs', () => {
    const rings = env.kubectlOk(['get', 'rings', '-n', NS]);
    const header = rings.split('\n')[0]!;
    for (const col of ['NAME', 'READY', 'ORDER', 'ROLLOUT', 'TEST', 'AGE']) assert.ok(header.includes(col), `rings header lacks ${col}: ${header}`);
    assert.match(rings, /staging\s+\S*\s+1\s+3d\s+4d/);
    const groups = env.kubectlOk(['get', 'devicegroups', '-n', NS]).split('\n')[0]!;
    for (const col of ['READY', 'PHASE', 'RING', 'DEVICES']) assert.ok(groups.includes(col), `devicegroups header lacks ${col}: ${groups}`);
    const wide = env.kubectlOk(['get', 'devicegroups', '-n', NS, '-o', 'wide']).split('\n')[0]!;
    assert.ok(wide.includes('WINDOW'), `-o wide adds the maintenance window: ${wide}`);
    // The category lists every kind at once.
    const all = env.kubectlOk(['get', 'fleetward', '-n', NS, '-o', 'name']);
    assert.match(all, /^devicegroup\.fleetward\.dev\/phones$/m);
    assert.match(all, /^ring\.fleetward\.dev\/staging$/m);
  });

  test('an unknown device type is refused by the API server with the field and the allowed values', () => {
    const r = applyYaml(`
apiVersion: fleetward.dev/v1alpha1
kind: DeviceGroup
metadata: { name: faxes }
spec:
  selector: { deviceTypes: [faxMachine] }
  updatePhase: General
`);
    assert.is.not(r.code, 0);
    assert.match(r.stderr, /spec\.selector\.deviceTypes\[0\]/);
    assert.match(r.stderr, /Unsupported value: "faxMachine"/);
    assert.match(r.stderr, /"ipPhone"/);
    assert.is.not(env.kubectl(['get', 'devicegroup', 'faxes', '-n', NS]).code, 0, 'nothing was stored');
  });

  test('a malformed duration is refused by the API server naming the field', () => {
    const r = applyYaml(`
apiVersion: fleetward.dev/v1alpha1
kind: UpdatePhase
metadata: { name: slow }
spec:
  rolloutDuration: 3weeks
`);
    assert.is.not(r.code, 0);
    assert.match(r.stderr, /spec\.rolloutDuration/);
    assert.match(r.stderr, /should match/);
    assert.is.not(env.kubectl(['get', 'updatephase', 'slow', '-n', NS]).code, 0, 'nothing was stored');
  });

  test('ring order 10 is refused, and the stored ring keeps its order', () => {
    const before = JSON.parse(env.kubectlOk(['get', 'ring', 'general', '-n', NS, '-o', 'json']));
    const r = applyYaml(`
apiVersion: fleetward.dev/v1alpha1
kind: Ring
metadata: { name: general }
spec:
  order: 10
`);
    assert.is.not(r.code, 0);
    assert.match(r.stderr, /spec\.order/);
    assert.match(r.stderr, /less than or equal to 9/);
    const after = JSON.parse(env.kubectlOk(['get', 'ring', 'general', '-n', NS, '-o', 'json']));
    assert.is(after.spec.order, before.spec.order);
    assert.is(after.metadata.generation, before.metadata.generation);
  });

  test('a DeviceGroup with both an update phase and a ring is refused by the CRD rule', () => {
    const r = applyYaml(`
apiVersion: fleetward.dev/v1alpha1
kind: DeviceGroup
metadata: { name: both }
spec:
  selector: { deviceTypes: [teamsRoom] }
  updatePhase: General
  ring: general
`);
    assert.is.not(r.code, 0);
    assert.match(r.stderr, /set either updatePhase or ring, not both/);
    assert.is.not(env.kubectl(['get', 'devicegroup', 'both', '-n', NS]).code, 0, 'nothing was stored');
  });

  test('acknowledgeForcedDevices without force is refused by the CRD rule with the validate message; with force it is stored', () => {
    const update = (name: string, force: string) => `
apiVersion: fleetward.dev/v1alpha1
kind: SoftwareUpdate
metadata: { name: ${name} }
spec:
  target: { group: phones }
  component: firmware
  version: latest
  schedule: now
${force}  acknowledgeForcedDevices: 47
`;
    const r = applyYaml(update('ack-without-force', ''));
    assert.is.not(r.code, 0);
    assert.match(r.stderr, /acknowledgeForcedDevices counts the devices a forced update interrupts: it needs force: true/);
    assert.is.not(env.kubectl(['get', 'softwareupdate', 'ack-without-force', '-n', NS]).code, 0, 'nothing was stored');
    const ok = applyYaml(update('ack-with-force', '  force: true\n'));
    assert.is(ok.code, 0, ok.stderr);
    const stored = JSON.parse(env.kubectlOk(['get', 'softwareupdate', 'ack-with-force', '-n', NS, '-o', 'json'])) as { spec: { acknowledgeForcedDevices: number } };
    assert.is(stored.spec.acknowledgeForcedDevices, 47, 'not pruned');
    env.kubectlOk(['delete', 'softwareupdate', 'ack-with-force', '-n', NS]);
  });

  test('a FleetPolicy freeze ending before it starts is refused by the CRD rule with the validate message, and the stored policy is unchanged', () => {
    const policy = (end: string) => `
apiVersion: fleetward.dev/v1alpha1
kind: FleetPolicy
metadata: { name: default }
spec:
  freezes:
    - { name: year-end, start: "2026-12-18T18:00", end: "${end}", timeZone: Europe/Paris }
`;
    const before = env.kubectlOk(['get', 'fleetpolicy', 'default', '-n', NS, '-o', 'jsonpath={.spec}']);
    const r = applyYaml(policy('2026-12-01T08:00'));
    assert.is.not(r.code, 0);
    assert.match(r.stderr, /end must be later than start \(both local date-times in timeZone\)/);
    assert.is(env.kubectlOk(['get', 'fleetpolicy', 'default', '-n', NS, '-o', 'jsonpath={.spec}']), before, 'the stored FleetPolicy is unchanged');
    // A valid one is stored as written (in a namespace of its own, so the example config stays unfrozen).
    env.kubectlOk(['create', 'namespace', 'freeze']);
    const ok = env.kubectl(['apply', '-n', 'freeze', '-f', '-'], { input: policy('2027-01-04T08:00') });
    assert.is(ok.code, 0, ok.stderr);
    const stored = JSON.parse(env.kubectlOk(['get', 'fleetpolicy', 'default', '-n', 'freeze', '-o', 'json'])) as { spec: { freezes: { end: string; timeZone: string }[] } };
    assert.equal(stored.spec.freezes.map((f) => [f.end, f.timeZone]), [['2027-01-04T08:00', 'Europe/Paris']], 'not pruned');
    env.kubectlOk(['delete', 'fleetpolicy', 'default', '-n', 'freeze']);
    env.kubectlOk(['delete', 'namespace', 'freeze', '--wait=false']);
  });

  test('the operator accepts the applied example config as one valid revision and writes every object\'s status', async () => {
    const clock = systemClock;
    const fleet = await loadFleetFile(join(REPO_ROOT, 'examples', 'fleet.yaml'));
    const driver = createDriver('simulator', { simulator: { fleet, clock } });
    const operator = new Operator({
      client: new KubeClient(loadKubeConfig(env.kubeconfig)), driver, clock, logger: silentLogger, namespace: NS,
      watchNamespaces: [NS], resyncMs: 1000, leaderElection: { enabled: false, leaseName: 'unused' },
    });
    await operator.start();
    try {
      const examples = exampleObjects();
      const statuses = await eventually('status on every example object', () => {
        const items = JSON.parse(env.kubectlOk(['get', 'fleetward', '-n', NS, '-o', 'json'])).items as { kind: string; metadata: { name: string; generation: number }; status?: { lastAppliedRevision?: string; observedGeneration?: number; conditions?: { type: string; status: string; reason: string }[] } }[];
        const done = items.filter((o) => o.status?.lastAppliedRevision);
        return done.length >= examples.length ? items : undefined;
      }, 60_000);
      for (const o of statuses) {
        assert.match(o.status!.lastAppliedRevision!, /^k8s-/, `${o.kind}/${o.metadata.name}`);
        assert.is(o.status!.observedGeneration, o.metadata.generation, `${o.kind}/${o.metadata.name} observedGeneration`);
        const stalled = o.status!.conditions?.find((c) => c.type === 'Stalled' && c.reason === 'InvalidRevision');
        assert.is(stalled, undefined, `${o.kind}/${o.metadata.name} is not refused`);
      }
      const rings = env.kubectlOk(['get', 'rings', '-n', NS]);
      assert.match(rings, /staging\s+True\s+1\s+3d\s+4d/, 'READY shows the Ready condition');
    } finally {
      await operator.stop();
      await driver.close?.();
    }
  });

  test('users cannot write status through the main resource: status changes there are ignored', () => {
    const before = JSON.parse(env.kubectlOk(['get', 'ring', 'staging', '-n', NS, '-o', 'json']));
    env.kubectlOk(['patch', 'ring', 'staging', '-n', NS, '--type=merge', '-p', '{"status":{"lastAppliedRevision":"forged"}}']);
    const ring = JSON.parse(env.kubectlOk(['get', 'ring', 'staging', '-n', NS, '-o', 'json']));
    assert.is.not(ring.status?.lastAppliedRevision, 'forged');
    assert.equal(ring.status, before.status);
  });
}

test.run();
