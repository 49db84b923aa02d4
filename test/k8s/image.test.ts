// The image `npm run image` builds, run as a pod would run it: the chart rendered with `helm template`, the
// operator container's command, args, env, securityContext and volumes given to podman (read-only root, user
// 65532, no capabilities), authenticated with the chart's service-account token where a pod finds it, against
// the real kube-apiserver. It reconciles the examples, serves its probes and metrics, and on SIGTERM exits in
// the grace period with its Lease released so a second container takes over. `validate` and `plan` run from
// the image on a mounted config directory, as a config repo's CI would run them without Node.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { buildImage, imageRef, IMAGE_UID, type BuildResult } from '../../scripts/build-image.ts';
import { versionReport } from '../../controller/cli/build-info.ts';
import * as reasons from '../../controller/reconciler/reasons.ts';
import { REPO_ROOT, eventually, freePort, k8sAssetsOrExplain, startKubeEnv, type KubeEnv } from '../support/k8s-env.ts';
import { PODMAN_RUN_SANDBOX, podman, podmanOk, podmanRunArgs, type ContainerSpec, type PodSpec } from '../support/pod-podman.ts';
import { runCli } from '../support/run-cli.ts';
import { aRing, yamlOf } from '../support/config.ts';

const SYSTEM_NS = 'fleetward-system';
const NS = 'fleet';
const RELEASE = 'fw';
const CHART = join(REPO_ROOT, 'charts', 'fleetward');
const LEASE = `${RELEASE}-fleetward-leader`;
/** What the image may weigh (uncompressed) before this fails: a regression guard, the size itself is printed by the build. */
const SIZE_BUDGET = 200e6;
const assets = k8sAssetsOrExplain();
let env: KubeEnv;
let build: BuildResult;
let work: string;
/** Unique per run: several work trees may run this suite on one machine and share podman's storage. */
const suffix = `${process.pid}`;
const containers = new Set<string>();
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };
/** Read-only root, no capabilities, no privilege escalation, the image's own user: how a config repo's CI should run it. */
const LOCKED_DOWN = ['--read-only', '--read-only-tmpfs=false', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', ...PODMAN_RUN_SANDBOX];

interface Deployment { spec: { template: { spec: PodSpec & { containers: ContainerSpec[] } } } }

function renderDeployment(port: number): Deployment {
  const r = env.helm(['template', RELEASE, CHART, '-n', SYSTEM_NS, '--set', `service.port=${port}`]);
  if (r.code !== 0) throw new Error(`helm template failed:\n${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS()).find((o) => o?.kind === 'Deployment') as Deployment;
}

function lease(): { holderIdentity?: string; leaseTransitions?: number } | undefined {
  const r = env.kubectl(['get', 'lease', LEASE, '-n', SYSTEM_NS, '-o', 'json']);
  return r.code === 0 ? JSON.parse(r.stdout).spec : undefined;
}

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Starts the chart's operator container as pod `name`, its health port moved to `port` (host network). */
function startPod(name: string, port: number, token: string): { name: string; grace: number } {
  const pod = renderDeployment(port).spec.template.spec;
  const container = pod.containers.find((c) => c.name === 'operator')!;
  const imageUser = podmanOk(['image', 'inspect', '--format', '{{.Config.User}}', build.id]).trim();
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  // The chart names the image by tag; another work tree may retag it meanwhile, so run the image this build made.
  assert.is(container.image, build.ref);
  const args = podmanRunArgs(env, pod, container, { name, namespace: SYSTEM_NS }, { image: build.id, imageUser, token, dir });
  podmanOk(args);
  containers.add(name);
  return { name, grace: pod.terminationGracePeriodSeconds ?? 30 };
}

function logsOf(name: string): string {
  const r = podman(['logs', name]);
  return r.stdout + r.stderr;
}

if ('skip' in assets) {
  test.skip('the Kubernetes suite (FLEETWARD_SKIP_K8S=1)', () => {});
} else {
  let token = '';

  test.before(async () => {
    work = mkdtempSync(join(tmpdir(), 'fleetward-image-test-'));
    env = await startKubeEnv(assets.assets);
    build = buildImage(); // skipped when the image of these very inputs is there already
  });
  test.after(async () => {
    for (const c of containers) podman(['rm', '--force', '--time', '0', c]);
    if (process.env.FLEETWARD_KEEP_K8S_DIR) process.stderr.write(`pod volumes in ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
    await env?.stop();
  });

  test('the chart\'s default image is the one npm run image built: non-root, labelled, small, its SBOM beside it', () => {
    const deploy = renderDeployment(8080);
    assert.is(deploy.spec.template.spec.containers[0]!.image, `${imageRef().repository}:${pkg.version}`);
    assert.is(build.ref, `localhost/fleetward:${pkg.version}`);
    const config = JSON.parse(podmanOk(['image', 'inspect', '--format', '{{json .Config}}', build.id]));
    assert.is(config.User, `${IMAGE_UID}:${IMAGE_UID}`);
    assert.is(deploy.spec.template.spec.securityContext.runAsUser, IMAGE_UID, 'the chart runs the image\'s user');
    const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim();
    assert.is(config.Labels['org.opencontainers.image.version'], pkg.version);
    assert.match(config.Labels['org.opencontainers.image.revision'], new RegExp(`^${head}(-dirty)?$`));
    assert.match(config.Labels['org.opencontainers.image.source'], /^https:\/\//);
    assert.ok(build.size < SIZE_BUDGET, `the image is ${(build.size / 1e6).toFixed(1)} MB, over the ${SIZE_BUDGET / 1e6} MB budget`);
    // No shell, no package manager: nothing but the runtime could be started in it.
    const shell = podman(['run', '--rm', ...LOCKED_DOWN, '--entrypoint', '/bin/sh', build.id, '-c', 'true']);
    assert.is.not(shell.code, 0, 'the image has no /bin/sh');
    assert.match(shell.stderr, /\/bin\/sh.*(no such file|not found)/i);

    type Component = { name: string; group?: string; version: string; components?: Component[] };
    const sbom = JSON.parse(readFileSync(build.sbom, 'utf8')) as { bomFormat: string; components: Component[] };
    assert.is(sbom.bomFormat, 'CycloneDX');
    // Packages nested under another (node_modules/a/node_modules/b) are nested components.
    const flat = (cs: Component[]): Component[] => cs.flatMap((c) => [c, ...flat(c.components ?? [])]);
    const all = flat(sbom.components);
    const listed = new Map(all.map((c) => [c.group ? `${c.group}/${c.name}` : c.name, c.version]));
    const installed = versionReport().dependencies;
    for (const dep of Object.keys(pkg.dependencies)) assert.is(listed.get(dep), installed[dep], `the SBOM lists ${dep} at the version in the image`);
    // Nothing only development needs (the lockfile marks those "dev"): no typescript, uvu, cyclonedx, node runtime package.
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; version?: string }> };
    const nameOf = (path: string) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const production = new Set(Object.entries(lock.packages).filter(([p, e]) => p && !e.dev).map(([p, e]) => `${nameOf(p)}@${e.version}`));
    const components = all.map((c) => `${c.group ? `${c.group}/${c.name}` : c.name}@${c.version}`);
    assert.equal(components.filter((c) => !production.has(c)), [], 'every package in the SBOM is a production one of the lockfile');
    for (const devOnly of ['typescript', 'uvu', 'fast-check', '@cyclonedx/cyclonedx-npm']) assert.not.ok(listed.has(devOnly), `the SBOM does not list ${devOnly}`);
  });

  test('fleetward version -o json from the image: the revision it was built from, Node 24, its dependency versions', () => {
    const r = podman(['run', '--rm', ...LOCKED_DOWN, build.id, 'version', '-o', 'json']);
    assert.is(r.code, 0, r.stderr);
    const v = JSON.parse(r.stdout);
    const label = podmanOk(['image', 'inspect', '--format', '{{index .Config.Labels "org.opencontainers.image.revision"}}', build.id]).trim();
    assert.is(v.version, pkg.version);
    assert.is(v.revision, label);
    assert.is(v.node, process.versions.node, 'the Node the project installs');
    assert.equal(v.dependencies, versionReport().dependencies);
    assert.is(v.sbom, 'sbom.cdx.json');
  });

  test('the operator container as the chart declares it, run by podman on the chart\'s service account: it leads, reconciles the examples, serves its probes', async () => {
    const port = await freePort();
    const r = env.helm(['install', RELEASE, CHART, '-n', SYSTEM_NS, '--create-namespace', '--set', `service.port=${port}`, '--wait=false', '--timeout', '120s']);
    assert.is(r.code, 0, r.stdout + r.stderr);
    env.kubectlOk(['create', 'namespace', NS]);
    env.kubectlOk(['apply', '-n', NS, '-R', '-f', join(REPO_ROOT, 'examples', 'config')]);
    token = env.kubectlOk(['create', 'token', `${RELEASE}-fleetward`, '-n', SYSTEM_NS, '--duration=1h']).trim();

    const a = startPod(`fleetward-a-${suffix}`, port, token);
    await eventually(`${a.name} to hold the lease`, () => (lease()?.holderIdentity === a.name ? true : undefined), 90_000)
      .catch((err) => { throw new Error(`${(err as Error).message}\n${logsOf(a.name)}`); });

    const declared = JSON.parse(env.kubectlOk(['get', 'fleetward', '-n', NS, '-o', 'json'])).items.length as number;
    assert.ok(declared >= 10, `the examples applied (${declared} objects)`);
    type Item = { kind: string; metadata: { name: string; generation: number }; status?: { lastAppliedRevision?: string; observedGeneration?: number; conditions?: { type: string; status: string; reason: string }[] } };
    const items = await eventually('status on every example object', () => {
      const list = JSON.parse(env.kubectlOk(['get', 'fleetward', '-n', NS, '-o', 'json'])).items as Item[];
      return list.every((o) => o.status?.lastAppliedRevision && o.status.observedGeneration === o.metadata.generation) ? list : undefined;
    }, 90_000).catch((err) => { throw new Error(`${(err as Error).message}\n${logsOf(a.name)}`); });
    const ready = (o: Item) => o.status?.conditions?.find((c) => c.type === 'Ready');
    // Ready=False for a rollout under way (Progressing, UpdatesFailed, Suspended, …) is the fleet's state; these
    // reasons would mean the operator itself could not reconcile.
    const LOOP_FAILURES = [reasons.InvalidRevision, reasons.NoValidRevision, reasons.SourceUnavailable, reasons.DriverUnavailable, reasons.PlanFailed, reasons.StoreUnavailable];
    for (const o of items) {
      assert.match(o.status!.lastAppliedRevision!, /^k8s-[0-9a-f]{12}$/, `${o.kind}/${o.metadata.name}`);
      assert.ok(ready(o), `${o.kind}/${o.metadata.name} has a Ready condition`);
      assert.not.ok(LOOP_FAILURES.includes(ready(o)!.reason), `${o.kind}/${o.metadata.name}: Ready ${ready(o)!.reason}`);
    }
    const notReady = items.filter((o) => ['MaintenanceWindow', 'FleetPolicy'].includes(o.kind) && ready(o)!.status !== 'True');
    assert.equal(notReady.map((o) => `${o.kind}/${o.metadata.name}: ${ready(o)!.reason}`), [], 'windows and the policy are Ready');
    // The device groups found their devices in the simulated fleet (examples/fleet.yaml inside the image).
    const groups = items.filter((o) => o.kind === 'DeviceGroup') as (Item & { status: { devices?: number } })[];
    assert.ok(groups.length > 0 && groups.reduce((n, g) => n + (g.status.devices ?? 0), 0) > 0, 'the device groups count their devices');
    process.stderr.write(`[image] Ready: ${items.map((o) => `${o.kind}/${o.metadata.name} ${ready(o)!.status}/${ready(o)!.reason}`).join(', ')}\n`);

    assert.equal(await httpGet(port, '/healthz'), { status: 200, body: 'ok\n' });
    await eventually('/readyz to answer 200', async () => ((await httpGet(port, '/readyz')).status === 200 ? true : undefined), 60_000);
    const metrics = await httpGet(port, '/metrics');
    assert.is(metrics.status, 200);
    assert.match(metrics.body, /^fleetward_last_applied_revision_info\{.*revision="k8s-[0-9a-f]{12}".*\} 1$/m);
    assert.match(metrics.body, /^fleetward_reconcile_duration_seconds_count\S* [1-9]/m);
    assert.match(metrics.body, /^fleetward_process_resident_memory_bytes \d/m);
    assert.match(metrics.body, new RegExp(`^fleetward_nodejs_version_info\\{version="v${process.versions.node}"`, 'm'), 'the Node the project installs');
    // The root filesystem is read-only: what it keeps went to the volumes the chart mounts.
    const volumes = join(work, a.name, 'volumes');
    assert.ok(readdirSync(volumes).some((v) => readdirSync(join(volumes, v)).length > 0), 'the operator wrote its state into a mounted volume');
  });

  test('SIGTERM: the leader exits 0 within the grace period with its Lease released, and a second container takes over at once', async () => {
    const portB = await freePort();
    const a = `fleetward-a-${suffix}`;
    const b = startPod(`fleetward-b-${suffix}`, portB, token);
    await eventually(`${b.name} to answer /healthz`, async () => ((await httpGet(portB, '/healthz')).status === 200 ? true : undefined), 60_000);
    assert.is(lease()?.holderIdentity, a, 'the standby waits while the leader renews');
    const transitions = lease()?.leaseTransitions ?? 0;
    const grace = renderDeployment(portB).spec.template.spec.terminationGracePeriodSeconds ?? 30;

    const sent = Date.now();
    podmanOk(['kill', '--signal', 'SIGTERM', a]);
    const code = podmanOk(['wait', a], { timeoutMs: (grace + 30) * 1000 }).trim();
    const tookMs = Date.now() - sent;
    assert.is(code, '0', `exit code after SIGTERM\n${logsOf(a)}`);
    assert.ok(tookMs < grace * 1000, `stopped in ${tookMs} ms, within the ${grace} s grace period`);
    process.stderr.write(`[image] the leader stopped ${tookMs} ms after SIGTERM (grace period ${grace} s)\n`);
    assert.match(logsOf(a), /"msg":"stopped leading"/);
    assert.is.not(lease()?.holderIdentity, a, 'the Lease is released, not left to expire');

    // Released, the Lease goes to the standby on its next retry (2 s), not after the 15 s lease duration.
    await eventually(`${b.name} to take the lease`, () => (lease()?.holderIdentity === b.name ? true : undefined), 14_000);
    assert.ok((lease()?.leaseTransitions ?? 0) > transitions);
    await eventually(`${b.name} ready`, async () => ((await httpGet(portB, '/readyz')).status === 200 ? true : undefined), 60_000);
  });

  test('validate and plan run from the image on a mounted config directory, with nothing writable', async () => {
    const examples = join(REPO_ROOT, 'examples');
    const ok = podman(['run', '--rm', ...LOCKED_DOWN, '--volume', `${examples}:/config:ro`, build.id, 'validate', '--config', '/config/config']);
    assert.is(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^\/config\/config: valid \(\d+ objects, revision sha256:[0-9a-f]{64}\)\n$/);

    const bad = join(work, 'bad-config');
    mkdirSync(bad);
    writeFileSync(join(bad, 'rings.yaml'), yamlOf(aRing('pilot', { order: 12 })));
    const refused = podman(['run', '--rm', ...LOCKED_DOWN, '--volume', `${bad}:/config:ro`, build.id, 'validate', '--config', '/config']);
    assert.is(refused.code, 1);
    assert.match(refused.stdout, /^\/config\/rings\.yaml:6: Ring\/pilot spec\.order: must be between 1 and 9 \(got 12\)$/m);

    const planArgs = ['plan', '--config', 'examples/config', '--fleet', 'examples/fleet.yaml', '--at', '2026-12-06T02:00:00Z', '-o', 'json'];
    const fromImage = podman(['run', '--rm', ...LOCKED_DOWN, '--volume', `${examples}:/work/examples:ro`, '--workdir', '/work', build.id, ...planArgs]);
    assert.is(fromImage.code, 0, fromImage.stderr);
    const fromCheckout = await runCli(planArgs);
    assert.is(fromCheckout.code, 0, fromCheckout.stderr);
    assert.ok(JSON.parse(fromImage.stdout).operations.length > 0, 'the plan issues operations');
    assert.is(fromImage.stdout, fromCheckout.stdout, 'the image plans exactly as the checkout does');
  });
}

test.run();
