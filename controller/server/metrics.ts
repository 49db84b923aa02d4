// Prometheus metrics (prom-client), served on /metrics. One registry per loop, so tests and a second loop in
// the same process do not share counters.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Condition, FleetwardObject } from '../api/types.ts';
import type { Plan, ReleasePlan } from '../planner/types.ts';
import { OUTCOMES } from '../planner/outcomes.ts';
import type { ObjectStatus, ProgressSummary } from '../store/records.ts';
import type { DriverRequestObserver } from '../drivers/driver.ts';

/** The condition statuses a `fleetward_reconcile_condition` series exists for (one is 1, the others 0). */
const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;
/** Per release and stage, the device counts `fleetward_release_devices` carries (planner/types.ts ReleasePlan stages). */
const RELEASE_STAGE_COUNTS = ['devices', 'updated', 'failed', 'inProgress', 'held', 'rolledBack'] as const;

export class Metrics {
  readonly registry = new Registry();
  readonly reconcileDuration: Histogram<'result'>;
  readonly operations: Counter<'component' | 'result'>;
  readonly devices: Gauge<'component' | 'state' | 'reason'>;
  readonly revisionInfo: Gauge<'revision' | 'source'>;
  readonly outcomes: Gauge<'kind' | 'stage' | 'outcome'>;
  readonly webhooks: Counter<'result'>;
  readonly gitFetchTriggers: Counter<'outcome'>;
  readonly quarantined: Gauge;
  readonly driverRequests: Counter<'driver' | 'operation' | 'code'>;
  readonly driverBatchedRequests: Counter<'driver' | 'operation' | 'code'>;
  readonly notificationsSent: Counter<'provider' | 'type' | 'reason' | 'action'>;
  readonly notificationFailures: Counter<'provider' | 'type' | 'cause'>;
  readonly notificationRetries: Counter<'provider' | 'type'>;
  readonly notificationsDeadLettered: Counter<'provider' | 'type'>;
  readonly notificationsPending: Gauge<'provider'>;
  readonly reconcileCondition: Gauge<'kind' | 'name' | 'namespace' | 'type' | 'status'>;
  readonly paused: Gauge<'kind' | 'name' | 'namespace' | 'reason'>;
  readonly releaseDevices: Gauge<'release' | 'stage' | 'outcome'>;
  readonly releaseState: Gauge<'release' | 'state'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'fleetward_' });
    this.reconcileDuration = new Histogram({
      name: 'fleetward_reconcile_duration_seconds',
      help: 'Duration of one reconcile pass (load, validate, observe, plan, act, record), by outcome.',
      labelNames: ['result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    this.operations = new Counter({
      name: 'fleetward_operations_total',
      help: 'Operations Fleetward asked the driver for, by component and result (accepted, already_in_flight, error; diagnostics under component "diagnostics").',
      labelNames: ['component', 'result'],
      registers: [this.registry],
    });
    this.devices = new Gauge({
      name: 'fleetward_devices',
      help: 'Device components by planned state and reason, as of the last pass.',
      labelNames: ['component', 'state', 'reason'],
      registers: [this.registry],
    });
    this.outcomes = new Gauge({
      name: 'fleetward_device_outcomes',
      help: 'Devices per phase or ring by outcome (updated, inProgress, waiting, failed, held, rolledBack, windowMissed; one per device), as of the last pass.',
      labelNames: ['kind', 'stage', 'outcome'],
      registers: [this.registry],
    });
    this.revisionInfo = new Gauge({
      name: 'fleetward_last_applied_revision_info',
      help: 'The revision in force (value 1), with its source.',
      labelNames: ['revision', 'source'],
      registers: [this.registry],
    });
    this.quarantined = new Gauge({
      name: 'fleetward_quarantined_devices',
      help: 'Devices whose stored record cannot be read, as of the last pass: nothing is started for them until `fleetward state repair` (docs/run.md "Damaged state").',
      registers: [this.registry],
    });
    this.driverRequests = new Counter({
      name: 'fleetward_driver_requests_total',
      help: 'HTTP requests a driver sent to its back end, every attempt (retries included), by driver, endpoint (list_devices, batch, update_software, …) and answer: the HTTP status (429 throttled, 5xx failing) or timeout / network_error.',
      labelNames: ['driver', 'operation', 'code'],
      registers: [this.registry],
    });
    this.driverBatchedRequests = new Counter({
      name: 'fleetward_driver_batched_requests_total',
      help: 'Requests a driver sent inside batches (Graph $batch), by driver, endpoint and answer. They ride in fleetward_driver_requests_total{operation="batch"}, but a tenant throttles each on its own.',
      labelNames: ['driver', 'operation', 'code'],
      registers: [this.registry],
    });
    this.webhooks = new Counter({
      name: 'fleetward_webhooks_total',
      help: 'Webhook deliveries on /hooks/git, by result: accepted, duplicate (a verified delivery seen before: no fetch), and the refused ones bad_signature, no_secret, too_large.',
      labelNames: ['result'],
      registers: [this.registry],
    });
    // Notification delivery (controller/notify/, docs/notifications.md "Metrics").
    this.notificationsSent = new Counter({
      name: 'fleetward_notifications_sent_total',
      help: 'Messages a notification provider accepted (2xx), by provider, provider type, event reason and action (open, update, resolve).',
      labelNames: ['provider', 'type', 'reason', 'action'],
      registers: [this.registry],
    });
    this.notificationFailures = new Counter({
      name: 'fleetward_notification_failures_total',
      help: 'Delivery attempts that failed, by provider, type and cause (http_4xx, http_429, http_5xx, timeout, network, secret).',
      labelNames: ['provider', 'type', 'cause'],
      registers: [this.registry],
    });
    this.notificationRetries = new Counter({
      name: 'fleetward_notification_retries_total',
      help: 'Failed deliveries scheduled for another attempt after a backoff, by provider and type.',
      labelNames: ['provider', 'type'],
      registers: [this.registry],
    });
    this.notificationsDeadLettered = new Counter({
      name: 'fleetward_notifications_dead_lettered_total',
      help: 'Messages given up after their last attempt (kept 7 days in the store, counted in the provider\'s status), by provider and type.',
      labelNames: ['provider', 'type'],
      registers: [this.registry],
    });
    this.notificationsPending = new Gauge({
      name: 'fleetward_notifications_pending',
      help: 'Messages waiting to be delivered (new or retrying), by provider.',
      labelNames: ['provider'],
      registers: [this.registry],
    });
    // Per-object gauges in the conventions platform teams already alert on (Flux's gotk_reconcile_condition,
    // gotk_suspend_status): one series per object and condition status, 1 for the status it has now.
    this.reconcileCondition = new Gauge({
      name: 'fleetward_reconcile_condition',
      help: 'Each object\'s conditions as of the last pass (Ready, Reconciling, Stalled, …): 1 for the status it has (True, False, Unknown), 0 for the others. kind="Fleetward" is the loop itself.',
      labelNames: ['kind', 'name', 'namespace', 'type', 'status'],
      registers: [this.registry],
    });
    this.paused = new Gauge({
      name: 'fleetward_paused',
      help: 'Objects that stop automatic updates until a person acts or a date passes, as of the last pass: a SoftwareRelease paused by its failure threshold (reason ThresholdExceeded), the tenant pause on FleetPolicy (reason TenantPaused).',
      labelNames: ['kind', 'name', 'namespace', 'reason'],
      registers: [this.registry],
    });
    this.releaseDevices = new Gauge({
      name: 'fleetward_release_devices',
      help: 'Per release (component@version) and stage (ring or phase): devices targeted (outcome="devices"), updated, failed, inProgress, held and rolledBack, as of the last pass.',
      labelNames: ['release', 'stage', 'outcome'],
      registers: [this.registry],
    });
    this.releaseState = new Gauge({
      name: 'fleetward_release_state',
      help: 'Each release\'s state (seed 001: Scheduled, InProgress, Paused, CompletedWithFailures, Completed, Deprecated), value 1, as of the last pass.',
      labelNames: ['release', 'state'],
      registers: [this.registry],
    });
    this.gitFetchTriggers = new Counter({
      name: 'fleetward_git_fetch_triggers_total',
      help: 'Requests for a git fetch (accepted webhooks, the fetch interval), by outcome: fetch (a pass fetches now), absorbed (joined a fetch already due, running or deferred), deferred (waits for --min-fetch-interval).',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
  }

  /** What a driver is given to count its requests here (GraphDriverOptions.onRequest). */
  driverRequestObserver(driver: string): DriverRequestObserver {
    return ({ operation, code, batched }) => (batched ? this.driverBatchedRequests : this.driverRequests).inc({ driver, operation, code });
  }

  setDevices(plan: Plan): void {
    this.devices.reset();
    const counts = new Map<string, { component: string; state: string; reason: string; n: number }>();
    for (const d of plan.devices) {
      for (const c of d.components) {
        const key = `${c.component}\0${c.state}\0${c.reason}`;
        const e = counts.get(key);
        if (e) e.n++;
        else counts.set(key, { component: c.component, state: c.state, reason: c.reason, n: 1 });
      }
    }
    for (const e of counts.values()) this.devices.set({ component: e.component, state: e.state, reason: e.reason }, e.n);
  }

  /** From the pass's progress summary, which counts with planner/outcomes.ts: the same numbers as the progress lines. */
  setOutcomes(summary: ProgressSummary): void {
    this.outcomes.reset();
    for (const s of summary.stages) for (const o of OUTCOMES) this.outcomes.set({ kind: s.kind, stage: s.name, outcome: o }, s[o]);
  }

  setRevision(revision: string, source: string): void {
    this.revisionInfo.reset();
    this.revisionInfo.set({ revision, source }, 1);
  }

  /**
   * From the statuses the pass recorded (the same ones `status`, the store and Kubernetes show) and the loop's
   * own conditions, after every pass, failed ones too. The gauge is rebuilt each time: objects no longer
   * declared drop out.
   */
  setConditions(objects: Record<string, ObjectStatus>, declared: readonly FleetwardObject[], loop: readonly Condition[]): void {
    const namespaces = namespacesOf(declared);
    this.reconcileCondition.reset();
    const put = (kind: string, name: string, namespace: string, conditions: readonly Condition[] | undefined) => {
      for (const c of conditions ?? []) {
        for (const status of CONDITION_STATUSES) this.reconcileCondition.set({ kind, name, namespace, type: c.type, status }, c.status === status ? 1 : 0);
      }
    };
    put('Fleetward', 'loop', '', loop);
    for (const [key, o] of Object.entries(objects)) put(o.kind, o.name, namespaces.get(key) ?? '', o.conditions);
  }

  /**
   * From the plan's release view (planner releasePlans: the numbers `plan`, `status` and SoftwareRelease
   * status show) and the recorded FleetPolicy status (the tenant pause), after each pass that planned.
   */
  setReleases(releases: readonly ReleasePlan[], objects: Record<string, ObjectStatus>, declared: readonly FleetwardObject[]): void {
    this.releaseDevices.reset();
    this.releaseState.reset();
    this.paused.reset();
    const namespaces = namespacesOf(declared);
    for (const [key, o] of Object.entries(objects)) {
      if (o.kind === 'FleetPolicy' && typeof o.autoUpdatesResumeAt === 'string') {
        this.paused.set({ kind: 'FleetPolicy', name: o.name, namespace: namespaces.get(key) ?? '', reason: 'TenantPaused' }, 1);
      }
    }
    for (const r of releases) {
      if (r.state === 'NotRequired' && !r.stages.some((st) => st.devices > 0)) continue;
      const release = `${r.component}@${r.version}`;
      this.releaseState.set({ release, state: r.state }, 1);
      if (r.state === 'Paused') this.paused.set({ kind: 'SoftwareRelease', name: release, namespace: '', reason: 'ThresholdExceeded' }, 1);
      for (const st of r.stages) for (const outcome of RELEASE_STAGE_COUNTS) this.releaseDevices.set({ release, stage: st.name, outcome }, st[outcome] ?? 0);
    }
  }
}

function namespacesOf(declared: readonly FleetwardObject[]): Map<string, string> {
  return new Map(declared.map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.namespace ?? '']));
}
