// The graph driver keeps only what it reads of each listed device while the rest of the fleet pages in
// (shapes.ts slimGraphDevice), with repeated strings pooled (util/intern.ts): the devices and the catalog it
// reports are the same as from the full answers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FleetDevice, SoftwareReleaseSpec } from '../../controller/api/types.ts';
import { catalogFromHealth, FirstSeen } from '../../controller/drivers/graph/catalog.ts';
import { fromGraphDevice, slimGraphDevice, toGraphDevice, toGraphHealth } from '../../controller/drivers/graph/shapes.ts';
import { StringPool } from '../../controller/util/intern.ts';
import { generateFleet } from '../../bench/support/fleetgen.ts';

const NOW = '2026-11-18T12:00:00.000Z';

function answers(devices: FleetDevice[], releases: SoftwareReleaseSpec[]) {
  // As the back end answers `$expand=health`, parsed from JSON (every string a copy of its own).
  return devices.map((d) => JSON.parse(JSON.stringify({ ...toGraphDevice(d), health: toGraphHealth(d, releases, NOW) })));
}

test('a fleet read through the slim copies is the fleet read from the full answers, catalog included', () => {
  const { observed } = generateFleet(300, 7);
  observed.devices[0] = { ...observed.devices[0]!, displayName: 'Room 4.12', serialNumber: 'SN-1', labels: { site: 'site-3', 'fleetward.dev/shard': 'emea' } };
  const full = answers(observed.devices, observed.releases);
  const pool = new StringPool();
  const slim = full.map((g) => slimGraphDevice(g, pool));
  const read = (list: typeof full) => list.map((g) => ({ device: fromGraphDevice(g, g.health, 'UTC'), health: g.health }));
  const fromFull = read(full);
  const fromSlim = read(slim);
  assert.equal(fromSlim.map((r) => r.device), fromFull.map((r) => r.device));
  assert.equal(fromSlim.map((r) => r.device), observed.devices.map((d) => fromGraphDevice(toGraphDevice(d), toGraphHealth(d, observed.releases, NOW), 'UTC')));
  const seen = () => new FirstSeen({ now: () => new Date(NOW) });
  assert.equal(catalogFromHealth(fromSlim, seen()), catalogFromHealth(fromFull, seen()));
});

test('what the driver does not read is not kept: notes, asset tags, the health it does not look at', () => {
  const { observed } = generateFleet(1, 7);
  const [g] = answers(observed.devices, observed.releases);
  g.notes = 'x'.repeat(10_000);
  g.companyAssetTag = 'TAG-1';
  const slim = slimGraphDevice(g, new StringPool());
  assert.is(JSON.stringify(slim).includes('x'.repeat(100)), false);
  assert.is('companyAssetTag' in slim, false);
  assert.is(JSON.stringify(slim.health).includes('softwareFreshness'), false);
});

test('the pool gives one copy per distinct string and starts afresh past its size', () => {
  const pool = new StringPool(3);
  for (const s of ['a', 'b', 'a', 'c', 'b']) pool.get(s);
  assert.is(pool.size, 3);
  assert.is(pool.get('d'), 'd');
  assert.is(pool.size, 1, 'cleared when full, then holds the new one');
});

test.run();
