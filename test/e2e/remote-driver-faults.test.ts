// The remote driver against a misbehaving out-of-process driver, over real HTTP (a node:http server playing
// the driver): 429 with Retry-After is waited out, a slow driver times out into a clear Unavailable, an answer
// that does not follow the protocol is named as such, a missing token file is a clear error, and the token
// never appears in any of those messages.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DriverError } from '../../controller/drivers/driver.ts';
import { RemoteDriver } from '../../controller/drivers/remote/driver.ts';

const TOKEN = 'remote-faults-token-93ab1';
const dir = mkdtempSync(join(tmpdir(), 'fw-remote-faults-'));
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, TOKEN + '\n');

const DEVICE = { id: 'phone-1', deviceType: 'ipPhone', manufacturer: 'Yealink', model: 'MP54', timeZone: 'Europe/Paris', software: { firmware: '1.0' } };

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization === `Bearer ${TOKEN}` ? 'auth' : 'no-auth'}`);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, seen };
}
const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
};
async function failure(p: Promise<unknown>): Promise<DriverError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  assert.instance(err, DriverError);
  assert.not.match(`${(err as Error).message}`, TOKEN.slice(0, 8));
  return err as DriverError;
}

test('a 429 is waited out as Retry-After says, then the answer is used; pages are followed', async () => {
  let calls = 0;
  const { url, server, seen } = await serve((req, res) => {
    if (++calls === 1) return json(res, 429, { error: { code: 'Throttled', message: 'slow down' } }, { 'retry-after': '1' });
    const page = new URL(req.url!, 'http://x').searchParams.get('pageToken');
    json(res, 200, page ? { devices: [{ ...DEVICE, id: 'phone-2' }] } : { devices: [DEVICE], nextPageToken: 'p2' });
  });
  try {
    const driver = new RemoteDriver({ url, tokenFile });
    const started = Date.now();
    const devices = await driver.inventory();
    assert.equal(devices.map((d) => d.id), ['phone-1', 'phone-2']);
    assert.ok(Date.now() - started >= 900, 'waited about the second Retry-After asked for');
    assert.is(driver.stats.throttled, 1);
    assert.equal(seen, ['GET /v1/devices?pageSize=500 auth', 'GET /v1/devices?pageSize=500 auth', 'GET /v1/devices?pageSize=500&pageToken=p2 auth']);
    await driver.close();
  } finally {
    server.close();
  }
});

test('a driver slower than the timeout is Unavailable, saying it timed out, after the retries', async () => {
  const { url, server, seen } = await serve(() => { /* never answers */ });
  try {
    const driver = new RemoteDriver({ url, token: TOKEN, timeoutMs: 100, maxRetries: 1, backoffMs: 1 });
    const err = await failure(driver.catalog());
    assert.is(err.code, 'Unavailable');
    assert.is(err.message, 'GET /v1/releases: gave up after 2 attempts; last: timed out after 100 ms');
    assert.is(seen.length, 2);
    await driver.close();
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('an answer that does not follow the protocol is a clear Unavailable naming what was expected', async () => {
  const { url, server } = await serve((req, res) => {
    if (req.url!.startsWith('/v1/devices')) return json(res, 200, { value: [DEVICE] }); // Graph's shape, not the protocol's
    if (req.url!.startsWith('/v1/operations')) return json(res, 200, { operations: [{ id: 'op-1', status: 'queued' }] });
    if (req.url === '/v1/driver') return json(res, 200, { protocol: 'fleetward.dev/driver/v0', name: 'old', capabilities: {} });
    json(res, 200, { nextPageToken: 'x', devices: [] });
  });
  try {
    const driver = new RemoteDriver({ url, token: TOKEN, maxRetries: 0 });
    assert.match((await failure(driver.inventory())).message, /^GET \/v1\/devices: the driver's answer does not follow the protocol: expected \{devices: \[\.\.\.\], nextPageToken\?\}; got 200 \{"value"/);
    assert.match((await failure(driver.operations())).message, /^GET \/v1\/operations: the driver's answer does not follow the protocol: expected operations\[0\] to be a Operation/);
    assert.is((await failure(driver.describe())).message, 'GET /v1/driver: the driver speaks fleetward.dev/driver/v0; this Fleetward speaks fleetward.dev/driver/v1');
    await driver.close();
  } finally {
    server.close();
  }
});

test('version refusals keep their code, a 409 is AlreadyInFlight, a 401 is Unauthorized', async () => {
  const { url, server } = await serve((req, res) => {
    if (req.url === '/v1/devices/phone-1/updates') return json(res, 400, { error: { code: 'VersionBlocked', message: 'firmware 9.9 is blocked for Yealink MP54: reboot loop' } });
    if (req.url === '/v1/devices/phone-2/updates') return json(res, 409, { error: { code: 'AlreadyInFlight', message: 'busy' }, operation: { id: 'op-7', deviceId: 'phone-2', operationType: 'softwareUpdate', status: 'inProgress', createdAt: '2026-11-23T02:00:00.000Z' } });
    json(res, 401, { error: { code: 'Unauthorized', message: `token ${TOKEN} is wrong` } });
  });
  try {
    const driver = new RemoteDriver({ url, token: TOKEN, maxRetries: 0 });
    const refused = await failure(driver.startUpdate({ deviceId: 'phone-1', component: 'firmware', version: '9.9' }));
    assert.is(refused.code, 'VersionRefused');
    assert.is(refused.refusal, 'VersionBlocked');
    assert.is(refused.message, 'update firmware on phone-1: refused: VersionBlocked: firmware 9.9 is blocked for Yealink MP54: reboot loop');
    const busy = await driver.startUpdate({ deviceId: 'phone-2', component: 'firmware', version: '9.9' });
    assert.equal(busy, { accepted: false, reason: 'AlreadyInFlight', operation: { id: 'op-7', deviceId: 'phone-2', operationType: 'softwareUpdate', status: 'inProgress', createdAt: '2026-11-23T02:00:00.000Z' } });
    const denied = await failure(driver.catalog());
    assert.is(denied.code, 'Unauthorized');
    assert.match(denied.message, /\[redacted\]/, 'a token echoed back by the driver is redacted');
    await driver.close();
  } finally {
    server.close();
  }
});

test('a token file that cannot be read, an empty one, or a bad URL is refused before any request', () => {
  const missing = join(dir, 'missing');
  assert.throws(() => new RemoteDriver({ url: 'http://127.0.0.1:9', tokenFile: missing }), (e: Error) => e.message === `cannot read the remote driver's token file ${missing}: ENOENT`);
  const empty = join(dir, 'empty');
  writeFileSync(empty, '\n');
  assert.throws(() => new RemoteDriver({ url: 'http://127.0.0.1:9', tokenFile: empty }), (e: Error) => e.message.startsWith(`the remote driver has no token (${empty} is empty)`));
  assert.throws(() => new RemoteDriver({ url: 'ftp://x', token: TOKEN }), /must be http:\/\/ or https:\/\//);
  assert.throws(() => new RemoteDriver({ url: 'not a url', token: TOKEN }), /is not a URL such as http:\/\/127\.0\.0\.1:8090/);
});

test.run();
