// The provisioning routes of the simulator's Graph-shaped server and the graph driver's ProvisioningDriver
// over them, on real HTTP: admin routes need the token, the device's activation does not; refusals carry
// Graph error bodies and a lock-out carries Retry-After; bad input changes nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FleetFile } from '../../controller/api/types.ts';
import { ManualClock } from '../../controller/util/clock.ts';
import { Simulator } from '../../controller/drivers/simulator/simulator.ts';
import { startSimulatorServer } from '../../controller/drivers/simulator/server.ts';
import { GraphDriver } from '../../controller/drivers/graph/driver.ts';
import { provisioningRoutes, SIMULATOR_PROVISIONING_PATH } from '../../controller/drivers/simulator/provisioning-routes.ts';
import { PROVISIONING_PATH } from '../../controller/drivers/graph/provisioning.ts';
import { generateCode } from '../../controller/provisioning/codes.ts';
import { hashCode } from '../../controller/drivers/code-verifier.ts';

const TOKEN = 'provisioning-http-token';
const MAC = 'AA-BB-CC-20-00-01';
const OLD = 'AA-BB-CC-20-00-02';

const fleet: FleetFile = {
  devices: [
    { id: 'p1', macAddress: 'aa:bb:cc:20:00:01', deviceType: 'ipPhone', manufacturer: 'Yealink', model: 'MP54', timeZone: 'UTC', online: true, software: { firmware: '122.15.0.36' } },
    { id: 'p2', macAddress: 'aa:bb:cc:20:00:02', deviceType: 'ipPhone', manufacturer: 'AudioCodes', model: 'C450HD', timeZone: 'UTC', online: true, software: { firmware: '1.10.99' } },
  ],
  releases: [],
};

async function withServer(fn: (ctx: {
  url: string; clock: ManualClock; graph: GraphDriver;
  call: (method: string, path: string, opts?: { token?: string | null; body?: unknown }) => Promise<{ status: number; json: any; headers: Headers }>;
}) => Promise<void>): Promise<void> {
  const clock = new ManualClock('2026-11-23T09:00:00Z');
  const sim = new Simulator({ fleet, clock, behaviour: { offlineRate: 0, busyDuringMeetings: 0 } });
  const server = await startSimulatorServer({ simulator: sim, token: TOKEN, routes: provisioningRoutes(sim.provisioning) });
  const graph = new GraphDriver({ baseUrl: server.url, token: TOKEN, maxRetries: 0 });
  const call = async (method: string, path: string, opts: { token?: string | null; body?: unknown } = {}) => {
    const token = opts.token === undefined ? TOKEN : opts.token;
    const res = await fetch(server.url + path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(opts.body !== undefined ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
  try {
    await fn({ url: server.url, clock, graph, call });
  } finally {
    await server.close();
    await sim.close();
  }
}

test('the graph driver registers, lists, signs in and removes devices over HTTP', () => withServer(async ({ graph, call }) => {
  const code = generateCode();
  const rec = await graph.provisioning.register({ macAddress: MAC, location: 'Desk 1', codeHash: await hashCode(code), codeExpiresAt: '2026-11-24T09:00:00Z' });
  assert.equal(rec, {
    macAddress: MAC, state: 'AwaitingActivation', location: 'Desk 1', codeExpiresAt: '2026-11-24T09:00:00Z', poweredOn: true,
    manufacturer: 'Yealink', model: 'MP54', firmwareVersion: '122.15.0.36',
  });
  assert.equal((await graph.provisioning.list()).map((r) => r.macAddress), [MAC]);
  assert.equal(await graph.provisioning.signIn(MAC, 'ada@contoso.com'), { accepted: false, reason: 'NotAwaitingSignIn' });

  const activated = await call('POST', `${PROVISIONING_PATH}/${MAC}/activate`, { token: null, body: { code } });
  assert.is(activated.status, 200);
  assert.is(activated.json.state, 'AwaitingSignIn');
  const signedIn = await graph.provisioning.signIn(MAC, 'ada@contoso.com');
  assert.ok(signedIn.accepted);
  assert.is(signedIn.accepted && signedIn.record.state, 'SignedIn');
  assert.equal(await graph.provisioning.signIn('AA-BB-CC-99-99-99', 'x@contoso.com'), { accepted: false, reason: 'UnknownDevice' });

  await graph.provisioning.unregister(MAC);
  await graph.provisioning.unregister(MAC);
  assert.equal(await graph.provisioning.list(), []);
}));

test('admin routes need the token; the device activation route does not', () => withServer(async ({ call }) => {
  assert.is((await call('GET', PROVISIONING_PATH, { token: null })).status, 401);
  assert.is((await call('GET', PROVISIONING_PATH, { token: 'wrong' })).status, 401);
  assert.is((await call('POST', `${PROVISIONING_PATH}/${MAC}/signIn`, { token: null, body: { user: 'a@b.c' } })).status, 401);
  assert.is((await call('POST', `${SIMULATOR_PROVISIONING_PATH}/${MAC}/powerOn`, { token: null, body: { model: 'T58', firmwareVersion: '1' } })).status, 401);
  const r = await call('POST', `${PROVISIONING_PATH}/${MAC}/activate`, { token: null, body: { code: 'ABCDEFGHJK' } });
  assert.is(r.status, 400);
  assert.is(r.json.error.code, 'WrongCode');
}));

test('five wrong codes answer 400, then 429 with Retry-After until the lock lapses', () => withServer(async ({ graph, call, clock }) => {
  const code = generateCode();
  await graph.provisioning.register({ macAddress: MAC, codeHash: await hashCode(code), codeExpiresAt: '2026-11-24T09:00:00Z' });
  for (let i = 0; i < 5; i++) assert.is((await call('POST', `${PROVISIONING_PATH}/${MAC}/activate`, { token: null, body: { code: generateCode() } })).status, 400);
  const locked = await call('POST', `${PROVISIONING_PATH}/${MAC}/activate`, { token: null, body: { code } });
  assert.is(locked.status, 429);
  assert.is(locked.json.error.code, 'LockedOut');
  assert.is(locked.headers.get('retry-after'), '900');
  assert.is((await graph.provisioning.list())[0]!.state, 'LockedOut');
  clock.advance(15 * 60_000);
  assert.is((await call('POST', `${PROVISIONING_PATH}/${MAC}/activate`, { token: null, body: { code } })).status, 200);
}));

test('an expired code answers 410, old firmware 412 naming the version, and neither counts as activation', () => withServer(async ({ graph, call, clock }) => {
  const code = generateCode();
  const codeHash = await hashCode(code);
  await graph.provisioning.register({ macAddress: MAC, codeHash, codeExpiresAt: '2026-11-24T09:00:00Z' });
  await graph.provisioning.register({ macAddress: OLD, codeHash, codeExpiresAt: '2026-11-24T09:00:00Z' });
  const tooOld = await call('POST', `${PROVISIONING_PATH}/${OLD}/activate`, { token: null, body: { code } });
  assert.is(tooOld.status, 412);
  assert.match(tooOld.json.error.message, /1\.10\.120/);
  clock.set('2026-11-24T09:00:00Z');
  const expired = await call('POST', `${PROVISIONING_PATH}/${MAC}/activate`, { token: null, body: { code } });
  assert.is(expired.status, 410);
  assert.is(expired.json.error.code, 'CodeExpired');
  assert.equal((await graph.provisioning.list()).map((r) => r.state), ['AwaitingActivation', 'AwaitingActivation']);
}));

test('malformed requests are refused with a Graph error and register nothing', () => withServer(async ({ graph, call }) => {
  const cases: [string, string, unknown][] = [
    ['PUT', `${PROVISIONING_PATH}/${MAC}`, { codeHash: 'ABCDEFGHJK', codeExpiresAt: '2026-11-24T09:00:00Z' }],
    ['PUT', `${PROVISIONING_PATH}/${MAC}`, { codeHash: await hashCode('X'), codeExpiresAt: 'tomorrow' }],
    ['PUT', `${PROVISIONING_PATH}/${MAC}`, { codeExpiresAt: '2026-11-24T09:00:00Z' }],
    ['PUT', `${PROVISIONING_PATH}/not-a-mac`, { codeHash: await hashCode('X'), codeExpiresAt: '2026-11-24T09:00:00Z' }],
    ['POST', `${PROVISIONING_PATH}/${MAC}/signIn`, { user: '' }],
    ['POST', `${PROVISIONING_PATH}/${MAC}/activate`, { nope: 1 }],
    ['POST', `${PROVISIONING_PATH}/${MAC}/activate`, '{not json'],
  ];
  for (const [method, path, body] of cases) {
    const r = await call(method, path, { body, token: path.endsWith('/activate') ? null : TOKEN });
    assert.is(r.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
    assert.type(r.json.error.message, 'string');
  }
  assert.equal(await graph.provisioning.list(), []);
  let error: Error | undefined;
  try {
    await graph.provisioning.register({ macAddress: MAC, codeHash: 'plaintext', codeExpiresAt: '2026-11-24T09:00:00Z' });
  } catch (err) {
    error = err as Error;
  }
  assert.is((error as { code?: string } | undefined)?.code, 'InvalidRequest');
}));

test.run();
