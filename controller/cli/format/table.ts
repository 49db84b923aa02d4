// `fleetward plan -o table` (the default): a plan, or a plan diff, a person can read in a terminal.
// Summary counts first, then what starts now, then devices grouped by group / phase or ring / window.
// Long sections are cut with a line saying how much was left out; `-o json` always has everything.
import { formatShift } from '../../planner/diff.ts';
import type { PlanDiff, UpdateChange } from '../../planner/diff.ts';
import type { ComponentPlan, Plan } from '../../planner/types.ts';
import { FIELD_LABEL, activeReleases, assignmentMoves, someIds, deviceSections, findingsByCode, findingsLine, listedComponents, pickDevices, quietCount, sectionTitle, stagesText, stateCounts } from './plan-view.ts';
import { shownNotes } from '../plan-selection.ts';
import { STATE_STYLE, shortRevision, formatInstant, formatRelative, paint, plural, renderColumns } from './text.ts';
import type { CellInput } from './text.ts';

export interface TableOptions {
  color: boolean;
  /** Devices listed per section before the rest are counted instead (default 10). */
  maxDevicesPerSection?: number;
  /** Rows listed per section of a diff, or of the operations list (default 50). */
  maxRows?: number;
  /** Findings listed per code (default 5). */
  maxFindingsPerCode?: number;
}

const ID_MAX = 32;
const NAME_MAX = 28;
const VERSION_MAX = 18;
const REASON_MAX = 40;

function moreLine(hidden: number, what: string, indent = '  '): string[] {
  return hidden > 0 ? [`${indent}… ${hidden} more ${hidden === 1 ? what.replace(/s\b/, '') : what} (-o json lists all)`] : [];
}

function componentRow(c: ComponentPlan, at: string, first: { id: string } | null): CellInput[] {
  const when = c.notBefore === null ? '—' : `${formatInstant(c.notBefore)} (${formatRelative(c.notBefore, at)})`;
  return [
    first ? first.id : '',
    c.component,
    c.currentVersion ?? '—',
    c.targetVersion ?? '—',
    { text: c.state, ...(STATE_STYLE[c.state] ? { style: STATE_STYLE[c.state]! } : {}) },
    when,
    c.reason + (c.unsupported ? ' (unsupported)' : ''),
  ];
}

export function formatPlanTable(plan: Plan, opts: TableOptions): string {
  const color = opts.color;
  const maxDevices = opts.maxDevicesPerSection ?? 10;
  const maxRows = opts.maxRows ?? 50;
  const maxReleases = Math.min(maxRows, 10);
  const maxPaths = Math.min(maxRows, 20);
  const maxFindings = opts.maxFindingsPerCode ?? 5;
  const out: string[] = [];
  const h = (text: string): string => paint(text, 'bold', color);

  out.push(h(`Plan at ${formatInstant(plan.at)}`) + (plan.revision ? `  revision ${shortRevision(plan.revision)}` : ''));
  out.push(`${plural(plan.devices.length, 'device')}, ${plural(plan.operations.length, 'operation')} to start now`);
  out.push(...shownNotes(plan));
  if (plan.findings.length > 0) out.push(`Findings: ${findingsLine(plan)} (listed at the end)`);
  out.push('');

  const counts = stateCounts(plan);
  if (counts.rows.length > 0) {
    out.push(...renderColumns(
      [{ header: 'STATE' }, ...counts.components.map((c) => ({ header: c, align: 'right' as const }))],
      counts.rows.map((r) => [{ text: r.state, ...(STATE_STYLE[r.state] ? { style: STATE_STYLE[r.state]! } : {}) }, ...r.counts.map(String)]),
      { color },
    ));
    const quiet = quietCount(plan);
    if (quiet > 0) out.push(`(Blocked counts ${plural(quiet, 'component')} updated only through a SoftwareUpdate or left out of autoUpdate; not listed below.)`);
    out.push('');
  }

  if (plan.operations.length > 0) {
    out.push(h(`Operations to start now (${plan.operations.length})`));
    out.push(...renderColumns(
      [{ header: 'DEVICE', max: ID_MAX }, { header: 'COMPONENT' }, { header: 'FROM', max: VERSION_MAX }, { header: 'TO', max: VERSION_MAX }, { header: 'REASON', max: REASON_MAX }],
      plan.operations.slice(0, maxRows).map((o) => [o.deviceId, o.component, o.fromVersion ?? '—', o.toVersion, o.reason + (o.forced ? ' (forced)' : '')]),
      { color, indent: '  ' },
    ));
    out.push(...moreLine(plan.operations.length - maxRows, 'operations'));
    out.push('');
  }

  const active = activeReleases(plan);
  if (active.length > 0) {
    out.push(h(`Releases in progress (${active.length} of ${plan.releases.length})`));
    out.push(...renderColumns(
      [{ header: 'RELEASE', max: 40 }, { header: 'STATE' }, { header: 'STAGES (updated/devices)' }],
      active.slice(0, maxReleases).map((r) => [`${r.component}@${r.version}`, { text: r.state, ...(r.state === 'Paused' ? { style: 'red' as const } : {}) }, stagesText(r)]),
      { color, indent: '  ' },
    ));
    out.push(...moreLine(active.length - maxReleases, 'releases in progress'));
    out.push('');
  }

  for (const section of deviceSections(plan)) {
    out.push(h(`${sectionTitle(section)} (${plural(section.devices.length, 'device')})`));
    const { shown, hidden, hiddenUpToDate } = pickDevices(section.devices, maxDevices);
    const rows: CellInput[][] = [];
    for (const d of shown) {
      const pending = listedComponents(d);
      if (pending.length === 0) {
        rows.push([d.id, 'all', '', '', { text: 'UpToDate', style: 'green' }, '—', '']);
        continue;
      }
      pending.forEach((c, i) => rows.push(componentRow(c, plan.at, i === 0 ? d : null)));
    }
    out.push(...renderColumns(
      [{ header: 'DEVICE', max: ID_MAX }, { header: 'COMPONENT' }, { header: 'CURRENT', max: VERSION_MAX }, { header: 'TARGET', max: VERSION_MAX }, { header: 'STATE' }, { header: 'NOT BEFORE' }, { header: 'REASON', max: REASON_MAX }],
      rows,
      { color, indent: '  ' },
    ));
    if (hidden > 0) {
      const upToDate = hiddenUpToDate === hidden ? (hidden === 1 ? ', up to date' : ', all up to date') : hiddenUpToDate ? ` (${hiddenUpToDate} up to date)` : '';
      out.push(`  … ${hidden} more ${hidden === 1 ? 'device' : 'devices'}${upToDate} (-o json lists all)`);
    }
    out.push('');
  }

  if (plan.updatePaths.length > 0) {
    out.push(h('Update paths'));
    out.push(...renderColumns(
      [{ header: 'MANUFACTURER', max: NAME_MAX }, { header: 'MODEL', max: NAME_MAX }, { header: 'COMPONENT' }, { header: 'CURRENT → NEW' }, { header: 'ELIGIBLE', align: 'right' }, { header: 'ACTIVE STAGE' }],
      plan.updatePaths.slice(0, maxPaths).map((p) => [p.manufacturer, p.model, p.component, `${p.currentVersion} → ${p.newVersion}`, String(p.eligibleDevices), p.activeStage ?? '—']),
      { color, indent: '  ' },
    ));
    out.push(...moreLine(plan.updatePaths.length - maxPaths, 'update paths'));
    out.push('');
  }

  if (plan.findings.length > 0) {
    out.push(h(`Findings (${plan.findings.length})`));
    for (const { code, findings } of findingsByCode(plan)) {
      for (const f of findings.slice(0, maxFindings)) out.push(`  ${paint(code, 'yellow', color)}: ${f.message}`);
      out.push(...moreLine(findings.length - maxFindings, `${code} findings`));
    }
    out.push('');
  }

  return out.join('\n').replace(/\n+$/, '') + '\n';
}

// ---- Plan diff ------------------------------------------------------------------------------

function updateWhen(u: UpdateChange): string {
  return `${formatInstant(u.before.notBefore)} → ${formatInstant(u.after.notBefore)}`;
}

function arrow(a: string | null, b: string | null): string {
  return a === b ? (a ?? '—') : `${a ?? '—'} → ${b ?? '—'}`;
}

export function formatDiffTable(diff: PlanDiff, opts: TableOptions & { beforeLabel?: string; afterLabel?: string }): string {
  const color = opts.color;
  const maxRows = opts.maxRows ?? 50;
  const h = (text: string): string => paint(text, 'bold', color);
  const out: string[] = [];
  const label = (name: string | undefined, rev: string | null): string =>
    name && rev ? `${name} (${shortRevision(rev)})` : name ?? (rev ? shortRevision(rev) : 'config');
  out.push(h(`Plan diff at ${formatInstant(diff.after.at)}`) + `  ${label(opts.beforeLabel, diff.before.revision)} → ${label(opts.afterLabel, diff.after.revision)}`);
  out.push(diff.summary);
  out.push(...shownNotes(diff));

  if (diff.assignments.length > 0) {
    out.push('', h(`Devices that change group, phase, ring or window (${new Set(diff.assignments.map((a) => a.deviceId)).size})`));
    const moves = assignmentMoves(diff);
    out.push(...renderColumns(
      [{ header: 'FIELD' }, { header: 'FROM', max: NAME_MAX }, { header: 'TO', max: NAME_MAX }, { header: 'DEVICES', align: 'right' }, { header: 'WHICH' }],
      moves.slice(0, maxRows).map((m) => [FIELD_LABEL[m.field], m.from ?? '—', m.to ?? '—', String(m.deviceIds.length), someIds(m.deviceIds)]),
      { color, indent: '  ' },
    ));
    out.push(...moreLine(moves.length - maxRows, 'moves'));
  }

  if (diff.updates.length > 0) {
    out.push('', h(`Next updates that change (${diff.updates.length})`));
    out.push(...renderColumns(
      [{ header: 'DEVICE', max: ID_MAX }, { header: 'COMPONENT' }, { header: 'SHIFT', align: 'right' }, { header: 'NOT BEFORE' }, { header: 'TARGET' }, { header: 'STATE' }],
      diff.updates.slice(0, maxRows).map((u) => [
        u.deviceId,
        u.component,
        u.shiftMs === null ? '' : { text: formatShift(u.shiftMs), style: u.shiftMs < 0 ? 'green' : 'yellow' },
        updateWhen(u),
        arrow(u.before.targetVersion, u.after.targetVersion),
        arrow(u.before.state, u.after.state),
      ]),
      { color, indent: '  ' },
    ));
    out.push(...moreLine(diff.updates.length - maxRows, 'changes'));
  }

  if (diff.operations.length > 0) {
    out.push('', h(`Operations to start now that change (${diff.operations.length})`));
    out.push(...renderColumns(
      [{ header: '' }, { header: 'DEVICE', max: ID_MAX }, { header: 'COMPONENT' }, { header: 'FROM', max: VERSION_MAX }, { header: 'TO', max: VERSION_MAX }, { header: 'REASON', max: REASON_MAX }],
      diff.operations.slice(0, maxRows).map((o) => [
        o.change === 'added' ? { text: '+', style: 'green' } : { text: '-', style: 'red' },
        o.deviceId, o.component, o.fromVersion ?? '—', o.toVersion, o.reason,
      ]),
      { color, indent: '  ' },
    ));
    out.push(...moreLine(diff.operations.length - maxRows, 'changes'));
  }

  for (const [title, ids] of [['Devices only in the new plan', diff.devicesAdded], ['Devices only in the old plan', diff.devicesRemoved]] as const) {
    if (ids.length === 0) continue;
    out.push('', h(`${title} (${ids.length})`));
    out.push(...ids.slice(0, maxRows).map((id) => `  ${id}`));
    out.push(...moreLine(ids.length - maxRows, 'devices'));
  }
  return out.join('\n') + '\n';
}
