// The console's server side over a real store filled by real passes: its index reads every record once
// (one scan, damaged ones left out), the device list filters and pages on the server, the overview's
// figures are the run summary `fleetward status` prints, and a device's "why not updated" is the planner's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as api from '../../controller/console/api.ts';
import { buildSnapshot } from '../../controller/console/snapshot.ts';
import { SqliteStore } from '../../controller/store/sqlite.ts';
import { safeUrl } from '../../controller/console/web/src/format.ts';
import { Fixture, aPhone, aRelease } from '../support/reconciler-fixture.ts';

const q = (s: string) => api.parseDeviceQuery(new URLSearchParams(s));

async function fleet(): Promise<Fixture> {
  const devices = Array.from({ length: 12 }, (_, i) => aPhone(`p${String(i + 1).padStart(2, '0')}`, {
    displayName: `Phone ${i + 1}`, model: i % 3 === 0 ? 'T58' : 'MP54', labels: { site: i < 6 ? 'lon' : 'par', floor: String(i % 2) },
    software: { firmware: i === 11 ? '9.9.9.9' : '122.15.0.30' },
  }));
  const f = new Fixture({ devices, releases: [aRelease('122.15.0.30', { releasedAt: '2026-06-01T00:00:00Z' }), aRelease('122.15.0.44')] });
  await f.reconciler.reconcile();
  return f;
}

test('the index reads each record once, sorted by id, the same through the writer and a read-only reader', async () => {
  const f = await fleet();
  const reader = new SqliteStore(f.store.dir, { readOnly: true });
  const ids = f.store.listDeviceIds();
  assert.equal([...reader.eachDevice()].map((r) => r.id).sort(), ids);
  assert.equal([...f.store.eachDevice()].map((r) => r.id).sort(), ids);
  const s = buildSnapshot(reader);
  assert.equal(s.rows.map((r) => r.id), ids);
  assert.is(s.rows.find((r) => r.id === 'p01')!.name, 'Phone 1');
  assert.is(s.rows.find((r) => r.id === 'p01')!.site, 'lon');
  await reader.close();
  await f.close();
});

test('a reader kept open across passes (the console) reads the objects each pass committed, not the first ones', async () => {
  const f = await fleet();
  const reader = new SqliteStore(f.store.dir, { readOnly: true });
  const before = reader.readObjects();
  const key = Object.keys(before)[0]!;
  f.store.writeObjects({ ...f.store.readObjects(), [key]: { ...before[key]!, marker: 'second pass' } });
  assert.is(reader.readObjects()[key]!.marker, 'second pass');
  await reader.close();
  await f.close();
});

test('a damaged record is left out of the index; the others are all there', async () => {
  const f = await fleet();
  f.store.db.prepare(`UPDATE devices SET plan = '{"not": "a plan"' WHERE id = ?`).run('p02');
  const reader = new SqliteStore(f.store.dir, { readOnly: true });
  const s = buildSnapshot(reader);
  assert.equal(s.rows.map((r) => r.id), f.store.listDeviceIds().filter((id) => id !== 'p02'));
  await reader.close();
  await f.close();
});

test('the overview counts devices per outcome as the run summary does (what `fleetward status` prints)', async () => {
  const f = await fleet();
  const s = buildSnapshot(f.store);
  const o = api.overview(s);
  const summary = f.store.readRun()!.summary!;
  assert.is(o.devices, summary.devices);
  for (const k of ['updated', 'inProgress', 'waiting', 'failed', 'held'] as const) {
    assert.is(o.outcomes[k], summary.stages.reduce((n, st) => n + st[k], 0), k);
  }
  // One outcome per device: the index's own counts add up to the fleet too.
  assert.is(Object.values(s.outcomes).reduce((a, b) => a + b, 0), 12);
  await f.close();
});

test('the overview shows the tenant pause with the instant automatic updates resume, as the run summary has it', async () => {
  const f = await fleet();
  const s0 = buildSnapshot(f.store);
  assert.is(api.overview(s0).autoUpdatesPausedUntil, null);
  const pausedAt = new Date(f.clock.now().getTime() - 86_400_000).toISOString().replace('.000Z', 'Z');
  f.writeConfig({ 'policy.yaml': `apiVersion: fleetward.dev/v1alpha1\nkind: FleetPolicy\nmetadata: { name: default }\nspec:\n  autoUpdates: { pausedAt: "${pausedAt}" }\n` });
  await f.reconciler.reconcile();
  const o = api.overview(buildSnapshot(f.store));
  assert.is(o.autoUpdatesPausedUntil, f.store.readRun()!.summary!.autoUpdatesPausedUntil);
  assert.is(Date.parse(o.autoUpdatesPausedUntil!) - Date.parse(pausedAt), 15 * 86_400_000);
  await f.close();
});

test('the device list filters by site, model, label and outcome, searches names, and pages on the server', async () => {
  const f = await fleet();
  const s = buildSnapshot(f.store);
  assert.is(api.deviceList(s, q('site=lon')).total, 6);
  assert.is(api.deviceList(s, q('model=T58')).total, 4);
  assert.is(api.deviceList(s, q('site=par&model=T58')).total, 2);
  assert.is(api.deviceList(s, q('label=floor=1')).total, 6);
  assert.equal(api.deviceList(s, q('q=phone 1')).items.map((d) => d.id), ['p01', 'p10', 'p11', 'p12']);
  // p12 runs a version the catalog does not know: held (seed 000 "Unknown version").
  assert.equal(api.deviceList(s, q('outcome=held')).items.map((d) => d.id), ['p12']);
  const page2 = api.deviceList(s, q('offset=5&limit=5'));
  assert.equal(page2.items.map((d) => d.id), ['p06', 'p07', 'p08', 'p09', 'p10']);
  assert.is(page2.total, 12);
  const all = api.deviceList(s, q(''));
  assert.is(Object.values(all.outcomes).reduce((a, b) => a + b, 0), all.total);
  assert.throws(() => q('limit=ten'), /limit=ten: expected a whole number/);
  assert.is(q('limit=9999').limit, api.MAX_LIMIT);
  await f.close();
});

test('a device says why a component is not updated, and when, in the planner\'s words', async () => {
  const f = await fleet();
  const s = buildSnapshot(f.store);
  const held = api.device(f.store, s, 'p12');
  const fw = held.components.find((c) => c.component === 'firmware')!;
  assert.is(fw.reason, 'UnknownVersion');
  assert.is(fw.outcome, 'held');
  assert.is(held.outcome, 'held');
  const rec = f.store.readDevice('p01')!;
  const d = api.device(f.store, s, 'p01');
  assert.equal(d.components.map(({ outcome: _o, ...c }) => c), rec.components);
  assert.equal(d.history.map((h) => h.operationId), [...rec.history].reverse().map((h) => h.operationId));
  assert.throws(() => api.device(f.store, s, 'nope'), (e: Error) => e instanceof api.NotFound && e.message === 'device "nope" is not in the state store');
  await f.close();
});

test('update paths are the planner\'s, with the devices held on each model and version, by reason', async () => {
  const f = await fleet();
  const s = buildSnapshot(f.store);
  const { paths } = api.updatePaths(f.store, s);
  const held = paths.find((p) => p.currentVersion === '9.9.9.9')!;
  assert.equal(held.blocked, [{ reason: 'UnknownVersion', devices: 1 }]);
  assert.is(held.model, 'MP54');
  for (const p of paths.filter((x) => x.eligibleDevices > 0)) assert.is(p.newVersion, '122.15.0.44');
  await f.close();
});

test('a release page: its status, the forecast from the last pass, and the retry command', async () => {
  const f = await fleet();
  const s = buildSnapshot(f.store);
  const r = api.release(f.store, s, 'firmware', '122.15.0.44');
  assert.equal(r.release, f.store.readRun()!.releases!.find((x) => x.version === '122.15.0.44'));
  assert.is(r.forecast!.from, f.store.readRun()!.lastReconcileAt);
  assert.is(r.retry.command, 'fleetward retry-failed firmware@122.15.0.44');
  assert.throws(() => api.release(f.store, s, 'firmware', '1.0'), /release firmware@1.0 is not in the last pass's release list/);
  assert.throws(() => api.release(f.store, s, 'toaster', '1.0'), /no component "toaster"/);
  await f.close();
});

test('a diagnostics link from the back end is followed only when it is http(s)', () => {
  assert.is(safeUrl('https://logs.example.com/op/1?x=<b>'), 'https://logs.example.com/op/1?x=%3Cb%3E');
  assert.is(safeUrl('http://10.0.0.5/logs'), 'http://10.0.0.5/logs');
  for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<script>1</script>', 'vbscript:x', '//evil.example/x', 'not a url', '']) {
    assert.is(safeUrl(bad), undefined, bad);
  }
});

test.run();
