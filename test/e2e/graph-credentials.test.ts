// The graph driver's credentials and links: token from the environment or a secret file (re-read when
// refused), never in an error; links to another origin are not followed with the token.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../controller/util/clock.ts';
import { Simulator } from '../../controller/drivers/simulator/simulator.ts';
import { startSimulatorServer } from '../../controller/drivers/simulator/server.ts';
import { GraphDriver } from '../../controller/drivers/graph/driver.ts';
import { DriverError } from '../../controller/drivers/driver.ts';
import { createDriver } from '../../controller/drivers/index.ts';

const TOKEN = 'the-real-token-9b2e';

async function aBackend() {
  const simulator = new Simulator({
    fleet: { devices: [{ id: 'p1', deviceType: 'ipPhone', manufacturer: 'Poly', model: 'CCX 400', timeZone: 'UTC', software: { firmware: '8.1.3.1301' } }], releases: [] },
    clock: new ManualClock('2026-11-23T02:00:00Z'),
  });
  return startSimulatorServer({ simulator, token: TOKEN });
}

const dir = mkdtempSync(join(tmpdir(), 'fleetward-graph-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('the environment gives the URL and a token file; the driver lists the fleet with it', async () => {
  const server = await aBackend();
  try {
    const file = join(dir, 'token');
    writeFileSync(file, `${TOKEN}\n`);
    const driver = GraphDriver.fromEnv({ FLEETWARD_GRAPH_URL: `${server.url}/beta`, FLEETWARD_GRAPH_TOKEN_FILE: file });
    assert.equal((await driver.inventory()).map((d) => d.id), ['p1']);
  } finally {
    await server.close();
  }
});

test('a rotated secret file is re-read when the back end refuses the old token', async () => {
  const server = await aBackend();
  try {
    const file = join(dir, 'rotating');
    writeFileSync(file, 'expired-token-0000');
    const driver = new GraphDriver({ baseUrl: server.url, tokenFile: file });
    writeFileSync(file, TOKEN);
    assert.equal((await driver.inventory()).map((d) => d.id), ['p1']);
  } finally {
    await server.close();
  }
});

test('a refused token is Unauthorized and the error does not contain it', async () => {
  const server = await aBackend();
  try {
    const wrong = 'wrong-token-abcdef';
    const driver = new GraphDriver({ baseUrl: server.url, token: wrong });
    const err = await driver.inventory().catch((e: unknown) => e);
    assert.instance(err, DriverError);
    assert.is((err as DriverError).code, 'Unauthorized');
    assert.match((err as Error).message, /401 InvalidAuthenticationToken/);
    assert.not.match(`${(err as Error).message} ${(err as Error).stack}`, /wrong-token-abcdef/);
  } finally {
    await server.close();
  }
});

test('without a token the graph driver refuses to start and names the variables to set', () => {
  assert.throws(() => GraphDriver.fromEnv({ FLEETWARD_GRAPH_URL: 'http://127.0.0.1:1' }), /FLEETWARD_GRAPH_TOKEN or FLEETWARD_GRAPH_TOKEN_FILE/);
  assert.throws(() => GraphDriver.fromEnv({ FLEETWARD_GRAPH_TOKEN_FILE: join(dir, 'missing') }), /cannot read the graph token file .*missing: ENOENT/);
  assert.throws(() => createDriver('simulator'), /needs a fleet/);
  assert.throws(() => createDriver('nope' as never), /unknown driver "nope": expected simulator, graph/);
});

test('a nextLink to another origin is not followed, so the token goes nowhere else', async () => {
  const seen: string[] = [];
  const evil = createServer((req, res) => {
    seen.push(String(req.headers.authorization));
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"value":[]}');
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
  const evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
  const liar = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: [], '@odata.nextLink': `${evilUrl}/beta/teamwork/devices?$skiptoken=1` }));
  });
  await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r));
  try {
    const driver = new GraphDriver({ baseUrl: `http://127.0.0.1:${(liar.address() as AddressInfo).port}`, token: TOKEN });
    const err = await driver.inventory().catch((e: unknown) => e);
    assert.instance(err, DriverError);
    assert.match((err as Error).message, /refusing to follow a link to another origin/);
    assert.equal(seen, []);
  } finally {
    liar.closeAllConnections();
    evil.closeAllConnections();
    await Promise.all([new Promise((r) => liar.close(r)), new Promise((r) => evil.close(r))]);
  }
});

test.run();
