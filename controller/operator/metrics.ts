// The operator's own figures, in the same registry as the loop's (controller/server/metrics.ts, served on
// /metrics). Names follow Prometheus conventions (`_total` counters, base units); docs/kubernetes.md
// "Metrics" lists them for alert rules.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { FencedWrite } from './fence.ts';
import type { TriggerCause, IgnoredChange } from './triggers.ts';

export class OperatorMetrics {
  readonly passes: Counter;
  readonly passTriggers: Counter<'cause'>;
  readonly changesIgnored: Counter<'reason'>;
  readonly leader: Gauge;
  readonly leaseRenewals: Counter;
  readonly leaseRenewalInterval: Histogram;
  readonly leadershipLosses: Counter;
  readonly fencedWrites: Counter<'write'>;
  readonly statusWrites: Counter<'result'>;
  readonly eventsCreated: Counter<'reason'>;
  readonly informerRestarts: Counter<'informer'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.passes = new Counter({ name: 'fleetward_operator_passes_total', help: 'Reconcile passes this replica started as leader.', registers });
    this.passTriggers = new Counter({
      name: 'fleetward_operator_pass_triggers_total',
      help: 'Why passes started, one count per distinct cause of a pass: started (won the lease), spec_changed (metadata.generation moved), metadata_changed (labels or annotations), object_added, object_deleted, reconcile_requested (the requestedAt annotation), timer (the resync interval or a planned start).',
      labelNames: ['cause'], registers,
    });
    this.changesIgnored = new Counter({
      name: 'fleetward_operator_changes_ignored_total',
      help: 'Watch events that did not start a pass, by reason: status_only (generation, labels and annotations unchanged: status writes, Fleetward\'s own or another shard\'s), unchanged (a relist re-delivering an object as it was).',
      labelNames: ['reason'], registers,
    });
    this.leader = new Gauge({ name: 'fleetward_operator_leader', help: '1 while this replica holds the leader Lease, else 0.', registers });
    this.leaseRenewals = new Counter({ name: 'fleetward_operator_lease_renewals_total', help: 'Successful renewals (and acquisitions) of the leader Lease by this replica.', registers });
    this.leaseRenewalInterval = new Histogram({
      name: 'fleetward_operator_lease_renewal_interval_seconds',
      help: 'Time between two successful renewals of the leader Lease by this replica (retry-period when healthy; at renew-deadline it steps down).',
      buckets: [1, 2, 2.5, 3, 4, 5, 7.5, 10, 15, 30], registers,
    });
    this.leadershipLosses = new Counter({ name: 'fleetward_operator_leadership_losses_total', help: 'Times this replica lost the leader Lease while leading (not counting a release on shutdown).', registers });
    this.fencedWrites = new Counter({
      name: 'fleetward_operator_fenced_writes_total',
      help: 'Writes refused because this replica no longer held the Lease its pass started under, by write: operation, diagnostics, provisioning, store, status, event, secret.',
      labelNames: ['write'], registers,
    });
    this.statusWrites = new Counter({
      name: 'fleetward_operator_status_writes_total',
      help: 'Status subresource PATCHes, by result: written, failed (retried next pass), gone (the object was deleted).',
      labelNames: ['result'], registers,
    });
    this.informerRestarts = new Counter({
      name: 'fleetward_operator_informer_restarts_total',
      help: 'Informers restarted (and relisted) after a watch error or longer quiet than the staleness limit, by informer (kind, and namespace when limited).',
      labelNames: ['informer'], registers,
    });
    this.eventsCreated = new Counter({ name: 'fleetward_operator_events_total', help: 'Kubernetes Events created (duplicates of an Event already reported are not counted), by reason.', labelNames: ['reason'], registers });
  }

  refused(write: FencedWrite): void {
    this.fencedWrites.inc({ write });
  }
  triggered(causes: Iterable<TriggerCause>): void {
    this.passes.inc();
    for (const cause of causes) this.passTriggers.inc({ cause });
  }
  ignored(reason: IgnoredChange): void {
    this.changesIgnored.inc({ reason });
  }
}
