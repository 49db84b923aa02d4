// `fleetward status [--device ID] [-o table|json] [--state-dir DIR]`: reads what `fleetward run` recorded
// in its state directory. It never talks to the driver or the source: it shows the loop's last word.
import type { Command } from 'commander';
import type { Condition } from '../../api/types.ts';
import { formatProgress } from '../../reconciler/progress.ts';
import type { DeviceRecord, HistoryEntry, ObjectStatus, RunStatus } from '../../store/records.ts';
import type { StateStore } from '../../store/store.ts';
import { openStateStore, storeExists } from '../../store/open.ts';
import { formatReleases } from '../format/releases.ts';
import { storeError } from './state.ts';
import { readStateUrl } from '../state-url.ts';
import { UsageError } from '../errors.ts';
import { formatProvisioningStatus, readProvisioningStatusSync, withLegacy } from '../../provisioning/status.ts';
import { WINDOW_MISSED } from '../../drivers/driver.ts';

interface StatusOptions { device?: string; output: string; stateDir: string; history: string; stateUrlFile?: string; shard?: string }

export function register(program: Command): void {
  program
    .command('status')
    .description('Show what `fleetward run` recorded: the revision in force, per-object conditions, per-device history.')
    .option('--state-dir <dir>', 'state directory of `fleetward run`', '.fleetward')
    .option('--state-url-file <file>', 'the operator\'s PostgreSQL state store instead: a file holding its connection string (or FLEETWARD_STATE_URL)')
    .option('--shard <name>', 'with a PostgreSQL store: the shard to read')
    .option('--device <id>', 'one device: its components, plan and operation history')
    .option('--history <n>', 'with --device: how many of the newest operations to show in the table (all in JSON)', '20')
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (opts: StatusOptions) => {
      process.stdout.write(await statusText(opts));
    });
}

export async function statusText(o: StatusOptions): Promise<string> {
  if (o.output !== 'table' && o.output !== 'json') throw new UsageError(`-o ${o.output}: expected table or json`);
  const url = readStateUrl(o.stateUrlFile);
  if (!url && !storeExists({ stateDir: o.stateDir })) {
    throw new UsageError(`${o.stateDir}: no state directory of \`fleetward run\` here (use --state-dir)`);
  }
  let store: StateStore;
  try {
    store = await openStateStore({ stateDir: o.stateDir, ...(url ? { url } : {}), ...(o.shard ? { scope: o.shard } : {}) }, { readOnly: true });
  } catch (err) {
    const e = storeError(err);
    throw e instanceof UsageError ? e : new UsageError((err as Error).message);
  }
  try {
    return read(store, o);
  } catch (err) {
    throw storeError(err);
  } finally {
    await store.close();
  }
}

function read(store: StateStore, o: StatusOptions): string {
  if (o.device) {
    const rec = store.readDevice(o.device);
    if (!rec) throw new UsageError(`device ${JSON.stringify(o.device)}: not in ${o.stateDir} (fleetward status lists the devices it knows)`);
    if (o.output === 'json') return JSON.stringify(rec, null, 2) + '\n';
    const limit = Number(o.history);
    if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`--history ${o.history}: expected a whole number`);
    return deviceTable(rec, limit);
  }
  const run = store.readRun();
  const objects = store.readObjects();
  const devices = store.listDeviceIds();
  // Remote provisioning (seed 004): per batch, devices per state; per device, state, location, code expiry.
  const provisioning = withLegacy(store.readProvisioning(), readProvisioningStatusSync(o.stateDir));
  if (o.output === 'json') return JSON.stringify({ run: run ?? null, objects: Object.values(objects), devices, provisioning }, null, 2) + '\n';
  return runTable(run, objects, devices.length) + (provisioning.length ? `\n${formatProvisioningStatus(provisioning)}` : '');
}

function cond(c: Condition[] | undefined, type: Condition['type']): Condition | undefined {
  return c?.find((x) => x.type === type);
}

function runTable(run: RunStatus | undefined, objects: Record<string, ObjectStatus>, devices: number): string {
  const out: string[] = [];
  if (run) {
    const ready = cond(run.conditions, 'Ready');
    out.push(`source:      ${run.source}`);
    out.push(`driver:      ${run.driver}`);
    out.push(`revision:    ${run.lastAppliedRevision ?? '(none applied)'}` +
      (run.lastAttemptedRevision && run.lastAttemptedRevision !== run.lastAppliedRevision ? `   (newest seen: ${run.lastAttemptedRevision}, not applied)` : ''));
    out.push(`ready:       ${ready ? `${ready.status}  ${ready.reason}: ${ready.message}` : 'Unknown'}`);
    if (cond(run.conditions, 'Stalled')) out.push(`stalled:     ${cond(run.conditions, 'Stalled')!.reason}`);
    out.push(`last pass:   ${run.lastReconcileAt ?? '-'}`);
    for (const e of run.revisionErrors ?? []) out.push(`  error: ${e}`);
    if (run.summary) {
      out.push('', `devices: ${run.summary.devices}   operations issued: ${run.summary.operationsIssued}   in flight: ${run.summary.operationsInFlight}`);
      out.push(...formatProgress(run.summary));
    }
    if (run.releases?.length) out.push('', ...formatReleases(run.releases));
    const q = run.quarantined ?? [];
    if (q.length) {
      out.push('', `damaged device records: ${q.length} device(s) quarantined (nothing is started for them; see \`fleetward state check\`):`);
      for (const d of q.slice(0, 10)) out.push(`  ${d.id}: ${d.reason}`);
      if (q.length > 10) out.push(`  … and ${q.length - 10} more`);
    }
    const lost = run.historyLost ?? [];
    if (lost.length) {
      out.push('', `history lost: ${lost.length} device(s) (fleetward status --device ID says why): ${lost.slice(0, 10).map((l) => l.id).join(', ')}${lost.length > 10 ? ', …' : ''}`);
    }
  }
  const groups = Object.values(objects).filter((s) => s.kind === 'DeviceGroup' && typeof s.devices === 'number');
  if (groups.length) {
    // One outcome per device (planner/outcomes.ts): each row adds up to DEVICES.
    const n = (v: unknown) => String(typeof v === 'number' ? v : 0);
    out.push('', 'groups:', ...table(['GROUP', 'DEVICES', 'UPDATED', 'IN PROGRESS', 'WAITING', 'FAILED', 'HELD', 'ROLLED BACK', 'WINDOW MISSED'],
      groups.map((g) => [g.name, n(g.devices), n(g.upToDate), n(g.progressing), n(g.waiting), n(g.failed), n(g.held), n(g.rolledBack), n(g.windowMissed)])).split('\n').map((l) => `  ${l}`));
  }
  out.push('', `${devices} device record(s); fleetward status --device ID shows one.`, '');
  const rows = Object.values(objects).map((s) => {
    const ready = cond(s.conditions, 'Ready');
    return [`${s.kind}/${s.name}`, ready?.status ?? 'Unknown', ready?.reason ?? '', s.lastAppliedRevision?.slice(0, 12) ?? '', ready?.message ?? ''];
  });
  out.push(table(['OBJECT', 'READY', 'REASON', 'REVISION', 'MESSAGE'], rows));
  return out.join('\n') + '\n';
}

function deviceTable(rec: DeviceRecord, limit: number): string {
  const out: string[] = [`device: ${rec.id}`];
  if (rec.historyLost) out.push(`history lost (${rec.historyLost.at}): ${rec.historyLost.reason}`);
  out.push(`group: ${rec.group ?? '(none)'}   ${rec.ring ? `ring: ${rec.ring}` : `phase: ${rec.phase ?? '-'}`}   window: ${rec.maintenanceWindow ?? '-'}`);
  if (rec.components?.length) {
    out.push('', table(['COMPONENT', 'CURRENT', 'TARGET', 'STATE', 'REASON', 'NOT BEFORE'],
      rec.components.map((c) => [c.component, c.currentVersion ?? '-', c.targetVersion ?? '-', c.state, c.reason, c.notBefore ?? '-'])));
  }
  const shown = limit === 0 ? [] : rec.history.slice(-limit);
  out.push('', `history (${rec.history.length} operation(s)${shown.length < rec.history.length ? `, newest ${shown.length} shown` : ''}):`);
  if (shown.length) {
    out.push(table(['CREATED', 'OPERATION', 'COMPONENT', 'FROM', 'TO', 'STATUS', 'BY', 'DETAIL'], shown.map(historyRow)));
  }
  return out.join('\n') + '\n';
}

function historyRow(h: HistoryEntry): string[] {
  const detail: string[] = [];
  if (h.reason) detail.push(h.reason);
  if (h.forced) detail.push('forced');
  if (h.softwareUpdate) detail.push(`SoftwareUpdate/${h.softwareUpdate}`);
  if (h.error) detail.push(`${h.error.code}: ${h.error.message}`);
  if (h.windowOverrun) detail.push(`WindowOverrun: started after its maintenance window ended at ${h.startBy}; the back end could not cancel it`);
  if (h.diagnostics) detail.push(`diagnostics ${h.diagnostics.operationId} (${h.diagnostics.status})${h.diagnostics.logsUrl ? ` logs: ${h.diagnostics.logsUrl}` : ''}`);
  if (h.logsUrl) detail.push(`logs: ${h.logsUrl}`);
  if (h.rolledBack) detail.push(`rolled back: reports ${h.rolledBack.reportedVersion} since ${h.rolledBack.detectedAt}`);
  if (h.unhealthyAfter) detail.push(`offline or unhealthy in the test period since ${h.unhealthyAfter}`);
  return [h.createdAt, h.operationType, h.component ?? '-', h.fromVersion ?? '-', h.toVersion ?? '-', historyStatus(h), h.issuedBy, detail.join('; ')];
}

/**
 * The driver's status, except where Fleetward knows more: an update cancelled at the end of its window reads
 * WindowMissed (seed 000), one started after it reads late, one the back end refused reads refused.
 */
function historyStatus(h: HistoryEntry): string {
  if (h.status === 'cancelled' && h.error?.code === WINDOW_MISSED) return WINDOW_MISSED;
  if (h.refused) return 'refused';
  if (h.windowOverrun) return `${h.status} (late)`;
  return h.status;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}
