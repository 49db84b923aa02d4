// The graph driver with OAuth 2.0 client credentials (an app registration's secret or certificate) through
// @azure/msal-node, against the token endpoint the simulator serves over HTTPS with a CA made in the test:
// tokens are fetched once and reused, renewed before they expire, refreshed when refused; wrong credentials
// are Unauthorized and no secret reaches an error message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../controller/util/clock.ts';
import { Simulator } from '../../controller/drivers/simulator/simulator.ts';
import { startSimulatorServer, type SimulatorServer } from '../../controller/drivers/simulator/server.ts';
import { GraphDriver } from '../../controller/drivers/graph/driver.ts';
import { DriverError, type DriverRequest } from '../../controller/drivers/driver.ts';
import { redactSecrets } from '../../controller/util/redact.ts';
import { makeTestCa, type TestCa } from '../support/test-ca.ts';

const TENANT = 'contoso.onmicrosoft.com';
const SECRET = 'app-secret-7f3c9d2e1b';
let ca: TestCa;
let appCert: { cert: string; key: string };
let otherCert: { cert: string; key: string };

test.before(() => {
  ca = makeTestCa();
  appCert = ca.clientCertificate('fleetward-app');
  otherCert = ca.clientCertificate('someone-else');
});
test.after(() => ca.close());

async function aTenant(tokenLifetimeSeconds = 3600): Promise<{ server: SimulatorServer; close(): Promise<void> }> {
  const simulator = new Simulator({
    fleet: { devices: [{ id: 'p1', deviceType: 'ipPhone', manufacturer: 'Poly', model: 'CCX400', timeZone: 'UTC', software: { firmware: '8.1.3.1301' } }], releases: [] },
    clock: new ManualClock('2026-11-23T02:00:00Z'),
  });
  const server = await startSimulatorServer({
    simulator, token: 'static-token-not-used-here', tls: ca.server,
    identity: { tenantId: TENANT, tokenLifetimeSeconds, clients: [{ clientId: 'app-1', clientSecret: SECRET }, { clientId: 'app-2', certificate: appCert.cert }] },
  });
  return { server, close: async () => { await server.close(); await simulator.close(); } };
}

function aDriver(server: SimulatorServer, credentials: { clientId: string; clientSecret?: string; certificate?: string; privateKey?: string }, seen?: DriverRequest[]) {
  return new GraphDriver({
    baseUrl: server.url, ca: ca.ca.cert, maxRetries: 0,
    clientCredentials: { tenantId: TENANT, authorityHost: server.url, ...credentials },
    ...(seen ? { onRequest: (r: DriverRequest) => seen.push(r) } : {}),
  });
}

test('a client secret gets a token over HTTPS, and passes reuse it while it is valid', async () => {
  const { server, close } = await aTenant();
  const seen: DriverRequest[] = [];
  const driver = aDriver(server, { clientId: 'app-1', clientSecret: SECRET }, seen);
  try {
    assert.equal((await driver.inventory()).map((d) => d.id), ['p1']);
    await driver.inventory();
    await driver.operations();
    assert.is(server.tokensIssued, 1, 'one token for three reads');
    assert.ok(seen.some((r) => r.operation === 'token' && r.code === '200'), 'token requests are counted');
  } finally {
    await driver.close();
    await close();
  }
});

test('a token with less than five minutes left is renewed before it is used, not after a refusal', async () => {
  const { server, close } = await aTenant(240);
  const seen: DriverRequest[] = [];
  const driver = aDriver(server, { clientId: 'app-1', clientSecret: SECRET }, seen);
  try {
    await driver.inventory();
    await driver.inventory();
    assert.is(server.tokensIssued, 2, 'each read found the cached token within the renewal margin and fetched a new one');
    assert.not.ok(seen.some((r) => r.code === '401'), 'Graph never saw an expiring token');
  } finally {
    await driver.close();
    await close();
  }
});

test('a token refused before its expiry (revoked) is replaced once, and the read goes through', async () => {
  const { server, close } = await aTenant();
  const seen: DriverRequest[] = [];
  const driver = aDriver(server, { clientId: 'app-1', clientSecret: SECRET }, seen);
  try {
    await driver.inventory();
    server.revokeTokens();
    assert.equal((await driver.inventory()).map((d) => d.id), ['p1']);
    assert.is(server.tokensIssued, 2);
    assert.is(seen.filter((r) => r.code === '401').length, 1, 'one refusal, then the fresh token');
  } finally {
    await driver.close();
    await close();
  }
});

test('a certificate signs the client assertion; the registered certificate is checked', async () => {
  const { server, close } = await aTenant();
  const driver = aDriver(server, { clientId: 'app-2', certificate: appCert.cert, privateKey: appCert.key });
  const impostor = aDriver(server, { clientId: 'app-2', certificate: otherCert.cert, privateKey: otherCert.key });
  try {
    assert.equal((await driver.inventory()).map((d) => d.id), ['p1']);
    const err = await impostor.inventory().catch((e: unknown) => e);
    assert.instance(err, DriverError);
    assert.is((err as DriverError).code, 'Unauthorized');
    assert.match((err as DriverError).message, /invalid_client/);
    assert.not.match((err as DriverError).message, /PRIVATE KEY/);
  } finally {
    await driver.close();
    await impostor.close();
    await close();
  }
});

test('a wrong client secret is Unauthorized, nothing is read, and the secret is in no message', async () => {
  const { server, close } = await aTenant();
  const wrong = 'wrong-secret-0a1b2c3d4e';
  const driver = aDriver(server, { clientId: 'app-1', clientSecret: wrong });
  try {
    const err = await driver.inventory().catch((e: unknown) => e);
    assert.instance(err, DriverError);
    assert.is((err as DriverError).code, 'Unauthorized');
    assert.match((err as DriverError).message, /AADSTS7000215: Invalid client secret/);
    assert.not.match((err as DriverError).message, wrong);
    assert.is(redactSecrets(`echo ${wrong.slice(2, 14)}`), 'echo [redacted]', 'the secret was registered with the redactor as it was read');
    assert.is(server.tokensIssued, 0);
  } finally {
    await driver.close();
    await close();
  }
});

test('without the test CA the token endpoint is not trusted: TLS is verified, not skipped', async () => {
  const { server, close } = await aTenant();
  const driver = new GraphDriver({ baseUrl: server.url, maxRetries: 0, timeoutMs: 5000, clientCredentials: { tenantId: TENANT, authorityHost: server.url, clientId: 'app-1', clientSecret: SECRET } });
  try {
    const err = await driver.inventory().catch((e: unknown) => e);
    assert.instance(err, DriverError);
    assert.is((err as DriverError).code, 'Unavailable');
    assert.is(server.tokensIssued, 0);
  } finally {
    await driver.close();
    await close();
  }
});

test('incomplete client credentials are refused when the driver is built, naming what is missing', () => {
  const make = (c: Record<string, string>) => () => new GraphDriver({ baseUrl: 'https://graph.microsoft.com', clientCredentials: { tenantId: TENANT, clientId: 'a', ...c } });
  assert.throws(make({}), /a client secret, or a certificate and its private key, is needed/);
  assert.throws(make({ certificate: 'x' }), /needs both the certificate \(PEM\) and its private key/);
  assert.throws(make({ clientSecret: 's3cret-value', certificate: 'x', privateKey: 'y' }), /not both/);
  assert.throws(make({ certificate: 'not a pem', privateKey: 'y' }), /not a PEM X.509 certificate/);
});

test.run();
