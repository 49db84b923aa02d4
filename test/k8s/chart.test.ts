// The Helm chart on a real kube-apiserver: lint is clean, bad values are refused by values.schema.json,
// `helm install` applies every object, and `kubectl auth can-i` shows each role can do what it should and
// nothing more — the operator's service account included.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseAllDocuments } from 'yaml';
import { imageRef } from '../../scripts/build-image.ts';
import { REPO_ROOT, eventually, k8sAssetsOrExplain, startKubeEnv, type KubeEnv, type TestUser } from '../support/k8s-env.ts';

const CHART = join(REPO_ROOT, 'charts', 'fleetward');
const RELEASE = 'fw';
const SYSTEM_NS = 'fleetward-system';
const FLEET_NS = 'fleet';
const OTHER_NS = 'elsewhere';
const OPERATOR_SA = `system:serviceaccount:${SYSTEM_NS}:${RELEASE}-fleetward`;
const PACKAGE_VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const assets = k8sAssetsOrExplain();
let env: KubeEnv;

function render(args: string[] = []): { kind: string; metadata: { name: string; namespace?: string } ; [k: string]: unknown }[] {
  const r = env.helm(['template', RELEASE, CHART, '-n', SYSTEM_NS, ...args]);
  if (r.code !== 0) throw new Error(`helm template failed:\n${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS()).filter(Boolean);
}

/**
 * `kubectl auth can-i` as someone, in a namespace. `resource` is `plural`, `plural/NAME`, or for the
 * Fleetward kinds `plural/status` (the status subresource); Fleetward plurals get their API group added.
 */
function can(who: string, verb: string, resource: string, ns: string): boolean {
  const [base, rest] = resource.split('/') as [string, string | undefined];
  const type = FLEET_PLURALS.has(base) ? `${base}.fleetward.dev` : base;
  const target = rest === undefined ? [type] : FLEET_PLURALS.has(base) && rest === 'status' ? [type, '--subresource=status'] : [`${type}/${rest}`];
  const r = env.kubectl(['auth', 'can-i', verb, ...target, `--as=${who}`, '-n', ns]);
  const answer = r.stdout.trim();
  if (answer !== 'yes' && answer !== 'no') throw new Error(`kubectl auth can-i ${verb} ${resource} --as=${who}: ${r.stderr}${r.stdout}`);
  return answer === 'yes';
}

const ALL = ['devicegroups', 'updatephases', 'rings', 'maintenancewindows', 'provisioningbatches', 'softwareupdates', 'fleetpolicies', 'softwarereleases', 'deviceinventories',
  'notificationproviders', 'notificationrules'];
const WRITE = ['create', 'update', 'patch', 'delete'];
const FLEET_PLURALS = new Set(ALL);

function expectRights(who: string, table: { verbs: string[]; resources: string[]; allowed: boolean }[], ns: string = FLEET_NS): void {
  const wrong: string[] = [];
  for (const row of table) {
    for (const verb of row.verbs) {
      for (const res of row.resources) {
        const got = can(who, verb, res, ns);
        if (got !== row.allowed) wrong.push(`${who} ${verb} ${res} in ${ns}: ${got ? 'allowed' : 'denied'}, expected ${row.allowed ? 'allowed' : 'denied'}`);
      }
    }
  }
  assert.equal(wrong, []);
}

if ('skip' in assets) {
  test.skip('the Kubernetes suite (FLEETWARD_SKIP_K8S=1)', () => {});
} else {
  test.before(async () => {
    env = await startKubeEnv(assets.assets);
  });
  test.after(async () => { await env?.stop(); });

  test('helm lint is clean, with default values and with every option switched on', () => {
    for (const set of [[], ['--set', 'serviceMonitor.enabled=true,operator.shard=emea,driver.name=graph,driver.credentials.existingSecret=graph-creds,console.tokenSecret=fw-console,console.ingress.enabled=true,console.ingress.host=fleet.example.com', '--set', 'operator.watchNamespaces={fleet,lab}']]) {
      const r = env.helm(['lint', '--strict', CHART, ...set]);
      assert.is(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      assert.not.match(r.stdout, /\[(WARNING|ERROR)\]/);
    }
  });

  test('helm package makes the chart archive, versioned as package.json, and it runs the image npm run image builds', () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetward-chart-'));
    try {
      const r = env.helm(['package', CHART, '--destination', out]);
      assert.is(r.code, 0, r.stdout + r.stderr);
      const archive = join(out, `fleetward-${PACKAGE_VERSION}.tgz`);
      assert.ok(existsSync(archive), `${archive} written`);
      const t = env.helm(['template', RELEASE, archive, '-n', SYSTEM_NS]);
      assert.is(t.code, 0, t.stderr);
      const deploy = parseAllDocuments(t.stdout).map((d) => d.toJS()).find((o) => o?.kind === 'Deployment');
      assert.is(deploy.spec.template.spec.containers[0].image, imageRef().ref);
      assert.is(imageRef().ref, `localhost/fleetward:${PACKAGE_VERSION}`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('values that break the schema are refused, naming the value', () => {
    const r = env.helm(['lint', CHART, '--set', 'driver.name=carrier-pigeon']);
    assert.is.not(r.code, 0);
    assert.match(r.stdout + r.stderr, /driver\.name|driver[\s\S]*name/);
    const t = env.helm(['template', RELEASE, CHART, '--set', 'operator.leaderElection.leaseDuration=fifteen']);
    assert.is.not(t.code, 0);
    assert.match(t.stderr, /leaseDuration/);
    // The shard names a Lease and Secrets: uppercase or `_` would only fail later, when the Secret is created.
    const shard = env.helm(['template', RELEASE, CHART, '--set', 'operator.shard=EMEA_1']);
    assert.is.not(shard.code, 0);
    assert.match(shard.stderr, /shard/);
    const rate = env.helm(['template', RELEASE, CHART, '--set', 'operator.maxOpsPerPass=0']);
    assert.is.not(rate.code, 0);
    assert.match(rate.stderr, /maxOpsPerPass/);
  });

  test('the rendered Deployment runs non-root on a read-only root filesystem with probes and resources', () => {
    const deploy = render().find((o) => o.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { securityContext: Record<string, unknown>; containers: Record<string, any>[] } } };
    };
    assert.ok(deploy, 'a Deployment is rendered');
    const pod = deploy.spec.template.spec;
    assert.is(pod.securityContext.runAsNonRoot, true);
    const c = pod.containers[0]!;
    assert.is(c.securityContext.readOnlyRootFilesystem, true);
    assert.is(c.securityContext.allowPrivilegeEscalation, false);
    assert.equal(c.securityContext.capabilities.drop, ['ALL']);
    assert.is(c.livenessProbe.httpGet.path, '/healthz');
    assert.is(c.readinessProbe.httpGet.path, '/readyz');
    assert.ok(c.resources.limits.memory && c.resources.requests.cpu);
    assert.ok(c.args.includes('--lease-duration=15s') && c.args.includes('--renew-deadline=10s') && c.args.includes('--retry-period=2s'));
    assert.ok(c.args.includes('--max-ops-per-pass=50') && !c.args.some((a: string) => a.startsWith('--max-ops-per-minute')), 'run\'s default rate limit, no per-minute limit');
    // V8's heap limit follows the memory limit (three quarters of it), so garbage is collected before the kubelet kills the pod.
    const heap = (args: string[]) => {
      const d = render(args).find((o) => o.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } };
      return d.spec.template.spec.containers[0]!.env.find((e) => e.name === 'NODE_OPTIONS')?.value;
    };
    assert.is(c.resources.limits.memory, '1Gi', 'the measured default (docs/kubernetes.md "Sizing")');
    assert.is(heap([]), '--max-old-space-size=768');
    assert.is(heap(['--set', 'resources.limits.memory=512Mi']), '--max-old-space-size=384');
    assert.is(heap(['--set', 'resources.limits.memory=2Gi']), '--max-old-space-size=1536');
    assert.is(heap(['--set', 'resources.limits.memory=2Gi,operator.heapMiB=1000']), '--max-old-space-size=1000');
  });

  test('state.backend sqlite: a kept PersistentVolumeClaim mounted as the state directory, one replica, Recreate', () => {
    const objects = render();
    const pvc = objects.find((o) => o.kind === 'PersistentVolumeClaim') as unknown as { metadata: { name: string; annotations: Record<string, string> }; spec: Record<string, any> };
    assert.ok(pvc, 'a PersistentVolumeClaim is rendered');
    assert.is(pvc.metadata.annotations['helm.sh/resource-policy'], 'keep', 'the history outlives helm uninstall');
    assert.equal(pvc.spec.accessModes, ['ReadWriteOnce']);
    assert.is(pvc.spec.resources.requests.storage, '1Gi');
    const deploy = objects.find((o) => o.kind === 'Deployment') as unknown as { spec: Record<string, any> };
    assert.is(deploy.spec.replicas, 1);
    assert.is(deploy.spec.strategy.type, 'Recreate');
    const pod = deploy.spec.template.spec;
    const c = pod.containers[0];
    assert.ok(c.args.includes('--state-backend=sqlite') && c.args.includes('--state-dir=/var/lib/fleetward'));
    assert.ok(c.volumeMounts.some((m: { name: string; mountPath: string }) => m.name === 'state' && m.mountPath === '/var/lib/fleetward'));
    assert.is(pod.volumes.find((v: { name: string }) => v.name === 'state').persistentVolumeClaim.claimName, pvc.metadata.name);
    const existing = render(['--set', 'state.sqlite.existingClaim=mine']);
    assert.not.ok(existing.some((o) => o.kind === 'PersistentVolumeClaim'), 'an existing claim is used, none created');
  });

  test('state.backend postgres: the URL from an existing Secret as a file, two replicas with leader election, no volume claim', () => {
    const objects = render(['--set', 'state.backend=postgres,state.postgres.existingSecret=fleet-db,state.postgres.caSecret=fleet-db-ca']);
    assert.not.ok(objects.some((o) => o.kind === 'PersistentVolumeClaim'));
    const deploy = objects.find((o) => o.kind === 'Deployment') as unknown as { spec: Record<string, any> };
    assert.is(deploy.spec.replicas, 2);
    assert.is(deploy.spec.strategy, undefined, 'a rolling update: the replicas hand over through the lease');
    const pod = deploy.spec.template.spec;
    const c = pod.containers[0];
    assert.ok(c.args.includes('--state-backend=postgres') && c.args.includes('--state-url-file=/etc/fleetward/state-url/url') && c.args.includes('--leader-elect=true'));
    assert.not.ok(JSON.stringify(c.env ?? []).includes('fleet-db'), 'the URL is not in the environment or the arguments');
    assert.is(pod.volumes.find((v: { name: string }) => v.name === 'state-url').secret.secretName, 'fleet-db');
    assert.is(pod.volumes.find((v: { name: string }) => v.name === 'db-ca').secret.secretName, 'fleet-db-ca');
    for (const [set, named] of [
      ['state.backend=postgres', /existingSecret/],
      ['state.backend=postgres,state.postgres.existingSecret=db,replicaCount=1', /replicaCount/],
      ['state.backend=postgres,state.postgres.existingSecret=db,operator.leaderElection.enabled=false', /leaderElection\/enabled/],
      ['replicaCount=2', /replicaCount/],
      ['state.backend=etcd', /backend/],
    ] as const) {
      const r = env.helm(['template', RELEASE, CHART, '--set', set]);
      assert.is.not(r.code, 0, `${set} is refused`);
      assert.match(r.stderr, named);
    }
  });

  test('the console: off by default; with a token Secret it is mounted read-only and given to the operator; the Ingress serves /ui only, never without the token', () => {
    const plain = render();
    const plainArgs = (plain.find((o) => o.kind === 'Deployment') as unknown as { spec: Record<string, any> }).spec.template.spec.containers[0].args as string[];
    assert.not.ok(plainArgs.some((a) => a.startsWith('--console-token-file')));
    assert.not.ok(plain.some((o) => o.kind === 'Ingress'));
    const objects = render(['--set', 'console.tokenSecret=fw-console,console.ingress.enabled=true,console.ingress.host=fleet.example.com,console.ingress.className=nginx']);
    const pod = (objects.find((o) => o.kind === 'Deployment') as unknown as { spec: Record<string, any> }).spec.template.spec;
    assert.ok(pod.containers[0].args.includes('--console-token-file=/etc/fleetward/console/token'));
    assert.equal(pod.containers[0].volumeMounts.find((m: { name: string }) => m.name === 'console-token'), { name: 'console-token', mountPath: '/etc/fleetward/console', readOnly: true });
    assert.is(pod.volumes.find((v: { name: string }) => v.name === 'console-token').secret.secretName, 'fw-console');
    assert.not.ok(JSON.stringify(pod.containers[0].env ?? []).includes('fw-console'), 'the token is not in the environment');
    const ingress = objects.find((o) => o.kind === 'Ingress') as unknown as { spec: Record<string, any> };
    assert.is(ingress.spec.ingressClassName, 'nginx');
    assert.equal(ingress.spec.rules, [{ host: 'fleet.example.com', http: { paths: [{ path: '/ui', pathType: 'Prefix', backend: { service: { name: `${RELEASE}-fleetward`, port: { name: 'http' } } } }] } }]);
    const refused = env.helm(['template', RELEASE, CHART, '--set', 'console.ingress.enabled=true']);
    assert.is.not(refused.code, 0);
    assert.match(refused.stderr, /console\/tokenSecret|console\.tokenSecret/);
  });

  test('a ServiceMonitor is rendered only when asked for', () => {
    assert.not.ok(render().some((o) => o.kind === 'ServiceMonitor'));
    const sm = render(['--set', 'serviceMonitor.enabled=true']).find((o) => o.kind === 'ServiceMonitor');
    assert.ok(sm, 'ServiceMonitor rendered with serviceMonitor.enabled=true');
  });

  test('limited to some namespaces, the operator gets Roles there and no ClusterRole of its own', () => {
    const objs = render(['--set', 'operator.watchNamespaces={fleet,lab}']);
    const roles = objs.filter((o) => o.kind === 'Role' && o.metadata.name === `${RELEASE}-fleetward-operator`).map((o) => o.metadata.namespace).sort();
    assert.equal(roles, [SYSTEM_NS, 'fleet', 'lab'].sort());
    assert.not.ok(objs.some((o) => o.kind === 'ClusterRole' && o.metadata.name === `${RELEASE}-fleetward-operator`));
  });

  test('helm install applies the chart, CRDs included, to the API server', () => {
    const r = env.helm(['install', RELEASE, CHART, '-n', SYSTEM_NS, '--create-namespace', '--wait=false', '--timeout', '120s']);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /STATUS: deployed/);
    assert.match(r.stdout, /fleetward-viewer/); // NOTES.txt
    const status = env.helm(['status', RELEASE, '-n', SYSTEM_NS]);
    assert.match(status.stdout, /STATUS: deployed/);
    env.kubectlOk(['get', 'deployment', `${RELEASE}-fleetward`, '-n', SYSTEM_NS]);
    env.kubectlOk(['get', 'serviceaccount', `${RELEASE}-fleetward`, '-n', SYSTEM_NS]);
    env.kubectlOk(['get', 'service', `${RELEASE}-fleetward`, '-n', SYSTEM_NS]);
    env.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/devicegroups.fleetward.dev', 'crd/softwarereleases.fleetward.dev']);
    const roles = env.kubectlOk(['get', 'clusterroles', '-o', 'name']);
    for (const name of ['fleetward-viewer', 'fleetward-device-admin', 'fleetward-service-admin', `${RELEASE}-fleetward-operator`]) {
      assert.match(roles, new RegExp(`^clusterrole.rbac.authorization.k8s.io/${name}$`, 'm'));
    }
    // The user roles aggregate into the built-in view / edit / admin roles.
    for (const [role, into] of [['fleetward-viewer', 'view'], ['fleetward-device-admin', 'edit'], ['fleetward-service-admin', 'admin']]) {
      const labels = JSON.parse(env.kubectlOk(['get', 'clusterrole', role!, '-o', 'json'])).metadata.labels;
      assert.is(labels[`rbac.authorization.k8s.io/aggregate-to-${into}`], 'true', `${role} aggregates into ${into}`);
    }
    env.kubectlOk(['create', 'namespace', FLEET_NS]);
    env.kubectlOk(['create', 'namespace', OTHER_NS]);
    const bind = (user: TestUser, role: string) => env.kubectlOk(['create', 'rolebinding', `${user}-${role}`, `--clusterrole=${role}`, `--user=${user}`, '-n', FLEET_NS]);
    bind('alice', 'fleetward-viewer');
    bind('bob', 'fleetward-device-admin');
    bind('carol', 'fleetward-service-admin');
  });

  test('the arguments the chart gives the operator are ones `fleetward operator` accepts: it starts and takes the lease', async () => {
    const deploy = render(['--set', 'operator.watchNamespaces={fleet},operator.maxOpsPerPass=20,operator.maxOpsPerMinute=120,console.tokenSecret=fw-console']).find((o) => o.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: { args: string[] }[] } } } };
    const stateDir = mkdtempSync(join(tmpdir(), 'fleetward-chart-state-'));
    // The console token as the chart mounts it from its Secret.
    const tokenFile = join(stateDir, 'console-token');
    writeFileSync(tokenFile, 'chart-console-token\n');
    const args = deploy.spec.template.spec.containers[0]!.args
      .map((a) => (a.startsWith('--port=') ? '--port=0' : a.startsWith('--state-dir=') ? `--state-dir=${stateDir}` : a.startsWith('--console-token-file=') ? `--console-token-file=${tokenFile}` : a));
    assert.ok(args.includes('--state-backend=sqlite'), 'the default state store is SQLite on the volume');
    assert.ok(args.includes('--max-ops-per-pass=20') && args.includes('--max-ops-per-minute=120'), 'the rate limits reach the operator');
    const log = join(env.dir, 'chart-args-operator.log');
    const out = openSync(log, 'a');
    const child = spawn(join(REPO_ROOT, 'node_modules', '.bin', 'node'), [join(REPO_ROOT, 'controller', 'cli', 'main.ts'), ...args, `--kubeconfig=${env.kubeconfig}`],
      { cwd: REPO_ROOT, detached: true, stdio: ['ignore', out, out], env: { ...process.env, POD_NAMESPACE: SYSTEM_NS, POD_NAME: 'chart-args' } });
    closeSync(out);
    try {
      await eventually('the operator to hold its lease', () => {
        const r = env.kubectl(['get', 'lease', `${RELEASE}-fleetward-leader`, '-n', SYSTEM_NS, '-o', 'jsonpath={.spec.holderIdentity}']);
        return r.code === 0 && r.stdout === 'chart-args' ? true : undefined;
      }, 60_000);
      assert.match(readFileSync(log, 'utf8'), /"msg":"operator started"/);
      // The operator serves the console on its port, to the token holder only (docs/console.md).
      const port = Number(/"port":(\d+)[^\n]*serving \/healthz/.exec(readFileSync(log, 'utf8'))?.[1]);
      assert.is((await fetch(`http://127.0.0.1:${port}/ui/api/overview`)).status, 401);
      const overview = await eventually('the console to answer', async () => {
        const r = await fetch(`http://127.0.0.1:${port}/ui/api/overview`, { headers: { authorization: 'Bearer chart-console-token' } });
        return r.status === 200 ? (await r.json()) as { devices: number } : undefined;
      }, 30_000);
      assert.is(typeof overview.devices, 'number');
      assert.not.match(readFileSync(log, 'utf8'), /chart-console-token/);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
    // Stopping gave the lease up.
    assert.is(env.kubectlOk(['get', 'lease', `${RELEASE}-fleetward-leader`, '-n', SYSTEM_NS, '-o', 'jsonpath={.spec.holderIdentity}']), '');
  });

  test('fleetward-viewer reads every kind and its status, and changes nothing', () => {
    expectRights('alice', [
      { verbs: ['get', 'list', 'watch'], resources: [...ALL, ...ALL.map((r) => `${r}/status`)], allowed: true },
      { verbs: WRITE, resources: ALL, allowed: false },
      { verbs: ['update', 'patch'], resources: ALL.map((r) => `${r}/status`), allowed: false },
      { verbs: ['get', 'list'], resources: ['secrets'], allowed: false },
    ]);
    expectRights('alice', [{ verbs: ['get', 'list'], resources: ALL, allowed: false }], OTHER_NS);
  });

  test('fleetward-device-admin edits device groups and software updates, and only reads tenant-wide settings', () => {
    expectRights('bob', [
      { verbs: ['get', 'list', 'watch'], resources: ALL, allowed: true },
      { verbs: WRITE, resources: ['devicegroups', 'softwareupdates'], allowed: true },
      { verbs: WRITE, resources: ['fleetpolicies', 'rings', 'updatephases', 'maintenancewindows', 'softwarereleases', 'provisioningbatches', 'deviceinventories'], allowed: false },
      { verbs: ['update', 'patch'], resources: ALL.map((r) => `${r}/status`), allowed: false },
      { verbs: ['get'], resources: ['secrets'], allowed: false },
    ]);
  });

  test('fleetward-service-admin edits every kind, reads the provisioning codes, and cannot forge status', () => {
    expectRights('carol', [
      { verbs: ['get', 'list', 'watch', ...WRITE, 'deletecollection'], resources: ALL, allowed: true },
      { verbs: ['update', 'patch'], resources: ALL.map((r) => `${r}/status`), allowed: false },
      { verbs: ['get'], resources: ['secrets/fleetward-provisioning-codes'], allowed: true },
      { verbs: ['get'], resources: ['secrets/some-other-secret'], allowed: false },
      { verbs: ['list'], resources: ['secrets'], allowed: false },
    ]);
  });

  test('someone with no binding can do nothing with Fleetward objects', () => {
    expectRights('mallory', [{ verbs: ['get', 'list', ...WRITE], resources: ALL, allowed: false }]);
  });

  test('the rights hold when the users really act with their own tokens', () => {
    const group = `apiVersion: fleetward.dev/v1alpha1
kind: DeviceGroup
metadata: { name: lab-phones, namespace: ${FLEET_NS} }
spec: { selector: { deviceTypes: [ipPhone] }, updatePhase: Validation }
`;
    const ring = `apiVersion: fleetward.dev/v1alpha1
kind: Ring
metadata: { name: pilot, namespace: ${FLEET_NS} }
spec: { order: 4 }
`;
    const asBob = env.kubeconfigFor('bob');
    assert.is(env.kubectl(['create', '-f', '-'], { input: group, kubeconfig: asBob }).code, 0);
    const refused = env.kubectl(['create', '-f', '-'], { input: ring, kubeconfig: asBob });
    assert.is.not(refused.code, 0);
    assert.match(refused.stderr, /forbidden/);
    assert.is.not(env.kubectl(['get', 'ring', 'pilot', '-n', FLEET_NS]).code, 0, 'the ring was not created');
    assert.is(env.kubectl(['create', '-f', '-'], { input: ring, kubeconfig: env.kubeconfigFor('carol') }).code, 0);
    const alice = env.kubectl(['delete', 'devicegroup', 'lab-phones', '-n', FLEET_NS], { kubeconfig: env.kubeconfigFor('alice') });
    assert.is.not(alice.code, 0);
    assert.match(alice.stderr, /forbidden/);
    env.kubectlOk(['get', 'devicegroup', 'lab-phones', '-n', FLEET_NS]);
  });

  test('the operator may watch every kind and write only status, Events, its Lease and its own Secrets', () => {
    const sa = OPERATOR_SA;
    expectRights(sa, [
      { verbs: ['get', 'list', 'watch'], resources: ALL, allowed: true },
      { verbs: ['update', 'patch'], resources: ALL.map((r) => `${r}/status`), allowed: true },
      { verbs: WRITE, resources: ALL, allowed: false },
      { verbs: ['create'], resources: ['events', 'events.events.k8s.io'], allowed: true },
    ], FLEET_NS);
    expectRights(sa, [
      { verbs: ['get', 'update'], resources: [`leases.coordination.k8s.io/${RELEASE}-fleetward-leader`], allowed: true },
      { verbs: ['create'], resources: ['leases.coordination.k8s.io'], allowed: true },
      { verbs: ['get', 'update'], resources: ['leases.coordination.k8s.io/someone-elses-lease'], allowed: false },
      { verbs: ['get', 'update'], resources: ['secrets/fleetward-provisioning-codes', 'secrets/fleetward-provisioning-codes-1', 'secrets/fleetward-provisioning-codes-3'], allowed: true },
      { verbs: ['get', 'update'], resources: ['secrets/fleetward-provisioning-codes-4', 'secrets/fleetward-provisioning-codes-status'], allowed: false },
      { verbs: ['get'], resources: ['secrets/unrelated'], allowed: false },
      { verbs: ['list', 'watch'], resources: ['secrets'], allowed: false },
    ], SYSTEM_NS);
    expectRights(sa, [
      { verbs: ['get', 'create', 'update'], resources: ['secrets', 'secrets/fleetward-provisioning-codes', 'secrets/fleetward-provisioning-codes-1', 'leases.coordination.k8s.io'], allowed: false },
    ], OTHER_NS);
    expectRights(sa, [{ verbs: ['create', 'delete'], resources: ['pods', 'deployments.apps', 'clusterroles.rbac.authorization.k8s.io'], allowed: false }], FLEET_NS);
  });

  test('a release may write only its own (shard\'s) provisioning code Secrets, as many as provisioning.codeSecrets', () => {
    type Rule = { resources?: string[]; resourceNames?: string[]; verbs: string[] };
    const secretNames = (args: string[]) => {
      const role = render(args).find((o) => o.kind === 'Role' && o.metadata.namespace === SYSTEM_NS) as unknown as { rules: Rule[] };
      return role.rules.filter((r) => r.resources?.includes('secrets') && r.verbs.includes('update')).flatMap((r) => r.resourceNames ?? []);
    };
    assert.equal(secretNames([]), ['fleetward-provisioning-codes', 'fleetward-provisioning-codes-1', 'fleetward-provisioning-codes-2', 'fleetward-provisioning-codes-3']);
    assert.equal(secretNames(['--set', 'operator.shard=emea', '--set', 'provisioning.codeSecrets=2']), ['fleetward-provisioning-codes-emea', 'fleetward-provisioning-codes-emea-1']);
  });

  test('upgraded to a shard, the release\'s operator and service admins reach that shard\'s codes Secret by name, and no other shard\'s', () => {
    const r = env.helm(['upgrade', RELEASE, CHART, '-n', SYSTEM_NS, '--reuse-values', '--set', 'operator.shard=emea', '--wait=false', '--timeout', '120s']);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /verification codes are written to the Secrets "fleetward-provisioning-codes-emea", "fleetward-provisioning-codes-emea-1", "fleetward-provisioning-codes-emea-2", "fleetward-provisioning-codes-emea-3" in fleetward-system/); // NOTES.txt
    const own = ['secrets/fleetward-provisioning-codes-emea', 'secrets/fleetward-provisioning-codes-emea-3'];
    const others = ['secrets/fleetward-provisioning-codes', 'secrets/fleetward-provisioning-codes-1', 'secrets/fleetward-provisioning-codes-amer', 'secrets/fleetward-provisioning-codes-amer-1'];
    expectRights(OPERATOR_SA, [
      { verbs: ['get', 'update', 'patch'], resources: own, allowed: true },
      { verbs: ['get', 'update', 'patch'], resources: others, allowed: false },
      { verbs: ['list', 'watch'], resources: ['secrets'], allowed: false },
    ], SYSTEM_NS);
    expectRights(OPERATOR_SA, [{ verbs: ['get', 'update'], resources: own, allowed: false }], OTHER_NS);
    expectRights('carol', [
      { verbs: ['get'], resources: ['secrets/fleetward-provisioning-codes-emea', 'secrets/fleetward-provisioning-codes-emea-1'], allowed: true },
      { verbs: ['get'], resources: ['secrets/fleetward-provisioning-codes', 'secrets/fleetward-provisioning-codes-amer', 'secrets/fleetward-provisioning-codes-amer-1'], allowed: false },
      { verbs: ['list'], resources: ['secrets'], allowed: false },
    ]);
    for (const who of ['alice', 'bob']) expectRights(who, [{ verbs: ['get'], resources: ['secrets/fleetward-provisioning-codes-emea'], allowed: false }]);
  });

  test('helm uninstall removes what it installed and leaves the CRDs (and so the users\' objects) in place', () => {
    const r = env.helm(['uninstall', RELEASE, '-n', SYSTEM_NS]);
    assert.is(r.code, 0, r.stderr);
    assert.is.not(env.kubectl(['get', 'deployment', `${RELEASE}-fleetward`, '-n', SYSTEM_NS]).code, 0);
    env.kubectlOk(['get', 'crd', 'devicegroups.fleetward.dev']);
    env.kubectlOk(['get', 'devicegroup', 'lab-phones', '-n', FLEET_NS]);
  });
}

test.run();
