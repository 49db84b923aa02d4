// The admin console at fleet scale (issue 14 item 3: the overview and a filtered device list render in under
// 1 s with 100k devices in the store), measured in the real browser: a SQLite store filled by real reconcile
// passes over the generated fleet (bench/support/fleetgen.ts, the simulator driver with 2% failures), served
// by the console as `fleetward run` serves it (a read-only view of the store), and Debian's chromium driven by
// playwright-core. One JSON line per measure:
//
//   setup      the passes that filled the store (devices, ms)
//   index      the server's per-pass index of the device records (built once per pass, on the first request)
//   page       a page from navigation to its figures on screen, index warm: overview, a filtered device list
//              (group + outcome), the next page of it, one device; and the whole-fleet pages (update paths,
//              one release with its forecast), first view (the planner over the fleet) and a second (memoized)
//   api        the JSON sizes the pages fetched
//
// Run: node_modules/.bin/node bench/console.ts [--devices 100000] [--runs 3]
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { createDriver } from '../controller/drivers/index.ts';
import { plan } from '../controller/planner/index.ts';
import { silentLogger } from '../controller/reconciler/log.ts';
import { Reconciler } from '../controller/reconciler/reconciler.ts';
import type { Source } from '../controller/sources/source.ts';
import { SqliteStore } from '../controller/store/sqlite.ts';
import { ManualClock } from '../controller/util/clock.ts';
import { serveConsole } from '../test/support/console-server.ts';
import { BENCH_NOW, benchObjects, generateFleet } from './support/fleetgen.ts';

const { values } = parseArgs({ options: { devices: { type: 'string', default: '100000' }, runs: { type: 'string', default: '3' } } });
const devices = Number(values.devices);
const runs = Number(values.runs);
// The machine is shared: every line says how loaded it was (1-minute load average, per core), and the
// server-side figures come with their CPU time, the steadier measure under contention.
const load = () => +(loadavg()[0]! / availableParallelism()).toFixed(1);
const out = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify({ bench: 'console', devices, ...o, loadPerCore: load() }) + '\n');
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const root = mkdtempSync(join(tmpdir(), 'fw-bench-console-'));
try {
  // 1. The store, as a running installation leaves it: two passes a day apart.
  const t0 = performance.now();
  const { observed } = generateFleet(devices);
  const clock = new ManualClock(BENCH_NOW);
  const driver = createDriver('simulator', {
    simulator: { fleet: { devices: observed.devices, releases: observed.releases }, clock, seed: 1, behaviour: { failureRate: 0.02, offlineRate: 0, busyDuringMeetings: 0, rollbackRate: 0 } },
  });
  const source: Source = { description: 'bench', load: async () => ({ ok: true, revision: { id: 'bench-1', objects: benchObjects() } }), watch: () => {}, close: async () => {} };
  const stateDir = join(root, 'state');
  const store = new SqliteStore(stateDir);
  const reconciler = new Reconciler({ source, driver, store, clock, plan, logger: silentLogger, maxOperationsPerPass: 5000 });
  await reconciler.reconcile();
  clock.advance(86_400_000);
  await reconciler.reconcile();
  out({ case: 'setup', passes: 2, ms: Math.round(performance.now() - t0) });

  // 2. The console over it, and the browser.
  const srv = await serveConsole(stateDir);
  const browser = await chromium.launch({ executablePath: process.env.FLEETWARD_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const t1 = performance.now();
    const c1 = cpuMs();
    const first = await fetch(`${srv.url}api/overview`);
    await first.arrayBuffer();
    out({ case: 'index', ms: Math.round(performance.now() - t1), cpuMs: Math.round(cpuMs() - c1), rssMb: Math.round(process.memoryUsage().rss / 1048576) });
    // The APIs the two timed pages read, server side (index warm).
    for (const path of ['overview', `devices?outcome=waiting&limit=50`, `devices?q=dev-0001`]) {
      const ms: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        const c = cpuMs();
        await (await fetch(`${srv.url}api/${path}`)).arrayBuffer();
        ms.push(Math.round(performance.now() - t));
        cpu.push(Math.round(cpuMs() - c));
      }
      out({ case: 'api', path, medianMs: median(ms), cpuMs: median(cpu) });
    }

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const sizes: Record<string, number> = {};
    page.on('response', async (r) => { if (r.url().includes('/ui/api/')) sizes[new URL(r.url()).pathname.replace('/ui/api/', '').split('/')[0]!] = (await r.body()).length; });
    const overview = await (await fetch(`${srv.url}api/overview`)).json() as { stages: { kind: string; name: string }[]; releases: { component: string; version: string }[] };
    const list = await (await fetch(`${srv.url}api/devices?limit=1`)).json() as { facets: { group: { value: string; devices: number }[] }; items: { id: string }[] };
    const group = [...list.facets.group].sort((a, b) => b.devices - a.devices)[0]!.value;
    const rel = overview.releases[0];
    /** From navigation to `selector` on screen, in ms; `fresh` loads the app anew (else a hash change in the open app). */
    const time = async (hash: string, selector: string, fresh: boolean): Promise<number> => {
      if (fresh) await page.goto('about:blank');
      const s = performance.now();
      if (fresh) await page.goto(`${srv.url}${hash}`);
      else await page.evaluate((h) => { location.hash = h; }, hash);
      await page.waitForSelector(selector, { timeout: 120_000 });
      return Math.round(performance.now() - s);
    };
    const cases: [string, string, string, boolean][] = [
      ['overview (fresh load)', '', '[data-testid="outcome-updated"]', true],
      ['devices filtered by group + outcome (fresh load)', `#/devices?group=${encodeURIComponent(group)}&outcome=waiting`, 'table.devices tbody tr, [data-testid="device-total"]', true],
      // The same two pages reached inside the open app (a click on a link): data and render, without the app's boot.
      ['overview (in the app)', '#/', '[data-testid="outcome-updated"]', false],
      ['devices filtered by group + outcome (in the app)', `#/devices?group=${encodeURIComponent(group)}&outcome=waiting`, 'table.devices tbody tr, [data-testid="device-total"]', false],
      ['devices filtered, next page', `#/devices?group=${encodeURIComponent(group)}&outcome=waiting&offset=50`, 'p[aria-live]:has-text("51–")', false],
      ['devices search by name', '#/devices?q=dev-0001', '[data-testid="device-total"]', false],
      ['device', `#/device/${encodeURIComponent(list.items[0]!.id)}`, '#h-components', false],
    ];
    for (const [name, hash, selector, fresh] of cases) {
      const ms: number[] = [];
      for (let i = 0; i < runs; i++) {
        if (!fresh) { await page.evaluate(() => { location.hash = '#/nowhere'; }); await page.waitForSelector('h1:has-text("Not found")'); }
        ms.push(await time(hash, selector, fresh));
      }
      out({ case: 'page', page: name, medianMs: median(ms), ms, under1s: median(ms) < 1000 });
    }
    // Whole-fleet pages: the planner over the live fleet, once per pass (memoized), then served.
    for (const [name, hash, selector] of [
      ['update paths', '#/paths', 'table.paths, main p:has-text("No active update path")'],
      ...(rel ? [[`release ${rel.component} ${rel.version}`, `#/release/${encodeURIComponent(rel.component)}/${encodeURIComponent(rel.version)}`, '#h-failed']] : []),
    ] as [string, string, string][]) {
      const firstMs = await time(hash, selector, true);
      const againMs = await time(hash, selector, true);
      out({ case: 'page', page: name, firstMs, againMs });
    }
    out({ case: 'bytes', bytes: sizes });
    await context.close();
  } finally {
    await browser.close();
    await srv.close();
    await store.close();
    await driver.close?.();
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
