// The console's HTTP side, without a browser: who may read it (token, session cookie, loopback), the security
// headers on every answer, read-only methods, clear errors for bad queries, no verification code in any
// answer, and `fleetward run` printing the console's URL and serving it.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Console, ConsoleConfigError, SECURITY_HEADERS } from '../../controller/console/http.ts';
import { serveConsole, type ConsoleServer } from '../support/console-server.ts';
import { CLI, demoState, hostileFleet, NODE, ROOT, START, statusJson } from '../support/console-fixture.ts';

const TOKEN = 'console-token-3f9a1c0e7b';
let stateDir: string;
let open: ConsoleServer;
let locked: ConsoleServer;

test.before(async () => {
  stateDir = demoState(3);
  open = await serveConsole(stateDir);
  locked = await serveConsole(stateDir, { token: TOKEN });
});
test.after(async () => { await open?.close(); await locked?.close(); });

function headersOk(res: Response, what: string): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) assert.is(res.headers.get(k), v, `${what}: ${k}`);
}

test('a console on a non-loopback address without a token is refused at start-up', () => {
  assert.throws(() => new Console({ store: () => undefined, host: '0.0.0.0' }), (e: Error) => e instanceof ConsoleConfigError && /needs a token/.test(e.message));
  assert.not.throws(() => new Console({ store: () => undefined, host: '0.0.0.0', token: TOKEN }));
  assert.not.throws(() => new Console({ store: () => undefined, host: '127.0.0.1' }));
});

test('fleetward run --host 0.0.0.0 without a console token exits 2 in one line and writes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetward-console-'));
  const state = join(dir, 'state');
  const r = await runCli(['run', '--config', join(ROOT, 'examples', 'config'), '--fleet', join(ROOT, 'examples', 'fleet.yaml'), '--state-dir', state, '--host', '0.0.0.0', '--port', '0', '--once']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /--host 0\.0\.0\.0: the console on a non-loopback address needs a token: --console-token-file FILE/);
  assert.is(existsSync(state), false);
});

test('with a token: API and pages refuse without it, answer with the bearer token or the session cookie from the login form', async () => {
  const base = locked.url;
  const no = await fetch(`${base}api/overview`);
  assert.is(no.status, 401);
  assert.match(((await no.json()) as { error: string }).error, /authentication required/);
  assert.is((await fetch(`${base}api/overview`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  const page = await fetch(base, { redirect: 'manual' });
  assert.is(page.status, 303);
  assert.is(page.headers.get('location'), '/ui/login');
  const yes = await fetch(`${base}api/overview`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.is(yes.status, 200);
  assert.is(((await yes.json()) as { devices: number }).devices, 196);

  const wrong = await fetch(`${base}login`, { method: 'POST', body: new URLSearchParams({ token: 'nope' }), redirect: 'manual' });
  assert.is(wrong.status, 401);
  assert.match(await wrong.text(), /That token is not the console token/);
  const login = await fetch(`${base}login`, { method: 'POST', body: new URLSearchParams({ token: TOKEN }), redirect: 'manual' });
  assert.is(login.status, 303);
  const cookie = login.headers.get('set-cookie')!;
  assert.match(cookie, /^fleetward_console=[\w-]+; Path=\/ui; HttpOnly; SameSite=Strict$/);
  assert.not.match(cookie, new RegExp(TOKEN));
  const session = cookie.split(';')[0]!;
  assert.is((await fetch(`${base}api/overview`, { headers: { cookie: session } })).status, 200);
  assert.is((await fetch(base, { headers: { cookie: session } })).status, 200);
  // The session is not a bearer token.
  assert.is((await fetch(`${base}api/overview`, { headers: { authorization: `Bearer ${session.split('=')[1]}` } })).status, 401);
  const out = await fetch(`${base}logout`, { method: 'POST', headers: { cookie: session }, redirect: 'manual' });
  assert.match(out.headers.get('set-cookie')!, /Max-Age=0/);
});

test('every answer carries the security headers; the page loads no inline script and nothing from elsewhere', async () => {
  const base = open.url;
  const index = await fetch(base);
  headersOk(index, 'index');
  const html = await index.text();
  assert.not.match(html, /<script>|<script [^>]*>[^<]/);
  assert.not.match(html, /https?:\/\//);
  const js = html.match(/src="([^"]+)"/)![1]!;
  const asset = await fetch(new URL(js, base));
  headersOk(asset, 'asset');
  assert.is(asset.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.not.match(await asset.text(), /https?:\/\/(?!www\.w3\.org)[a-z0-9.-]+\.[a-z]{2,}\/[\w/.-]*\.(js|css|woff2?)/);
  headersOk(await fetch(`${base}api/overview`), 'api');
  headersOk(await fetch(`${base}login`), 'login');
  headersOk(await fetch(`${base}nothing-here`), '404');
});

test('read-only: anything but GET is refused, and the store is not written', async () => {
  const before = readFileSync(join(stateDir, 'fleetward.db'));
  const r = await fetch(`${open.url}api/overview`, { method: 'POST', body: '{}' });
  assert.is(r.status, 405);
  assert.is(r.headers.get('allow'), 'GET');
  assert.ok(readFileSync(join(stateDir, 'fleetward.db')).equals(before));
});

test('bad queries and unknown things are clear errors', async () => {
  const bad = await fetch(`${open.url}api/devices?outcome=happy`);
  assert.is(bad.status, 400);
  assert.is(((await bad.json()) as { error: string }).error, 'outcome=happy: expected one of rolledBack, held, failed, windowMissed, inProgress, waiting, updated');
  const neg = await fetch(`${open.url}api/devices?offset=-3`);
  assert.is(((await neg.json()) as { error: string }).error, 'offset=-3: expected a whole number');
  const none = await fetch(`${open.url}api/devices/no-such-device`);
  assert.is(none.status, 404);
  assert.is(((await none.json()) as { error: string }).error, 'device "no-such-device" is not in the state store');
  const rel = await fetch(`${open.url}api/releases/firmware/0.0.1`);
  assert.is(rel.status, 404);
  assert.is(((await rel.json()) as { error: string }).error, "release firmware@0.0.1 is not in the last pass's release list");
  const big = await (await fetch(`${open.url}api/devices?limit=100000`)).json() as { limit: number; items: unknown[] };
  assert.is(big.limit, 200);
  assert.is(big.items.length, 196 > 200 ? 200 : 196);
});

test('the provisioning page shows states and code expiry, never a code nor its hash', async () => {
  const body = await (await fetch(`${open.url}api/provisioning`)).text();
  const data = JSON.parse(body) as { batches: { devices: { codeExpiresAt?: string; state: string }[] }[] };
  assert.ok(data.batches.length > 0);
  assert.ok(data.batches.some((b) => b.devices.some((d) => d.codeExpiresAt)));
  assert.not.match(body, /codeHash|"code"/);
  // The same batches and states as `fleetward status -o json`.
  const st = statusJson(stateDir).provisioning;
  assert.equal(data.batches.map((b) => (b as unknown as { batch: string }).batch), st.map((b) => b.batch));
  assert.equal(data.batches.map((b) => b.devices.map((d) => d.state)), st.map((b) => b.devices.map((d) => d.state)));
  // The codes the run issued are in its secrets folder: none of them is in the answer.
  const secrets = join(stateDir, 'provisioning', 'secrets');
  const codes = readdirSync(secrets).flatMap((f) => Object.values(JSON.parse(readFileSync(join(secrets, f), 'utf8')) as Record<string, { code: string }>).map((e) => e.code));
  assert.ok(codes.length > 0);
  for (const c of codes) assert.not.ok(body.includes(c), 'a code leaked');
});

test('fleetward run prints the console URL and serves it while the fleet rolls out; the token is never logged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetward-console-'));
  const fleet = hostileFleet(dir);
  writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
  const child = spawn(NODE, [CLI, 'run', '--config', join(ROOT, 'examples', 'config'), '--driver', 'simulator', '--fleet', fleet,
    '--state-dir', join(dir, 'state'), '--start', START, '--speed', '259200', '--clock', 'stepped', '--interval', '6h', '--for', '200d',
    '--port', '0', '--progress', '1s', '--log-file', join(dir, 'run.log'), '--log-level', 'debug', '--console-token-file', join(dir, 'token')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no console URL printed:\n${out}`)), 30_000);
      child.stdout.on('data', () => {
        const m = out.match(/console: +(http:\/\/127\.0\.0\.1:\d+\/ui\/) +\(sign in with the console token\)/);
        if (m) { clearTimeout(timer); resolve(m[1]!); }
      });
    });
    assert.is((await fetch(url, { redirect: 'manual' })).status, 303);
    assert.is((await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    // The first pass may still be running: the overview answers once it is recorded.
    let devices = 0;
    for (let i = 0; i < 100 && devices === 0; i++) {
      const r = await fetch(`${url}api/overview`, { headers: { authorization: `Bearer ${TOKEN}` } });
      if (r.ok) devices = ((await r.json()) as { devices: number }).devices;
      if (!devices) await new Promise((res) => setTimeout(res, 200));
    }
    assert.is(devices, 196);
  } finally {
    child.kill('SIGINT');
    await new Promise((res) => child.once('close', res));
  }
  assert.not.match(out + readFileSync(join(dir, 'run.log'), 'utf8'), new RegExp(TOKEN));
});

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(NODE, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test.run();
