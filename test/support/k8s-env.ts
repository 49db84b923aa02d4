// A real, throwaway Kubernetes control plane for the k8s suites: etcd + kube-apiserver on loopback.
//
// No kubelet, no controller-manager, no scheduler: objects are stored and validated by the real API
// server (CRD schemas, RBAC, status subresources, leases), which is what Fleetward talks to.
// Every process runs in its own process group and is killed on stop() and on process exit, so a
// failing test does not leave a server behind.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { request } from 'node:https';
import { request as plainRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { locateK8sAssets, type K8sAssets } from './k8s-assets.ts';

/** The users in the static token file. `admin` is in system:masters; the others have no rights until a binding grants some. */
export const TEST_USERS = ['admin', 'alice', 'bob', 'carol', 'mallory'] as const;
export type TestUser = typeof TEST_USERS[number];

export interface CommandResult { code: number; stdout: string; stderr: string }

export interface KubeEnv {
  /** https://127.0.0.1:PORT */
  server: string;
  /** Admin kubeconfig (system:masters). */
  kubeconfig: string;
  /** Kubeconfig authenticating as one of TEST_USERS with its bearer token. */
  kubeconfigFor(user: TestUser): string;
  token(user: TestUser): string;
  /** Writes a kubeconfig authenticating with any bearer token (a service account's, say); returns its path. */
  kubeconfigWithToken(name: string, token: string): string;
  caFile: string;
  dir: string;
  assets: K8sAssets;
  kubectl(args: string[], opts?: { input?: string; kubeconfig?: string }): CommandResult;
  /** Like kubectl(), but throws with the command's output when it exits non-zero. */
  kubectlOk(args: string[], opts?: { input?: string; kubeconfig?: string }): string;
  helm(args: string[], opts?: { input?: string }): CommandResult;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => { for (const c of children) killGroup(c, 'SIGKILL'); });

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try { process.kill(-child.pid, signal); } catch { /* already gone */ }
}

async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) { children.delete(child); return; }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function sh(cmd: string, args: string[], opts: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): CommandResult {
  const r: SpawnSyncReturns<string> = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd, input: opts.input, env: opts.env ?? process.env, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

function opensslOk(args: string[], cwd: string): void {
  const r = sh('openssl', args, { cwd });
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')} failed:\n${r.stderr}`);
}

/** A CA, a serving certificate for 127.0.0.1/localhost, and the service-account signing key pair. */
function makeCertificates(dir: string): void {
  opensslOk(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=fleetward-test-ca', '-keyout', 'ca.key', '-out', 'ca.crt'], dir);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n');
  opensslOk(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=kube-apiserver', '-keyout', 'server.key', '-out', 'server.csr'], dir);
  opensslOk(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server.crt'], dir);
  opensslOk(['genrsa', '-out', 'sa.key', '2048'], dir);
  opensslOk(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
}

function writeKubeconfig(path: string, server: string, caFile: string, user: string, token: string): void {
  writeFileSync(path, [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: test',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${caFile}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: test',
    '  context:',
    '    cluster: test',
    `    user: ${user}`,
    '    namespace: default',
    'current-context: test',
    '',
  ].join('\n'), { mode: 0o600 });
}

function startProcess(bin: string, args: string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(bin, args, { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function get(url: string, ca: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(url, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (e) => resolve({ status: 0, body: String(e) }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

function httpGet(url: string): Promise<{ status: number }> {
  return new Promise((resolve) => {
    const req = plainRequest(url, { timeout: 2000 }, (res) => { res.resume(); res.on('end', () => resolve({ status: res.statusCode ?? 0 })); });
    req.on('error', () => resolve({ status: 0 }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

async function waitFor(what: string, child: ChildProcess, logFile: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it was ready; last log lines:\n${tail(logFile)}`);
    }
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} was not ready within ${timeoutMs} ms; last log lines:\n${tail(logFile)}`);
}

function tail(file: string, lines = 30): string {
  try { return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n'); } catch { return '(no log)'; }
}

/**
 * The test binaries, or a decision about their absence: in CI a missing binary is a failure;
 * locally FLEETWARD_SKIP_K8S=1 skips the k8s suites, loudly.
 */
export function k8sAssetsOrExplain(): { assets: K8sAssets } | { skip: string } {
  const { assets, missing } = locateK8sAssets();
  if (missing.length === 0) return { assets };
  const why = `Kubernetes test binaries missing: ${missing.join('; ')}.\n` +
    'Build them once with: node_modules/.bin/node test/support/k8s-assets.ts ' +
    '(or set KUBEBUILDER_ASSETS / TEST_ASSET_KUBE_APISERVER / TEST_ASSET_ETCD / TEST_ASSET_KUBECTL / TEST_ASSET_HELM / TEST_ASSET_PROMTOOL).';
  if (process.env.FLEETWARD_SKIP_K8S === '1' && !process.env.CI) {
    const banner = '!'.repeat(78);
    process.stderr.write(`${banner}\n!! SKIPPING the Kubernetes suite (FLEETWARD_SKIP_K8S=1). Nothing about k8s was tested.\n!! ${why}\n${banner}\n`);
    return { skip: why };
  }
  throw new Error(why + (process.env.CI ? ' (CI never skips the k8s suites.)' : ' Set FLEETWARD_SKIP_K8S=1 to skip locally.'));
}

/** Starts etcd and kube-apiserver; resolves once /readyz answers ok. */
export async function startKubeEnv(assets: K8sAssets, opts: { readyTimeoutMs?: number } = {}): Promise<KubeEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'fleetward-k8s-'));
  const started: ChildProcess[] = [];
  try {
    makeCertificates(dir);
    const tokens = Object.fromEntries(TEST_USERS.map((u) => [u, randomBytes(24).toString('hex')])) as Record<TestUser, string>;
    writeFileSync(join(dir, 'tokens.csv'), TEST_USERS.map((u, i) =>
      `${tokens[u]},${u},uid-${i}${u === 'admin' ? ',"system:masters"' : ''}`).join('\n') + '\n', { mode: 0o600 });

    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    mkdirSync(join(dir, 'etcd'), { mode: 0o700 });
    const etcdLog = join(dir, 'etcd.log');
    const etcd = startProcess(assets.etcd, [
      '--name=default', `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`, `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`, '--unsafe-no-fsync=true', '--log-level=warn',
    ], etcdLog);
    started.push(etcd);

    const apiLog = join(dir, 'kube-apiserver.log');
    const server = `https://127.0.0.1:${apiPort}`;
    const api = startProcess(assets['kube-apiserver'], [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${apiPort}`,
      `--tls-cert-file=${join(dir, 'server.crt')}`, `--tls-private-key-file=${join(dir, 'server.key')}`,
      `--client-ca-file=${join(dir, 'ca.crt')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      `--service-account-key-file=${join(dir, 'sa.pub')}`, `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.0.0.0/24',
      `--cert-dir=${join(dir, 'certs')}`,
      '--disable-admission-plugins=ServiceAccount',
      // No kube-proxy or endpoints here, and a loopback address may not be reconciled into the kubernetes Service.
      '--endpoint-reconciler-type=none',
      '--v=1',
    ], apiLog);
    started.push(api);

    const ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
    const timeout = opts.readyTimeoutMs ?? 180_000;
    await waitFor('etcd', etcd, etcdLog, timeout, async () => (await httpGet(`http://127.0.0.1:${etcdClient}/health`)).status === 200);
    await waitFor('kube-apiserver', api, apiLog, timeout, async () => (await get(`${server}/readyz`, ca, tokens.admin)).status === 200);

    const caFile = join(dir, 'ca.crt');
    const kubeconfig = join(dir, 'admin.kubeconfig');
    writeKubeconfig(kubeconfig, server, caFile, 'admin', tokens.admin);
    const userConfigs = new Map<TestUser, string>();
    const helmHome = join(dir, 'helm');
    mkdirSync(helmHome);

    const env: KubeEnv = {
      server, kubeconfig, caFile, dir, assets,
      token: (u) => tokens[u],
      kubeconfigWithToken(name, token) {
        const p = join(dir, `${name}.kubeconfig`);
        writeKubeconfig(p, server, caFile, name, token);
        return p;
      },
      kubeconfigFor(user) {
        let p = userConfigs.get(user);
        if (!p) { p = join(dir, `${user}.kubeconfig`); writeKubeconfig(p, server, caFile, user, tokens[user]); userConfigs.set(user, p); }
        return p;
      },
      kubectl: (args, o = {}) => sh(assets.kubectl, [`--kubeconfig=${o.kubeconfig ?? kubeconfig}`, ...args], { input: o.input }),
      kubectlOk(args, o = {}) {
        const r = env.kubectl(args, o);
        if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
        return r.stdout;
      },
      helm: (args, o = {}) => sh(assets.helm, [`--kubeconfig=${kubeconfig}`, ...args], {
        input: o.input,
        env: { ...process.env, HELM_CACHE_HOME: join(helmHome, 'cache'), HELM_CONFIG_HOME: join(helmHome, 'config'), HELM_DATA_HOME: join(helmHome, 'data') },
      }),
      async stop() {
        await stopChild(api);
        await stopChild(etcd);
        if (!process.env.FLEETWARD_KEEP_K8S_DIR) rmSync(dir, { recursive: true, force: true });
      },
    };
    return env;
  } catch (err) {
    for (const c of started.reverse()) await stopChild(c);
    if (!process.env.FLEETWARD_KEEP_K8S_DIR) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The repository root (charts/, crds/, examples/ live there). */
export const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** Where the chart's generated CRDs are (`npm run gen:crds` writes them). */
export const CRD_DIR = join(REPO_ROOT, 'charts', 'fleetward', 'crds');

/** Applies the CRDs and waits until every one is Established (its API is served). */
export function installCrds(env: KubeEnv): string[] {
  env.kubectlOk(['apply', '--server-side', '-f', CRD_DIR]);
  env.kubectlOk(['wait', '--for=condition=Established', '--timeout=120s', 'crd', '-l', 'app.kubernetes.io/part-of=fleetward']);
  return env.kubectlOk(['get', 'crd', '-l', 'app.kubernetes.io/part-of=fleetward', '-o', 'name']).trim().split('\n').sort();
}

/** Waits until `check` returns a value other than undefined, polling every `everyMs`. */
export async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) { last = err; }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
