// A real git server for tests: `git http-backend` (smart HTTP, CGI) behind a small node:http bridge on
// loopback. Repositories are bare repos under a temporary root; commits are made and pushed with the
// `git` CLI from a working clone, exactly as an admin would.
//
// Optional Basic auth: with `token`, every request must carry it as the password (any user name), so
// tests prove the git source authenticates (and that a wrong token fails).
import { spawn, execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const BACKEND = join(execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim(), 'git-http-backend');

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Fleet Admin', GIT_AUTHOR_EMAIL: 'admin@example.test',
  GIT_COMMITTER_NAME: 'Fleet Admin', GIT_COMMITTER_EMAIL: 'admin@example.test',
  GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args], {
    cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV, HOME: cwd }, stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** Async, for commands that talk to the server running in this same process (push, fetch). */
export async function gitAsync(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('git', ['-c', 'init.defaultBranch=main', ...args], {
    cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV, HOME: cwd },
  });
  return stdout.trim();
}

export interface GitServer {
  /** Base URL, e.g. http://127.0.0.1:PORT/ ; a repo is at base + name + '.git'. */
  base: string;
  root: string;
  /** Requests served, by path (tests check a refused webhook caused no fetch); `query` tells a fetch's
   * `info/refs?service=git-upload-pack` from a push's `service=git-receive-pack`. */
  requests: { method: string; path: string; query: string }[];
  /** Working clones made by createRepo, removed by close(). */
  workDirs: string[];
  /**
   * Commit statuses set through the forge APIs this server also answers, beside git: Gitea's
   * `POST /api/v1/repos/{owner}/{repo}/statuses/{sha}`, GitHub's `POST /repos/{owner}/{repo}/statuses/{sha}` and
   * GitLab's `POST /api/v4/projects/{path}/statuses/{sha}?state=…`. A SHA the repository does not have is
   * refused with 422, as the forges do.
   */
  statuses: { api: 'gitea' | 'github' | 'gitlab'; repo: string; sha: string; state: string; context: string; description: string; targetUrl?: string; authorization?: string }[];
  close(): Promise<void>;
}

export async function startGitServer(opts: { token?: string } = {}): Promise<GitServer> {
  const root = mkdtempSync(join(tmpdir(), 'fw-git-server-'));
  const requests: GitServer['requests'] = [];
  const workDirs: string[] = [];
  const statuses: GitServer['statuses'] = [];
  const server: Server = createServer((req, res) => {
    const [path, query = ''] = (req.url ?? '/').split('?');
    requests.push({ method: req.method ?? 'GET', path: path!, query });
    const forge = /^\/(?:api\/v1\/repos\/(?<gitea>[^/]+\/[^/]+)|repos\/(?<github>[^/]+\/[^/]+)|api\/v4\/projects\/(?<gitlab>[^/]+))\/statuses\/(?<sha>[0-9a-f]{40})$/.exec(path!);
    if (req.method === 'POST' && forge?.groups) {
      commitStatus(root, req, res, forge.groups, query, statuses);
      return;
    }
    if (opts.token && !authorized(req, opts.token)) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' });
      res.end('unauthorized\n');
      return;
    }
    cgi(root, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}/`,
    root,
    requests,
    workDirs,
    statuses,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => {
        rmSync(root, { recursive: true, force: true });
        for (const w of workDirs) rmSync(w, { recursive: true, force: true });
        resolve();
      });
    }),
  };
}

function commitStatus(root: string, req: IncomingMessage, res: ServerResponse, g: Record<string, string | undefined>, query: string, out: GitServer['statuses']): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const api = g.gitea ? 'gitea' : g.github ? 'github' : 'gitlab';
    const repo = decodeURIComponent((g.gitea ?? g.github ?? g.gitlab)!);
    const sha = g.sha!;
    let exists = false;
    try {
      execFileSync('git', ['cat-file', '-e', `${sha}^{commit}`], { cwd: join(root, `${repo}.git`), stdio: 'ignore' });
      exists = true;
    } catch { /* no such repository or commit */ }
    if (!exists) {
      res.writeHead(422, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `No commit found for SHA: ${sha}` }));
      return;
    }
    let body: Record<string, string> = {};
    if (api === 'gitlab') body = Object.fromEntries(new URLSearchParams(query));
    else { try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { /* empty */ } }
    const auth = req.headers.authorization ?? (req.headers['private-token'] as string | undefined);
    out.push({
      api, repo, sha, state: body.state ?? '', context: (api === 'gitlab' ? body.name : body.context) ?? '', description: body.description ?? '',
      ...(body.target_url ? { targetUrl: body.target_url } : {}), ...(auth ? { authorization: auth } : {}),
    });
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: out.length, state: body.state, context: body.context ?? body.name }));
  });
}

function authorized(req: IncomingMessage, token: string): boolean {
  const h = req.headers.authorization ?? '';
  if (!h.startsWith('Basic ')) return false;
  const decoded = Buffer.from(h.slice(6), 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1) === token;
}

function cgi(root: string, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_CONFIG_NOSYSTEM: '1',
    HOME: root,
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    REMOTE_USER: 'fleet-admin',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
  };
  if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === 'string') env[`HTTP_${k.toUpperCase().replace(/-/g, '_')}`] = v;
  }
  const child = spawn(BACKEND, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  req.pipe(child.stdin);
  child.stdin.on('error', () => {});
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) { res.write(chunk); return; }
    head = Buffer.concat([head, chunk]);
    let sep = head.indexOf('\r\n\r\n');
    let sepLen = 4;
    if (sep < 0) { sep = head.indexOf('\n\n'); sepLen = 2; }
    if (sep < 0) return;
    headersDone = true;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, sep).toString('latin1').split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const name = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    res.write(head.subarray(sep + sepLen));
  });
  child.stdout.on('end', () => { if (!headersDone) res.writeHead(502); res.end(); });
  child.stderr.resume();
}

/** A bare repository on the server, and a working clone to commit from. */
export interface ConfigRepo {
  url: string;
  work: string;
  /** Writes files (path → content; null deletes), commits and pushes; resolves to the new commit SHA. */
  commit(files: Record<string, string | null>, message?: string): Promise<string>;
  head(): string;
}

export function createRepo(server: GitServer, name: string, opts: { token?: string } = {}): ConfigRepo {
  const bare = join(server.root, `${name}.git`);
  mkdirSync(bare, { recursive: true });
  git(bare, 'init', '--bare', '-q');
  git(bare, 'config', 'http.receivepack', 'true');
  const work = mkdtempSync(join(tmpdir(), `fw-git-work-${name.replace(/\//g, '-')}-`));
  server.workDirs.push(work);
  git(work, 'init', '-q');
  git(work, 'checkout', '-q', '-b', 'main');
  const url = `${server.base}${name}.git`;
  const pushUrl = opts.token ? url.replace('http://', `http://admin:${opts.token}@`) : url;
  git(work, 'remote', 'add', 'origin', pushUrl);
  return {
    url,
    work,
    async commit(files, message = 'update config') {
      for (const [p, content] of Object.entries(files)) {
        const abs = join(work, p);
        if (content === null) rmSync(abs, { force: true });
        else { mkdirSync(dirname(abs), { recursive: true }); writeFileSync(abs, content); }
      }
      git(work, 'add', '-A');
      git(work, 'commit', '-q', '--allow-empty', '-m', message);
      await gitAsync(work, 'push', '-q', 'origin', 'HEAD:main');
      return git(work, 'rev-parse', 'HEAD');
    },
    head: () => git(work, 'rev-parse', 'HEAD'),
  };
}
