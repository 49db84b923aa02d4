// The real Kubernetes binaries the k8s suites run against: kube-apiserver, etcd, kubectl and helm; and
// Prometheus's promtool, which checks and unit-tests the chart's alert rules.
//
// envtest-style: an explicit path wins (TEST_ASSET_KUBE_APISERVER, TEST_ASSET_ETCD, TEST_ASSET_KUBECTL,
// TEST_ASSET_HELM, TEST_ASSET_PROMTOOL, or a KUBEBUILDER_ASSETS directory holding binaries of those names). Otherwise each
// binary is built once with `go build` from its upstream Go module, pinned below, into a cache
// directory and reused from then on. Nothing is downloaded but Go modules through the module proxy.
//
// Run directly to build whatever is missing (CI does this before `npm test`, outside any test timeout):
//   node_modules/.bin/node test/support/k8s-assets.ts
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const KUBERNETES_VERSION = 'v1.37.2';
/** k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging; a consumer maps them to the published v0.x tags. */
const STAGING_VERSION = 'v0.37.2';
export const ETCD_VERSION = 'v3.7.3';
export const HELM_VERSION = 'v3.22.0';
/** Prometheus's Go module versions are v0.<minor>.<patch> for Prometheus 3.<minor>.<patch>. */
export const PROMETHEUS_VERSION = 'v0.316.0';

export type AssetName = 'kube-apiserver' | 'etcd' | 'kubectl' | 'helm' | 'promtool';
export type K8sAssets = Record<AssetName, string>;

const ENV_OVERRIDE: Record<AssetName, string> = {
  'kube-apiserver': 'TEST_ASSET_KUBE_APISERVER',
  etcd: 'TEST_ASSET_ETCD',
  kubectl: 'TEST_ASSET_KUBECTL',
  helm: 'TEST_ASSET_HELM',
  promtool: 'TEST_ASSET_PROMTOOL',
};

/** The modules each binary is built from, grouped by the throwaway module that builds them. */
interface BuildModule {
  dir: string;
  requires: string[];
  replaces: string[];
  packages: Partial<Record<AssetName, string>>;
  /** `-X` version stamps, as the upstream Makefiles set them (helm checks a chart's kubeVersion against them). */
  stamps: string[];
  /** Go build tags. */
  tags?: string[];
}

const [K8S_MAJOR, K8S_MINOR] = KUBERNETES_VERSION.slice(1).split('.') as [string, string];
const K8S_STAMPS = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
  `${pkg}.gitVersion=${KUBERNETES_VERSION}`, `${pkg}.gitMajor=${K8S_MAJOR}`, `${pkg}.gitMinor=${K8S_MINOR}`, `${pkg}.gitTreeState=clean`,
]);

const STAGING_MODULES = [
  'api', 'apiextensions-apiserver', 'apimachinery', 'apiserver', 'cli-runtime', 'client-go', 'cloud-provider',
  'cluster-bootstrap', 'code-generator', 'component-base', 'component-helpers', 'controller-manager', 'cri-api',
  'cri-client', 'cri-streaming', 'csi-translation-lib', 'dynamic-resource-allocation', 'endpointslice', 'externaljwt',
  'kms', 'kube-aggregator', 'kube-controller-manager', 'kube-proxy', 'kube-scheduler', 'kubectl', 'kubelet', 'metrics',
  'mount-utils', 'pod-security-admission', 'sample-apiserver', 'sample-cli-plugin', 'sample-controller', 'streaming',
];

const MODULES: BuildModule[] = [
  {
    dir: 'kubernetes',
    requires: [`k8s.io/kubernetes ${KUBERNETES_VERSION}`],
    replaces: STAGING_MODULES.map((m) => `k8s.io/${m} => k8s.io/${m} ${STAGING_VERSION}`),
    packages: { 'kube-apiserver': 'k8s.io/kubernetes/cmd/kube-apiserver', kubectl: 'k8s.io/kubernetes/cmd/kubectl' },
    stamps: K8S_STAMPS,
  },
  { dir: 'etcd', requires: [`go.etcd.io/etcd/server/v3 ${ETCD_VERSION}`], replaces: [], packages: { etcd: 'go.etcd.io/etcd/server/v3' }, stamps: [] },
  {
    dir: 'helm', requires: [`helm.sh/helm/v3 ${HELM_VERSION}`], replaces: [], packages: { helm: 'helm.sh/helm/v3/cmd/helm' },
    // The Kubernetes version helm assumes for `helm lint` / `helm template` (its Makefile stamps the client-go minor it is built with).
    stamps: [
      `helm.sh/helm/v3/internal/version.version=${HELM_VERSION}`, 'helm.sh/helm/v3/internal/version.gitTreeState=clean',
      ...['helm.sh/helm/v3/pkg/lint/rules', 'helm.sh/helm/v3/pkg/chartutil'].flatMap((pkg) => [`${pkg}.k8sVersionMajor=${K8S_MAJOR}`, `${pkg}.k8sVersionMinor=${K8S_MINOR}`]),
    ],
  },
  {
    dir: 'prometheus', requires: [`github.com/prometheus/prometheus ${PROMETHEUS_VERSION}`], replaces: [],
    packages: { promtool: 'github.com/prometheus/prometheus/cmd/promtool' },
    stamps: [`github.com/prometheus/common/version.Version=${PROMETHEUS_VERSION}`],
    // promtool links every service-discovery plugin (cloud SDKs: most of a cold build) for `check config`;
    // rules need none of them. Prometheus's own build tag leaves them out.
    tags: ['remove_all_sd'],
  },
];

const ASSETS: AssetName[] = ['kube-apiserver', 'etcd', 'kubectl', 'helm', 'promtool'];

/** `$FLEETWARD_ASSET_CACHE/<version>`, else under the user's cache dir: outside the work tree, so a fresh clone (as CI makes) reuses the build. */
export function assetCacheDir(): string {
  const base = process.env.FLEETWARD_ASSET_CACHE
    ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'fleetward', 'k8s-assets');
  return join(base, `${KUBERNETES_VERSION}-etcd${ETCD_VERSION}-helm${HELM_VERSION}`);
}

function isExecutable(path: string): boolean {
  try { return statSync(path).isFile() && (statSync(path).mode & 0o111) !== 0; } catch { return false; }
}

/** Where each binary is, or would be after a build; `missing` lists the ones not there. */
export function locateK8sAssets(): { assets: K8sAssets; missing: string[] } {
  const assets = {} as K8sAssets;
  const missing: string[] = [];
  for (const name of ASSETS) {
    const explicit = process.env[ENV_OVERRIDE[name]];
    const fromKubebuilder = process.env.KUBEBUILDER_ASSETS ? join(process.env.KUBEBUILDER_ASSETS, name) : undefined;
    const cached = join(assetCacheDir(), 'bin', name);
    const path = explicit ?? (fromKubebuilder && isExecutable(fromKubebuilder) ? fromKubebuilder : cached);
    assets[name] = path;
    if (!isExecutable(path)) {
      missing.push(explicit ? `${name} (${ENV_OVERRIDE[name]}=${explicit} is not an executable file)` : `${name} (looked in ${path})`);
    }
  }
  return { assets, missing };
}

export interface BuildRecord { asset: AssetName; seconds: number; ok: boolean; error?: string }

/**
 * How long each binary took to build cold (module download included) on two cores shared with other work, in
 * this order (kubectl reuses most of kube-apiserver's packages): what the progress lines promise until this
 * machine has its own figures in build-times.json. 35 min in all there; a quiet two-core machine takes ~17.
 */
export const EXPECTED_BUILD_SECONDS: Record<AssetName, number> = { 'kube-apiserver': 1180, etcd: 220, kubectl: 180, helm: 560, promtool: 420 };

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): { ok: boolean; output: string } {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
  return { ok: r.status === 0, output };
}

/** Like run(), without blocking: a long `go build` lets the caller print that it is still going. */
function runAsync(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (err) => resolve({ ok: false, output: output + String(err) }));
    child.on('close', (code) => resolve({ ok: code === 0, output }));
  });
}

function goEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOTOOLCHAIN: 'local', // never fetch another toolchain; the modules' `toolchain` lines are only suggestions
    GOFLAGS: `${process.env.GOFLAGS ?? ''} -mod=mod`.trim(),
    CGO_ENABLED: '0',
    GOMAXPROCS: process.env.GOMAXPROCS ?? '2',
  };
}

/** Writes the throwaway module that pins one upstream module (and its staging replacements) and resolves its graph. */
function prepareModule(mod: BuildModule, root: string, log: (s: string) => void): void {
  const dir = join(root, 'src', mod.dir);
  mkdirSync(dir, { recursive: true });
  const goMod = [
    'module fleetward.test/k8s-assets',
    '',
    'go 1.26.0',
    '',
    `require (\n${mod.requires.map((r) => `\t${r}`).join('\n')}\n)`,
    mod.replaces.length ? `\nreplace (\n${mod.replaces.map((r) => `\t${r}`).join('\n')}\n)` : '',
    `\ntool (\n${Object.values(mod.packages).map((p) => `\t${p}`).join('\n')}\n)`,
    '',
  ].join('\n');
  const goModPath = join(dir, 'go.mod');
  // `go mod tidy` rewrites go.mod; the template it started from is kept beside it to tell whether the pins changed.
  const templatePath = join(dir, 'go.mod.template');
  if (existsSync(templatePath) && readFileSync(templatePath, 'utf8') === goMod && existsSync(join(dir, 'go.sum'))) return;
  writeFileSync(goModPath, goMod);
  log(`[k8s-assets] resolving modules for ${mod.requires.join(', ')}`);
  const tidy = run('go', ['mod', 'tidy'], dir, goEnv());
  if (!tidy.ok) throw new Error(`go mod tidy in ${dir} failed:\n${tidy.output}`);
  writeFileSync(templatePath, goMod);
}

function minutes(seconds: number): string {
  return seconds < 90 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`;
}

async function buildOne(mod: BuildModule, asset: AssetName, root: string, expectedSeconds: number, log: (s: string) => void): Promise<BuildRecord> {
  const pkg = mod.packages[asset]!;
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  const out = join(root, 'bin', asset);
  const tmp = `${out}.partial`;
  log(`[k8s-assets] building ${asset} from ${pkg} (expect about ${minutes(expectedSeconds)})`);
  const heartbeat = setInterval(() => log(`[k8s-assets]   still building ${asset}: ${minutes(elapsed())} so far of about ${minutes(expectedSeconds)}`), 60_000);
  try {
    prepareModule(mod, root, log);
    const ldflags = ['-s', '-w', ...mod.stamps.map((x) => `-X ${x}`)].join(' ');
    const tags = mod.tags?.length ? [`-tags=${mod.tags.join(',')}`] : [];
    const r = await runAsync('nice', ['-n', '10', 'go', 'build', '-trimpath', ...tags, `-ldflags=${ldflags}`, '-o', tmp, pkg], join(root, 'src', mod.dir), goEnv());
    if (!r.ok) return { asset, seconds: elapsed(), ok: false, error: `go build ${pkg} failed:\n${r.output}` };
    renameSync(tmp, out);
    return { asset, seconds: elapsed(), ok: true };
  } catch (err) {
    return { asset, seconds: elapsed(), ok: false, error: (err as Error).message };
  } finally {
    clearInterval(heartbeat);
  }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

/**
 * One builder per cache directory: a second `npm test` (another work tree, CI beside a developer) waits for the
 * first instead of building the same binaries again on the same cores. A lock whose process is gone is taken over.
 */
async function withBuildLock<T>(root: string, log: (s: string) => void, fn: () => Promise<T>): Promise<T> {
  const lock = join(root, 'build.lock');
  let announced = false;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lock, 'utf8').trim());
      if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) { rmSync(lock, { force: true }); continue; }
      if (!announced) { log(`[k8s-assets] another build (pid ${holder}) is filling ${root}: waiting for it`); announced = true; }
      await new Promise((r) => setTimeout(r, 5000));
    }
  }
  try { return await fn(); } finally { rmSync(lock, { force: true }); }
}

/**
 * Returns every binary's path, building (once) those that are neither given nor cached, with a progress line a
 * minute and the expected duration. Throws naming exactly what failed. `.ci/run` and `npm test` both call this.
 */
export async function ensureK8sAssets(log: (s: string) => void = (s) => process.stderr.write(`${s}\n`)): Promise<K8sAssets> {
  if (locateK8sAssets().missing.length === 0) return locateK8sAssets().assets;
  const root = assetCacheDir();
  mkdirSync(join(root, 'bin'), { recursive: true });
  return withBuildLock(root, log, async () => {
    // Another builder may have finished while this one waited.
    const { assets } = locateK8sAssets();
    const timesPath = join(root, 'build-times.json');
    const records: BuildRecord[] = existsSync(timesPath) ? JSON.parse(readFileSync(timesPath, 'utf8')) as BuildRecord[] : [];
    const expected = (name: AssetName) => records.filter((r) => r.asset === name && r.ok).at(-1)?.seconds ?? EXPECTED_BUILD_SECONDS[name];
    const todo = ASSETS.filter((name) => !isExecutable(assets[name]));
    const failures: string[] = [];
    if (todo.length && !run('go', ['version'], root, goEnv()).ok) {
      throw new Error(`${todo.join(', ')} missing, and building them needs Go (go.dev/doc/install; Debian: golang-go >= 1.26), ` +
        'or point KUBEBUILDER_ASSETS / TEST_ASSET_* at existing binaries');
    }
    if (todo.length) {
      const total = todo.reduce((s, n) => s + expected(n), 0);
      log(`[k8s-assets] ${todo.join(', ')} missing: building them from their upstream Go modules into ${root} ` +
        `(about ${minutes(total)} in all on two cores; once per machine, reused afterwards)`);
    }
    for (const name of todo) {
      if (process.env[ENV_OVERRIDE[name]]) { failures.push(`${name}: ${ENV_OVERRIDE[name]} points at ${assets[name]}, which is not an executable file`); continue; }
      const mod = MODULES.find((m) => m.packages[name])!;
      const rec = await buildOne(mod, name, root, expected(name), log);
      records.push(rec);
      writeFileSync(timesPath, JSON.stringify(records, null, 2) + '\n');
      log(`[k8s-assets] ${name}: ${rec.ok ? 'built' : 'FAILED'} in ${rec.seconds.toFixed(0)} s`);
      if (!rec.ok) failures.push(`${name}: ${rec.error}`);
    }
    if (failures.length) throw new Error(`could not provide the Kubernetes test binaries:\n${failures.join('\n')}`);
    return locateK8sAssets().assets;
  });
}

if (import.meta.main) {
  try {
    const assets = await ensureK8sAssets();
    for (const name of ASSETS) process.stdout.write(`${name}\t${assets[name]}\n`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
