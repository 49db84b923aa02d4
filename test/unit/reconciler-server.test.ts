// The loop's HTTP server on loopback: health, readiness, metrics, and what /hooks/git refuses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger } from '../../controller/reconciler/log.ts';
import { Metrics } from '../../controller/server/metrics.ts';
import { startServer } from '../../controller/server/server.ts';
import { signBody } from '../../controller/server/webhook.ts';

async function withServer(opts: { secret?: string; git?: boolean; ready?: boolean }, fn: (base: string, hooks: () => number) => Promise<void>): Promise<void> {
  let hooks = 0;
  const s = await startServer(0, '127.0.0.1', {
    metrics: new Metrics(), logger: silentLogger, ready: () => opts.ready ?? false,
    ...(opts.git !== false ? { onGitHook: () => { hooks++; } } : {}),
    ...(opts.secret ? { webhookSecret: opts.secret } : {}),
    maxBodyBytes: 1024,
  });
  try {
    await fn(`http://127.0.0.1:${s.port}`, () => hooks);
  } finally {
    await s.close();
  }
}

test('without a configured secret every webhook is refused with 403, signed or not', async () => {
  await withServer({}, async (base, hooks) => {
    const body = '{}';
    assert.is((await fetch(`${base}/hooks/git`, { method: 'POST', body, headers: { 'x-hub-signature-256': signBody('', body) } })).status, 403);
    assert.is((await fetch(`${base}/hooks/git`, { method: 'POST', body })).status, 403);
    assert.is(hooks(), 0);
  });
});

test('a webhook body over the limit is refused with 413 and triggers nothing', async () => {
  await withServer({ secret: 's' }, async (base, hooks) => {
    const body = 'x'.repeat(5000);
    const res = await fetch(`${base}/hooks/git`, { method: 'POST', body, headers: { 'x-hub-signature-256': signBody('s', body) } });
    assert.is(res.status, 413);
    assert.is(hooks(), 0);
  });
});

test('a body beyond 16 times the limit is cut off, and the server goes on answering', async () => {
  await withServer({ secret: 's' }, async (base, hooks) => {
    const outcome = await fetch(`${base}/hooks/git`, { method: 'POST', body: 'x'.repeat(1024 * 1024) }).then((r) => r.status, () => 'connection cut');
    assert.ok(outcome === 'connection cut' || outcome === 413, String(outcome));
    assert.is((await fetch(`${base}/healthz`)).status, 200);
    assert.match(await (await fetch(`${base}/metrics`)).text(), /fleetward_webhooks_total\{result="too_large"\} 1/);
    assert.is(hooks(), 0);
  });
});

test('GET on /hooks/git is 405, and a hook without a git source is 404', async () => {
  await withServer({ secret: 's' }, async (base) => {
    assert.is((await fetch(`${base}/hooks/git`)).status, 405);
  });
  await withServer({ secret: 's', git: false }, async (base, hooks) => {
    const body = '{}';
    assert.is((await fetch(`${base}/hooks/git`, { method: 'POST', body, headers: { 'x-hub-signature-256': signBody('s', body) } })).status, 404);
    assert.is(hooks(), 0);
  });
});

test('a correctly signed webhook is accepted with 202 and asks for one fetch', async () => {
  await withServer({ secret: 's' }, async (base, hooks) => {
    const body = '{"ref":"refs/heads/main"}';
    assert.is((await fetch(`${base}/hooks/git`, { method: 'POST', body, headers: { 'x-hub-signature-256': signBody('s', body) } })).status, 202);
    assert.is(hooks(), 1);
  });
});

test('healthz is always 200; readyz follows the loop; metrics are Prometheus text with the loop\'s series', async () => {
  await withServer({ ready: false }, async (base) => {
    assert.is((await fetch(`${base}/healthz`)).status, 200);
    assert.is((await fetch(`${base}/readyz`)).status, 503);
    const res = await fetch(`${base}/metrics`);
    assert.is(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const text = await res.text();
    for (const name of ['fleetward_reconcile_duration_seconds', 'fleetward_operations_total', 'fleetward_devices', 'fleetward_last_applied_revision_info']) {
      assert.match(text, new RegExp(`# TYPE ${name} `));
    }
    assert.is((await fetch(`${base}/nowhere`)).status, 404);
  });
  await withServer({ ready: true }, async (base) => {
    assert.is((await fetch(`${base}/readyz`)).status, 200);
  });
});

test.run();
