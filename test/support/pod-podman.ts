// Runs one container of a rendered pod spec with podman, the way a kubelet would run it: the container's
// command/args (else the image's entrypoint), its env (fieldRef / secretKeyRef resolved as the kubelet does),
// the pod's and container's securityContext, its volumes, and the service-account token mounted at
// /var/run/secrets/kubernetes.io/serviceaccount with KUBERNETES_SERVICE_HOST/PORT pointing at the API server.
// Host network (the test API server listens on loopback). A field this does not know how to honour is an
// error, so a chart change cannot silently be left untested.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeEnv } from './k8s-env.ts';

/**
 * What this sandbox needs and a cluster does not: crun fails here on cgroups and rlimits, so runc with the
 * cgroupfs manager, and explicit rlimits. Nothing of this is in the product.
 */
export const PODMAN_GLOBAL = ['--runtime', 'runc', '--cgroup-manager=cgroupfs'];
export const PODMAN_RUN_SANDBOX = ['--ulimit', 'nofile=1024:4096', '--ulimit', 'nproc=1024:4096'];

export interface PodmanResult { code: number; stdout: string; stderr: string }

export function podman(args: string[], opts: { timeoutMs?: number } = {}): PodmanResult {
  const r = spawnSync('podman', [...PODMAN_GLOBAL, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 120_000 });
  if (r.error) throw new Error(`podman ${args.join(' ')}: ${r.error.message}`);
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

export function podmanOk(args: string[], opts: { timeoutMs?: number } = {}): string {
  const r = podman(args, opts);
  if (r.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

export type PodSpec = Record<string, any>;
export type ContainerSpec = Record<string, any>;

export interface PodIdentity { name: string; namespace: string }

/** Kubernetes quantities → what podman accepts ("512Mi" → "512m" (MiB), "500m" CPU → "0.5"). */
function memory(q: string): string {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(q);
  if (!m) throw new Error(`memory quantity ${q}: not understood`);
  return `${m[1]}${({ Ki: 'k', Mi: 'm', Gi: 'g' } as Record<string, string>)[m[2] ?? ''] ?? 'b'}`;
}
function cpus(q: string): string {
  return q.endsWith('m') ? String(Number(q.slice(0, -1)) / 1000) : q;
}

const KNOWN_SECURITY = new Set(['runAsUser', 'runAsGroup', 'runAsNonRoot', 'fsGroup', 'seccompProfile', 'readOnlyRootFilesystem', 'allowPrivilegeEscalation', 'capabilities']);

/**
 * The `podman run` arguments for `container` of `pod`, and the host directory its volumes and service-account
 * token live in. `imageUser` is the image's USER (runAsNonRoot is checked against it as the kubelet does).
 */
export function podmanRunArgs(env: KubeEnv, pod: PodSpec, container: ContainerSpec, id: PodIdentity, opts: { image: string; imageUser: string; token: string; dir: string }): string[] {
  const args = ['run', '--detach', '--name', id.name, '--network', 'host', ...PODMAN_RUN_SANDBOX];
  const sec = { ...(pod.securityContext ?? {}), ...(container.securityContext ?? {}) } as Record<string, any>;
  const unknown = Object.keys(sec).filter((k) => !KNOWN_SECURITY.has(k));
  if (unknown.length) throw new Error(`securityContext fields the harness does not honour yet: ${unknown.join(', ')}`);
  const [imageUid, imageGid] = opts.imageUser.split(':');
  const uid = sec.runAsUser ?? imageUid;
  const gid = sec.runAsGroup ?? imageGid ?? uid;
  if (sec.runAsNonRoot && !(Number(uid) > 0)) throw new Error(`runAsNonRoot: the container would run as user ${JSON.stringify(uid)} (the kubelet refuses to start it)`);
  if (uid !== undefined) args.push('--user', `${uid}:${gid}`);
  if (pod.securityContext?.fsGroup !== undefined) args.push('--group-add', String(pod.securityContext.fsGroup));
  // podman's --read-only would mount its own tmpfs on /tmp, /var/tmp and /run: a pod gets none of those.
  if (sec.readOnlyRootFilesystem) args.push('--read-only', '--read-only-tmpfs=false');
  if (sec.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges');
  for (const c of sec.capabilities?.drop ?? []) args.push('--cap-drop', c);
  for (const c of sec.capabilities?.add ?? []) args.push('--cap-add', c);
  if (sec.seccompProfile && sec.seccompProfile.type !== 'RuntimeDefault') throw new Error(`seccompProfile ${sec.seccompProfile.type}: not honoured by the harness`);

  const limits = container.resources?.limits ?? {};
  if (limits.memory) args.push('--memory', memory(limits.memory));
  if (limits.cpu) args.push('--cpus', cpus(limits.cpu));

  // Env, resolved as the kubelet resolves it.
  const fields: Record<string, string> = {
    'metadata.name': id.name, 'metadata.namespace': id.namespace, 'spec.serviceAccountName': pod.serviceAccountName ?? 'default',
    'status.podIP': '127.0.0.1', 'spec.nodeName': 'localhost',
  };
  const server = new URL(env.server);
  const vars: [string, string][] = [['KUBERNETES_SERVICE_HOST', server.hostname], ['KUBERNETES_SERVICE_PORT', server.port]];
  for (const e of container.env ?? []) {
    if (e.value !== undefined) vars.push([e.name, String(e.value)]);
    else if (e.valueFrom?.fieldRef) {
      const v = fields[e.valueFrom.fieldRef.fieldPath];
      if (v === undefined) throw new Error(`env ${e.name}: fieldRef ${e.valueFrom.fieldRef.fieldPath} not honoured by the harness`);
      vars.push([e.name, v]);
    } else if (e.valueFrom?.secretKeyRef) {
      const { name, key } = e.valueFrom.secretKeyRef;
      const b64 = env.kubectlOk(['get', 'secret', name, '-n', id.namespace, '-o', `jsonpath={.data.${key}}`]);
      vars.push([e.name, Buffer.from(b64, 'base64').toString('utf8')]);
    } else throw new Error(`env ${e.name}: ${JSON.stringify(e.valueFrom)} not honoured by the harness`);
  }
  for (const [k, v] of vars) args.push('--env', `${k}=${v}`);

  // Volumes: an emptyDir is a fresh directory the pod's users may write (as the kubelet makes it).
  const volumes = new Map<string, string>();
  for (const v of pod.volumes ?? []) {
    const host = join(opts.dir, 'volumes', v.name);
    mkdirSync(host, { recursive: true });
    if (v.emptyDir) chmodSync(host, 0o777);
    else if (v.persistentVolumeClaim) {
      // A fresh volume as the kubelet hands it over with fsGroup: group-owned by it, group-writable, setgid.
      const fsGroup = pod.securityContext?.fsGroup;
      if (fsGroup !== undefined) chownSync(host, 0, fsGroup);
      chmodSync(host, fsGroup !== undefined ? 0o2775 : 0o777);
    }
    else if (v.secret) {
      const data = JSON.parse(env.kubectlOk(['get', 'secret', v.secret.secretName, '-n', id.namespace, '-o', 'json'])).data ?? {};
      for (const [k, b64] of Object.entries(data)) writeFileSync(join(host, k), Buffer.from(String(b64), 'base64'), { mode: 0o644 });
    } else throw new Error(`volume ${v.name}: ${Object.keys(v).filter((k) => k !== 'name').join(', ')} not honoured by the harness`);
    volumes.set(v.name, host);
  }
  for (const m of container.volumeMounts ?? []) {
    const host = volumes.get(m.name);
    if (!host) throw new Error(`volumeMount ${m.name}: no such volume in the pod`);
    args.push('--volume', `${host}:${m.mountPath}:${m.readOnly ? 'ro' : 'rw'}`);
  }

  // The service-account token, where every pod gets it (automountServiceAccountToken defaults to true).
  if (pod.automountServiceAccountToken !== false && container.automountServiceAccountToken !== false) {
    const sa = join(opts.dir, 'serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), opts.token, { mode: 0o644 });
    writeFileSync(join(sa, 'ca.crt'), readFileSync(env.caFile), { mode: 0o644 });
    writeFileSync(join(sa, 'namespace'), id.namespace, { mode: 0o644 });
    args.push('--volume', `${sa}:/var/run/secrets/kubernetes.io/serviceaccount:ro`);
  }

  if (container.command?.length) args.push('--entrypoint', JSON.stringify(container.command));
  args.push(opts.image, ...(container.args ?? []));
  return args;
}

/** A fresh directory for one pod's volumes and token. */
export function podDir(base: string, name: string): string {
  return mkdtempSync(join(base, `${name}-`));
}
