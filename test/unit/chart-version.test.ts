// The chart follows package.json: its version and appVersion are the package version (`npm version` keeps
// them so through scripts/sync-chart-version.ts), and its default image is the one `npm run image` builds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/run-cli.ts';
import { syncChartVersion } from '../../scripts/sync-chart-version.ts';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
const chartText = readFileSync(join(REPO_ROOT, 'charts', 'fleetward', 'Chart.yaml'), 'utf8');
const chart = parse(chartText) as { version: string; appVersion: string };
const values = parse(readFileSync(join(REPO_ROOT, 'charts', 'fleetward', 'values.yaml'), 'utf8')) as { image: { repository: string; tag: string } };

test('the chart version and appVersion are package.json\'s version', () => {
  assert.is(chart.version, pkg.version, 'Chart.yaml version (run: node scripts/sync-chart-version.ts)');
  assert.is(chart.appVersion, pkg.version, 'Chart.yaml appVersion (run: node scripts/sync-chart-version.ts)');
});

test('the default image is the local build\'s name, tagged by appVersion (no registry image nothing builds)', () => {
  assert.is(values.image.repository, 'localhost/fleetward');
  assert.is(values.image.tag, '', 'an empty tag means the chart\'s appVersion');
});

test('syncing sets both fields and touches nothing else in Chart.yaml', () => {
  const synced = syncChartVersion(chartText, '7.8.9');
  const after = parse(synced) as Record<string, unknown>;
  assert.is(after.version, '7.8.9');
  assert.is(after.appVersion, '7.8.9');
  assert.equal({ ...after, version: chart.version, appVersion: chart.appVersion }, parse(chartText));
});

test.run();
