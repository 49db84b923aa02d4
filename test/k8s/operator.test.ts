// `fleetward operator` on a real kube-apiserver, with the simulated fleet as the device back end:
// it drives a rollout to Ready, writes status through the status subresource (only when it changed),
// reports a paused release and every forced update as Events, honours spec.suspend and the
// reconcile.fleetward.dev/requestedAt annotation, and its informers recover from errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Operator } from '../../controller/operator/operator.ts';
import { KubeClient, loadKubeConfig } from '../../controller/operator/kube.ts';
import { ResilientInformers } from '../../controller/operator/informers.ts';
import { REQUESTED_AT_ANNOTATION } from '../../controller/operator/source.ts';
import { KubernetesCodeSecretStore, codeSecretNames } from '../../controller/operator/secrets.ts';
import { gunzipSync } from 'node:zlib';
import { createDriver } from '../../controller/drivers/index.ts';
import type { SimulatorDriver } from '../../controller/drivers/simulator/driver.ts';
import { ScaledClock, type Clock } from '../../controller/util/clock.ts';
import { silentLogger } from '../../controller/reconciler/log.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { applyChange } from '../../controller/admin/config-edit.ts';
import { pauseChange, resumeChange } from '../../controller/admin/tenant-pause.ts';
import { eventually, installCrds, k8sAssetsOrExplain, startKubeEnv, type KubeEnv } from '../support/k8s-env.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { verifySignature } from '../../controller/server/webhook.ts';
import { BEHAVIOUR, FLEET, PHONE_FIRMWARE, PREVIEW_CLIENT, SCENARIO_OBJECTS, START } from './scenario.ts';

const NS = 'fleet';
/** One wall second is ten simulated minutes: an install (1 min queue + 10 min) takes about a second. */
const SPEED = 600;
const assets = k8sAssetsOrExplain();
let env: KubeEnv;

/** A scaled clock (one wall second is SPEED simulated seconds), built from parts a test can read. */
class TestClock implements Clock {
  readonly #inner: ScaledClock;
  readonly factor: number;
  constructor(start: string, factor: number) { this.#inner = new ScaledClock(start, factor); this.factor = factor; }
  now(): Date { return this.#inner.now(); }
  // A stopped loop aborts its sleep (the signal clears the timer): nothing here keeps the process alive.
  sleep(ms: number, signal?: AbortSignal): Promise<void> { return this.#inner.sleep(ms, signal); }
}

interface Cond { type: string; status: string; reason: string; message: string; observedGeneration?: number }
interface Obj { metadata: { name: string; generation: number; resourceVersion: string; annotations?: Record<string, string> }; status?: { conditions?: Cond[]; observedGeneration?: number; lastAppliedRevision?: string; state?: string; [k: string]: unknown } }

function get(kind: string, name: string): Obj {
  return JSON.parse(env.kubectlOk(['get', `${kind}.fleetward.dev`, name, '-n', NS, '-o', 'json'])) as Obj;
}
function condition(o: Obj, type: string): Cond | undefined {
  return o.status?.conditions?.find((c) => c.type === type);
}
function events(name: string): { reason: string; type: string; message: string; count?: number; involvedObject: { kind: string } }[] {
  return JSON.parse(env.kubectlOk(['get', 'events', '-n', NS, '--field-selector', `involvedObject.name=${name}`, '-o', 'json'])).items;
}
function allResourceVersions(): Map<string, string> {
  const list = JSON.parse(env.kubectlOk(['get', 'fleetward', '-n', NS, '-o', 'json'])).items as ({ kind: string } & Obj)[];
  return new Map(list.map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.resourceVersion]));
}

/** A counter's value (summed over the series matching `labels`), as /metrics would show it. */
async function counted(c: { get(): Promise<{ values: { value: number; labels: Record<string, string | number> }[] }> }, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await c.get();
  return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
}

function startOperator(driver: SimulatorDriver, clock: Clock, resyncMs: number, onPass: () => void = () => {}): Operator {
  const op = new Operator({
    client: new KubeClient(loadKubeConfig(env.kubeconfig)), driver, clock, logger: silentLogger,
    namespace: NS, watchNamespaces: [NS], resyncMs, afterPass: onPass,
    leaderElection: { enabled: true, leaseName: 'fleetward-test', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
  });
  return op;
}

if ('skip' in assets) {
  test.skip('the Kubernetes suite (FLEETWARD_SKIP_K8S=1)', () => {});
} else {
  let operator: Operator | undefined;
  let driver: SimulatorDriver;
  let clock: TestClock;
  let passes = 0;

  test.before(async () => {
    env = await startKubeEnv(assets.assets);
    installCrds(env);
    env.kubectlOk(['create', 'namespace', NS]);
    env.kubectlOk(['apply', '-n', NS, '-f', '-'], { input: SCENARIO_OBJECTS });
    clock = new TestClock(START, SPEED);
    driver = createDriver('simulator', { simulator: { fleet: FLEET, clock, behaviour: BEHAVIOUR } }) as SimulatorDriver;
  });
  test.after(async () => {
    await operator?.stop();
    await receiver?.close();
    await env?.stop();
  });

  // Notifications (docs/notifications.md): a generic webhook whose HMAC key is in a Secret of the namespace,
  // declared before the operator starts, so the paused release below reaches it.
  let receiver: Receiver;
  const HOOK_KEY = 'operator-notify-hmac-key-3c7e91';
  test('notification objects and their Secret are accepted by the API server', async () => {
    receiver = await startReceiver();
    env.kubectlOk(['create', 'secret', 'generic', 'notify-hook', '-n', NS, `--from-literal=key=${HOOK_KEY}`]);
    env.kubectlOk(['apply', '-n', NS, '-f', '-'], {
      input: `apiVersion: fleetward.dev/v1alpha1
kind: NotificationProvider
metadata: {name: hook}
spec:
  type: generic
  address: ${receiver.url}/events
  secretRef: {secret: {name: notify-hook, key: key}}
---
apiVersion: fleetward.dev/v1alpha1
kind: NotificationRule
metadata: {name: paused}
spec:
  providerRef: {name: hook}
  events: [ReleasePaused]
`,
    });
    assert.is(get('notificationprovider', 'hook').metadata.name, 'hook');
  });

  test('the operator drives a simulated rollout until the device group is Ready and up to date', async () => {
    operator = startOperator(driver, clock, 10 * 60_000, () => { passes++; });
    await operator.start();
    const group = await eventually('desk-phones Ready/UpToDate', () => {
      const g = get('devicegroup', 'desk-phones');
      return condition(g, 'Ready')?.status === 'True' && condition(g, 'Ready')?.reason === 'UpToDate' ? g : undefined;
    }, 90_000);
    for (const id of ['phone-1', 'phone-2', 'phone-3']) {
      assert.is(driver.simulator.device(id)?.software.firmware, PHONE_FIRMWARE.to, `${id} runs the new firmware`);
    }
    assert.is(group.status?.observedGeneration, group.metadata.generation);
    assert.is(condition(group, 'Ready')?.observedGeneration, group.metadata.generation);
    assert.match(group.status?.lastAppliedRevision ?? '', /^k8s-[0-9a-f]{12}$/);
    assert.is(group.status?.devices, 3);
    assert.is(condition(group, 'Reconciling'), undefined, 'nothing is reconciling any more');
  });

  test('a suspended group is reported Suspended and its phone is not touched', () => {
    const lab = get('devicegroup', 'lab-phones');
    assert.is(condition(lab, 'Ready')?.status, 'False');
    assert.is(condition(lab, 'Ready')?.reason, 'Suspended');
    assert.is(driver.simulator.device('phone-lab')?.software.firmware, PHONE_FIRMWARE.from);
    assert.not.ok(driver.simulator.operations('phone-lab').some((o) => o.operationType === 'softwareUpdate'));
  });

  test('a release failing beyond the ring threshold is Paused and Stalled, with one Warning Event', async () => {
    const rel = await eventually('the rooms release paused', () => {
      const r = get('softwarerelease', 'rooms-teams-5-1-2');
      return r.status?.state === 'Paused' ? r : undefined;
    }, 60_000);
    assert.is(condition(rel, 'Ready')?.status, 'False');
    assert.is(condition(rel, 'Ready')?.reason, 'ReleasePaused');
    assert.is(condition(rel, 'Stalled')?.status, 'True');
    // The release view survives the API server's schema (nothing pruned): where it paused, at what threshold, who failed.
    const st = rel.status as { pause?: { ring: string; threshold: number; failedDevices: string[] }; stages?: { name: string; state: string }[]; failed?: number };
    assert.equal([st.pause?.ring, st.pause?.threshold], ['Staging', 0]);
    assert.ok(st.pause?.failedDevices.includes('room-1'));
    assert.ok((st.failed ?? 0) >= 1);
    assert.equal(st.stages?.find((x) => x.name === 'Staging')?.state, 'Paused');
    assert.match(condition(rel, 'Stalled')!.message, /is paused in ring Staging: \d+ of \d+ targeted devices failed, above its failure threshold of 0%/);
    const rooms = get('devicegroup', 'rooms');
    assert.is(condition(rooms, 'Ready')?.reason, 'ReleasePaused');
    assert.match(condition(rooms, 'Ready')!.message, /see SoftwareRelease\/rooms-teams-5-1-2 status/);
    const gs = rooms.status as { devices?: number; failed?: number; held?: number; upToDate?: number };
    assert.ok((gs.failed ?? 0) + (gs.held ?? 0) >= 1, 'failed and held counts reach the API server');
    const ev = await eventually('the ReleasePaused Event', () => {
      const list = events('rooms-teams-5-1-2').filter((e) => e.reason === 'ReleasePaused');
      return list.length ? list : undefined;
    });
    assert.is(ev.length, 1);
    assert.is(ev[0]!.type, 'Warning');
    assert.match(ev[0]!.message, /room-1/);
  });

  test('the paused release reaches the webhook once, signed with the key from the Secret; still one Event; the provider status says nothing waits', async () => {
    const got = await eventually('the ReleasePaused message', () => {
      const list = receiver.accepted().filter((r) => r.json.event.reason === 'ReleasePaused');
      return list.length ? list : undefined;
    }, 60_000);
    const raw = receiver.requests.find((r) => r.accepted)!;
    assert.ok(verifySignature(HOOK_KEY, Buffer.from(raw.body), raw.headers['x-hub-signature-256']));
    assert.is(got[0]!.json.event.object, 'SoftwareRelease/rooms-teams-5-1-2');
    assert.ok(got[0]!.json.event.devices.includes('room-1'));
    const provider = await eventually('the provider status', () => {
      const p = get('notificationprovider', 'hook');
      return p.status?.pending === 0 ? p : undefined;
    });
    assert.is(provider.status?.deadLettered, 0);
    assert.not.ok(JSON.stringify(provider).includes(HOOK_KEY.slice(0, 8)), 'no piece of the key in the object');
    assert.is(events('rooms-teams-5-1-2').filter((e) => e.reason === 'ReleasePaused').length, 1, 'the notification and the operator name the same Event');
    assert.is(receiver.accepted().filter((r) => r.json.event.reason === 'ReleasePaused').length, 1, 'one message, however many passes');
  });

  test('every forced update is recorded as an Event on its SoftwareUpdate', async () => {
    const ops = driver.simulator.operations('phone-1').filter((o) => o.operationType === 'softwareUpdate' && o.component === 'teamsClient');
    assert.is(ops.length, 1, 'one forced operation was issued');
    assert.is(ops[0]!.forced, true);
    assert.is(driver.simulator.device('phone-1')?.software.teamsClient, PREVIEW_CLIENT.to);
    const ev = await eventually('the ForcedUpdate Event', () => {
      const list = events('force-phone-1-preview').filter((e) => e.reason === 'ForcedUpdate');
      return list.length ? list : undefined;
    });
    assert.is(ev.length, 1);
    assert.is(ev[0]!.involvedObject.kind, 'SoftwareUpdate');
    assert.match(ev[0]!.message, new RegExp(`phone-1 .*${ops[0]!.id}`));
  });

  test('status is written only when it changed: passes over a settled fleet leave every object untouched', async () => {
    // Settled includes provisioning, which runs beside the passes: its first code is issued (and its status
    // written) when the hashing finishes, which on a loaded machine can be well after the rollout.
    await eventually('the batch\'s first code issued', () => {
      const b = get('provisioningbatch', 'new-desks').status as { devices?: { codeExpiresAt?: string }[] } | undefined;
      return b?.devices?.[0]?.codeExpiresAt ? true : undefined;
    }, 60_000);
    // One pass after that first code, so that its status is written before the count starts.
    const settledFrom = passes;
    await eventually('one pass after the code', () => (passes >= settledFrom + 1 ? true : undefined), 60_000);
    const expiries = () => JSON.stringify((get('provisioningbatch', 'new-desks').status as { devices?: { codeExpiresAt?: string }[] } | undefined)?.devices?.map((d) => d.codeExpiresAt));
    const before = allResourceVersions();
    const codesBefore = expiries();
    const writes = await counted(operator!.metrics.statusWrites, { result: 'written' });
    const start = passes;
    await eventually('three more passes', () => (passes >= start + 3 ? true : undefined), 60_000);
    const written = [...allResourceVersions()].filter(([key, rv]) => before.get(key) !== rv).map(([key]) => key);
    // At SPEED a simulated day is 144 wall seconds: on a slow machine the batch's codes may come due for renewal
    // inside the window, a real change its status must show. Nothing else may be written.
    if (expiries() !== codesBefore) {
      assert.equal(written.filter((k) => k !== 'ProvisioningBatch/new-desks'), [], 'objects written over a settled fleet (codes renewed meanwhile)');
      return;
    }
    assert.equal(written, [], 'objects written over a settled fleet');
    assert.is(await counted(operator!.metrics.statusWrites, { result: 'written' }), writes);
  });

  /** A new operator whose resync is a simulated week: only a watch event can cause a pass while a test waits. */
  async function restartWithoutResync(): Promise<{ count: number }> {
    await operator!.stop();
    const passes = { count: 0 };
    operator = startOperator(driver, clock, 7 * 24 * 3600_000, () => { passes.count++; });
    await operator.start();
    await eventually('the first pass of the new operator', () => (passes.count >= 1 ? true : undefined), 60_000);
    return passes;
  }

  test('the requestedAt annotation asks for a pass at once, without waiting for the resync', async () => {
    const passes = await restartWithoutResync();
    const after = passes.count;
    env.kubectlOk(['annotate', '--overwrite', 'devicegroup.fleetward.dev/desk-phones', '-n', NS, `${REQUESTED_AT_ANNOTATION}=2026-11-23T12:00:00Z`]);
    await eventually('a pass after the annotation', () => (passes.count > after ? true : undefined), 30_000);
    const group = await eventually('status to acknowledge the request', () => {
      const g = get('devicegroup', 'desk-phones');
      return g.status?.lastHandledReconcileAt === '2026-11-23T12:00:00Z' ? g : undefined;
    }, 30_000);
    assert.is(condition(group, 'Ready')?.status, 'True');
    // Objects that were not annotated do not claim to have handled a request.
    assert.is(get('devicegroup', 'rooms').status?.lastHandledReconcileAt, undefined);
  });

  test('status writes start no pass, its own or another writer\'s; a spec change does', async () => {
    const passes = await restartWithoutResync();
    const op = operator!;
    // Its own status writes (a new leader rewrites lastHandledReconcileAt and the like) come back through
    // the informers as updates: none may start a pass.
    await new Promise((r) => setTimeout(r, 3000));
    assert.is(passes.count, 1, 'the operator\'s own status writes started no pass');
    const ownIgnored = await counted(op.metrics.changesIgnored, { reason: 'status_only' });

    // Another writer's status (another shard, a person with status rights): no pass either.
    env.kubectlOk(['patch', 'devicegroup.fleetward.dev/rooms', '-n', NS, '--subresource=status', '--type=merge', '-p', '{"status":{"devices":999}}']);
    await new Promise((r) => setTimeout(r, 3000));
    assert.is(passes.count, 1, 'a foreign status write started no pass');
    assert.is(await counted(op.metrics.changesIgnored, { reason: 'status_only' }), ownIgnored + 1);
    assert.is(get('devicegroup', 'rooms').status?.devices, 999, 'and nothing rewrote it');

    // A spec change (two, in quick succession): one pass, with its cause counted.
    env.kubectlOk(['patch', 'devicegroup.fleetward.dev/rooms', '-n', NS, '--type=merge', '-p', '{"spec":{"priority":7}}']);
    env.kubectlOk(['patch', 'devicegroup.fleetward.dev/rooms', '-n', NS, '--type=merge', '-p', '{"spec":{"priority":8}}']);
    await eventually('a pass after the spec change', () => (passes.count > 1 ? true : undefined), 30_000);
    const rooms = await eventually('the pass to correct the foreign status', () => {
      const g = get('devicegroup', 'rooms');
      return g.status?.devices !== 999 && g.status?.observedGeneration === g.metadata.generation ? g : undefined;
    }, 30_000);
    assert.ok(rooms);
    await new Promise((r) => setTimeout(r, 3000));
    assert.ok(passes.count <= 3, `the two changes and the pass's own writes started ${passes.count - 1} passes`);
    assert.ok(await counted(op.metrics.passTriggers, { cause: 'spec_changed' }) >= 1);
    assert.is(await counted(op.metrics.passTriggers, { cause: 'timer' }), 0, 'no pass came from the (week-long) resync');
  });

  test('a spec change moves observedGeneration and the applied revision', async () => {
    const before = get('devicegroup', 'desk-phones');
    env.kubectlOk(['patch', 'devicegroup.fleetward.dev/desk-phones', '-n', NS, '--type=merge', '-p', '{"spec":{"priority":5}}']);
    const after = await eventually('observedGeneration to follow the new generation', () => {
      const g = get('devicegroup', 'desk-phones');
      return g.metadata.generation > before.metadata.generation && g.status?.observedGeneration === g.metadata.generation ? g : undefined;
    }, 30_000);
    assert.is.not(after.status?.lastAppliedRevision, before.status?.lastAppliedRevision);
  });

  test('an invalid revision is not applied: the object at fault is Stalled with the error, the rest keep the last good revision', async () => {
    const before = get('devicegroup', 'desk-phones');
    // Every object's status of the revision in force has been written (they are written side by side).
    const release = await eventually('the release at the revision in force', () => {
      const r = get('softwarerelease', 'mp58-firmware-122-15-0-60');
      return r.status?.lastAppliedRevision === before.status?.lastAppliedRevision ? r : undefined;
    }, 30_000);
    env.kubectlOk(['patch', 'devicegroup.fleetward.dev/desk-phones', '-n', NS, '--type=merge', '-p', '{"spec":{"updatePhase":"no-such-phase"}}']);
    const bad = await eventually('desk-phones to report the rejected revision', () => {
      const g = get('devicegroup', 'desk-phones');
      return condition(g, 'Stalled')?.reason === 'InvalidRevision' ? g : undefined;
    }, 30_000);
    assert.is(condition(bad, 'Ready')?.status, 'False');
    assert.match(condition(bad, 'Ready')?.message ?? '', /UpdatePhase "no-such-phase" does not exist/);
    assert.is(bad.status?.observedGeneration, before.metadata.generation, 'the invalid generation is not marked observed');
    assert.is(bad.status?.lastAppliedRevision, before.status?.lastAppliedRevision);
    assert.is(get('softwarerelease', 'mp58-firmware-122-15-0-60').status?.lastAppliedRevision, release.status?.lastAppliedRevision);
    env.kubectlOk(['patch', 'devicegroup.fleetward.dev/desk-phones', '-n', NS, '--type=merge', '-p', '{"spec":{"updatePhase":"fast"}}']);
    const good = await eventually('desk-phones Ready again', () => {
      const g = get('devicegroup', 'desk-phones');
      return condition(g, 'Ready')?.status === 'True' && g.status?.observedGeneration === g.metadata.generation ? g : undefined;
    }, 30_000);
    assert.is(condition(good, 'Stalled'), undefined);
  });

  test('the forced SoftwareUpdate reports its result in its status', async () => {
    const su = await eventually('force-phone-1-preview UpToDate', () => {
      const o = get('softwareupdate', 'force-phone-1-preview');
      return condition(o, 'Ready')?.reason === 'UpToDate' ? o : undefined;
    }, 30_000);
    assert.equal([su.status?.devices, su.status?.succeeded, su.status?.failed], [1, 1, 0]);
    assert.is(condition(su, 'Ready')?.message, '1 of 1 device(s) updated');
  });

  test('fleetward pause, applied with kubectl, puts the resume date on the FleetPolicy status; resume takes it away', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-k8s-pause-'));
    try {
      writeFileSync(join(dir, 'policy.yaml'), SCENARIO_OBJECTS.split('\n---\n').find((d) => d.includes('kind: FleetPolicy'))!);
      const paused = pauseChange(dir, clock.now());
      const pausedAt = String(parseAllDocuments(paused.change!.document)[0]!.toJS().spec.autoUpdates.pausedAt);
      env.kubectlOk(['apply', '-n', NS, '-f', '-'], { input: paused.change!.document });
      const resumeAt = new Date(Date.parse(pausedAt) + 15 * 86_400_000).toISOString().replace('.000Z', 'Z');
      const policy = await eventually('autoUpdatesResumeAt on the FleetPolicy', () => {
        const p = get('fleetpolicy', 'default');
        return p.status?.autoUpdatesResumeAt ? p : undefined;
      }, 30_000);
      assert.is(policy.status?.autoUpdatesResumeAt, resumeAt, 'the API server keeps the field (it is in the CRD schema)');
      assert.match(condition(policy, 'Ready')!.message, new RegExp(`automatic updates paused until ${resumeAt}`));

      // `resume` edits the same file back; applying it removes pausedAt (kubectl's three-way merge).
      await applyChange(paused.change!);
      const resumed = resumeChange(dir, clock.now());
      env.kubectlOk(['apply', '-n', NS, '-f', '-'], { input: resumed.change!.document });
      await eventually('autoUpdatesResumeAt gone', () => (get('fleetpolicy', 'default').status?.autoUpdatesResumeAt === undefined ? true : undefined), 30_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('provisioning codes go to the operator\'s codes Secret, one key per batch, and nowhere in status, which shows the batch\'s counts', async () => {
    // The operator's provisioning step: the code of the declared batch is in the operator's Secret.
    const secret = await eventually('the codes Secret of the operator', () => {
      const r = env.kubectl(['get', 'secret', 'fleetward-provisioning-codes', '-n', NS, '-o', 'json']);
      return r.code === 0 ? JSON.parse(r.stdout) as { data: Record<string, string> } : undefined;
    }, 60_000);
    const issued = JSON.parse(gunzipSync(Buffer.from(secret.data['new-desks']!, 'base64')).toString('utf8')) as Record<string, { code: string; codeHash: string }>;
    const code = issued['44-DB-D2-F5-23-01']?.code;
    assert.ok(code && code.length >= 6, 'a verification code was issued for the declared MAC');
    const world = env.kubectlOk(['get', 'fleetward', '-n', NS, '-o', 'json']);
    assert.not.ok(world.includes(code!), 'the code is in no object, status included');

    // The batch's status subresource shows its provisioning status: what the server kept is what the CRD
    // schema allows (it prunes unknown fields), so each field asserted here is one the schema accepts.
    type DeviceStatus = { macAddress: string; state: string; location?: string; codeHash?: string; codeExpiresAt?: string };
    const batch = await eventually('the batch status to show its counts', () => {
      const b = get('provisioningbatch', 'new-desks');
      return b.status?.counts ? b : undefined;
    }, 60_000);
    assert.is(batch.status?.total, 1);
    assert.equal(batch.status?.counts, { AwaitingActivation: 1, AwaitingSignIn: 0, SignedIn: 0, Expired: 0, FirmwareTooOld: 0, LockedOut: 0 });
    const devices = batch.status?.devices as DeviceStatus[];
    assert.equal(devices.map((d) => [d.macAddress, d.state, d.location]), [['44-DB-D2-F5-23-01', 'AwaitingActivation', 'Desk 23.01']]);
    assert.is(devices[0]!.codeHash, undefined, 'not even the code\'s verifier: it is in the state store');
    assert.is(batch.status?.moreDevices, undefined, 'every device of a small batch is named');
    assert.match(devices[0]!.codeExpiresAt ?? '', /^2026-11-2\dT/);
    assert.ok(condition(batch, 'Ready'), 'its conditions stay beside it');
    assert.not.ok(JSON.stringify(batch).includes(code!), 'no code in the batch');

    // The store itself, on a Secret of its own.
    const store = new KubernetesCodeSecretStore(new KubeClient(loadKubeConfig(env.kubeconfig)), NS, 'test-codes');
    const codes = { '80-5E-C0-F4-10-21': { code: '123456789012', expiresAt: '2026-11-24T10:00:00Z', codeHash: 'scrypt$abc' } };
    await store.save('paris-floor-4', codes);
    await store.save('singapore-level-23', { '44-DB-D2-F5-23-01': { code: '210987654321', expiresAt: '2026-11-24T10:00:00Z', codeHash: 'scrypt$def' } });
    assert.equal(await store.load('paris-floor-4'), codes);
    assert.equal(await store.batches(), ['paris-floor-4', 'singapore-level-23']);
    assert.is(JSON.parse(env.kubectlOk(['get', 'secret', 'test-codes', '-n', NS, '-o', 'json'])).type, 'Opaque');
    await store.save('paris-floor-4', {});
    assert.equal(await store.batches(), ['singapore-level-23']);
    assert.equal(await store.load('paris-floor-4'), {});
    const everything = env.kubectlOk(['get', 'fleetward', '-n', NS, '-o', 'json']);
    assert.not.ok(everything.includes('123456789012') || everything.includes('210987654321'), 'no code in any object');
  });

  test('a new leader with an empty state directory keeps the codes already issued: the Secret and the batch status are unchanged', async () => {
    const codesOf = () => JSON.parse(env.kubectlOk(['get', 'secret', 'fleetward-provisioning-codes', '-n', NS, '-o', 'json'])).data['new-desks'] as string;
    const devicesOf = () => JSON.stringify(get('provisioningbatch', 'new-desks').status?.devices);
    // The first leader goes away (its pod's state directory with it); stopping waits for its provisioning run.
    await operator!.stop();
    const codes = codesOf();
    const devices = devicesOf();
    const [device] = JSON.parse(devices) as { codeExpiresAt?: string }[];
    assert.ok(device?.codeExpiresAt, `the first leader issued a code: ${devices}`);

    // A fresh Operator (a fresh temporary state directory), on a clock at wall speed from where the first
    // stopped, so no code expires meanwhile: any code it issued would be a regenerated one.
    const later = new TestClock(clock.now().toISOString(), 1);
    let newPasses = 0;
    operator = new Operator({
      client: new KubeClient(loadKubeConfig(env.kubeconfig)), driver, clock: later, logger: silentLogger,
      namespace: NS, watchNamespaces: [NS], resyncMs: 500, afterPass: () => { newPasses++; },
      leaderElection: { enabled: true, leaseName: 'fleetward-test', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
    });
    await operator.start();
    await eventually('three passes of the new leader', () => (newPasses >= 3 ? true : undefined), 60_000);
    await operator.stop(); // waits for its provisioning run
    assert.is(codesOf(), codes, 'the codes in the Secret are the ones handed out');
    assert.is(devicesOf(), devices, 'the batch status keeps the same code hashes and expiry');
    // Where it came from: the new leader's store was empty; each device's code came back from the codes Secret.
    assert.is(env.kubectl(['get', 'secret', 'fleetward-provisioning-codes-status', '-n', NS]).code, 1, 'no status Secret: per-device state is in the store');
  });

  test('two sharded operators split the fleet: each updates its own devices, owns only its labelled objects and keeps its own provisioning codes and status', async () => {
    const SNS = 'sharded';
    env.kubectlOk(['create', 'namespace', SNS]);
    const shardConfig = `
apiVersion: fleetward.dev/v1alpha1
kind: MaintenanceWindow
metadata: { name: always }
spec: { start: "00:00", end: "23:59", days: [Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday], timeZone: UTC }
---
apiVersion: fleetward.dev/v1alpha1
kind: UpdatePhase
metadata: { name: fast }
spec: { deferrals: { firmware: 0d }, rolloutDuration: 1h }
${['emea', 'amer'].map((shard) => `---
apiVersion: fleetward.dev/v1alpha1
kind: DeviceGroup
metadata: { name: ${shard}-phones, labels: { fleetward.dev/shard: ${shard} } }
spec: { selector: { deviceTypes: [ipPhone], matchLabels: { region: ${shard} } }, updatePhase: fast, maintenanceWindow: always }
---
apiVersion: fleetward.dev/v1alpha1
kind: ProvisioningBatch
metadata: { name: ${shard}-desks, labels: { fleetward.dev/shard: ${shard} } }
spec: { devices: [{ macAddress: ${shard === 'emea' ? '44-DB-D2-F5-30-01' : '44-DB-D2-F5-40-01'}, location: Desk ${shard} 1 }] }
`).join('')}`;
    env.kubectlOk(['apply', '-n', SNS, '-f', '-'], { input: shardConfig });
    const shardClock = new TestClock(START, SPEED);
    const phones = ['emea', 'emea', 'amer', 'amer'].map((shard, i) => ({
      id: `${shard}-phone-${i}`, deviceType: 'ipPhone' as const, manufacturer: 'Yealink', model: 'MP58', timeZone: 'UTC',
      labels: { region: shard, 'fleetward.dev/shard': shard }, online: true, activityState: 'idle' as const, healthStatus: 'healthy' as const,
      software: { firmware: PHONE_FIRMWARE.from },
    }));
    const shared = createDriver('simulator', { simulator: { fleet: { devices: phones, releases: FLEET.releases.concat([
      { component: 'firmware', version: PHONE_FIRMWARE.to, manufacturer: 'Yealink', models: ['MP58'], releasedAt: '2026-11-20T00:00:00Z', label: 'verified' },
    ]) }, clock: shardClock, behaviour: BEHAVIOUR } }) as SimulatorDriver;
    // Every device the provisioning back end is told to forget.
    const backend = shared.provisioning;
    const forgotten: string[] = [];
    const unregister = backend.unregister.bind(backend);
    backend.unregister = async (mac: string) => { forgotten.push(mac); await unregister(mac); };
    const passes = { emea: 0, amer: 0 };
    const operators = (['emea', 'amer'] as const).map((shard) => new Operator({
      client: new KubeClient(loadKubeConfig(env.kubeconfig)), driver: createDriver('simulator', { simulator: shared.simulator }),
      clock: shardClock, logger: silentLogger, namespace: SNS, watchNamespaces: [SNS], shard, resyncMs: 10 * 60_000, afterPass: () => { passes[shard]++; },
      leaderElection: { enabled: true, leaseName: `fleetward-leader-${shard}` },
    }));
    for (const op of operators) await op.start();
    try {
      for (const shard of ['emea', 'amer']) {
        const g = await eventually(`${shard}-phones Ready/UpToDate`, () => {
          const x = JSON.parse(env.kubectlOk(['get', 'devicegroup.fleetward.dev', `${shard}-phones`, '-n', SNS, '-o', 'json'])) as Obj;
          return condition(x, 'Ready')?.reason === 'UpToDate' ? x : undefined;
        }, 60_000);
        assert.is(g.status?.devices, 2, `${shard}-phones counts only its shard's devices`);
        assert.is(JSON.parse(env.kubectlOk(['get', 'lease', `fleetward-leader-${shard}`, '-n', SNS, '-o', 'json'])).spec.holderIdentity, operators[shard === 'emea' ? 0 : 1]!.identity);
      }
      const ops = shared.simulator.operations().filter((o) => o.operationType === 'softwareUpdate');
      assert.equal(ops.map((o) => o.deviceId).sort(), phones.map((p) => p.id).sort(), 'one update per device, none twice');
      // The shared, unlabelled config is read by both shards and owned by neither: nobody writes its status.
      const phase = JSON.parse(env.kubectlOk(['get', 'updatephase.fleetward.dev', 'fast', '-n', SNS, '-o', 'json'])) as Obj;
      assert.is(phase.status, undefined);

      // Provisioning state is per shard: amer does not take emea's batch for one no longer declared.
      // Codes are per shard too: each shard drops the codes of batches it does not own, so in one shared
      // Secret each would delete the other's codes and they would be issued again every pass.
      const codesOf = (shard: string) => {
        const r = env.kubectl(['get', 'secret', `fleetward-provisioning-codes-${shard}`, '-n', SNS, '-o', 'jsonpath={.data}']);
        return r.code === 0 ? JSON.parse(r.stdout || '{}') as Record<string, string> : undefined;
      };
      const issued = {
        emea: await eventually('emea\'s codes in its own Secret', () => (codesOf('emea')?.['emea-desks'] ? codesOf('emea') : undefined), 30_000),
        amer: await eventually('amer\'s codes in its own Secret', () => (codesOf('amer')?.['amer-desks'] ? codesOf('amer') : undefined), 30_000),
      };
      assert.equal(Object.keys(issued.emea), ['emea-desks'], 'emea\'s Secret holds only its batch');
      assert.equal(Object.keys(issued.amer), ['amer-desks'], 'amer\'s Secret holds only its batch');
      const before = { ...passes };
      await eventually('three more passes of each shard', () => (passes.emea >= before.emea + 3 && passes.amer >= before.amer + 3 ? true : undefined), 30_000);
      assert.equal(codesOf('emea'), issued.emea, 'emea\'s codes are unchanged after passes of both shards');
      assert.equal(codesOf('amer'), issued.amer, 'amer\'s codes are unchanged after passes of both shards');
      assert.equal(forgotten, [], 'no shard forgot a device at the back end');
      const registered = (await backend.list()).map((r) => r.macAddress);
      assert.ok(registered.includes('44-DB-D2-F5-30-01') && registered.includes('44-DB-D2-F5-40-01'), 'both shards\' devices stay registered');
    } finally {
      for (const op of operators) await op.stop();
    }
  });

  test('an informer that stays quiet longer than the staleness limit is restarted and relists', async () => {
    const client = new KubeClient(loadKubeConfig(env.kubeconfig));
    const informers = new ResilientInformers(client.watchTargets([NS]).filter((t) => t.name.startsWith('maintenancewindows')), {
      kubeConfig: client.kubeConfig, logger: silentLogger, onChange: () => {}, staleAfterMs: 1500,
    });
    await informers.start();
    try {
      await eventually('a restart of the quiet informer', () => ((informers.restarts()[`maintenancewindows@${NS}`] ?? 0) >= 1 ? true : undefined), 30_000);
      await eventually('the informer synced again', () => (informers.synced ? true : undefined), 30_000);
      assert.equal((informers.objects().get(`maintenancewindows@${NS}`) ?? []).map((o) => o.metadata?.name), ['always']);
    } finally {
      await informers.stop();
    }
  });

  test('an informer that fails (403) keeps retrying and recovers once access is granted', async () => {
    const kc = loadKubeConfig(env.kubeconfigFor('mallory'));
    const client = new KubeClient(kc);
    let changes = 0;
    const informers = new ResilientInformers(client.watchTargets([NS]).filter((t) => t.name.startsWith('rings')), {
      kubeConfig: kc, logger: silentLogger, onChange: () => { changes++; }, backoffMs: 100, maxBackoffMs: 400,
    });
    await informers.start();
    try {
      await eventually('two restarts after 403s', () => ((informers.restarts()[`rings@${NS}`] ?? 0) >= 2 ? true : undefined), 30_000);
      assert.not.ok(informers.synced);
      env.kubectlOk(['create', 'rolebinding', 'mallory-view', '--clusterrole=fleetward-test-reader', '--user=mallory', '-n', NS]);
      env.kubectlOk(['create', 'clusterrole', 'fleetward-test-reader', '--verb=get,list,watch', '--resource=rings.fleetward.dev']);
      await eventually('the informer to sync', () => (informers.synced ? true : undefined), 30_000);
      const rings = informers.objects().get(`rings@${NS}`) ?? [];
      assert.equal(rings.map((r) => r.metadata?.name), ['staging']);
      assert.ok(changes > 0);
    } finally {
      await informers.stop();
    }
  });
}

test.run();
