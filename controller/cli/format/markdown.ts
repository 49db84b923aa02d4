// `-o markdown`: a plan or a plan diff as a pull-request comment (GitHub-flavoured markdown).
// The summary is visible; the details are folded in <details> so a large fleet does not bury the
// review. GitHub refuses comments over 65,536 characters, so tables stop after a row budget and
// say how much they left out.
import { formatShift } from '../../planner/diff.ts';
import type { PlanDiff } from '../../planner/diff.ts';
import type { Plan } from '../../planner/types.ts';
import { FIELD_LABEL, activeReleases, assignmentMoves, someIds, deviceSections, findingsByCode, findingsLine, listedComponents, pickDevices, quietCount, sectionTitle, stagesText, stateCounts } from './plan-view.ts';
import { shownNotes } from '../plan-selection.ts';
import { shortRevision, formatInstant, formatRelative, plural } from './text.ts';

export interface MarkdownOptions {
  /** Rows per table before the rest are counted instead (default 100). */
  maxRows?: number;
  /** Device rows over all device sections (default 300). */
  maxDeviceRows?: number;
}

/** Escapes what would break a table cell or be read as HTML or markdown. */
export function mdCell(text: string): string {
  return text
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/([*_`[\]])/g, '\\$1')
    .replace(/\r?\n/g, ' ');
}

const code = (text: string): string => '`' + text.replace(/`/g, "'") + '`';

function table(headers: string[], rows: string[][], align?: ('l' | 'r')[]): string[] {
  const sep = headers.map((_, i) => (align?.[i] === 'r' ? '--:' : '---'));
  return [
    `| ${headers.join(' | ')} |`,
    `| ${sep.join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
  ];
}

function details(summary: string, body: string[]): string[] {
  const lines = [...body];
  while (lines.at(-1) === '') lines.pop();
  return ['<details>', `<summary>${summary}</summary>`, '', ...lines, '', '</details>', ''];
}

const more = (hidden: number, what: string): string[] =>
  hidden > 0 ? ["", `… ${hidden} more ${what} (\`-o json\` lists all).`] : [];

export function formatPlanMarkdown(plan: Plan, opts: MarkdownOptions = {}): string {
  const maxRows = opts.maxRows ?? 100;
  let deviceBudget = opts.maxDeviceRows ?? 300;
  const out: string[] = [];

  out.push(`### Fleetward plan at ${formatInstant(plan.at)}` + (plan.revision ? ` (revision ${code(shortRevision(plan.revision))})` : ''));
  out.push('');
  out.push(`**${plural(plan.devices.length, 'device')}**, **${plural(plan.operations.length, 'operation')}** to start now.` +
    (plan.findings.length ? ` Findings: ${mdCell(findingsLine(plan))}.` : ''));
  out.push('');
  for (const note of shownNotes(plan)) out.push(`_${mdCell(note)}._`, '');

  const counts = stateCounts(plan);
  if (counts.rows.length > 0) {
    out.push(...table(['state', ...counts.components], counts.rows.map((r) => [r.state, ...r.counts.map(String)]), ['l', ...counts.components.map(() => 'r' as const)]));
    out.push('');
    const quiet = quietCount(plan);
    if (quiet > 0) out.push(`Blocked counts ${plural(quiet, 'component')} updated only through a SoftwareUpdate or left out of autoUpdate; they are not listed below.`, '');
  }

  if (plan.operations.length > 0) {
    out.push(...details(`Operations to start now (${plan.operations.length})`, [
      ...table(['device', 'component', 'from', 'to', 'reason'],
        plan.operations.slice(0, maxRows).map((o) => [o.deviceId, o.component, o.fromVersion ?? '—', o.toVersion, o.reason + (o.forced ? ' (forced)' : '')])),
      ...more(plan.operations.length - maxRows, 'operations'),
    ]));
  }

  const active = activeReleases(plan);
  if (active.length > 0) {
    out.push(...details(`Releases in progress (${active.length} of ${plan.releases.length})`, [
      ...table(['release', 'state', 'stages (updated/devices)'], active.slice(0, maxRows).map((r) => [`${r.component}@${r.version}`, r.state, stagesText(r)])),
      ...more(active.length - maxRows, 'releases'),
    ]));
  }

  const sections = deviceSections(plan);
  if (sections.length > 0) {
    const body: string[] = [];
    for (const section of sections) {
      body.push(`#### ${mdCell(sectionTitle(section))} (${plural(section.devices.length, 'device')})`, '');
      const { shown, hidden } = pickDevices(section.devices, Math.max(1, deviceBudget));
      deviceBudget -= shown.length;
      const rows: string[][] = [];
      for (const d of shown) {
        const pending = listedComponents(d);
        if (pending.length === 0) { rows.push([d.id, 'all', '', '', 'UpToDate', '—', '']); continue; }
        pending.forEach((c, i) => rows.push([
          i === 0 ? d.id : '',
          c.component,
          c.currentVersion ?? '—',
          c.targetVersion ?? '—',
          c.state,
          c.notBefore === null ? '—' : `${formatInstant(c.notBefore)} (${formatRelative(c.notBefore, plan.at)})`,
          c.reason + (c.unsupported ? ' (unsupported)' : ''),
        ]));
      }
      body.push(...table(['device', 'component', 'current', 'target', 'state', 'not before', 'reason'], rows));
      body.push(...more(hidden, 'devices in this section'), '');
    }
    out.push(...details(`Devices by group (${plan.devices.length})`, body));
  }

  if (plan.updatePaths.length > 0) {
    out.push(...details(`Update paths (${plan.updatePaths.length})`, [
      ...table(['manufacturer', 'model', 'component', 'current → new', 'eligible devices', 'active stage'],
        plan.updatePaths.slice(0, maxRows).map((p) => [p.manufacturer, p.model, p.component, `${p.currentVersion} → ${p.newVersion}`, String(p.eligibleDevices), p.activeStage ?? '—']),
        ['l', 'l', 'l', 'l', 'r', 'l']),
      ...more(plan.updatePaths.length - maxRows, 'update paths'),
    ]));
  }

  if (plan.findings.length > 0) {
    const body: string[] = [];
    for (const group of findingsByCode(plan)) {
      body.push(...group.findings.slice(0, 20).map((f) => `- ${code(f.code)}: ${mdCell(f.message)}`));
      body.push(...more(group.findings.length - 20, `${group.code} findings`).slice(1));
    }
    out.push(...details(`Findings (${plan.findings.length})`, body));
  }
  return out.join('\n').replace(/\n+$/, '') + '\n';
}

export function formatDiffMarkdown(diff: PlanDiff, opts: MarkdownOptions & { beforeLabel?: string; afterLabel?: string } = {}): string {
  const maxRows = opts.maxRows ?? 100;
  const out: string[] = [];
  const label = (name: string | undefined, rev: string | null): string =>
    [name ? code(name) : null, rev ? `(${code(shortRevision(rev))})` : null].filter(Boolean).join(' ') || 'config';
  out.push(`### Fleetward plan diff at ${formatInstant(diff.after.at)}`);
  out.push('');
  out.push(`${label(opts.beforeLabel, diff.before.revision)} → ${label(opts.afterLabel, diff.after.revision)}`);
  out.push('');
  out.push(`**${mdCell(diff.summary)}**`);
  out.push('');
  for (const note of shownNotes(diff)) out.push(`_${mdCell(note)}._`, '');

  if (diff.assignments.length > 0) {
    const n = new Set(diff.assignments.map((a) => a.deviceId)).size;
    const moves = assignmentMoves(diff);
    out.push(...details(`Devices that change group, phase, ring or window (${n})`, [
      ...table(['field', 'from', 'to', 'devices', 'which'], moves.slice(0, maxRows).map((m) => [
        FIELD_LABEL[m.field], m.from ?? '—', m.to ?? '—', String(m.deviceIds.length), someIds(m.deviceIds, 10),
      ]), ['l', 'l', 'l', 'r', 'l']),
      ...more(moves.length - maxRows, 'moves'),
    ]));
  }
  if (diff.updates.length > 0) {
    out.push(...details(`Next updates that change (${diff.updates.length})`, [
      ...table(['device', 'component', 'shift', 'not before', 'target', 'state'], diff.updates.slice(0, maxRows).map((u) => [
        u.deviceId,
        u.component,
        u.shiftMs === null ? '' : formatShift(u.shiftMs),
        `${formatInstant(u.before.notBefore)} → ${formatInstant(u.after.notBefore)}`,
        u.before.targetVersion === u.after.targetVersion ? (u.after.targetVersion ?? '—') : `${u.before.targetVersion ?? '—'} → ${u.after.targetVersion ?? '—'}`,
        u.before.state === u.after.state ? u.after.state : `${u.before.state} → ${u.after.state}`,
      ]), ['l', 'l', 'r', 'l', 'l', 'l']),
      ...more(diff.updates.length - maxRows, 'changes'),
    ]));
  }
  if (diff.operations.length > 0) {
    out.push(...details(`Operations to start now that change (${diff.operations.length})`, [
      ...table(['', 'device', 'component', 'from', 'to', 'reason'], diff.operations.slice(0, maxRows).map((o) => [
        o.change === 'added' ? '+' : '−', o.deviceId, o.component, o.fromVersion ?? '—', o.toVersion, o.reason,
      ])),
      ...more(diff.operations.length - maxRows, 'changes'),
    ]));
  }
  for (const [title, ids] of [['Devices only in the new plan', diff.devicesAdded], ['Devices only in the old plan', diff.devicesRemoved]] as const) {
    if (ids.length === 0) continue;
    out.push(...details(`${title} (${ids.length})`, [...ids.slice(0, maxRows).map((id) => `- ${mdCell(id)}`), ...more(ids.length - maxRows, 'devices')]));
  }
  return out.join('\n').replace(/\n+$/, '') + '\n';
}
