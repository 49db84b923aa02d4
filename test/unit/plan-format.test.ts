import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stableStringify } from '../../controller/cli/format/json.ts';
import { formatPlanMarkdown, mdCell } from '../../controller/cli/format/markdown.ts';
import { formatPlanTable } from '../../controller/cli/format/table.ts';
import { adoptionByDate, formatForecastMarkdown, formatForecastTable, stageStatus } from '../../controller/cli/format/forecast.ts';
import type { ForecastView } from '../../controller/cli/format/forecast.ts';
import { truncate, wantColor } from '../../controller/cli/format/text.ts';
import type { Plan } from '../../controller/planner/types.ts';
import { matchesGolden } from '../support/golden.ts';
import { aComponent, aDevice, anOperation, aPlan, scheduled } from '../support/plans.ts';

const ANSI = /\u001b\[/;

function samplePlan(): Plan {
  return aPlan({
    revision: '3f2a9c1e0b7d4a5f6e8c9b0a1d2e3f4a5b6c7d8e',
    devices: [
      aDevice('lon-room-01', { group: 'rooms', phase: null, ring: 'Staging', maintenanceWindow: 'rooms-nightly' }, [
        aComponent('teamsClient', { currentVersion: '5.1.0', targetVersion: '5.2.0', state: 'InProgress', reason: 'OperationInFlight' }),
        scheduled('firmware', '1.0.96.22', '1.0.97.4', '2026-11-25T22:00:00.000Z', 'RingNotStarted'),
      ]),
      aDevice('lon-room-02', { group: 'rooms', phase: null, ring: 'Staging', maintenanceWindow: 'rooms-nightly' }),
      aDevice('lon-phone-001', { group: 'phones', phase: 'Validation' }, [
        aComponent('firmware', { currentVersion: '122.15.0.52', targetVersion: '122.15.0.58', state: 'Due', reason: 'InWindow', notBefore: '2026-11-23T15:00:00.000Z' }),
        aComponent('teamsClient', { currentVersion: '1.6.00.3052', state: 'Held', reason: 'Pinned' }),
      ]),
      aDevice('par-phone-with-a-really-long-identifier-0001', { group: 'phones', phase: 'Validation' }, [
        aComponent('firmware', { currentVersion: '9.9.9', state: 'Blocked', reason: 'UnknownVersion', unsupported: true }),
      ]),
      aDevice('nyc-phone-7', {}, [aComponent('firmware', { currentVersion: '1.0', targetVersion: '1.1', state: 'Failed', reason: 'FailureThresholdReached' })]),
    ],
    operations: [anOperation('lon-phone-001', 'firmware', '122.15.0.52', '122.15.0.58')],
    releases: [
      { component: 'firmware', version: '1.0.97.4', state: 'InProgress', stages: [
        { name: 'Staging', kind: 'ring', startsAt: '2026-11-25T00:00:00.000Z', endsAt: '2026-11-30T00:00:00.000Z', state: 'InProgress', devices: 2, updated: 1, failed: 0 },
        { name: 'General', kind: 'ring', startsAt: null, endsAt: null, state: 'Scheduled', devices: 0, updated: 0, failed: 0 },
      ] },
      { component: 'teamsClient', version: '1.6.00.3052', state: 'NotRequired', stages: [] },
    ],
    updatePaths: [{ manufacturer: 'Yealink', model: 'MP58', component: 'firmware', currentVersion: '122.15.0.52', newVersion: '122.15.0.58', eligibleDevices: 1, activeStage: 'Validation' }],
    findings: [{ code: 'PriorityTie', message: 'lon-phone-001 is claimed by phones and lobby at priority 0; phones wins by name', objects: ['DeviceGroup/phones', 'DeviceGroup/lobby'] }],
  });
}

// ---- JSON ---------------------------------------------------------------------------------

test('JSON is byte-identical whatever order the keys of the plan were built in', () => {
  const plan = samplePlan();
  const shuffled = JSON.parse(JSON.stringify(plan, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v));
  assert.is.not(JSON.stringify(shuffled), JSON.stringify(plan));
  assert.is(stableStringify(shuffled), stableStringify(plan));
});

test('JSON puts identifying keys first and omits undefined fields', () => {
  const text = stableStringify({ notBefore: null, state: 'Due', component: 'firmware', extra: undefined, zeta: 1, alpha: 2 });
  assert.is(text, '{\n  "component": "firmware",\n  "state": "Due",\n  "notBefore": null,\n  "alpha": 2,\n  "zeta": 1\n}\n');
});

test('JSON of a plan keeps the contract fields of docs/design.md section 5', () => {
  const parsed = JSON.parse(stableStringify(samplePlan()));
  assert.equal(Object.keys(parsed.operations[0]).slice(0, 4), ['deviceId', 'component', 'fromVersion', 'toVersion']);
  assert.equal(Object.keys(parsed.devices[0].components[0]).slice(0, 6), ['component', 'currentVersion', 'targetVersion', 'state', 'reason', 'notBefore']);
});

// ---- Terminal table --------------------------------------------------------------------------

test('the table leads with counts by state, before any device', () => {
  const text = formatPlanTable(samplePlan(), { color: false });
  const summary = text.indexOf('STATE');
  assert.ok(summary > 0 && summary < text.indexOf('lon-room-01'));
  assert.match(text, /^UpToDate\s+1\s+1$/m);
});

test('the table groups devices by group, stage and window, devices no group claims last', () => {
  const text = formatPlanTable(samplePlan(), { color: false });
  const titles = text.split('\n').filter((l) => / · window /.test(l));
  assert.equal(titles, [
    'group phones · phase Validation · window default (2 devices)',
    'group rooms · ring Staging · window rooms-nightly (2 devices)',
    'no group · phase General · window default (1 device)',
  ]);
});

test('the table has no colour when not asked for, and colours states when asked', () => {
  assert.not.match(formatPlanTable(samplePlan(), { color: false }), ANSI);
  assert.match(formatPlanTable(samplePlan(), { color: true }), /\u001b\[31mFailed\u001b\[39m/);
});

test('colour is used only on a terminal and never with NO_COLOR', () => {
  assert.is(wantColor({ isTTY: false }, {}), false);
  assert.is(wantColor({ isTTY: true }, {}), true);
  assert.is(wantColor({ isTTY: true }, { NO_COLOR: '1' }), false);
  assert.is(wantColor({}, { FORCE_COLOR: '1' }), true);
});

test('long identifiers are cut with an ellipsis, keeping the columns aligned', () => {
  const text = formatPlanTable(samplePlan(), { color: false });
  assert.match(text, /par-phone-with-a-really-long-id…/);
  assert.not.match(text, /identifier-0001/);
  assert.is(truncate('abcdef', 4), 'abc…');
  assert.is(truncate('abc', 4), 'abc');
});

test('a large section lists the devices with something pending first and counts the rest', () => {
  const devices = Array.from({ length: 40 }, (_, i) => aDevice(`d-${String(i).padStart(2, '0')}`));
  devices[37] = aDevice('d-37', {}, [scheduled('firmware', '1.0', '1.1', '2026-11-29T01:00:00.000Z')]);
  const text = formatPlanTable(aPlan({ devices }), { color: false, maxDevicesPerSection: 5 });
  assert.match(text, /^  d-37 /m);
  assert.match(text, /… 35 more devices, all up to date \(-o json lists all\)/);
  assert.is(text.split('\n').filter((l) => /^  d-\d\d /.test(l)).length, 5);
});

test('findings are counted near the top and listed by code, a few of each', () => {
  const findings = [
    ...Array.from({ length: 8 }, (_, i) => ({ code: 'UnsupportedVersion', message: `model ${i} runs an old version` })),
    { code: 'GroupPriorityTie', message: 'two groups tie' },
  ];
  const text = formatPlanTable(aPlan({ findings }), { color: false, maxFindingsPerCode: 3 });
  assert.match(text.split('\n')[2]!, /^Findings: 8 UnsupportedVersion, 1 GroupPriorityTie/);
  assert.is(text.split('\n').filter((l) => l.startsWith('  UnsupportedVersion:')).length, 3);
  assert.match(text, /… 5 more UnsupportedVersion findings/);
  assert.match(text, /GroupPriorityTie: two groups tie/);
});

test('components updated only by hand are counted but not listed device by device', () => {
  const manualOnly = aComponent('adminAgent', { state: 'Blocked', reason: 'ManualOnlyComponent' });
  const plan = aPlan({ devices: [aDevice('quiet', {}, [aComponent('firmware'), manualOnly]), aDevice('loud', {}, [aComponent('firmware', { state: 'Blocked', reason: 'UnknownVersion' })])] });
  const text = formatPlanTable(plan, { color: false });
  assert.match(text, /Blocked counts 1 component updated only through a SoftwareUpdate/);
  assert.match(text, /^  quiet\s+all\s+UpToDate/m);
  assert.match(text, /^  loud\s+firmware .*UnknownVersion/m);
  assert.not.match(text, /ManualOnlyComponent/);
});

test('the plan as a terminal table', () => {
  matchesGolden('plan.txt', formatPlanTable(samplePlan(), { color: false }));
});

// ---- Markdown -----------------------------------------------------------------------------

test('the pull-request comment shows the summary, and folds operations and devices', () => {
  const md = formatPlanMarkdown(samplePlan());
  const firstFold = md.indexOf('<details>');
  assert.ok(md.indexOf('| UpToDate | 1 | 1 |') < firstFold);
  assert.ok(md.indexOf('**5 devices**, **1 operation** to start now.') < firstFold);
  assert.ok(md.indexOf('lon-room-01') > firstFold);
  assert.is(md.split('<details>').length, md.split('</details>').length);
});

test('markdown cells escape what would break a table or inject HTML', () => {
  assert.is(mdCell('a|b'), 'a\\|b');
  assert.is(mdCell('<img src=x>'), '&lt;img src=x&gt;');
  assert.is(mdCell('under_score *bold*'), 'under\\_score \\*bold\\*');
  assert.is(mdCell('two\nlines'), 'two lines');
});

test('a fleet too large for one comment is cut to the row budget, saying how many were left out', () => {
  const devices = Array.from({ length: 2000 }, (_, i) => aDevice(`dev-${i}`, {}, [scheduled('firmware', '1.0', '1.1', '2026-11-29T01:00:00.000Z')]));
  const md = formatPlanMarkdown(aPlan({ devices }), { maxDeviceRows: 300 });
  assert.ok(md.length < 65_536, `${md.length} characters`);
  assert.match(md, /… 1700 more devices in this section/);
});

test('the plan as a pull-request comment', () => {
  matchesGolden('plan.md', formatPlanMarkdown(samplePlan()));
});

// ---- Forecast -----------------------------------------------------------------------------

function sampleForecast(): ForecastView {
  return {
    release: { component: 'firmware', version: '1.0.97.4' },
    from: '2026-11-23T15:00:00.000Z',
    eligibleDevices: 10,
    stages: [
      { name: 'Staging', kind: 'ring', startsAt: '2026-11-25T00:00:00.000Z', endsAt: '2026-11-30T00:00:00.000Z', devices: 2 },
      { name: 'General', kind: 'ring', startsAt: '2026-12-07T00:00:00.000Z', endsAt: '2026-12-21T00:00:00.000Z', devices: 8 },
    ],
    adoption: [
      { at: '2026-11-26T01:00:00.000Z', devices: 1, share: 0.1 },
      { at: '2026-11-26T03:00:00.000Z', devices: 2, share: 0.2 },
      { at: '2026-12-08T01:00:00.000Z', devices: 6, share: 0.6 },
      { at: '2026-12-15T01:00:00.000Z', devices: 10, share: 1 },
    ],
    notes: ['assumes every update succeeds and every device is online in its window'],
  };
}

test('adoption is shown by date, the value at the end of each day it changed', () => {
  assert.equal(adoptionByDate(sampleForecast().adoption), [
    { date: '2026-11-26', devices: 2, share: 0.2 },
    { date: '2026-12-08', devices: 6, share: 0.6 },
    { date: '2026-12-15', devices: 10, share: 1 },
  ]);
});

test('a long adoption curve folds into weeks', () => {
  const adoption = Array.from({ length: 60 }, (_, i) => ({ at: new Date(Date.UTC(2026, 10, 23 + i, 2)).toISOString(), devices: i + 1, share: (i + 1) / 60 }));
  const rows = adoptionByDate(adoption, 31);
  assert.ok(rows.length <= 10, `${rows.length} rows`);
  assert.equal(rows[0], { date: 'week to 2026-11-29', devices: 7, share: 7 / 60 });
  assert.is(rows.at(-1)!.devices, 60);
});

test('each stage says whether it has ended, is under way or when it starts', () => {
  const from = '2026-11-23T15:00:00.000Z';
  const stage = (startsAt: string | null, endsAt: string | null) => ({ name: 's', kind: 'ring' as const, startsAt, endsAt, devices: 1 });
  assert.is(stageStatus(stage('2026-11-01T00:00:00Z', '2026-11-10T00:00:00Z'), from), 'ended');
  assert.is(stageStatus(stage('2026-11-20T00:00:00Z', '2026-11-30T00:00:00Z'), from), 'under way');
  assert.is(stageStatus(stage('2026-11-25T00:00:00Z', '2026-11-30T00:00:00Z'), from), 'starts in 1d 9h');
  assert.is(stageStatus(stage(null, null), from), 'not planned');
});

test('the forecast as a terminal table and as markdown', () => {
  const text = formatForecastTable(sampleForecast(), { color: false });
  assert.not.match(text, ANSI);
  matchesGolden('forecast.txt', text);
  matchesGolden('forecast.md', formatForecastMarkdown(sampleForecast()));
});

test.run();
