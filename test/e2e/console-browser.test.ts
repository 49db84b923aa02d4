// The admin console in a real browser (Debian's chromium driven by playwright-core): every page reached by
// navigation, the figures equal to `fleetward status -o json` for the same store, keyboard navigation, an
// axe-core scan without serious or critical violations, a script-injection attempt through a device name,
// and screenshots at desktop and phone widths (test/artifacts/console/, gitignored). The store is the demo
// fleet run by the real CLI from a pinned simulated start; the browser's clock is pinned too. About a minute on
// a quiet machine (the fixture's 8 simulated days of passes, then ~20 page loads in one chromium); longer when
// the machine is loaded, as every suite that starts real processes.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { serveConsole, type ConsoleServer } from '../support/console-server.ts';
import { demoState, HOSTILE_ID, HOSTILE_NAME, ROOT, statusJson } from '../support/console-fixture.ts';

const CHROMIUM = process.env.FLEETWARD_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'test', 'artifacts', 'console');
const PINNED = new Date('2026-12-01T09:00:00Z');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let stateDir: string;
let srv: ConsoleServer;
let browser: Browser;
let status: ReturnType<typeof statusJson>;
const problems: string[] = [];

async function newPage(viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  await context.clock.setFixedTime(PINNED);
  const page = await context.newPage();
  // Anything the CSP blocks, a script error, or a request leaving the console's origin is a failure.
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); void d.dismiss(); });
  page.on('request', (r) => { if (!r.url().startsWith(srv.url.replace(/\/ui\/$/, ''))) problems.push(`request off origin: ${r.url()}`); });
  return { context, page };
}

async function heading(page: Page): Promise<string> {
  await page.waitForSelector('h1');
  await page.waitForFunction(() => !document.querySelector('.loading'));
  return (await page.textContent('h1'))!.trim();
}

const num = (s: string | null) => Number((s ?? '').replace(/[^0-9]/g, ''));

test.before(async () => {
  stateDir = demoState(8);
  status = statusJson(stateDir);
  srv = await serveConsole(stateDir);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  mkdirSync(ARTIFACTS, { recursive: true });
});

test.after(async () => {
  await browser?.close();
  await srv?.close();
});

test('the overview shows the same devices per outcome and per stage as `fleetward status -o json`', async () => {
  const { context, page } = await newPage();
  await page.goto(srv.url);
  assert.is(await heading(page), 'Overview');
  const sum = (k: string) => status.run.summary.stages.reduce((n, s) => n + Number(s[k] ?? 0), 0);
  for (const k of ['updated', 'inProgress', 'waiting', 'failed', 'held']) {
    assert.is(num(await page.textContent(`[data-testid="outcome-${k}"]`)), sum(k), k);
  }
  for (const s of status.run.summary.stages) {
    const row = page.locator(`[data-testid="stage-${s.kind}-${s.name}"]`);
    assert.is(num(await row.locator('td').first().textContent()), s.devices, `${s.kind} ${s.name}`);
  }
  // The releases in progress (seed-001 state InProgress, Paused or Scheduled), the paused first, each in the state status gives.
  const moving = status.run.releases.filter((x) => ['InProgress', 'Paused', 'Scheduled'].includes(x.state));
  const rows = page.locator('table.releases tbody tr');
  const shown = await rows.count();
  assert.is(shown, Math.min(8, moving.length));
  if (moving.length > shown) assert.ok((await page.textContent('#h-releases ~ p'))!.includes(`${shown} of ${moving.length} in progress shown`));
  for (let i = 0; i < shown; i++) {
    const text = (await rows.nth(i).textContent())!;
    const r = moving.find((x) => text.startsWith(`${x.component} ${x.version}`))!;
    assert.ok(r, text);
    assert.ok(text.includes(r.state.replace(/([a-z])([A-Z])/g, '$1 $2')), `${r.component} ${r.version} ${r.state}`);
    if (i === 0 && moving.some((x) => x.state === 'Paused')) assert.is(r.state, 'Paused');
  }
  await context.close();
});

test('navigation reaches every page: overview → release → device → devices → update paths → provisioning', async () => {
  const { context, page } = await newPage();
  await page.goto(srv.url);
  await heading(page);
  const first = page.locator('table.releases tbody th a').first();
  const releaseName = (await first.textContent())!.trim();
  await first.click();
  assert.is(await heading(page), releaseName);
  await page.waitForSelector('.chart canvas');
  assert.ok(await page.isVisible('text=Forecast and what happened'));
  await page.click('nav[aria-label="Console"] >> text=Releases');
  assert.is(await heading(page), 'Releases');
  assert.is(await page.locator('table.releases tbody tr').count(), status.run.releases.length);
  await page.click('nav[aria-label="Console"] >> text=Devices');
  assert.is(await heading(page), 'Devices');
  assert.is(num(await page.textContent('[data-testid="device-total"]')), status.devices.length);
  await page.locator('table.devices tbody th a').first().click();
  const deviceTitle = await heading(page);
  assert.ok(deviceTitle.length > 0);
  assert.ok(await page.isVisible('text=Components: why not updated, and when'));
  await page.click('nav[aria-label="Console"] >> text=Update paths');
  assert.is(await heading(page), 'Update paths');
  assert.ok(await page.locator('table.paths tbody tr').count() > 0);
  await page.click('nav[aria-label="Console"] >> text=Provisioning');
  assert.is(await heading(page), 'Provisioning');
  for (const b of status.provisioning) assert.ok(await page.isVisible(`h2:has-text("${b.batch}")`), b.batch);
  await context.close();
});

test('filtering devices by group and by outcome gives the counts status gives, and pages through them', async () => {
  const { context, page } = await newPage();
  const group = status.objects.find((o) => o.kind === 'DeviceGroup' && (o.devices ?? 0) > 50)!;
  await page.goto(`${srv.url}#/devices?group=${encodeURIComponent(group.name)}`);
  await heading(page);
  assert.is(num(await page.textContent('[data-testid="device-total"]')), group.devices);
  assert.is(await page.locator('table.devices tbody tr').count(), 50);
  await page.click('a[rel="next"]');
  await page.waitForFunction(() => document.querySelector('main p[aria-live]')?.textContent?.includes('51–'));
  await page.selectOption('#f-outcome', 'held');
  await page.waitForFunction(() => location.hash.includes('outcome=held'));
  await page.waitForFunction(() => !document.querySelector('.loading'));
  const held = num(await page.textContent('[data-testid="device-total"]'));
  const api = await (await fetch(`${srv.url}api/devices?group=${encodeURIComponent(group.name)}&outcome=held`)).json() as { total: number };
  assert.is(held, api.total);
  await context.close();
});

test('a device name carrying markup is shown as text: no script runs, no element is injected', async () => {
  const { context, page } = await newPage();
  await page.goto(`${srv.url}#/devices?q=${HOSTILE_ID}`);
  await heading(page);
  const link = page.locator('table.devices tbody th a').first();
  assert.is((await link.textContent())!.trim(), HOSTILE_NAME);
  await link.click();
  assert.is(await heading(page), HOSTILE_NAME);
  assert.is(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
  assert.is(await page.locator('main img').count(), 0);
  assert.is(await page.locator('main script').count(), 0);
  await context.close();
});

test('the keyboard reaches everything: skip link, navigation, filters, and focus moves to the new page', async () => {
  const { context, page } = await newPage();
  await page.goto(srv.url);
  await heading(page);
  await page.keyboard.press('Tab');
  assert.is(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
  // On through the navigation to "Devices" (after Overview and Releases), and follow it with Enter.
  for (let i = 0; i < 3; i++) await page.keyboard.press('Tab');
  assert.is(await page.evaluate(() => document.activeElement?.textContent), 'Devices');
  await page.keyboard.press('Enter');
  assert.is(await heading(page), 'Devices');
  await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
  await page.keyboard.press('Tab');
  assert.is(await page.evaluate(() => document.activeElement?.id), 'f-q');
  await page.keyboard.type(HOSTILE_ID);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.hash.includes('q='));
  assert.is(num(await page.textContent('[data-testid="device-total"]')), 1);
  // The skip link takes the focus past the navigation, to the page's heading.
  await page.goto(srv.url);
  await heading(page);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  assert.is(await page.evaluate(() => document.activeElement?.tagName), 'H1');
  await context.close();
});

const PAGES: [string, string][] = [
  ['overview', ''], ['releases', '#/releases'], ['devices', '#/devices'], ['device', '#/device/lon-room-002'], ['paths', '#/paths'], ['provisioning', '#/provisioning'],
];

test('axe-core finds no serious or critical accessibility violation on any page', async () => {
  const { context, page } = await newPage();
  const releaseLink = await (async () => { await page.goto(srv.url); await heading(page); return page.locator('table.releases tbody th a').first().getAttribute('href'); })();
  for (const [name, hash] of [...PAGES, ['release', releaseLink!] as [string, string]]) {
    await page.goto(`${srv.url}${hash}`);
    await heading(page);
    // Evaluated through the DevTools protocol, not injected as a <script>: the console's CSP stays on.
    const violations = await page.evaluate(`(() => { ${axeSource}; return axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id + ': ' + v.help + ' (' + v.nodes.length + ')')); })()`) as string[];
    assert.equal(violations, [], name);
  }
  await context.close();
});

test('screenshots at desktop and phone widths (test/artifacts/console/)', async () => {
  for (const [label, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]] as const) {
    const { context, page } = await newPage(viewport);
    await page.goto(srv.url);
    await heading(page);
    const releaseLink = await page.locator('table.releases tbody th a').first().getAttribute('href');
    for (const [name, hash] of [...PAGES, ['release', releaseLink!] as [string, string]]) {
      await page.goto(`${srv.url}${hash}`);
      await heading(page);
      if (name === 'release') await page.waitForSelector('.chart canvas');
      const file = join(ARTIFACTS, `${name}-${label}.png`);
      await page.screenshot({ path: file, fullPage: true });
      // Nothing wider than the screen but the tables that scroll inside their own box.
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), `${name} at ${label} width is wider than the screen`);
      assert.ok(readFileSync(file).length > 1000, file);
    }
    await context.close();
  }
});

test('no page logged an error, tripped the CSP, opened a dialog or fetched from another origin', () => {
  assert.equal(problems, []);
});

test.run();
