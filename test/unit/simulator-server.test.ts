// The simulator's Graph-shaped HTTP API (seed 003): status codes, Graph error bodies, paging, health,
// idempotent retries by client-request-id, injected faults, mounted routes, and the CLI that serves it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FleetDevice, FleetFile } from '../../controller/api/types.ts';
import { ManualClock } from '../../controller/util/clock.ts';
import { Simulator } from '../../controller/drivers/simulator/simulator.ts';
import { startSimulatorServer, type FaultOptions, type RouteDefinition } from '../../controller/drivers/simulator/server.ts';
import { GraphDriver } from '../../controller/drivers/graph/driver.ts';
import type { DriverError } from '../../controller/drivers/driver.ts';

const TOKEN = 'server-test-token';
const ROOT = join(import.meta.dirname, '..', '..');

function aPhone(id: string): FleetDevice {
  return { id, deviceType: 'ipPhone', manufacturer: 'Yealink', model: 'MP54', timeZone: 'Europe/Paris', macAddress: '00-15-65-12-34-56', software: { firmware: '122.15.0.36', teamsClient: '1449.1.0.9' } };
}
const FLEET: FleetFile = {
  devices: ['p1', 'p2', 'p3', 'p4', 'p5'].map(aPhone),
  releases: [
    { component: 'firmware', version: '122.15.0.58', models: ['MP54'], releasedAt: '2026-10-01T00:00:00Z', label: 'verified' },
    { component: 'firmware', version: '122.15.0.70', models: ['MP54'], releasedAt: '2026-11-01T00:00:00Z', label: 'preview' },
    { component: 'teamsClient', version: '1449.1.0.9', releasedAt: '2026-10-01T00:00:00Z', label: 'verified' },
    { component: 'teamsClient', version: '1449.1.0.7', releasedAt: '2026-08-01T00:00:00Z', label: 'verified' },
  ],
};

async function withServer(fn: (s: { url: string; sim: Simulator; clock: ManualClock; call: typeof call }) => Promise<void>, faults?: FaultOptions, routes?: RouteDefinition[]) {
  const clock = new ManualClock('2026-11-23T02:00:00Z');
  const sim = new Simulator({ fleet: structuredClone(FLEET), clock, seed: 1, behaviour: { failureRate: 0, offlineRate: 0, busyDuringMeetings: 0, rollbackRate: 0, installDuration: '30m' } });
  const server = await startSimulatorServer({ simulator: sim, token: TOKEN, ...(faults ? { faults } : {}), ...(routes ? { routes } : {}) });
  try {
    await fn({ url: server.url, sim, clock, call: (m, p, o) => call(m, p.startsWith('http') ? p : server.url + p, o) });
  } finally {
    await server.close();
  }
}

async function call(method: string, url: string, o: { body?: string; token?: string | null; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.token !== null) headers.authorization = `Bearer ${o.token ?? TOKEN}`;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method, headers, ...(o.body !== undefined ? { body: o.body } : {}) });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

const update = (version = '122.15.0.58', softwareType = 'firmware') => JSON.stringify({ softwareType, softwareVersion: version });
const DEVICES = '/beta/teamwork/devices';

test('a request without the bearer token, or with another, is 401 and changes nothing', () => withServer(async ({ call, sim }) => {
  for (const token of [null, 'wrong-token']) {
    const r = await call('POST', `${DEVICES}/p1/updateSoftware`, { body: update(), token });
    assert.is(r.status, 401);
    assert.is(r.json.error.code, 'InvalidAuthenticationToken');
  }
  assert.is((await call('GET', DEVICES, { token: null })).status, 401);
  assert.equal(sim.operations(), []);
}));

test('updateSoftware answers 202 with the Location of a queued teamworkDeviceOperation', () => withServer(async ({ call }) => {
  const r = await call('POST', `${DEVICES}/p1/updateSoftware`, { body: update() });
  assert.is(r.status, 202);
  const location = r.headers.get('location')!;
  assert.match(location, /\/beta\/teamwork\/devices\/p1\/operations\/[0-9a-f-]{36}$/);
  const op = await call('GET', location);
  assert.is(op.status, 200);
  assert.is(op.json.operationType, 'softwareUpdate');
  assert.is(op.json.status, 'queued');
  assert.is(op.json.startedDateTime, null);
  assert.is(op.json.error, null);
  assert.is(op.json.createdDateTime, '2026-11-23T02:00:00.000Z');
}));

test('a second updateSoftware while one is queued is 409 Conflict and adds no operation', () => withServer(async ({ call, sim }) => {
  await call('POST', `${DEVICES}/p1/updateSoftware`, { body: update() });
  const again = await call('POST', `${DEVICES}/p1/updateSoftware`, { body: update('1449.1.0.9', 'teamsClient') });
  assert.is(again.status, 409);
  assert.is(again.json.error.code, 'Conflict');
  assert.is(sim.operations('p1').length, 1);
}));

test('an unknown softwareType is 400 with a Graph error naming the valid ones, and starts nothing', () => withServer(async ({ call, sim }) => {
  const r = await call('POST', `${DEVICES}/p1/updateSoftware`, { body: update('1.0', 'bios') });
  assert.is(r.status, 400);
  assert.is(r.json.error.code, 'BadRequest');
  assert.match(r.json.error.message, /"bios" is not valid; valid types are: teamsClient, firmware, adminAgent/);
  assert.equal(sim.operations(), []);
}));

test('malformed JSON, a missing version and a non-object body are 400 and start nothing', () => withServer(async ({ call, sim }) => {
  for (const body of ['{"softwareType": "firmware",', JSON.stringify({ softwareType: 'firmware' }), '[1,2]', '"firmware"']) {
    const r = await call('POST', `${DEVICES}/p1/updateSoftware`, { body });
    assert.is(r.status, 400, body);
    assert.type(r.json.error.message, 'string');
  }
  assert.equal(sim.operations(), []);
}));

test('a version the tenant would refuse is 400 with the refusal as the error code; the graph driver asks once and reports it', () => withServer(async ({ call, sim, url }) => {
  const r = await call('POST', `${DEVICES}/p1/updateSoftware`, { body: update('122.15.0.99') });
  assert.is(r.status, 400);
  assert.is(r.json.error.code, 'VersionNotReleased');
  assert.is(r.json.error.message, 'firmware 122.15.0.99 is not released for Yealink MP54; released versions: 122.15.0.58, 122.15.0.70');
  const driver = new GraphDriver({ baseUrl: url, token: TOKEN });
  try {
    await driver.startUpdate({ deviceId: 'p2', component: 'teamsClient', version: '1449.1.0.7' });
    assert.unreachable('a downgrade is refused');
  } catch (err) {
    assert.is((err as DriverError).code, 'VersionRefused');
    assert.is((err as DriverError).refusal, 'DowngradeRefused');
    assert.is((err as Error).message, 'update teamsClient on p2: refused: DowngradeRefused: teamsClient 1449.1.0.7 is older than the installed 1449.1.0.9 on p2: updates never downgrade (a factory reset is the way back)');
  } finally {
    await driver.close();
  }
  assert.is(driver.stats.requests, 1, 'a refusal is final: not retried');
  assert.equal(sim.operations(), []);
}));

test('the start deadline travels in the Fleetward-Start-By header; strict Graph mode ignores it like a tenant', async () => {
  for (const strictGraph of [false, true]) {
    const clock = new ManualClock('2026-11-23T02:00:00Z');
    const sim = new Simulator({ fleet: structuredClone(FLEET), clock, seed: 1, behaviour: { failureRate: 0, offlineRate: 0, busyDuringMeetings: 0, rollbackRate: 0, installDuration: '30m', queueDelay: '2h' } });
    const server = await startSimulatorServer({ simulator: sim, token: TOKEN, strictGraph });
    const driver = new GraphDriver({ baseUrl: server.url, token: TOKEN });
    try {
      const started = await driver.startUpdate({ deviceId: 'p1', component: 'firmware', version: '122.15.0.58', startBy: '2026-11-23T03:00:00.000Z' });
      assert.ok(started.accepted);
      clock.advance(3 * 3_600_000);
      const [op] = sim.operations('p1');
      if (strictGraph) {
        assert.is(op?.status, 'successful', 'a back end that cannot cancel runs it late');
        assert.is(op?.startedAt, '2026-11-23T04:00:00.000Z');
      } else {
        assert.is(op?.status, 'cancelled');
        assert.is(op?.error?.code, 'WindowMissed');
        assert.is(op?.completedAt, '2026-11-23T03:00:00.000Z');
      }
    } finally {
      await driver.close();
      await server.close();
    }
  }
});

test('an unknown device is 404 for reads and actions', () => withServer(async ({ call }) => {
  for (const [m, p] of [['GET', `${DEVICES}/nope`], ['GET', `${DEVICES}/nope/health`], ['GET', `${DEVICES}/nope/operations`], ['POST', `${DEVICES}/nope/updateSoftware`], ['POST', `${DEVICES}/nope/runDiagnostics`]] as const) {
    const r = await call(m, p, m === 'POST' ? { body: update() } : {});
    assert.is(r.status, 404, `${m} ${p}`);
    assert.is(r.json.error.code, 'NotFound');
  }
  assert.is((await call('DELETE', DEVICES)).status, 405);
  assert.is((await call('GET', `${DEVICES}/%E0%A4%A`)).status, 400, 'malformed percent-encoding is a bad request, not a crash');
}));

test('devices are paged with $top and @odata.nextLink until every device was listed once', () => withServer(async ({ call, sim }) => {
  const ids: string[] = [];
  let next: string | undefined = `${DEVICES}?$top=2`;
  let pages = 0;
  while (next) {
    const r = await call('GET', next);
    assert.is(r.status, 200);
    assert.ok(r.json.value.length <= 2);
    ids.push(...r.json.value.map((d: { id: string }) => d.id));
    next = r.json['@odata.nextLink'];
    pages++;
  }
  assert.is(pages, 3);
  assert.equal(ids, ['p1', 'p2', 'p3', 'p4', 'p5']);
  assert.is((await call('GET', `${DEVICES}?$top=0`)).status, 400);
  await sim.addDevice(aPhone('p6'));
  assert.equal((await call('GET', `${DEVICES}?$top=999`)).json.value.map((d: { id: string }) => d.id), ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'], 'a device added at run time is listed');
  assert.is((await call('GET', `${DEVICES}?$top=abc`)).status, 400);
}));

test('every device\'s operations are paged too, each listed once', () => withServer(async ({ call }) => {
  for (const id of ['p1', 'p2', 'p3', 'p4', 'p5']) await call('POST', `${DEVICES}/${id}/updateSoftware`, { body: update() });
  const ids: string[] = [];
  let next: string | undefined = '/beta/fleetward/operations?$top=2';
  while (next) {
    const r = await call('GET', next);
    ids.push(...r.json.value.map((o: { fleetward: { deviceId: string } }) => o.fleetward.deviceId));
    next = r.json['@odata.nextLink'];
  }
  assert.equal(ids, ['p1', 'p2', 'p3', 'p4', 'p5']);
}));

test('a device reads as a teamworkDevice with its hardware detail', () => withServer(async ({ call }) => {
  const r = await call('GET', `${DEVICES}/p1`);
  assert.is(r.json.deviceType, 'ipPhone');
  assert.equal(r.json.hardwareDetail.macAddresses, ['00-15-65-12-34-56']);
  assert.is(r.json.hardwareDetail.model, 'MP54');
  assert.is(r.json.activityState, 'idle');
  assert.is(r.json.fleetward.timeZone, 'Europe/Paris');
}));

test('health reports per component the current and newest verified version and its freshness', () => withServer(async ({ call, clock }) => {
  const before = await call('GET', `${DEVICES}/p1/health`);
  assert.equal(before.json.softwareUpdateHealth.firmwareSoftwareUpdateStatus, { currentVersion: '122.15.0.36', availableVersion: '122.15.0.58', softwareFreshness: 'updateAvailable' });
  assert.is(before.json.softwareUpdateHealth.teamsClientSoftwareUpdateStatus.softwareFreshness, 'latest');
  assert.is(before.json.connection.connectionStatus, 'connected');
  await call('POST', `${DEVICES}/p1/updateSoftware`, { body: update() });
  clock.advance(3_600_000);
  const after = await call('GET', `${DEVICES}/p1/health`);
  assert.is(after.json.softwareUpdateHealth.firmwareSoftwareUpdateStatus.softwareFreshness, 'latest');
  const listed = await call('GET', `${DEVICES}?$expand=health`);
  assert.is(listed.json.value[0].health.softwareUpdateHealth.firmwareSoftwareUpdateStatus.currentVersion, '122.15.0.58');
}));

test('a POST repeated with the same client-request-id gets the first answer and no second operation', () => withServer(async ({ call, sim }) => {
  const headers = { 'client-request-id': 'retry-1' };
  const a = await call('POST', `${DEVICES}/p2/updateSoftware`, { body: update(), headers });
  const b = await call('POST', `${DEVICES}/p2/updateSoftware`, { body: update(), headers });
  assert.is(a.status, 202);
  assert.is(b.status, 202);
  assert.is(b.headers.get('location'), a.headers.get('location'));
  assert.is(sim.operations('p2').length, 1);
  assert.is((await call('POST', `${DEVICES}/p2/updateSoftware`, { body: update(), headers: { 'client-request-id': 'other' } })).status, 409);
  const [c, d] = await Promise.all([1, 2].map(() => call('POST', `${DEVICES}/p3/updateSoftware`, { body: update(), headers: { 'client-request-id': 'racing' } })));
  assert.equal([c!.status, d!.status], [202, 202], 'a retry racing the first request gets its answer too');
  assert.is(c!.headers.get('location'), d!.headers.get('location'));
  assert.is(sim.operations('p3').length, 1);
}));

test('diagnostics answer 202 and their logs link serves log text', () => withServer(async ({ call, clock }) => {
  const r = await call('POST', `${DEVICES}/p3/runDiagnostics`);
  assert.is(r.status, 202);
  assert.is(r.json.operationType, 'deviceDiagnostics');
  clock.advance(3_600_000);
  const logs = await call('GET', r.json.fleetward.logsUrl);
  assert.is(logs.status, 200);
  assert.match(logs.headers.get('content-type')!, /text\/plain/);
  assert.match(logs.text, /diagnostics .* requested for p3/);
  assert.is((await call('GET', `/beta/fleetward/logs/nope`)).status, 404);
}));

test('the release catalog and the clock are served under /beta/fleetward', () => withServer(async ({ call }) => {
  assert.is((await call('GET', '/beta/fleetward/releases')).json.value.length, 4);
  assert.is((await call('GET', '/beta/fleetward/clock')).json.now, '2026-11-23T02:00:00.000Z');
}));

test('an injected 429 carries Retry-After and changes nothing', () => withServer(async ({ call, sim }) => {
  const r = await call('POST', `${DEVICES}/p1/updateSoftware`, { body: update() });
  assert.is(r.status, 429);
  assert.is(r.headers.get('retry-after'), '3');
  assert.equal(sim.operations(), []);
}, { rate429: 1, retryAfterSeconds: 3 }));

test('an injected 5xx answers a Graph error and changes nothing', () => withServer(async ({ call, sim }) => {
  const r = await call('POST', `${DEVICES}/p1/updateSoftware`, { body: update() });
  assert.ok([500, 502, 503, 504].includes(r.status));
  assert.type(r.json.error.code, 'string');
  assert.equal(sim.operations(), []);
}, { rate5xx: 1 }));

test('a slow answer has already acted: the operation exists even if the client gave up', () => withServer(async ({ url, sim }) => {
  const res = await fetch(`${url}${DEVICES}/p4/updateSoftware`, {
    method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: update(), signal: AbortSignal.timeout(50),
  }).catch((err: Error) => err);
  assert.instance(res, Error);
  // The server acts, then waits before answering: wait for it to have acted (a loaded machine is slow).
  for (let i = 0; i < 200 && sim.operations('p4').length === 0; i++) await new Promise((r) => setTimeout(r, 25));
  assert.is(sim.operations('p4').length, 1);
}, { slowMs: 400 }));

test('mounted routes answer before the built-in ones, may be public, and fall through with undefined', () => withServer(async ({ call }) => {
  const r = await call('POST', '/beta/teamwork/provisioning/devices/AA/activate', { token: null, body: '{"code":"x"}' });
  assert.is(r.status, 200);
  assert.equal(r.json, { path: '/beta/teamwork/provisioning/devices/AA/activate', code: 'x' });
  assert.is((await call('GET', '/beta/teamwork/provisioning/devices', { token: null })).status, 401, 'the prefix route is not public');
  assert.is((await call('GET', '/beta/teamwork/provisioning/devices')).status, 404, 'undefined falls through to 404');
}, undefined, [
  { method: 'POST', path: '/beta/teamwork/provisioning/devices/:mac/activate', public: true, handler: (ctx) => ({ status: 200, body: { path: ctx.path, code: (ctx.body as { code: string }).code } }) },
  { method: '*', path: '/beta/teamwork/provisioning/*', handler: () => undefined },
]));

test('fleetward simulator serve serves the fleet file until stopped, and refuses bad flags in one line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetward-serve-'));
  try {
    const fleetPath = join(dir, 'fleet.yaml');
    writeFileSync(fleetPath, [
      'devices:',
      '  - { id: p1, deviceType: ipPhone, manufacturer: Yealink, model: MP54, timeZone: Europe/Paris, software: { firmware: 122.15.0.36 } }',
      'releases:',
      '  - { component: firmware, version: 122.15.0.58, releasedAt: "2026-10-01T00:00:00Z", label: verified }',
      '',
    ].join('\n'));
    const behaviourPath = join(dir, 'behaviour.yaml');
    writeFileSync(behaviourPath, 'failurerate: 0.5\n');
    const child = spawn(process.execPath, [join(ROOT, 'controller/cli/main.ts'), 'simulator', 'serve', '--fleet', fleetPath, '--port', '0', '--state', join(dir, 'state'), '--start', '2026-11-23T02:00:00Z'], {
      env: { ...process.env, FLEETWARD_SIMULATOR_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /(http:\/\/\S+)\/beta\/teamwork\/devices/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('close', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
    const r = await call('GET', `${url}${DEVICES}/p1`);
    assert.is(r.status, 200);
    assert.is(r.json.hardwareDetail.model, 'MP54');
    assert.not.match(out, new RegExp(TOKEN), 'the token is never printed');
    const code = await new Promise((resolve) => {
      child.on('close', resolve);
      child.kill('SIGTERM');
    });
    assert.is(code, 0);
    for (const [args, message] of [
      [['--fleet', fleetPath, '--token', 't', '--fault-429', '2'], /--fault-429 must be a number from 0 to 1/],
      [['--fleet', fleetPath], /a bearer token is required/],
      [['--fleet', join(dir, 'missing.yaml'), '--token', 't'], /missing\.yaml/],
      [['--fleet', fleetPath, '--token', 't', '--behaviour', behaviourPath], /--behaviour .*behaviour\.yaml: simulator behaviour: unknown setting "failurerate"/],
    ] as const) {
      const res = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const c = spawn(process.execPath, [join(ROOT, 'controller/cli/main.ts'), 'simulator', 'serve', '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, FLEETWARD_SIMULATOR_TOKEN: '' } });
        let stderr = '';
        c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        c.on('close', (code) => resolve({ code, stderr }));
      });
      assert.ok(res.code === 1 || res.code === 2, `exit ${res.code}`);
      assert.match(res.stderr, message);
      assert.not.match(res.stderr, /\n\s+at /, 'no stack trace for bad input');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('$batch answers each GET in its own response, by id, and refuses what Graph refuses', async () => {
  await withServer(async ({ call }) => {
    const batch = (requests: unknown, token?: string | null) => call('POST', '/beta/$batch', { body: JSON.stringify({ requests }), ...(token !== undefined ? { token } : {}) });
    const ok = await batch([
      { id: 'a', method: 'GET', url: '/teamwork/devices/p1/health' },
      { id: 'b', method: 'GET', url: '/teamwork/devices/nope/operations' },
      { id: 'c', method: 'GET', url: '/teamwork/devices/p2/operations' },
    ]);
    assert.is(ok.status, 200);
    const byId = Object.fromEntries(ok.json.responses.map((r: any) => [r.id, r]));
    assert.is(byId.a.status, 200);
    assert.is(byId.a.body.softwareUpdateHealth.firmwareSoftwareUpdateStatus.currentVersion, '122.15.0.36');
    assert.is(byId.b.status, 404);
    assert.is(byId.b.body.error.code, 'NotFound');
    assert.equal(byId.c.body.value, []);

    const tooMany = await batch(Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/teamwork/devices/p1/health' })));
    assert.is(tooMany.status, 400);
    assert.match(tooMany.json.error.message, 'at most 20 requests (got 21)');
    const twice = await batch([{ id: 'x', method: 'GET', url: '/teamwork/devices/p1' }, { id: 'x', method: 'GET', url: '/teamwork/devices/p2' }]);
    assert.is(twice.status, 400);
    assert.match(twice.json.error.message, 'batch request id "x" is used twice');
    const write = await batch([{ id: 'w', method: 'POST', url: '/teamwork/devices/p1/updateSoftware' }]);
    assert.is(write.json.responses[0].status, 400, 'the simulator batches reads only: no update is started inside one');
    assert.is((await call('GET', `${DEVICES}/p1/operations`)).json.value.length, 0);
    assert.is((await batch([{ id: 'a', method: 'GET', url: '/teamwork/devices/p1' }], 'wrong')).status, 401);
  });
});

test.run();
