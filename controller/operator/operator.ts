// `fleetward operator`: the reconcile loop of `fleetward run`, with Kubernetes as the source of desired state
// and as the status sink (docs/kubernetes.md).
//
//   informers (every kind, restarted on error/staleness) ──► KubernetesSource (validate the whole revision)
//        │ a change that matters (triggers.ts): coalesced, rate-limited kick
//        ▼
//   ReconcileLoop ── Reconciler: load → validate → observe (driver) → plan → act → record (OperatorStore)
//        │ after a committed pass, explicit steps:
//        └─► publish statuses (status subresource, only when changed) ─► forced-update Events ─► paused-release Events
//
// Only the leader (coordination.k8s.io Lease, renewed on its own thread: leader.ts) runs the loop, and every
// write of a pass — driver operations, store commits, status PATCHes, Events, Secrets — is fenced by the
// leadership term the loop started under (fence.ts): a replica that lost the lease writes nothing more.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Driver, StartOperationRequest, StartOperationResult } from '../drivers/driver.ts';
import { DriverError, observeFleet } from '../drivers/driver.ts';
import type { FleetDevice, ObservedState } from '../api/types.ts';
import { plan } from '../planner/index.ts';
import { Reconciler, type PassResult } from '../reconciler/reconciler.ts';
import { ReconcileLoop } from '../reconciler/loop.ts';
import { FencedOut } from '../reconciler/fenced.ts';
import { LeaseLost, StoreUnavailable } from '../reconciler/reasons.ts';
import { pauseSentence, releaseStatus } from '../reconciler/release-status.ts';
import type { Metrics } from '../server/metrics.ts';
import { redactingStore } from '../store/redacting.ts';
import { SqliteStore } from '../store/sqlite.ts';
import type { StateStore } from '../store/store.ts';
import type { DeliveryRecord, DeviceRecord, NotificationEventRecord } from '../store/records.ts';
import { Notifier } from '../notify/notifier.ts';
import type { Clock } from '../util/clock.ts';
import { ResilientInformers, type InformerChange } from './informers.ts';
import { KubeClient } from './kube.ts';
import { forcedUpdateEvents, KubernetesEventRecorder } from './events.ts';
import { FencedDriver, FencedStore, LeaseFence, StopFence, type Fence } from './fence.ts';
import { DEFAULT_LEASE_TIMING, ThreadedLeaderElector } from './leader.ts';
import { OperatorMetrics } from './metrics.ts';
import { KubernetesSource, SHARD_LABEL, inShard } from './source.ts';
import { clusterStatuses, OperatorStore, StatusPublisher } from './status.ts';
import { KubernetesCodeSecretStore } from './secrets.ts';
import { SeenObjects, TriggerGate, type TriggerCause } from './triggers.ts';

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
   * How many Secrets the codes are spread over: `<codesSecret>`, `<codesSecret>-1` … (default 4, about
   * 36,000 devices awaiting activation at once; the chart's Role grants exactly these names). The
   * per-device provisioning state is in `store`, a shard's rows apart from another's.
   */
  codeSecrets?: number;
  /** Watch events are coalesced over coalesceMs, and start at most one pass per minIntervalMs (default 500 ms / 5 s). */
  triggers?: { coalesceMs?: number; minIntervalMs?: number };
  /** Called after each pass (tests, demo). */
  afterPass?: (r: PassResult) => void;
  /** Notifications (docs/notifications.md): the console URL messages link to, the directory secretRef.file reads. */
  notifications?: { consoleUrl?: string; secretsDir?: string };
}


/** What one leadership term runs: built when the lease is won, dropped when it is lost. */
interface Term {
  fence: Fence;
  store: OperatorStore;
  publisher: StatusPublisher;
  events: KubernetesEventRecorder;
  reconciler: Reconciler;
  loop: ReconcileLoop;
  done: Promise<void>;
  gate: TriggerGate;
  passes: number;
  /** Forced operations whose Event this term already created (or found created). */
  reported: Set<string>;
  notifier: Notifier;
}

export class Operator {
  readonly #o: OperatorOptions;
  #leaderLostSent: Promise<void> | undefined;
  readonly informers: ResilientInformers;
  readonly source: KubernetesSource;
  readonly elector: ThreadedLeaderElector | undefined;
  readonly identity: string;
  /** The operator's counters, in the registry of `metrics` (a registry of its own without). */
  readonly metrics: OperatorMetrics;
  readonly #store: StateStore;
  readonly #seen = new SeenObjects();
  #term: Term | undefined;
  /** Without leader election: writes are allowed until stop(). */
  readonly #stopFence = new StopFence();
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
    this.metrics = new OperatorMetrics(opts.metrics?.registry ?? new Registry());
    this.#store = opts.store ?? new SqliteStore(opts.stateDir ?? mkdtempSync(join(tmpdir(), 'fleetward-operator-')));
    // A sharded operator also reads the unlabelled shared config, so every operator lists everything and
    // filters (inShard): a label selector cannot say "unlabelled or X".
    this.informers = new ResilientInformers(opts.client.watchTargets(opts.watchNamespaces ?? []), {
      kubeConfig: opts.client.kubeConfig, logger: log, onChange: (c) => this.#changed(c),
      onRestart: (informer) => this.metrics.informerRestarts.inc({ informer }),
      ...(opts.staleAfterMs ? { staleAfterMs: opts.staleAfterMs } : {}),
    });
    const scopes = opts.watchNamespaces?.length ? `namespaces ${opts.watchNamespaces.join(',')}` : 'all namespaces';
    this.source = new KubernetesSource({
      objects: () => this.#objects(), synced: () => this.informers.synced, ...(opts.shard ? { shard: opts.shard } : {}),
      description: `kubernetes:${scopes}${opts.shard ? ` shard=${opts.shard}` : ''}`,
    });
    const le = opts.leaderElection;
    this.elector = le?.enabled
      ? new ThreadedLeaderElector({
        kubeConfig: opts.client.kubeConfig, namespace: opts.namespace, name: le.leaseName, identity: this.identity, logger: log,
        leaseDurationMs: le.leaseDurationMs ?? DEFAULT_LEASE_TIMING.leaseDurationMs,
        renewDeadlineMs: le.renewDeadlineMs ?? DEFAULT_LEASE_TIMING.renewDeadlineMs,
        retryPeriodMs: le.retryPeriodMs ?? DEFAULT_LEASE_TIMING.retryPeriodMs,
        onStartedLeading: (term) => {
          this.metrics.leader.set(1);
          this.#startTerm(term);
        },
        onStoppedLeading: () => {
          this.metrics.leader.set(0);
          if (!this.#stopped) {
            this.lostLeadership = true;
            this.metrics.leadershipLosses.inc();
            // Said once, by the replica that lost it, straight to the providers (best effort; stop() waits for it).
            const term = this.#term;
            if (term) this.#leaderLostSent = term.notifier.leaderLost(this.identity).catch(() => undefined);
          }
          void this.#stopTerm();
        },
        onRenewed: (gapMs) => {
          this.metrics.leaseRenewals.inc();
          if (gapMs !== undefined) this.metrics.leaseRenewalInterval.observe(gapMs / 1000);
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
    const r = this.#term?.reconciler;
    return r && this.isLeader ? r.ready : true;
  }

  async start(): Promise<void> {
    await this.informers.start();
    if (this.elector) this.elector.start();
    else {
      this.metrics.leader.set(1);
      this.#startTerm(0);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#leaderLostSent;
    await this.#stopTerm();
    this.#stopFence.stop();
    await this.elector?.stop();
    this.metrics.leader.set(0);
    await this.informers.stop();
    await this.source.close();
  }

  #objects(): KubernetesObject[] {
    return [...this.informers.objects().values()].flat();
  }

  #owned(): KubernetesObject[] {
    return this.#objects().filter((o) => inShard(o, this.#o.shard).owns);
  }

  /** A watch event: starts a pass only when it can change what a pass reads (triggers.ts). */
  #changed(c: InformerChange): void {
    if (c.type === 'listed') return; // the relist's objects arrive as events of their own
    const verdict = this.#seen.note(c.type, c.object);
    if ('ignored' in verdict) {
      this.metrics.ignored(verdict.ignored);
      return;
    }
    // Another shard's objects (labelled for it) are neither read nor owned here, unless a label just moved.
    if (verdict.cause !== 'metadata_changed' && !inShard(c.object, this.#o.shard).reads) {
      this.metrics.ignored('other_shard');
      return;
    }
    this.#term?.gate.add(verdict.cause);
  }

  #startTerm(termNumber: number): void {
    if (this.#term || this.#stopped) return;
    const o = this.#o;
    const fence: Fence = this.elector ? new LeaseFence(this.elector, termNumber, (w) => this.metrics.refused(w)) : this.#stopFence;
    const client = o.client.fenced(fence);
    // Code Secrets per shard: a shard drops the codes of batches it does not own.
    const base = o.codesSecret ?? 'fleetward-provisioning-codes';
    const codesSecret = `${base}${o.shard ? `-${o.shard}` : ''}`;
    const events = new KubernetesEventRecorder({ client, clock: o.clock, logger: o.logger, instance: this.identity, metrics: this.metrics });
    const publisher = new StatusPublisher({ client, source: this.source, objects: () => this.#owned(), clock: o.clock, logger: o.logger, metrics: this.metrics });
    const store = new OperatorStore({
      store: new FencedStore(this.#store, fence),
      clusterStatuses: () => clusterStatuses(this.#owned()),
      // A provisioning run finished between passes: its statuses are published now, not a pass later.
      recordedOutsidePass: () => { void this.#publish(); },
    });
    const n = o.notifications;
    const notifier = new Notifier({
      clock: o.clock, logger: o.logger, ...(o.metrics ? { metrics: o.metrics } : {}), ...(n?.consoleUrl ? { consoleUrl: n.consoleUrl } : {}),
      secrets: { ...(n?.secretsDir ? { dir: n.secretsDir } : {}), kubernetes: (name, key) => this.#notificationSecret(name, key) },
      kubernetesEvents: (record, action) => this.#notificationEvent(events, record, action),
    });
    const reconciler = new Reconciler({
      notifier,
      // Status text (here and on the cluster) never carries a fragment of a secret.
      source: this.source, driver: new ShardDriver(new FencedDriver(o.driver, fence), o.shard), store: redactingStore(store),
      clock: o.clock, plan, logger: o.logger, ...(o.metrics ? { metrics: o.metrics } : {}),
      ...(o.historyRetentionMs ? { historyRetentionMs: o.historyRetentionMs } : {}),
      ...(o.maxOperationsPerPass ? { maxOperationsPerPass: o.maxOperationsPerPass } : {}),
      ...(o.maxOperationsPerMinute ? { maxOperationsPerMinute: o.maxOperationsPerMinute } : {}),
      // Codes go to Secrets in the operator's namespace, never to status or the pod's disk; per-device
      // provisioning state to the store, and a new leader on an empty store takes the codes back from them.
      provisioningStores: {
        secrets: new KubernetesCodeSecretStore(client, o.namespace, codesSecret, o.codeSecrets ? { secrets: o.codeSecrets } : {}),
      },
    });
    const gate = new TriggerGate({ kick: () => loop.kick(), ...o.triggers });
    const loop = new ReconcileLoop(reconciler, {
      clock: o.clock,
      intervalMs: o.resyncMs ?? 60_000,
      beforePass: () => {
        const causes: TriggerCause[] = gate.take();
        this.metrics.triggered(term.passes === 0 ? ['started', ...causes] : causes.length ? causes : ['timer']);
      },
      afterPass: async (r) => {
        try {
          await this.#afterPass(term, r);
        } catch (err) {
          if (!(err instanceof FencedOut)) throw err;
          o.logger.warn({ reason: LeaseLost, err: err.message }, 'leadership lost while publishing the pass');
        }
        term.passes++;
        o.afterPass?.(r);
        return !fence.ok;
      },
    });
    const term: Term = { fence, store, publisher, events, reconciler, loop, done: Promise.resolve(), gate, passes: 0, reported: new Set(), notifier };
    this.#term = term;
    term.done = loop.start();
  }

  async #stopTerm(): Promise<void> {
    const t = this.#term;
    this.#term = undefined;
    if (!t) return;
    t.gate.close();
    await t.loop.stop();
    await t.done;
    await t.reconciler.settle();
    await t.notifier.close();
  }

  /** A key of a Secret in the operator's namespace, for a NotificationProvider's secretRef.secret (RBAC limits which). */
  async #notificationSecret(name: string, key: string): Promise<string | undefined> {
    const secret = await this.#o.client.readSecret(this.#o.namespace, name);
    const v = secret?.data?.[key];
    return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
  }

  /**
   * The Kubernetes Event for an announced notification, on the object it is about (when this operator owns
   * it). A paused release's opening Event has the name #pausedEvents gives it, so the fact is one Event.
   */
  async #notificationEvent(events: KubernetesEventRecorder, r: NotificationEventRecord, action: DeliveryRecord['action']): Promise<void> {
    const slash = r.object.indexOf('/');
    const where = this.source.lookup(r.object.slice(0, slash), r.object.slice(slash + 1));
    if (!where?.owns) return;
    const devices = r.deviceCount ? ` Devices (${r.deviceCount}): ${r.devices.slice(0, 10).join(', ')}${r.deviceCount > 10 ? ', …' : ''}` : '';
    await events.emit(where.ref, {
      type: action === 'resolve' || r.severity === 'info' ? 'Normal' : 'Warning',
      reason: action === 'resolve' ? `${r.reason}Resolved` : r.reason,
      message: action === 'resolve' ? `Resolved: ${r.title}` : `${r.message}${devices}`,
      dedupKey: r.reason === 'ReleasePaused' && action === 'open' ? `paused/${r.key.slice('ReleasePaused/'.length)}` : `notify/${r.key}/${action}/${r.announcedAt ?? ''}`,
    });
  }

  /** The explicit steps after a pass: statuses, then the Events it gives rise to. Skipped for a pass not recorded. */
  async #afterPass(t: Term, r: PassResult): Promise<void> {
    if (r.reason === LeaseLost || r.reason === StoreUnavailable) return;
    const committed = t.store.committedObjects();
    if (committed) await t.publisher.publish(committed);
    await this.#forcedEvents(t, r);
    await this.#pausedEvents(t, r);
  }

  async #publish(): Promise<void> {
    const t = this.#term;
    const committed = t?.store.committedObjects();
    if (!t || !committed) return;
    await t.publisher.publish(committed).catch((err: unknown) => {
      if (!(err instanceof FencedOut)) throw err;
    });
  }

  /**
   * One Event per forced operation Fleetward issued: the devices with a forced operation planned this pass,
   * and on a term's first pass every device the back end lists operations for (a previous leader may have
   * died before reporting its own).
   */
  async #forcedEvents(t: Term, r: PassResult): Promise<void> {
    const ids = new Set<string>();
    for (const op of r.plan?.operations ?? []) if (op.forced) ids.add(op.deviceId);
    if (t.passes === 0) for (const op of r.observed?.operations ?? []) ids.add(op.deviceId);
    const records: DeviceRecord[] = [];
    for (const id of ids) {
      try {
        const rec = t.store.readDevice(id);
        if (rec) records.push(rec);
      } catch {
        // A damaged record is quarantined by the pass; it has nothing to report.
      }
    }
    for (const e of forcedUpdateEvents(records, this.source, t.reported)) {
      await t.events.emit(e.ref, e.event);
      t.reported.add(e.operationId);
    }
  }

  /** A Warning Event for each release the plan says is paused, once per process. */
  async #pausedEvents(t: Term, r: PassResult): Promise<void> {
    for (const rel of r.plan?.releases ?? []) {
      if (rel.state !== 'Paused') continue;
      const key = `${rel.component}/${rel.version}`;
      if (this.#pausedSeen.has(key)) continue;
      const target = this.#releaseObject(rel.component, rel.version);
      if (!target) continue;
      await t.events.emit(target, {
        type: 'Warning', reason: 'ReleasePaused',
        message: `${pauseSentence(releaseStatus(rel))}. Retry the failed devices with a SoftwareUpdate, or force it with a declared change.`,
        dedupKey: `paused/${key}`,
      });
      this.#pausedSeen.add(key);
    }
  }

  /** The SoftwareRelease object for a release, else the FleetPolicy: where a paused release is reported. */
  #releaseObject(component: string, version: string) {
    const objects = this.#objects();
    const specOf = (o: KubernetesObject): { component?: unknown; version?: unknown } => ('spec' in o && typeof o.spec === 'object' && o.spec !== null ? o.spec : {});
    const rel = objects.find((o) => o.kind === 'SoftwareRelease' && specOf(o).component === component && specOf(o).version === version);
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
