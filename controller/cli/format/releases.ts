// The release view of `fleetward status` (seed 001 "Updates"): per release its state, dates and counts, per
// ring or phase its stage, and why a paused release is paused. Reads reconciler/release-status.ts records.
import { pauseSentence } from '../../reconciler/release-status.ts';
import type { ReleaseStatus } from '../../store/records.ts';
import { renderColumns } from './text.ts';

const day = (t: string | null | undefined): string => (t ? t.slice(0, 10) : '-');

export function formatReleases(list: readonly ReleaseStatus[]): string[] {
  const rows = list.map((r) => {
    const stages = r.stages.map((s) => `${s.name} ${s.state} ${s.updated}/${s.devices}${s.failed ? ` ${s.failed} failed` : ''}${s.held ? ` ${s.held} held` : ''}`).join(', ');
    const problems = [r.failed ? `${r.failed} failed` : '', r.rolledBack ? `${r.rolledBack} rolled back` : '', r.held ? `${r.held} held` : ''].filter(Boolean).join(', ');
    return [`${r.component} ${r.version}`, r.state, day(r.startsAt), day(r.endsAt), problems || '-', stages || '-'];
  });
  const columns = ['RELEASE', 'STATE', 'STARTS', 'ENDS', 'FAILURES', 'STAGES (updated/devices)'].map((header) => ({ header }));
  const out = ['releases:', ...renderColumns(columns, rows, { color: false, indent: '  ' })];
  for (const r of list) {
    if (r.state === 'Paused') out.push(`  ${pauseSentence(r)}`);
    if (r.rolledBackDevices?.length) out.push(`  ${r.component} ${r.version} rolled back on ${r.rolledBackDevices.slice(0, 5).join(', ')}${r.rolledBack > 5 ? `, … (${r.rolledBack - 5} more)` : ''}`);
  }
  return out;
}
