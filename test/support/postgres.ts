// A real PostgreSQL server for the suites (never a mock): Debian's binaries, `initdb` into a temporary folder,
// listening on loopback and a Unix socket in that folder only. PostgreSQL refuses to run as root, so when the
// suite runs as root the cluster belongs to the `postgres` system user (runuser). The server can be stopped and
// started again on the same port (the "database down for a while" tests).
import { execFileSync, spawnSync } from 'node:child_process';
import pgClient from 'pg';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { freePort } from './free-port.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPostgres {
  /** postgres://fleetward@127.0.0.1:PORT/fleetward */
  url: string;
  port: number;
  stop(): void;
  start(): void;
  close(): void;
}

/** Where Debian's PostgreSQL binaries are (FLEETWARD_PG_BIN overrides); undefined when none is installed. */
export function postgresBin(): string | undefined {
  if (process.env.FLEETWARD_PG_BIN) return process.env.FLEETWARD_PG_BIN;
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed (Debian package postgresql, listed in .ci/debian-packages)');
  const root = mkdtempSync(join(tmpdir(), 'fw-pg-'));
  const data = join(root, 'data');
  const asRoot = process.getuid?.() === 0;
  const pgUser = asRoot ? Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()) : undefined;
  const pgGroup = asRoot ? Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()) : undefined;
  if (asRoot) chownSync(root, pgUser!, pgGroup!);
  const run = (cmd: string, args: string[]) => {
    const full = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] as const : [join(bin, cmd), args] as const;
    const r = spawnSync(full[0], full[1] as string[], { encoding: 'utf8', cwd: root });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  run('initdb', ['-D', data, '-U', 'fleetward', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
  const port = await freePort();
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${root} -c fsync=off -c max_connections=50`;
  const pg: TestPostgres = {
    url: `postgres://fleetward@127.0.0.1:${port}/postgres`,
    port,
    start: () => { run('pg_ctl', ['-D', data, '-o', opts, '-l', join(root, 'server.log'), '-w', '-t', '60', 'start']); },
    stop: () => { run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']); },
    close: () => {
      try { pg.stop(); } catch { /* already stopped */ }
      rmSync(root, { recursive: true, force: true });
    },
  };
  pg.start();
  return pg;
}

let databases = 0;
/** A fresh database on the server, so tests sharing one server do not see each other's rows; its URL. */
export async function createDatabase(server: TestPostgres): Promise<string> {
  const name = `t${++databases}`;
  const admin = new pgClient.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return server.url.replace(/\/postgres$/, `/${name}`);
}
