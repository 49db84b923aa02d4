// `fleetward retry-failed`, `pause`, `resume` and `force` as an admin runs them against a running installation:
// each writes one checked change into the config directory, and the next reconcile pass applies it. Bad input
// is a one-line error and leaves every config file as it was.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseAllDocuments } from 'yaml';
import { getCondition } from '../../controller/status/conditions.ts';
import { loadConfigDir } from '../../controller/sources/load.ts';
import { statusText } from '../../controller/cli/commands/status.ts';
import { Fixture, aGroup, aPhone, aRelease, anAlwaysWindow } from '../support/reconciler-fixture.ts';
import { runCli } from '../support/run-cli.ts';
import { snapshotTree } from '../support/tree-snapshot.ts';

const fleetward = (...args: string[]) => runCli(args);

const HOUR = 3_600_000;
const OLD = '122.15.0.30';
const NEW = '122.15.0.44';
const catalog = () => [aRelease(OLD, { releasedAt: '2026-06-01T00:00:00Z' }), aRelease(NEW)];
const threePhones = () => [aPhone('p1'), aPhone('p2'), aPhone('p3')];

const POLICY = `# Tenant-wide settings: reviewed by the change board.
apiVersion: fleetward.dev/v1alpha1
kind: FleetPolicy
metadata:
  name: default
spec:
  # Transient failures are retried this many times.
  retry: {maxAttempts: 1, backoff: 30m}
---
# Lab evenings, kept beside the policy on purpose.
${anAlwaysWindow('lab')}`;

function baseConfig(extra: Record<string, string> = {}): Record<string, string> {
  return { 'window.yaml': anAlwaysWindow(), 'group.yaml': aGroup('phones', 'always'), ...extra };
}


/** A pino logger whose lines land in an array. */
function capture(): { logger: pino.Logger; lines: { level: number; msg: string; [k: string]: unknown }[] } {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => { lines.push(JSON.parse(s)); } });
  return { logger, lines };
}

const at = (f: Fixture) => f.clock.now().toISOString();

test('pause sets pausedAt in the FleetPolicy where it is, comments and the file\'s other document untouched; the pass pauses, says until when, warns once; resume restores the file', async () => {
  const release = `apiVersion: fleetward.dev/v1alpha1
kind: SoftwareRelease
metadata:
  name: mp54-firmware
spec: {component: firmware, version: "${NEW}", manufacturer: Yealink, models: [MP54], releasedAt: "2026-10-01T00:00:00Z", label: verified}
`;
  const f = new Fixture({ devices: threePhones(), releases: catalog(), config: baseConfig({ 'policy.yaml': POLICY, 'release.yaml': release }) });
  const log = capture();
  f.start({ logger: log.logger });
  try {
    const paused = await fleetward('pause', '-c', f.configDir, '--now', at(f));
    assert.is(paused.code, 0, paused.stderr);
    assert.match(paused.stdout, /paused from 2026-11-23T12:00:00Z until 2026-12-08T12:00:00Z \(15 days\)/);
    const text = readFileSync(join(f.configDir, 'policy.yaml'), 'utf8');
    assert.ok(text.startsWith('# Tenant-wide settings: reviewed by the change board.\n'), text);
    assert.match(text, /  # Transient failures are retried this many times\.\n  retry: \{maxAttempts: 1, backoff: 30m\}\n  autoUpdates:\n    pausedAt: "2026-11-23T12:00:00Z"\n/);
    assert.is(text.slice(text.indexOf('---\n')), POLICY.slice(POLICY.indexOf('---\n')), 'the window document keeps its bytes');
    assert.ok((await loadConfigDir(f.configDir)).ok);

    const r = await f.reconciler.reconcile();
    assert.is(r.issued, 0, 'no automatic update starts while paused');
    const policy = f.store.readObjects()['FleetPolicy/default']!;
    assert.is(policy.autoUpdatesResumeAt, '2026-12-08T12:00:00Z');
    assert.match(getCondition(policy.conditions, 'Ready')!.message, /automatic updates paused until 2026-12-08T12:00:00Z/);
    assert.is(r.summary!.autoUpdatesPausedUntil, '2026-12-08T12:00:00Z');
    const rel = getCondition(f.store.readObjects()['SoftwareRelease/mp54-firmware']!.conditions, 'Ready')!;
    assert.equal([rel.status, rel.reason], ['False', 'TenantPaused']);
    assert.match(rel.message, /automatic updates are paused for the tenant until 2026-12-08T12:00:00Z \(FleetPolicy\/default\); release 122\.15\.0\.44 resumes then/);
    assert.match(await statusText({ stateDir: f.stateDir, output: 'table', history: '20' }), /automatic updates paused until 2026-12-08T12:00:00Z/);
    const warned = () => log.lines.filter((l) => l.level === 40 && /automatic updates (paused|resumed)/.test(l.msg)).map((l) => l.msg);
    assert.equal(warned(), ['automatic updates paused until 2026-12-08T12:00:00Z']);
    f.clock.advance(HOUR);
    await f.reconciler.reconcile();
    assert.is(warned().length, 1, 'said once, not every pass');

    const resumed = await fleetward('resume', '-c', f.configDir, '--now', at(f));
    assert.is(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /automatic updates resume now instead of 2026-12-08T12:00:00Z/);
    assert.is(readFileSync(join(f.configDir, 'policy.yaml'), 'utf8'), POLICY, 'resume gives back the file as it was');
    const after = await f.reconciler.reconcile();
    assert.is(after.issued, 3);
    assert.is(f.store.readObjects()['FleetPolicy/default']!.autoUpdatesResumeAt, undefined);
    assert.is(after.summary!.autoUpdatesPausedUntil, undefined);
    assert.equal(warned(), ['automatic updates paused until 2026-12-08T12:00:00Z', 'automatic updates resumed: autoUpdates.pausedAt was removed']);
  } finally {
    await f.close();
  }
});

test('a pause lifts by itself after 15 days: the status drops the date and the log says why', async () => {
  const f = new Fixture({ devices: threePhones(), releases: catalog() });
  const log = capture();
  f.start({ logger: log.logger });
  try {
    assert.is((await fleetward('pause', '-c', f.configDir, '--now', at(f))).code, 0);
    assert.is((await f.reconciler.reconcile()).issued, 0);
    f.clock.advance(15 * 24 * HOUR);
    const r = await f.reconciler.reconcile();
    assert.is(r.issued, 3);
    assert.is(f.store.readObjects()['FleetPolicy/default']!.autoUpdatesResumeAt, undefined);
    assert.ok(log.lines.some((l) => l.level === 40 && l.msg === 'automatic updates resumed: the 15-day pause lifted by itself'));
  } finally {
    await f.close();
  }
});

test('pause without a FleetPolicy writes a new one; --dry-run prints it and writes nothing; pausing a paused tenant changes nothing', async () => {
  const f = new Fixture({ devices: threePhones(), releases: catalog() });
  try {
    const before = snapshotTree(f.configDir);
    const dry = await fleetward('pause', '-c', f.configDir, '--now', '2026-11-23T12:00:00Z', '--dry-run');
    assert.is(dry.code, 0, dry.stderr);
    const [doc] = parseAllDocuments(dry.stdout);
    assert.equal(doc!.toJS(), { apiVersion: 'fleetward.dev/v1alpha1', kind: 'FleetPolicy', metadata: { name: 'default' }, spec: { autoUpdates: { pausedAt: '2026-11-23T12:00:00Z' } } });
    assert.match(dry.stderr, /dry run, nothing written: .* it would create .*policy\.yaml/);
    assert.equal(snapshotTree(f.configDir), before);

    const planned = await fleetward('pause', '-c', f.configDir, '--now', '2026-11-23T12:00:00Z', '--from', '2026-12-18T17:00:00Z', '--file', 'tenant/policy.yaml');
    assert.is(planned.code, 0, planned.stderr);
    assert.match(planned.stdout, /will be paused from 2026-12-18T17:00:00Z until 2027-01-02T17:00:00Z/);
    assert.ok(existsSync(join(f.configDir, 'tenant', 'policy.yaml')));
    const r = await f.reconciler.reconcile();
    assert.is(r.issued, 3, 'a pause planned for later stops nothing yet');
    assert.match(getCondition(f.store.readObjects()['FleetPolicy/default']!.conditions, 'Ready')!.message, /will pause from 2026-12-18T17:00:00Z until 2027-01-02T17:00:00Z/);

    const written = snapshotTree(f.configDir);
    const again = await fleetward('pause', '-c', f.configDir, '--now', '2026-12-20T00:00:00Z');
    assert.is(again.code, 0);
    assert.match(again.stderr, /already paused since 2026-12-18T17:00:00Z, until 2027-01-02T17:00:00Z; nothing changed/);
    assert.equal(snapshotTree(f.configDir), written);
    const notPaused = await fleetward('resume', '-c', join(f.root, 'nowhere'));
    assert.is(notPaused.code, 2);
    assert.match(notPaused.stderr, /config directory not found/);
  } finally {
    await f.close();
  }
});

test('force writes a forced SoftwareUpdate for one device, and the next pass starts it despite a tenant pause', async () => {
  const paused = `apiVersion: fleetward.dev/v1alpha1
kind: FleetPolicy
metadata:
  name: default
spec:
  autoUpdates:
    pausedAt: "2026-11-23T00:00:00Z"
`;
  const f = new Fixture({ devices: threePhones(), releases: catalog(), config: baseConfig({ 'policy.yaml': paused }) });
  try {
    assert.is((await f.reconciler.reconcile()).issued, 0);
    const out = await fleetward('force', 'p2', '--component', 'firmware', '--version', NEW, '-c', f.configDir, '--state-dir', f.stateDir, '--now', at(f));
    assert.is(out.code, 0, out.stderr);
    const name = 'force-p2-firmware-20261123-1200';
    assert.match(out.stdout, new RegExp(`created .*updates/${name}\\.yaml: SoftwareUpdate/${name} forces firmware ${OLD} → ${NEW} on p2, now`));
    const [doc] = parseAllDocuments(readFileSync(join(f.configDir, 'updates', `${name}.yaml`), 'utf8'));
    assert.equal(doc!.toJS().spec, { target: { devices: ['p2'] }, component: 'firmware', version: NEW, schedule: 'now', force: true });
    assert.match(String(doc!.commentBefore), /Forced by `fleetward force` at 2026-11-23T12:00:00Z: p2 firmware → 122\.15\.0\.44, now, even in a meeting/);
    assert.ok((await loadConfigDir(f.configDir)).ok);

    const r = await f.reconciler.reconcile();
    assert.is(r.issued, 1);
    assert.equal(f.updates().map((o) => o.deviceId), ['p2']);
    const h = f.store.readDevice('p2')!.history.at(-1)!;
    assert.is(h.softwareUpdate, name);
    assert.is(h.forced, true);
    const status = () => f.store.readObjects()[`SoftwareUpdate/${name}`]!;
    assert.match(getCondition(status().conditions, 'Ready')!.message, /0 of 1 device\(s\) updated; 1 still to go: p2 in progress/);

    // A second force of the same device and component would lose to the first (the first by name applies): refused.
    const before = snapshotTree(f.configDir);
    const twice = await fleetward('force', 'p2', '--component', 'firmware', '-c', f.configDir, '--state-dir', f.stateDir, '--now', at(f));
    assert.is(twice.code, 2);
    assert.match(twice.stderr, new RegExp(`SoftwareUpdate/${name} \\(updates/${name}\\.yaml\\) already updates firmware of p2; edit it .* or delete it first; nothing was written`));
    assert.equal(snapshotTree(f.configDir), before);

    f.clock.advance(2 * HOUR);
    await f.reconciler.reconcile();
    assert.equal([status().devices, status().succeeded, status().failed], [1, 1, 0]);
    assert.is(getCondition(status().conditions, 'Ready')!.message, '1 of 1 device(s) updated');
  } finally {
    await f.close();
  }
});

test('force refuses an unknown device, an invalid component, a downgrade and a bad schedule, with one line each and no file changed', async () => {
  const f = new Fixture({ devices: threePhones(), releases: catalog() });
  try {
    await f.reconciler.reconcile();
    const before = snapshotTree(f.configDir);
    const base = ['-c', f.configDir, '--state-dir', f.stateDir, '--now', at(f)];
    const cases: [string[], number, RegExp][] = [
      [['force', 'p9', '--component', 'firmware'], 2, /device "p9" is not in the state store/],
      [['force', 'p1', '--component', 'firmwear'], 2, /--component "firmwear" is not a component; use one of teamsClient, firmware/],
      [['force', 'p1', '--component', 'firmware', '--version', '100.0.0.1'], 2, /p1 already runs firmware 122\.15\.0\.30, not older than 100\.0\.0\.1: Fleetward never downgrades; nothing was written/],
      [['force', 'p1', '--component', 'firmware', '--version', 'soon'], 2, /--version "soon" is not a version/],
      [['force', 'p1', '--component', 'firmware', '--zone', 'Europe/Paris'], 2, /--zone goes with --at/],
      [['force', 'p1', '--component', 'firmware', '--at', '2026-11-28T19:00', '--next-window'], 2, /choose one of/],
      [['force', 'p1', '--component', 'firmware', '--state-dir', join(f.root, 'elsewhere')], 2, /no state of a running installation here/],
      [['force', 'p1', '--component', 'firmware', '--file', '../outside.yaml'], 2, /must name a file inside the config directory/],
    ];
    const results = await Promise.all(cases.map(([args]) => fleetward(...args.slice(0, 2), ...base, ...args.slice(2))));
    for (const [i, [args, code, message]] of cases.entries()) {
      const r = results[i]!;
      assert.is(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.is(r.stdout, '');
      assert.match(r.stderr, message);
      assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    // What the validator refuses is reported as `fleetward validate` reports it: file:line: Kind/name path: message.
    const badAt = await fleetward('force', 'p1', '--component', 'firmware', '--at', '28/11 19:00', '--name', 'boardroom', ...base);
    assert.is(badAt.code, 1);
    assert.match(badAt.stderr, /updates\/boardroom\.yaml:\d+: SoftwareUpdate\/boardroom spec\.schedule\.at: "28\/11 19:00" is not a local date and time/);
    assert.match(badAt.stderr, /nothing was written/);
    const badName = await fleetward('force', 'p1', '--component', 'firmware', '--name', 'Board room!', ...base);
    assert.is(badName.code, 1);
    assert.match(badName.stderr, /SoftwareUpdate\/Board room! metadata\.name: .* is not a valid name/);
    // An instant with its offset is the same moment as a local time of --zone.
    const instant = await fleetward('force', 'p1', '--component', 'firmware', '--at', '2026-11-28T19:00:00-05:00', '--zone', 'Europe/Paris', '--dry-run', ...base);
    assert.is(instant.code, 0, instant.stderr);
    assert.equal(parseAllDocuments(instant.stdout)[0]!.toJS().spec.schedule, { at: '2026-11-29T01:00', timeZone: 'Europe/Paris' });
    assert.equal(snapshotTree(f.configDir), before);
  } finally {
    await f.close();
  }
});

test('retry-failed lists the devices that failed or are held on a release, and the pass retries exactly those', async () => {
  const policy = `apiVersion: fleetward.dev/v1alpha1
kind: FleetPolicy
metadata:
  name: default
spec:
  retry: {maxAttempts: 1}
`;
  const config = baseConfig({ 'policy.yaml': policy, 'lab.yaml': aGroup('lab', 'always').replace('deviceTypes: [ipPhone]', 'devices: [p3]').replace('updatePhase: Validation', 'updatePhase: Validation\n  priority: 10') });
  const f = new Fixture({
    devices: threePhones(), releases: catalog(), config,
    behaviour: { devices: { p1: { failureRate: 1 }, p2: { failureRate: 1 } } },
  });
  try {
    assert.is((await f.reconciler.reconcile()).issued, 3);
    f.clock.advance(2 * HOUR);
    await f.reconciler.reconcile();
    assert.equal(['p1', 'p2'].map((id) => f.store.readDevice(id)!.components!.find((c) => c.component === 'firmware')!.state), ['Held', 'Held']);

    const before = snapshotTree(f.configDir);
    const base = ['-c', f.configDir, '--state-dir', f.stateDir, '--now', at(f)];
    const unknown = await fleetward('retry-failed', 'firmware@122.15.0.99', ...base);
    assert.is(unknown.code, 2);
    assert.match(unknown.stderr, /release firmware@122\.15\.0\.99 is unknown/);
    const badComponent = await fleetward('retry-failed', 'firmwear@122.15.0.44', ...base);
    assert.is(badComponent.code, 2);
    assert.match(badComponent.stderr, /"firmwear" is not a component/);
    const none = await fleetward('retry-failed', `firmware@${NEW}`, '--group', 'lab', ...base);
    assert.is(none.code, 0);
    assert.match(none.stderr, /no device in DeviceGroup\/lab failed firmware@122\.15\.0\.44 or is held on it; nothing to retry/);
    assert.equal(snapshotTree(f.configDir), before);

    const dry = await fleetward('retry-failed', `firmware@${NEW}`, '--immediately', '--dry-run', ...base);
    assert.is(dry.code, 0, dry.stderr);
    assert.equal(parseAllDocuments(dry.stdout)[0]!.toJS().spec.target, { devices: ['p1', 'p2'] });
    assert.equal(snapshotTree(f.configDir), before);

    const out = await fleetward('retry-failed', `firmware@${NEW}`, '--immediately', ...base);
    assert.is(out.code, 0, out.stderr);
    const name = 'retry-firmware-122.15.0.44-20261123-1400';
    const file = join(f.configDir, 'updates', `${name}.yaml`);
    assert.match(out.stdout, new RegExp(`SoftwareUpdate/${name} retries firmware@122\\.15\\.0\\.44 on 2 device\\(s\\): 0 failed, 2 held, now`));
    const doc = parseAllDocuments(readFileSync(file, 'utf8'))[0]!.toJS();
    assert.equal(doc.spec, { target: { devices: ['p1', 'p2'] }, component: 'firmware', version: NEW, schedule: 'now' });
    assert.equal(doc.metadata.annotations, { 'fleetward.dev/attempts-since': '2026-11-23T14:00:00Z' });

    // The cause was not fixed: the retry fails too, and its status says so.
    assert.is((await f.reconciler.reconcile()).issued, 2);
    const suStatus = () => f.store.readObjects()[`SoftwareUpdate/${name}`]!;
    assert.equal([suStatus().devices, suStatus().succeeded, suStatus().failed], [2, 0, 0]);
    assert.match(getCondition(suStatus().conditions, 'Ready')!.message, /0 of 2 device\(s\) updated; 2 still to go: p1 in progress, p2 in progress/);
    f.clock.advance(2 * HOUR);
    await f.reconciler.reconcile();
    assert.equal([suStatus().devices, suStatus().succeeded, suStatus().failed], [2, 0, 2]);
    const failedReady = getCondition(suStatus().conditions, 'Ready')!;
    assert.is(failedReady.reason, 'UpdatesFailed');
    assert.match(failedReady.message, /0 of 2 device\(s\) updated; 2 failed \(p1: 1 attempts failed, p2: 1 attempts failed\)/);
    assert.is(getCondition(suStatus().conditions, 'Stalled')?.status, 'True', 'nothing moves until a person acts');

    // Fixed now (the devices stop failing); retrying again re-arms the same SoftwareUpdate instead of adding a
    // second one that would do nothing.
    f.behaviour.devices = {};
    await f.restart();
    const again = await fleetward('retry-failed', `firmware@${NEW}`, '-c', f.configDir, '--state-dir', f.stateDir, '--now', at(f));
    assert.is(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`changed .*updates/${name}\\.yaml: SoftwareUpdate/${name} retries firmware@122\\.15\\.0\\.44 again on 2 device\\(s\\) \\(2 device\\(s\\): 2 failed, 0 held now\\), with fresh attempts from 2026-11-23T16:00:00Z`));
    assert.equal(readdirSync(join(f.configDir, 'updates')), [`${name}.yaml`]);
    const rearmed = parseAllDocuments(readFileSync(file, 'utf8'))[0]!;
    assert.equal(rearmed.toJS().metadata.annotations, { 'fleetward.dev/attempts-since': '2026-11-23T16:00:00Z' });
    assert.equal(rearmed.toJS().spec.schedule, 'now', 'the schedule stays when none is asked for');
    assert.match(String(rearmed.commentBefore), /Retry all failed/, 'its comment stays');

    const r = await f.reconciler.reconcile();
    assert.is(r.issued, 2);
    f.clock.advance(2 * HOUR);
    await f.reconciler.reconcile();
    for (const id of ['p1', 'p2']) {
      const rec = f.store.readDevice(id)!;
      assert.is(rec.history.filter((h) => h.operationType === 'softwareUpdate').at(-1)!.softwareUpdate, name);
      assert.is(rec.components!.find((c) => c.component === 'firmware')!.currentVersion, NEW);
    }
    assert.is(f.updates().filter((o) => o.deviceId === 'p3').length, 1, 'p3 succeeded the first time and is left alone');
    assert.equal([suStatus().devices, suStatus().succeeded, suStatus().failed], [2, 2, 0]);
    assert.equal(getCondition(suStatus().conditions, 'Ready'), { ...getCondition(suStatus().conditions, 'Ready')!, status: 'True', reason: 'UpToDate', message: '2 of 2 device(s) updated' });
  } finally {
    await f.close();
  }
});

test('retry-failed also retries a device that rolled the release back after it succeeded', async () => {
  const f = new Fixture({
    devices: threePhones(), releases: catalog(),
    behaviour: { devices: { p1: { rollbackRate: 1 } }, rollbackAfter: '30m' },
  });
  try {
    assert.is((await f.reconciler.reconcile()).issued, 3);
    f.clock.advance(2 * HOUR);
    await f.reconciler.reconcile();
    const c = f.store.readDevice('p1')!.components!.find((x) => x.component === 'firmware')!;
    assert.equal([c.state, c.reason, c.currentVersion], ['Held', 'RolledBack', OLD]);
    const dry = await fleetward('retry-failed', `firmware@${NEW}`, '--dry-run', '-c', f.configDir, '--state-dir', f.stateDir, '--now', at(f));
    assert.is(dry.code, 0, dry.stderr);
    assert.equal(parseAllDocuments(dry.stdout)[0]!.toJS().spec.target, { devices: ['p1'] });
    assert.match(dry.stderr, /on 1 device\(s\): 0 failed, 0 held, 1 rolled back, in each device's next maintenance window/);
  } finally {
    await f.close();
  }
});

test.run();
