// `fleetward simulator serve` as a child process on a free loopback port, for the suites that talk to it over
// real HTTP (the graph driver, request limits): started on examples/fleet.yaml, ready once it answers an
// authorised device list, stopped with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { REPO_ROOT } from './run-cli.ts';

export interface ServedSimulator {
  /** `http://127.0.0.1:<port>`, the Graph base URL. */
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts it with `--token token --state state` and `args` (behaviour flags); resolves when it answers. */
export async function serveSimulator(opts: { token: string; state: string; args?: string[] }): Promise<ServedSimulator> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [join(REPO_ROOT, 'controller/cli/main.ts'), 'simulator', 'serve', '--fleet', 'examples/fleet.yaml',
    '--port', String(port), '--token', opts.token, ...(opts.args ?? []), '--state', opts.state], { cwd: REPO_ROOT, stdio: 'ignore' });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  for (let i = 0; i < 300; i++) {
    const res = await fetch(`${url}/beta/teamwork/devices?$top=1`, { headers: { authorization: `Bearer ${opts.token}` } }).catch(() => undefined);
    if (res?.ok) return { url, process: child, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error('simulator serve did not start');
}
