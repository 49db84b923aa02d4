// `fleetward simulator serve` under oversized requests, through real HTTP clients (Node's fetch and curl):
// a body above 1 MiB gets a 413 with a Graph-shaped error, not a reset connection, and the server goes on
// answering.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { serveSimulator, type ServedSimulator } from '../support/simulator-serve.ts';

const TOKEN = 'serve-limits-token';
let root: string;
let server: ServedSimulator;
let base: string;

test.before(async () => {
  root = mkdtempSync(join(tmpdir(), 'fw-serve-limits-'));
  server = await serveSimulator({ token: TOKEN, state: join(root, 'sim') });
  base = server.url;
});

test.after(async () => {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
});

const updatePath = '/beta/teamwork/devices/nyc-phone-001/updateSoftware';
const big = (bytes: number) => JSON.stringify({ softwareType: 'firmware', softwareVersion: '1.0.0.1', padding: 'x'.repeat(bytes) });

test('fetch: a 2 MiB body answers 413 RequestEntityTooLarge, and the server answers the next request', async () => {
  const res = await fetch(`${base}${updatePath}`, { method: 'POST', body: big(2 << 20), headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } });
  assert.is(res.status, 413);
  const body = await res.json() as { error: { code: string; message: string } };
  assert.is(body.error.code, 'RequestEntityTooLarge');
  assert.match(body.error.message, /larger than 1048576 bytes/);
  const next = await fetch(`${base}/beta/teamwork/devices?$top=1`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.is(next.status, 200);
});

test('curl: a 5 MiB body streamed from a file answers 413 too', async () => {
  const file = join(root, 'big.json');
  writeFileSync(file, big(5 << 20));
  const { stdout } = await promisify(execFile)('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'POST', '-H', `authorization: Bearer ${TOKEN}`,
    '-H', 'content-type: application/json', '--data-binary', `@${file}`, `${base}${updatePath}`]);
  assert.is(stdout.trim(), '413');
});

test('a body just under the limit is read and judged on its content', async () => {
  const res = await fetch(`${base}${updatePath}`, { method: 'POST', body: big((1 << 20) - 200), headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } });
  assert.not.equal(res.status, 413);
  await res.text();
});

test.run();
