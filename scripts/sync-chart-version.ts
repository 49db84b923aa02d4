// Sets the chart's version and appVersion to package.json's version. `npm version <x>` runs it (the `version`
// script in package.json) so a release bumps all three at once; test/unit/chart-version.test.ts fails when they drift.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const chartFile = join(root, 'charts', 'fleetward', 'Chart.yaml');

export function syncChartVersion(chartYaml: string, version: string): string {
  return chartYaml
    .replace(/^version:.*$/m, `version: ${version}`)
    .replace(/^appVersion:.*$/m, `appVersion: "${version}"`);
}

if (import.meta.main) {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const before = readFileSync(chartFile, 'utf8');
  const after = syncChartVersion(before, version);
  if (after !== before) writeFileSync(chartFile, after);
  process.stdout.write(`charts/fleetward/Chart.yaml: version ${version}, appVersion ${version}${after === before ? ' (unchanged)' : ''}\n`);
}
