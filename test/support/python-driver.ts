// Starts the example Python driver (examples/remote-driver/driver.py, standard library only) as a real
// process on a free loopback port, in its sandbox mode, and stops it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './run-cli.ts';
import type { ConformanceScenario } from '../../controller/drivers/conformance/scenario.ts';

export interface PythonDriver {
  url: string;
  token: string;
  tokenFile: string;
  /** POST /v1/test/scenario: the back end's whole state replaced by this fleet. */
  scenario(s: ConformanceScenario & { now?: string }): Promise<void>;
  /** POST /v1/test/advance. */
  advance(ms: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startPythonDriver(o: { sandbox?: boolean; token?: string } = {}): Promise<PythonDriver> {
  const dir = mkdtempSync(join(tmpdir(), 'fw-pydriver-'));
  const token = o.token ?? 'python-driver-token-7c1f';
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  const child: ChildProcess = spawn('python3', [join(REPO_ROOT, 'examples/remote-driver/driver.py'), '--port', '0', '--token-file', tokenFile, ...(o.sandbox === false ? [] : ['--sandbox'])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the Python driver exited (${code}) before listening: ${stderr}`)));
    child.once('error', reject);
  });
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  };
  return {
    url, token, tokenFile,
    scenario: (s) => post('/v1/test/scenario', s),
    advance: (ms) => post('/v1/test/advance', { ms }),
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
