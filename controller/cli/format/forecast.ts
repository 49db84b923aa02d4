// `fleetward forecast -o table|markdown`: when each phase or ring starts and ends, and what share of
// the eligible fleet has the release by each date, assuming every update succeeds.
import type { Component } from '../../api/types.ts';
import { mdCell } from './markdown.ts';
import { formatSpan } from '../../planner/diff.ts';
import { formatInstant, paint, plural, renderColumns } from './text.ts';

/** The shape controller/planner/forecast.ts returns (kept structural so this file does not depend on it). */
export interface ForecastView {
  release: { component: Component; version: string };
  from: string;
  stages: { name: string; kind: 'ring' | 'phase'; startsAt: string | null; endsAt: string | null; devices: number }[];
  adoption: { at: string; devices: number; share: number }[];
  eligibleDevices: number;
  notes: string[];
}

export interface AdoptionRow { date: string; devices: number; share: number }

/**
 * The adoption curve by date: the value at the end of each UTC day on which it changed. When that is
 * more than `maxRows` days, by week instead (the value at the end of each week that changed).
 */
export function adoptionByDate(adoption: ForecastView['adoption'], maxRows = 31): AdoptionRow[] {
  const daily = new Map<string, AdoptionRow>();
  for (const p of [...adoption].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))) {
    const date = new Date(Date.parse(p.at)).toISOString().slice(0, 10);
    daily.set(date, { date, devices: p.devices, share: p.share });
  }
  const days = dedupe([...daily.values()]);
  if (days.length <= maxRows) return days;
  const weekly = new Map<string, AdoptionRow>();
  for (const d of days) {
    const t = Date.parse(`${d.date}T00:00:00Z`);
    const weekday = (new Date(t).getUTCDay() + 6) % 7; // Monday = 0
    const sunday = new Date(t + (6 - weekday) * 86_400_000).toISOString().slice(0, 10);
    weekly.set(sunday, { ...d, date: `week to ${sunday}` });
  }
  return [...weekly.values()];
}

function dedupe(rows: AdoptionRow[]): AdoptionRow[] {
  return rows.filter((r, i) => i === 0 || r.devices !== rows[i - 1]!.devices);
}

/** Where a stage stands at the forecast's start: `ended`, `under way` or `starts in 20d`. */
export function stageStatus(s: ForecastView['stages'][number], from: string): string {
  const t = Date.parse(from);
  if (s.startsAt === null) return 'not planned';
  if (s.endsAt !== null && Date.parse(s.endsAt) <= t) return 'ended';
  if (Date.parse(s.startsAt) <= t) return 'under way';
  return `starts in ${formatSpan(Date.parse(s.startsAt) - t)}`;
}

const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;

function bar(share: number, width = 20): string {
  const filled = Math.max(0, Math.min(width, Math.round(share * width)));
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

export function formatForecastTable(f: ForecastView, opts: { color: boolean }): string {
  const color = opts.color;
  const out: string[] = [];
  out.push(paint(`Forecast for ${f.release.component}@${f.release.version} from ${formatInstant(f.from)}`, 'bold', color));
  out.push(`${plural(f.eligibleDevices, 'eligible device')}; assumes every update succeeds`);
  out.push('');
  if (f.stages.length > 0) {
    out.push(...renderColumns(
      [{ header: 'STAGE', max: 28 }, { header: 'KIND' }, { header: 'DEVICES', align: 'right' }, { header: 'STARTS' }, { header: 'ENDS' }, { header: 'NOW' }],
      f.stages.map((s) => [s.name, s.kind, String(s.devices), formatInstant(s.startsAt), formatInstant(s.endsAt), stageStatus(s, f.from)]),
      { color },
    ));
    out.push('');
  }
  const rows = adoptionByDate(f.adoption);
  if (rows.length > 0) {
    out.push(paint('Adoption', 'bold', color));
    out.push(...renderColumns(
      [{ header: 'DATE' }, { header: 'DEVICES', align: 'right' }, { header: 'SHARE', align: 'right' }, { header: '' }],
      rows.map((r) => [r.date, String(r.devices), percent(r.share), { text: bar(r.share), style: 'green' }]),
      { color, indent: '  ' },
    ));
    out.push('');
  }
  if (f.notes.length > 0) {
    out.push(paint('Notes', 'bold', color));
    for (const n of f.notes) out.push(`  - ${n}`);
    out.push('');
  }
  return out.join('\n').replace(/\n+$/, '') + '\n';
}

export function formatForecastMarkdown(f: ForecastView): string {
  const out: string[] = [];
  out.push(`### Fleetward forecast for \`${f.release.component}@${f.release.version}\` from ${formatInstant(f.from)}`, '');
  const last = f.adoption.length ? [...f.adoption].sort((a, b) => Date.parse(a.at) - Date.parse(b.at)).at(-1)! : null;
  out.push(`**${plural(f.eligibleDevices, 'eligible device')}**` +
    (last ? `; ${percent(last.share)} have it by ${formatInstant(last.at)}` : '') + ', assuming every update succeeds.', '');
  if (f.stages.length > 0) {
    out.push('| stage | kind | devices | starts | ends | now |', '| --- | --- | --: | --- | --- | --- |');
    for (const s of f.stages) out.push(`| ${mdCell(s.name)} | ${s.kind} | ${s.devices} | ${formatInstant(s.startsAt)} | ${formatInstant(s.endsAt)} | ${stageStatus(s, f.from)} |`);
    out.push('');
  }
  const rows = adoptionByDate(f.adoption);
  if (rows.length > 0) {
    out.push('<details>', `<summary>Adoption by date (${rows.length})</summary>`, '');
    out.push('| date | devices | share |', '| --- | --: | --: |');
    for (const r of rows) out.push(`| ${r.date} | ${r.devices} | ${percent(r.share)} |`);
    out.push('', '</details>', '');
  }
  if (f.notes.length > 0) {
    for (const n of f.notes) out.push(`- ${mdCell(n)}`);
  }
  return out.join('\n').replace(/\n+$/, '') + '\n';
}
