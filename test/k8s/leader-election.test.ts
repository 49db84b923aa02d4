// Two `fleetward operator` processes, installed by the Helm chart's RBAC and authenticated with its service
// account's token, share one simulated fleet served over HTTP (the graph driver talks to it) and one real
// PostgreSQL state store (test/support/postgres.ts). Only the Lease holder acts; SIGKILL of the leader
// mid-rollout hands over to the standby, which finishes the rollout without issuing any operation a second
// time, and whose `fleetward status --device` shows the whole history, the dead leader's part included.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Simulator } from '../../controller/drivers/simulator/simulator.ts';
import { startSimulatorServer, type SimulatorServer } from '../../controller/drivers/simulator/server.ts';
import type { FleetDevice, FleetFile } from '../../controller/api/types.ts';
import { ScaledClock } from '../../controller/util/clock.ts';
import { REPO_ROOT, eventually, k8sAssetsOrExplain, startKubeEnv, type KubeEnv } from '../support/k8s-env.ts';
import { startPostgres, type TestPostgres } from '../support/postgres.ts';
import { runCli } from '../support/run-cli.ts';

const SYSTEM_NS = 'fleetward-system';
const NS = 'fleet';
const RELEASE = 'fw';
const LEASE = `${RELEASE}-fleetward-leader`;
const START = '2026-11-23T10:00:00Z';
/** One wall second is six simulated minutes: the twelve-hour phase rollout takes two minutes (time for a standby to start on a loaded machine). */
const SPEED = 360;
const FROM = '122.15.0.44';
const TO = '122.15.0.60';
const NEXT = '122.15.0.70';
const PHONES = 12;
const TOKEN = 'simulator-test-token';
const assets = k8sAssetsOrExplain();

const CONFIG = `
apiVersion: fleetward.dev/v1alpha1
kind: MaintenanceWindow
metadata: { name: always }
spec: { start: "00:00", end: "23:59", days: [Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday], timeZone: UTC }
---
apiVersion: fleetward.dev/v1alpha1
kind: UpdatePhase
metadata: { name: fast }
spec: { deferrals: { firmware: 0d, teamsClient: 0d }, rolloutDuration: 12h }
---
apiVersion: fleetward.dev/v1alpha1
kind: DeviceGroup
metadata: { name: phones }
spec: { selector: { deviceTypes: [ipPhone] }, updatePhase: fast, maintenanceWindow: always, pin: { firmware: "122.15.0.60" } }
`;

function fleet(): FleetFile {
  const devices: FleetDevice[] = Array.from({ length: PHONES }, (_, i) => ({
    id: `phone-${String(i + 1).padStart(2, '0')}`, deviceType: 'ipPhone', manufacturer: 'Yealink', model: 'MP58', timeZone: 'UTC',
    online: true, activityState: 'idle', healthStatus: 'healthy', software: { firmware: FROM },
  }));
  return {
    devices,
    releases: [
      { component: 'firmware', version: FROM, manufacturer: 'Yealink', models: ['MP58'], releasedAt: '2026-06-01T00:00:00Z', label: 'verified' },
      // Released as the test starts: the phase spreads the phones over the twelve hours after it (two minutes of wall time).
      { component: 'firmware', version: TO, manufacturer: 'Yealink', models: ['MP58'], releasedAt: START, label: 'verified' },
      // Held back by the group's pin until the fencing test lifts it.
      { component: 'firmware', version: NEXT, manufacturer: 'Yealink', models: ['MP58'], releasedAt: START, label: 'verified' },
    ],
  };
}

let env: KubeEnv;
let db: TestPostgres;
let sim: Simulator;
let server: SimulatorServer;
const processes = new Map<string, ChildProcess>();

function startOperator(name: string, kubeconfig: string, simStart: string, wall: string): ChildProcess {
  const log = openSync(join(env.dir, `${name}.log`), 'a');
  const child = spawn(join(REPO_ROOT, 'node_modules', '.bin', 'node'), [
    join(REPO_ROOT, 'controller', 'cli', 'main.ts'), 'operator',
    `--kubeconfig=${kubeconfig}`, `--namespace=${SYSTEM_NS}`, `--watch-namespace=${NS}`,
    '--driver=graph', '--credentials-secret=graph-creds', `--lease-name=${LEASE}`, '--state-backend=postgres',
    `--speed=${SPEED}`, `--start=${simStart}`, `--start-wall=${wall}`, '--resync=10m', '--port=-1',
  ], { cwd: REPO_ROOT, detached: true, stdio: ['ignore', log, log], env: { ...process.env, POD_NAME: name, FLEETWARD_STATE_URL: db.url } });
  closeSync(log);
  processes.set(name, child);
  return child;
}

function lease(): { holderIdentity?: string; leaseTransitions?: number; renewTime?: string; acquireTime?: string } {
  return JSON.parse(env.kubectlOk(['get', 'lease', LEASE, '-n', SYSTEM_NS, '-o', 'json'])).spec;
}

/** Every Fleetward object in the namespace, by kind/name, with its resourceVersion (any write moves it). */
function resourceVersions(): Record<string, string> {
  const list = JSON.parse(env.kubectlOk(['get', 'fleetward', '-n', NS, '-o', 'json'])).items as { kind: string; metadata: { name: string; resourceVersion: string } }[];
  return Object.fromEntries(list.map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.resourceVersion]));
}

function eventNames(): string[] {
  return (JSON.parse(env.kubectlOk(['get', 'events', '-n', NS, '-o', 'json'])).items as { metadata: { name: string } }[]).map((e) => e.metadata.name).sort();
}

function updates() {
  return sim.operations().filter((o) => o.operationType === 'softwareUpdate');
}

if ('skip' in assets) {
  test.skip('the Kubernetes suite (FLEETWARD_SKIP_K8S=1)', () => {});
} else {
  test.before(async () => {
    env = await startKubeEnv(assets.assets);
    db = await startPostgres();
    sim = new Simulator({
      fleet: fleet(), clock: new ScaledClock(START, SPEED, () => Date.now()),
      behaviour: { failureRate: 0, offlineRate: 0, busyDuringMeetings: 0, rollbackRate: 0, installDuration: '10m', queueDelay: '1m' },
    });
    server = await startSimulatorServer({ simulator: sim, token: TOKEN, host: '127.0.0.1' });
  });
  test.after(async () => {
    for (const p of processes.values()) if (p.pid && p.exitCode === null) { try { process.kill(-p.pid, 'SIGKILL'); } catch { /* gone */ } }
    await server?.close();
    await sim?.close();
    if (process.env.FLEETWARD_KEEP_K8S_DIR) process.stderr.write(`operator logs in ${env?.dir}\n`);
    await env?.stop();
    db?.close();
  });

  test('the chart installs with the graph driver and the operator runs on its service account alone', () => {
    env.kubectlOk(['create', 'namespace', NS]);
    const r = env.helm(['install', RELEASE, join(REPO_ROOT, 'charts', 'fleetward'), '-n', SYSTEM_NS, '--create-namespace',
      '--set', `driver.name=graph,driver.credentials.existingSecret=graph-creds`, '--set', `operator.watchNamespaces={${NS}}`]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    env.kubectlOk(['create', 'secret', 'generic', 'graph-creds', '-n', SYSTEM_NS, `--from-literal=token=${TOKEN}`, `--from-literal=url=${server.url}`]);
    env.kubectlOk(['apply', '-n', NS, '-f', '-'], { input: CONFIG });
    const token = env.kubectlOk(['create', 'token', `${RELEASE}-fleetward`, '-n', SYSTEM_NS, '--duration=1h']).trim();
    const kubeconfig = env.kubeconfigWithToken('operator', token);
    assert.ok(env.kubectl(['auth', 'can-i', 'update', 'devicegroups.fleetward.dev', '--subresource=status', '-n', NS], { kubeconfig }).stdout.startsWith('yes'));
  });

  test('only the Lease holder acts; killing it hands over and no operation is issued twice', async () => {
    const kubeconfig = join(env.dir, 'operator.kubeconfig');
    // The simulated instant at one wall instant: the operators' planning clocks follow the simulator's.
    const wall = new Date().toISOString();
    const simAtWall = sim.now().toISOString();
    const a = startOperator('operator-a', kubeconfig, simAtWall, wall);
    await eventually('operator-a to hold the lease', () => (lease()?.holderIdentity === 'operator-a' ? true : undefined), 60_000);
    startOperator('operator-b', kubeconfig, simAtWall, wall);
    await eventually('operator-a to start some of the rollout', () => (updates().length >= 3 ? true : undefined), 60_000);
    // A standby knows when a lease expires from the renewals it has watched: let it watch a few.
    await eventually('operator-b to stand by', () => (readFileSync(join(env.dir, 'operator-b.log'), 'utf8').includes('standing by') ? true : undefined), 60_000);
    await new Promise((r) => setTimeout(r, 4000));
    assert.is(lease().holderIdentity, 'operator-a', 'the standby did not take the lease while the leader renews it');
    const transitions = lease().leaseTransitions ?? 0;

    const killedWall = Date.now();
    process.kill(-a.pid!, 'SIGKILL');
    const issuedByA = updates().length;
    const killedAt = sim.now().toISOString();
    const lastRenewal = Date.parse(lease().renewTime!);
    assert.ok(issuedByA < PHONES, `the rollout was still under way when the leader died (${issuedByA} of ${PHONES} issued)`);

    const taken = await eventually('operator-b to take the lease', () => { const l = lease(); return l?.holderIdentity === 'operator-b' ? l : undefined; }, 60_000, 100);
    assert.ok((taken.leaseTransitions ?? 0) > transitions);
    // Never before the dead leader's claim ran out (leaseDuration 15 s after its last renewal), and then at
    // once: the standby wakes at the expiry it computed from the renewals it saw, not at its next poll. The
    // kill came after that last renewal, so the leader is replaced within 15 s of the kill (plus the few
    // milliseconds between a renewal being stamped and the standby reading it).
    const acquired = Date.parse(taken.acquireTime!);
    assert.ok(acquired - lastRenewal >= 15_000, `taken over ${acquired - lastRenewal} ms after the last renewal: not before the lease ran out`);
    assert.ok(acquired - lastRenewal <= 15_500, `taken over ${acquired - lastRenewal} ms after the last renewal`);
    assert.ok(acquired - killedWall <= 15_500, `replaced ${acquired - killedWall} ms after the SIGKILL`);

    await eventually('every phone on the new firmware', () => (sim.inventory().every((d) => d.software.firmware === TO) ? true : undefined), 120_000);
    const ops = updates();
    const perDevice = new Map<string, number>();
    for (const o of ops) perDevice.set(`${o.deviceId}/${o.component}/${o.toVersion}`, (perDevice.get(`${o.deviceId}/${o.component}/${o.toVersion}`) ?? 0) + 1);
    const twice = [...perDevice].filter(([, n]) => n > 1).map(([k]) => k);
    assert.equal(twice, [], 'no operation issued twice');
    assert.is(ops.length, PHONES);
    assert.ok(ops.some((o) => o.createdAt > killedAt), 'the new leader issued the rest of the rollout');

    const group = await eventually('DeviceGroup phones Ready', () => {
      const g = JSON.parse(env.kubectlOk(['get', 'devicegroup.fleetward.dev', 'phones', '-n', NS, '-o', 'json']));
      const ready = g.status?.conditions?.find((c: { type: string }) => c.type === 'Ready');
      return ready?.status === 'True' && ready.reason === 'UpToDate' ? g : undefined;
    }, 60_000);
    assert.is(group.status.observedGeneration, group.metadata.generation);

    // The history is in the store, not in a pod: every phone's update is there, issued by Fleetward, with its
    // reason, whichever leader issued it, and once.
    for (const o of ops) {
      const s = await runCli(['status', '--device', o.deviceId, '-o', 'json'], { env: { FLEETWARD_STATE_URL: db.url } });
      assert.is(s.code, 0, s.stderr);
      const rec = JSON.parse(s.stdout) as { history: { operationId: string; operationType: string; issuedBy: string; reason?: string; status: string }[] };
      const mine = rec.history.filter((h) => h.operationType === 'softwareUpdate');
      assert.equal(mine.map((h) => h.operationId), [o.id], `${o.deviceId}: its one update in the history`);
      assert.is(mine[0]!.issuedBy, 'fleetward', `${o.deviceId}: recorded as Fleetward's${o.createdAt <= killedAt ? ' (issued by the dead leader)' : ''}`);
      assert.ok(mine[0]!.reason, `${o.deviceId}: with the reason it was issued for`);
    }
    const table = await runCli(['status', '--device', ops[0]!.deviceId], { env: { FLEETWARD_STATE_URL: db.url } });
    assert.match(table.stdout, /history \(1 operation/);
  });

  test('a leader frozen past its lease writes nothing once it runs again: its passes are fenced by the lease', async () => {
    // operator-b leads a settled fleet; operator-c stands by. A new firmware gives the leader work, then the
    // leader is frozen (SIGSTOP: a stalled event loop, a long GC, a paused VM) until operator-c has taken
    // the lease; operator-c is frozen in turn, so that whatever reaches the world after operator-b runs
    // again can only be operator-b's.
    const b = processes.get('operator-b')!;
    const wall = new Date().toISOString();
    startOperator('operator-c', join(env.dir, 'operator.kubeconfig'), sim.now().toISOString(), wall);
    await eventually('operator-c to stand by', () => (readFileSync(join(env.dir, 'operator-c.log'), 'utf8').includes('standing by') ? true : undefined), 60_000);
    const before = updates().length;
    env.kubectlOk(['patch', 'devicegroup.fleetward.dev', 'phones', '-n', NS, '--type=json', '-p', '[{"op":"remove","path":"/spec/pin"}]']);
    await eventually('operator-b to start the next rollout', () => (updates().length > before ? true : undefined), 60_000, 100);
    process.kill(-b.pid!, 'SIGSTOP');
    const taken = await eventually('operator-c to take the lease', () => { const l = lease(); return l?.holderIdentity === 'operator-c' ? l : undefined; }, 60_000, 100);
    const c = processes.get('operator-c')!;
    process.kill(-c.pid!, 'SIGSTOP');
    assert.ok(taken.acquireTime);

    const world = () => ({ objects: resourceVersions(), events: eventNames(), operations: sim.operations().map((o) => o.id) });
    // operator-c may have sent a write between taking the lease and being stopped (its first pass starts at
    // once): let what is already in flight reach the API server before the world is read.
    await new Promise((r) => setTimeout(r, 2000));
    const frozen = world();
    const exited = new Promise<number | null>((resolve) => b.once('exit', (code) => resolve(code)));
    process.kill(-b.pid!, 'SIGCONT');
    const code = await Promise.race([exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 10_000))]);
    const after = world();
    assert.equal(after.operations, frozen.operations, 'no operation started after the lease was lost');
    assert.equal(after.events, frozen.events, 'no Event after the lease was lost');
    // Every write is checked against the lease right before the client sends it, but the client prepares a
    // request over a few awaits after that check: a process frozen inside that window sends that one request
    // when it runs again (docs/kubernetes.md "Leader election and fencing"). Status PATCHes go one at a time,
    // so at most one object may change, and only with the status the pass had computed before the freeze.
    const changed = Object.keys(after.objects).filter((k) => after.objects[k] !== frozen.objects[k]);
    assert.ok(changed.length <= 1, `status written after the lease was lost: ${changed.join(', ')}`);
    assert.is(code, 1, 'the old leader exits (its pod restarts as a fresh candidate)');
    assert.match(readFileSync(join(env.dir, 'operator-b.log'), 'utf8'), /stepping down|leadership lost|pass abandoned/);

    // The new leader finishes the rollout, none twice.
    process.kill(-c.pid!, 'SIGCONT');
    await eventually('every phone on the next firmware', () => (sim.inventory().every((d) => d.software.firmware === NEXT) ? true : undefined), 120_000);
    const next = updates().filter((o) => o.toVersion === NEXT);
    assert.is(new Set(next.map((o) => o.deviceId)).size, next.length, 'no operation issued twice');
    assert.is(next.length, PHONES);
    processes.set('operator-b', c);
  });

  test('a stopped leader gives the lease up at once', async () => {
    const b = processes.get('operator-b')!;
    const exited = new Promise((resolve) => b.once('exit', resolve));
    process.kill(b.pid!, 'SIGTERM');
    await exited;
    assert.is(lease().holderIdentity ?? '', '');
  });
}

test.run();
