// The graph driver against the simulator's HTTP server under injected faults (docs/design.md section 6):
// 429 with Retry-After, 5xx and answers slower than the driver's timeout. A rollout still completes,
// and no device ever gets a second operation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FleetDevice } from '../../controller/api/types.ts';
import { IN_FLIGHT_STATUSES } from '../../controller/api/types.ts';
import { ManualClock } from '../../controller/util/clock.ts';
import { Simulator } from '../../controller/drivers/simulator/simulator.ts';
import { startSimulatorServer, type FaultOptions } from '../../controller/drivers/simulator/server.ts';
import { GraphDriver } from '../../controller/drivers/graph/driver.ts';
import { DriverError } from '../../controller/drivers/driver.ts';

const TOKEN = 'fault-test-token-5f1c';
const TARGET = '122.15.0.58';

function aPhone(id: string): FleetDevice {
  return { id, deviceType: 'ipPhone', manufacturer: 'Yealink', model: 'MP54', timeZone: 'Europe/Paris', software: { firmware: '122.15.0.36' } };
}

async function aFaultyBackend(devices: number, faults: FaultOptions) {
  const clock = new ManualClock('2026-11-23T02:00:00Z');
  const simulator = new Simulator({
    fleet: { devices: Array.from({ length: devices }, (_, i) => aPhone(`phone-${String(i).padStart(3, '0')}`)),
      // Like a tenant, the simulator installs only released versions.
      releases: [{ component: 'firmware', version: TARGET, manufacturer: 'Yealink', releasedAt: '2026-10-01T00:00:00Z', label: 'verified' }],
    },
    clock,
    seed: 4,
    behaviour: { failureRate: 0, offlineRate: 0, busyDuringMeetings: 0, rollbackRate: 0, installDuration: '30m' },
  });
  const server = await startSimulatorServer({ simulator, token: TOKEN, faults });
  return { clock, simulator, server };
}

/** Waits as asked, but at most a few ms: the waits asked for are recorded and checked instead of timed. */
function recordingSleep(log: number[]) {
  return (ms: number) => {
    log.push(ms);
    return new Promise<void>((resolve) => setTimeout(resolve, Math.min(ms, 5)));
  };
}

/** A level-triggered pass, as the reconciler does it: observe, then start what is not done and not in flight. */
async function rolloutPass(driver: GraphDriver): Promise<number> {
  const [devices, ops] = await Promise.all([driver.inventory(), driver.operations()]);
  const inFlight = new Set(ops.filter((o) => IN_FLIGHT_STATUSES.includes(o.status)).map((o) => o.deviceId));
  const todo = devices.filter((d) => d.software.firmware !== TARGET && !inFlight.has(d.id));
  await Promise.all(todo.map((d) => driver.startUpdate({ deviceId: d.id, component: 'firmware', version: TARGET })));
  return todo.length;
}

test('a rollout under injected 429, 5xx and timeouts completes with no duplicate operation on any device', async () => {
  const { clock, simulator, server } = await aFaultyBackend(60, { rate429: 0.15, retryAfterSeconds: 1, rate5xx: 0.15, slowMs: 1500, slowRate: 0.05, seed: 12 });
  const sleeps: number[] = [];
  const driver = new GraphDriver({ baseUrl: server.url, token: TOKEN, pageSize: 25, concurrency: 8, timeoutMs: 400, maxRetries: 12, backoffMs: 5, sleep: recordingSleep(sleeps) });
  try {
    let passes = 0;
    while (simulator.inventory().some((d) => d.software.firmware !== TARGET)) {
      assert.ok(++passes <= 10, 'the rollout finishes within 10 passes');
      await rolloutPass(driver);
      clock.advance(3_600_000);
    }
    const perDevice = new Map<string, number>();
    for (const op of simulator.operations()) perDevice.set(op.deviceId, (perDevice.get(op.deviceId) ?? 0) + 1);
    assert.is(perDevice.size, 60);
    assert.equal([...new Set(perDevice.values())], [1], 'exactly one operation per device');
    const stats = driver.stats;
    assert.ok(stats.throttled > 0, 'some requests were throttled');
    assert.ok(stats.serverErrors > 0, 'some requests failed with 5xx');
    assert.ok(stats.timeouts > 0, 'some requests timed out');
    assert.ok(sleeps.some((ms) => ms >= 900 && ms <= 1000), 'Retry-After: 1 was honoured as a one second wait');
  } finally {
    await server.close();
  }
});

test('a start retried after a timeout, when the first attempt had acted, is one operation', async () => {
  // Every answer is slower than the driver waits, so each POST acts on the server and then times out.
  const { simulator, server } = await aFaultyBackend(3, { slowMs: 1000, slowRate: 1 });
  const driver = new GraphDriver({ baseUrl: server.url, token: TOKEN, timeoutMs: 50, maxRetries: 2, backoffMs: 1 });
  try {
    const r = await driver.startUpdate({ deviceId: 'phone-001', component: 'firmware', version: TARGET }).catch((e: unknown) => e);
    assert.instance(r, DriverError);
    assert.is((r as DriverError).code, 'Unavailable');
    assert.is(simulator.operations('phone-001').length, 1, 'the retries did not start a second operation');
  } finally {
    await server.close();
  }
});

test('when every attempt fails the driver gives up with Unavailable, and its message holds no token', async () => {
  const { simulator, server } = await aFaultyBackend(3, { rate5xx: 1 });
  const driver = new GraphDriver({ baseUrl: server.url, token: TOKEN, maxRetries: 2, backoffMs: 1 });
  try {
    const err = await driver.startUpdate({ deviceId: 'phone-001', component: 'firmware', version: TARGET }).catch((e: unknown) => e);
    assert.instance(err, DriverError);
    assert.is((err as DriverError).code, 'Unavailable');
    assert.match((err as Error).message, /gave up after 3 attempts; last: 50[0-4]/);
    assert.not.match((err as Error).message + String((err as Error).stack), new RegExp(TOKEN));
    assert.equal(simulator.operations(), []);
    assert.is(driver.stats.requests, 3);
  } finally {
    await server.close();
  }
});

test('a throttled driver waits out Retry-After before its next request', async () => {
  const { server } = await aFaultyBackend(3, { rate429: 1, retryAfterSeconds: 2 });
  const sleeps: number[] = [];
  const driver = new GraphDriver({ baseUrl: server.url, token: TOKEN, maxRetries: 1, backoffMs: 1, sleep: recordingSleep(sleeps) });
  try {
    const err = await driver.inventory().catch((e: unknown) => e);
    assert.instance(err, DriverError);
    assert.match((err as Error).message, /429 throttled \(Retry-After 2\)/);
    assert.is(sleeps.length, 1);
    assert.ok(sleeps[0]! > 1900 && sleeps[0]! <= 2000, `waited ${sleeps[0]} ms`);
  } finally {
    await server.close();
  }
});

test('a Retry-After given as an HTTP date is waited out too', async () => {
  const { server } = await aFaultyBackend(1, {});
  let throttled = false;
  server.mount({
    method: 'GET', path: '/beta/fleetward/releases',
    handler() {
      if (throttled) return undefined; // the built-in route answers the retry
      throttled = true;
      return { status: 429, headers: { 'retry-after': new Date(Date.now() + 3000).toUTCString() }, body: { error: { code: 'TooManyRequests', message: 'slow down' } } };
    },
  });
  const sleeps: number[] = [];
  const driver = new GraphDriver({ baseUrl: server.url, token: TOKEN, sleep: recordingSleep(sleeps) });
  try {
    assert.equal((await driver.catalog()).map((r) => r.version), [TARGET]);
    assert.is(sleeps.length, 1);
    assert.ok(sleeps[0]! > 1000 && sleeps[0]! <= 3000, `waited ${sleeps[0]} ms`);
  } finally {
    await server.close();
  }
});

test('an unreachable back end is retried, then reported Unavailable with the network error', async () => {
  const { server } = await aFaultyBackend(1, {});
  const url = server.url;
  await server.close(); // nothing listens there any more
  const driver = new GraphDriver({ baseUrl: url, token: TOKEN, maxRetries: 2, backoffMs: 1 });
  const err = await driver.inventory().catch((e: unknown) => e);
  assert.instance(err, DriverError);
  assert.is((err as DriverError).code, 'Unavailable');
  assert.match((err as Error).message, /gave up after 3 attempts; last: network error/);
  assert.is(driver.stats.requests, 3);
});

test('no more requests are in flight at once than the concurrency allows', async () => {
  let now = 0;
  let most = 0;
  const { server } = await aFaultyBackend(1, {});
  server.mount({
    method: 'GET', path: '/beta/teamwork/devices/:id/operations/:opId',
    async handler() {
      most = Math.max(most, ++now);
      await new Promise((r) => setTimeout(r, 20));
      now--;
      return { status: 404, body: { error: { code: 'NotFound', message: 'no such operation' } } };
    },
  });
  const driver = new GraphDriver({ baseUrl: server.url, token: TOKEN, concurrency: 4 });
  try {
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => driver.operation('phone-000', `op-${i}`)));
    assert.ok(answers.every((a) => a === undefined));
    assert.ok(most <= 4, `${most} requests in flight at once`);
    assert.ok(most >= 2, 'requests did run side by side');
  } finally {
    await server.close();
  }
});

test.run();
