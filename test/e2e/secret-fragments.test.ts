// Secrets in pieces: a back end that echoes part of the driver token (here a 23-character prefix, a
// 12-character middle piece and its JSON-escaped form) in its error bodies must not get any 8+ character
// fragment of it into the log file, the state directory, stdout or stderr of `fleetward run`. The back end
// is a small hostile HTTP server on loopback speaking just enough of the Graph shapes to fail.
import { test } from 'uvu';
import { readState } from '../support/state.ts';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/run-cli.ts';
import { aGroup, anAlwaysWindow } from '../support/reconciler-fixture.ts';

const TOKEN = 'gr4ph-T0ken-7f3a9c21e8b54d6f0a1b2c3d';
const WEBHOOK_SECRET = 'hook-Secret-55aa66bb77cc';

/** Every 8-character fragment of `secret` found in `text`. */
function fragments(text: string, secret: string): string[] {
  const found = new Set<string>();
  for (let i = 0; i + 8 <= secret.length; i++) if (text.includes(secret.slice(i, i + 8))) found.add(secret.slice(i, i + 8));
  return [...found];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)).filter((p) => statSync(p).isFile());
}

let root: string;
let backend: Server;
let port: number;
let requests = 0;

test.before(async () => {
  root = mkdtempSync(join(tmpdir(), 'fw-secret-fragments-'));
  mkdirSync(join(root, 'config'));
  writeFileSync(join(root, 'config', 'window.yaml'), anAlwaysWindow());
  writeFileSync(join(root, 'config', 'group.yaml'), aGroup('phones', 'always'));
  backend = createServer((req, res) => {
    requests++;
    req.resume();
    // Different pieces on different requests: the prefix, a middle piece, and the prefix JSON-escaped with a quote.
    const piece = [TOKEN.slice(0, 23), `…${TOKEN.slice(9, 21)}…`, `"${TOKEN.slice(0, 10)}"`][requests % 3]!;
    res.writeHead(500, { 'content-type': 'application/json', 'x-echo': TOKEN.slice(2, 14) });
    res.end(JSON.stringify({ error: { code: 'InternalServerError', message: `token ${piece} is not valid for this tenant (secret ${WEBHOOK_SECRET.slice(3, 15)})` } }));
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  port = (backend.address() as AddressInfo).port;
});

test.after(async () => {
  backend.closeAllConnections();
  await new Promise((r) => backend.close(r));
  rmSync(root, { recursive: true, force: true });
});

test('a back end echoing pieces of the token: no 8-character fragment reaches run.log, the state directory, stdout or stderr', async () => {
  const state = join(root, 'state');
  const log = join(root, 'run.log');
  const r = await runCli(['run', '--config', join(root, 'config'), '--driver', 'graph', '--state-dir', state, '--once', '--port', '0',
    '--log-file', log, '--log-level', 'debug'], {
    env: { FLEETWARD_GRAPH_URL: `http://127.0.0.1:${port}`, FLEETWARD_GRAPH_TOKEN: TOKEN, FLEETWARD_WEBHOOK_SECRET: WEBHOOK_SECRET },
  });
  assert.ok(requests > 0, 'the back end was asked');
  const runJson = JSON.stringify((await readState(state)).run);
  assert.match(runJson, /InternalServerError/, 'the error itself is still reported');
  assert.match(runJson, /\[redacted\]/, 'with the echoed piece replaced');
  const places: [string, string][] = [['stdout', r.stdout], ['stderr', r.stderr], ['run.log', readFileSync(log, 'utf8')],
    ...filesUnder(state).map((f): [string, string] => [f.slice(root.length + 1), readFileSync(f, 'latin1')])];
  for (const [where, text] of places) {
    assert.equal(fragments(text, TOKEN), [], `${where} holds part of the token`);
    assert.equal(fragments(text, WEBHOOK_SECRET), [], `${where} holds part of the webhook secret`);
  }
});

test.run();
