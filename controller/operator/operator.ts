// `fleetward operator`: the reconcile loop of `fleetward run`, with Kubernetes as the source of desired state
// and as the status sink.
//
//   informers (every kind, restarted on error/staleness) ──► KubernetesSource (validate the whole revision)
//        │ change: kick                                         │
//        ▼                                                      ▼
//   ReconcileLoop ── Reconciler: load → validate → observe (driver) → plan → act → record
//                                                                                 │
//                          status subresource (only when changed) + Events ◄──────┘
//
// Only the leader (coordination.k8s.io Lease) runs the loop; a replica that loses the lease stops acting
// at once, and every driver start is checked against leadership first.
import { redactingStore } from '../store/redacting.ts';
import { pauseSentence, releaseStatus } from '../reconciler/release-status.ts';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Driver, StartOperationRequest, StartOperationResult } from '../drivers/driver.ts';
import { DriverError, observeFleet } from '../drivers/driver.ts';
import type { FleetDevice, ObservedState } from '../api/types.ts';
import { plan as planFleet } from '../planner/index.ts';
import type { Plan } from '../planner/types.ts';
import { Reconciler, type PassResult, type PlanFn } from '../reconciler/reconciler.ts';
import { ReconcileLoop } from '../reconciler/loop.ts';
import type { Metrics } from '../server/metrics.ts';
import type { Clock } from '../util/clock.ts';
import { ResilientInformers } from './informers.ts';
import { KubeClient } from './kube.ts';
import { KubernetesEventRecorder } from './events.ts';
import { LeaderElector } from './leader.ts';
import { KubernetesSource, SHARD_LABEL, inShard } from './source.ts';
import { KubernetesStatusStore } from './status.ts';
import { SqliteStore } from '../store/sqlite.ts';
import type { StateStore } from '../store/store.ts';
import { KubernetesCodeSecretStore, KubernetesProvisioningStatusStore } from './secrets.ts';

export interface OperatorOptions {
  client: KubeClient;
  driver: Driver;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
  /** Namespaces to watch; empty: all. */
  watchNamespaces?: string[];
  shard?: string;
  /** The operator's own namespace (Lease, Secrets). */
  namespace: string;
  identity?: string;
  leaderElection?: { enabled: boolean; leaseName: string; leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  /** Time between passes without any change, in the clock's ms. Default 60 s. */
  resyncMs?: number;
  stateDir?: string;
  /** History older than this is dropped from the store (default 400 days). */
  historyRetentionMs?: number;
  /** Rate limits on starting operations, as `fleetward run`'s (reconciler/start-budget.ts). Default 50 per pass, none per minute. */
  maxOperationsPerPass?: number;
  maxOperationsPerMinute?: number;
  /** Where history, device status and the loop's state are kept (default: SQLite in stateDir; PostgreSQL with several replicas). */
  store?: StateStore;
  /** Informer staleness limit, wall ms. Default 10 min. */
  staleAfterMs?: number;
  /**
   * Secret in `namespace` receiving provisioning verification codes (seed 004). Default
   * fleetward-provisioning-codes; a sharded operator appends `-<shard>`: each shard deletes the codes of
   * batches it does not own, so shards sharing one Secret would delete each other's codes every pass.
   */
  codesSecret?: string;
  /**
   * Secret in `namespace` keeping provisioning batch statuses across leaders. Default: the codes Secret's name
   * + `-status`, + `-<shard>` when sharded: a shard must not read another's batches as ones no longer declared
   * (it would forget their devices at the back end).
   */
  statusSecret?: string;
  /** Called after each pass (tests, demo). */
  afterPass?: (r: PassResult) => void;
}

export class Operator {
  readonly #o: OperatorOptions;
  readonly informers: ResilientInformers;
  readonly source: KubernetesSource;
  readonly store: KubernetesStatusStore;
  readonly events: KubernetesEventRecorder;
  readonly elector: LeaderElector | undefined;
  readonly identity: string;
  #reconciler: Reconciler | undefined;
  #loop: ReconcileLoop | undefined;
  #loopDone: Promise<void> | undefined;
  #lastPlan: Plan | undefined;
  /** Paused releases already reported by this process (the Event name dedups across processes). */
  readonly #pausedSeen = new Set<string>();
  #stopped = false;
  /** Set when the lease was lost while running (not on stop): the process should exit and start afresh. */
  lostLeadership = false;

  constructor(opts: OperatorOptions) {
    this.#o = opts;
    const log = opts.logger;
    // Unique per Operator, as client-go's hostname_uuid: two in one process must not share a lease identity.
    this.identity = opts.identity ?? `${hostname()}_${randomUUID()}`;
    // A sharded operator also reads the unlabelled shared config, so every operator lists everything and
    // filters (inShard): a label selector cannot say "unlabelled or X".
    this.informers = new ResilientInformers(opts.client.watchTargets(opts.watchNamespaces ?? []), {
      kubeConfig: opts.client.kubeConfig, logger: log, onChange: () => this.source.changed(),
      ...(opts.staleAfterMs ? { staleAfterMs: opts.staleAfterMs } : {}),
    });
    const objects = (): KubernetesObject[] => [...this.informers.objects().values()].flat();
    const scopes = opts.watchNamespaces?.length ? `namespaces ${opts.watchNamespaces.join(',')}` : 'all namespaces';
    this.source = new KubernetesSource({
      objects, synced: () => this.informers.synced, ...(opts.shard ? { shard: opts.shard } : {}),
      description: `kubernetes:${scopes}${opts.shard ? ` shard=${opts.shard}` : ''}`,
    });
    this.events = new KubernetesEventRecorder({ client: opts.client, clock: opts.clock, logger: log, instance: this.identity });
    // Status text (here and on the cluster) never carries a fragment of a secret.
    this.store = redactingStore(new KubernetesStatusStore({
      store: opts.store ?? new SqliteStore(opts.stateDir ?? mkdtempSync(join(tmpdir(), 'fleetward-operator-'))),
      client: opts.client, source: this.source, events: this.events, logger: log, clock: opts.clock,
      objects: () => objects().filter((o) => inShard(o, opts.shard).owns),
    }));
    const le = opts.leaderElection;
    this.elector = le?.enabled
      ? new LeaderElector({
        client: opts.client, namespace: opts.namespace, name: le.leaseName, identity: this.identity, logger: log,
        ...(le.leaseDurationMs ? { leaseDurationMs: le.leaseDurationMs } : {}),
        ...(le.renewDeadlineMs ? { renewDeadlineMs: le.renewDeadlineMs } : {}),
        ...(le.retryPeriodMs ? { retryPeriodMs: le.retryPeriodMs } : {}),
        onStartedLeading: () => this.#startLoop(),
        onStoppedLeading: () => {
          if (!this.#stopped) this.lostLeadership = true;
          void this.#stopLoop();
        },
      })
      : undefined;
  }

  get isLeader(): boolean {
    return this.elector ? this.elector.isLeader : !this.#stopped;
  }

  /** Informers synced, and (when leading) the last pass observed the driver with a revision in force. */
  ready(): boolean {
    if (!this.informers.synced) return false;
    return this.#reconciler && this.isLeader ? this.#reconciler.ready : true;
  }

  async start(): Promise<void> {
    await this.informers.start();
    if (this.elector) this.elector.start();
    else this.#startLoop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#stopLoop();
    await this.elector?.stop();
    await this.informers.stop();
    await this.source.close();
  }

  #startLoop(): void {
    if (this.#loop || this.#stopped) return;
    const o = this.#o;
    // One pair of Secrets per shard: a shard drops the codes and statuses of batches it does not own.
    const base = o.codesSecret ?? 'fleetward-provisioning-codes';
    const shardSuffix = o.shard ? `-${o.shard}` : '';
    const codesSecret = `${base}${shardSuffix}`;
    const statusSecret = o.statusSecret ?? `${base}-status${shardSuffix}`;
    const plan: PlanFn = (desired, observed, now, opts) => {
      const p = planFleet(desired, observed, now, opts);
      this.#lastPlan = p;
      return p;
    };
    this.#reconciler = new Reconciler({
      source: this.source, driver: new ShardDriver(new LeaderGuardedDriver(o.driver, () => this.isLeader), o.shard), store: this.store,
      clock: o.clock, plan, logger: o.logger, ...(o.metrics ? { metrics: o.metrics } : {}),
      ...(o.historyRetentionMs ? { historyRetentionMs: o.historyRetentionMs } : {}),
      ...(o.maxOperationsPerPass ? { maxOperationsPerPass: o.maxOperationsPerPass } : {}),
      ...(o.maxOperationsPerMinute ? { maxOperationsPerMinute: o.maxOperationsPerMinute } : {}),
      // Codes go to a Secret in the operator's namespace, never to status or the pod's disk; batch statuses
      // (code hashes, expiry) to another, so a new leader keeps the codes already handed out.
      provisioningStores: {
        secrets: new KubernetesCodeSecretStore(o.client, o.namespace, codesSecret),
        store: new KubernetesProvisioningStatusStore(o.client, o.namespace, statusSecret),
      },
    });
    this.#loop = new ReconcileLoop(this.#reconciler, {
      clock: o.clock,
      intervalMs: o.resyncMs ?? 60_000,
      afterPass: async (r) => {
        await this.#afterPass();
        o.afterPass?.(r);
        return !this.isLeader;
      },
    });
    this.source.watch(this.#loop.kick);
    this.#loopDone = this.#loop.start();
  }

  async #stopLoop(): Promise<void> {
    const loop = this.#loop;
    this.#loop = undefined;
    if (loop) await loop.stop();
    await this.#loopDone;
    await this.#reconciler?.settle();
    await this.store.flush();
  }

  /** Status writes of the pass, then the Events for paused releases. */
  async #afterPass(): Promise<void> {
    await this.store.flush();
    const p = this.#lastPlan;
    if (!p) return;
    for (const rel of p.releases) {
      if (rel.state !== 'Paused') continue;
      const key = `${rel.component}/${rel.version}`;
      if (this.#pausedSeen.has(key)) continue;
      const target = this.#releaseObject(rel.component, rel.version);
      if (!target) continue;
      this.#pausedSeen.add(key);

      await this.events.emit(target, {
        type: 'Warning', reason: 'ReleasePaused',
        message: `${pauseSentence(releaseStatus(rel))}. Retry the failed devices with a SoftwareUpdate, or force it with a declared change.`,
        dedupKey: `paused/${key}`,
      });
    }
  }

  /** The SoftwareRelease object for a release, else the FleetPolicy: where a paused release is reported. */
  #releaseObject(component: string, version: string) {
    const objects = [...this.informers.objects().values()].flat() as (KubernetesObject & { spec?: { component?: string; version?: string } })[];
    const rel = objects.find((o) => o.kind === 'SoftwareRelease' && o.spec?.component === component && o.spec?.version === version);
    const fp = objects.find((o) => o.kind === 'FleetPolicy' && o.metadata?.name === 'default');
    const hit = rel ?? fp;
    if (!hit?.metadata?.name) return undefined;
    const where = this.source.lookup(hit.kind!, hit.metadata.name);
    if (!where?.owns) return undefined;
    return { ...where.ref, ...(hit.metadata.uid ? { uid: hit.metadata.uid } : {}) };
  }
}

/** The devices of one shard: those whose `fleetward.dev/shard` label is the shard (every device without a shard). */
export class ShardDriver implements Driver {
  readonly #d: Driver;
  readonly #shard: string | undefined;
  readonly name: string;
  #mine = new Set<string>();
  constructor(d: Driver, shard: string | undefined) {
    this.#d = d;
    this.#shard = shard;
    this.name = d.name;
  }
  async inventory() {
    return this.#keep(await this.#d.inventory());
  }
  #keep(all: FleetDevice[]): FleetDevice[] {
    const devices = this.#shard === undefined ? all : all.filter((dev) => dev.labels?.[SHARD_LABEL] === this.#shard);
    this.#mine = new Set(devices.map((dev) => dev.id));
    return devices;
  }
  catalog() { return this.#d.catalog(); }
  /** A pass reads the whole fleet once (operations, then inventory) and keeps the shard's part of both. */
  async observe(): Promise<ObservedState> {
    const all = await observeFleet(this.#d);
    const devices = this.#keep(all.devices);
    if (this.#shard === undefined) return all;
    return { devices, releases: all.releases, operations: all.operations.filter((op) => this.#mine.has(op.deviceId)) };
  }
  async operations(deviceId?: string) {
    if (this.#shard === undefined || deviceId) return this.#d.operations(deviceId);
    // Called before inventory() (the reconciler reads operations first): read the shard's devices afresh rather than trust the last pass's.
    const [ops, devices] = await Promise.all([this.#d.operations(), this.inventory()]);
    const mine = new Set(devices.map((d) => d.id));
    return ops.filter((op) => mine.has(op.deviceId));
  }
  operation(deviceId: string, operationId: string) { return this.#d.operation(deviceId, operationId); }
  async startUpdate(req: StartOperationRequest): Promise<StartOperationResult> {
    if (this.#shard !== undefined && !this.#mine.has(req.deviceId)) throw new DriverError('InvalidRequest', `${req.deviceId} is not in shard ${this.#shard ?? '(none)'}`);
    return this.#d.startUpdate(req);
  }
  runDiagnostics(deviceId: string) { return this.#d.runDiagnostics(deviceId); }
  get provisioning() { return this.#d.provisioning; }
  async close() { await this.#d.close?.(); }
}

/** Fencing: a replica that is no longer leader starts nothing, even in the middle of a pass. */
export class LeaderGuardedDriver implements Driver {
  readonly #d: Driver;
  readonly #leading: () => boolean;
  readonly name: string;
  constructor(d: Driver, leading: () => boolean) {
    this.#d = d;
    this.#leading = leading;
    this.name = d.name;
  }
  inventory() { return this.#d.inventory(); }
  catalog() { return this.#d.catalog(); }
  observe() { return observeFleet(this.#d); }
  operations(deviceId?: string) { return this.#d.operations(deviceId); }
  operation(deviceId: string, operationId: string) { return this.#d.operation(deviceId, operationId); }
  async startUpdate(req: StartOperationRequest): Promise<StartOperationResult> {
    if (!this.#leading()) throw new DriverError('Unavailable', 'not the leader any more: operation not started');
    return this.#d.startUpdate(req);
  }
  async runDiagnostics(deviceId: string) {
    if (!this.#leading()) throw new DriverError('Unavailable', 'not the leader any more: diagnostics not started');
    return this.#d.runDiagnostics(deviceId);
  }
  get provisioning() { return this.#d.provisioning; }
  async close() { await this.#d.close?.(); }
}
