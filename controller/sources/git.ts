// `--repo URL [--branch B] [--path P]`: the config from a git repository, read with isomorphic-git (no
// `git` binary needed at run time). The revision id is the commit SHA. The clone lives in the state
// directory; it is fetched when the fetch interval passes or a signed webhook asks (controller/server).
// Fetches are coalesced and rate-limited, since a webhook can be posted by anyone holding a signed body:
// a trigger while a fetch is due or running is absorbed (one more fetch afterwards at most), and two fetches
// start at least `minFetchIntervalMs` apart; a trigger inside that time is deferred to its end, never dropped.
// Files are read straight from the commit's tree: there is no checkout a stray file could leak into.
//
// The repository is untrusted input: paths outside `--path` are never read, oversized files are refused,
// and the token (from --token-file or FLEETWARD_GIT_TOKEN) is handed to git only through onAuth, never logged.
import * as fs from 'node:fs';
import { posix } from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { formatConfigError, loadDocuments } from './load.ts';
import type { Source, SourceResult } from './source.ts';
import { systemClock, type Clock } from '../util/clock.ts';

export interface GitSourceOptions {
  url: string;
  branch?: string;
  /** Folder inside the repository holding the config; default the root. */
  path?: string;
  /** Where the clone is kept (inside the state directory). */
  workDir: string;
  /** Bearer-style token for HTTPS; sent as the password of Basic auth. */
  token?: string;
  /** Basic-auth user name sent with the token; default `x-access-token` (GitHub, Gitea and GitLab accept it). */
  username?: string;
  /** How often to fetch even without a webhook. Default 60 s; 0 = only on webhook. */
  fetchIntervalMs?: number;
  /** Fewest ms between the starts of two fetches (the clone counts), however many triggers come. Default 5 s. */
  minFetchIntervalMs?: number;
  /** Time for the fetch rate limit: wall time by default (it protects the git server, not the simulation). */
  clock?: Clock;
}

const MAX_FILE_BYTES = 4 * 1024 * 1024;
const MAX_FILES = 5000;
const CONFIG_EXTENSIONS = /\.(ya?ml|json)$/i;

export class GitSource implements Source {
  readonly description: string;
  readonly #o: Required<Omit<GitSourceOptions, 'token'>> & { token?: string };
  #cloned = false;
  /** The next load fetches. */
  #fetchRequested = true;
  /** A fetch (or the clone) is running. */
  #fetching = false;
  /** A trigger came while fetching: one more fetch once it ends. */
  #again = false;
  /** When the last fetch started, on the rate limit's clock. */
  #lastFetchAt: number | undefined;
  /** A deferred trigger waiting for the rate limit. */
  #deferred: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #kick: (() => void) | undefined;
  #last: { sha: string; result: SourceResult } | undefined;

  constructor(opts: GitSourceOptions) {
    this.#o = {
      branch: 'main', path: '', username: 'x-access-token', fetchIntervalMs: 60_000, minFetchIntervalMs: 5_000, clock: systemClock, ...opts,
    };
    this.#o.path = normalizeRepoPath(this.#o.path);
    this.description = `git:${redactUrl(this.#o.url)}#${this.#o.branch}${this.#o.path ? ':' + this.#o.path : ''}`;
  }

  /**
   * Asks for a fetch on the next pass and for that pass to come now (the webhook and the fetch interval call
   * this), within the rate limit: absorbed when a fetch is already due, remembered when one is running,
   * deferred when the last one started less than `minFetchIntervalMs` ago.
   */
  refresh(): void {
    if (this.#fetchRequested || this.#deferred) return;
    if (this.#fetching) { this.#again = true; return; }
    const wait = this.#lastFetchAt === undefined ? 0 : this.#lastFetchAt + this.#o.minFetchIntervalMs - this.#o.clock.now().getTime();
    if (wait <= 0) {
      this.#fetchRequested = true;
      this.#kick?.();
      return;
    }
    const ctl = new AbortController();
    this.#deferred = ctl;
    void this.#o.clock.sleep(wait, ctl.signal).then(() => {
      if (ctl.signal.aborted) return;
      this.#deferred = undefined;
      this.refresh();
    });
  }

  watch(kick: () => void): void {
    this.#kick = kick;
    if (this.#o.fetchIntervalMs > 0 && !this.#timer) {
      this.#timer = setInterval(() => this.refresh(), this.#o.fetchIntervalMs);
      this.#timer.unref();
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#deferred?.abort();
    this.#deferred = undefined;
    this.#kick = undefined;
  }

  #auth() {
    const token = this.#o.token;
    return {
      onAuth: () => (token ? { username: this.#o.username, password: token } : { cancel: true }),
      onAuthFailure: () => ({ cancel: true }),
    };
  }

  /** Clone once, fetch when asked; returns the commit the branch points at. */
  async #update(): Promise<string> {
    const dir = this.#o.workDir;
    const ref = `refs/remotes/origin/${this.#o.branch}`;
    if (!this.#cloned) {
      const exists = fs.existsSync(posix.join(dir, '.git', 'HEAD'));
      if (!exists) {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true });
        await this.#fetching_(() => git.clone({
          fs, http, dir, url: this.#o.url, ref: this.#o.branch, singleBranch: true, noCheckout: true, noTags: true, ...this.#auth(),
        }));
      }
      this.#cloned = true;
    }
    if (this.#fetchRequested) {
      await this.#fetching_(() => git.fetch({ fs, http, dir, url: this.#o.url, ref: this.#o.branch, singleBranch: true, tags: false, prune: true, ...this.#auth() }));
    }
    return git.resolveRef({ fs, dir, ref });
  }

  /** Runs one fetch (or the clone) under the rate limit's bookkeeping; a failed one is retried next pass. */
  async #fetching_(run: () => Promise<unknown>): Promise<void> {
    this.#fetchRequested = false;
    this.#fetching = true;
    this.#lastFetchAt = this.#o.clock.now().getTime();
    try {
      await run();
    } catch (err) {
      this.#fetchRequested = true;
      throw err;
    } finally {
      this.#fetching = false;
      if (this.#again) {
        this.#again = false;
        this.refresh();
      }
    }
  }

  async load(): Promise<SourceResult> {
    let sha: string;
    try {
      sha = await this.#update();
    } catch (err) {
      return { ok: false, reason: 'unavailable', message: `${this.description}: ${describeGitError(err)}` };
    }
    if (this.#last?.sha === sha) return this.#last.result;
    const result = await this.#loadCommit(sha);
    this.#last = { sha, result };
    return result;
  }

  async #loadCommit(sha: string): Promise<SourceResult> {
    const dir = this.#o.workDir;
    const root = this.#o.path;
    const files = new Map<string, string>();
    const refused: string[] = [];
    let count = 0;
    await git.walk({
      fs, dir, trees: [git.TREE({ ref: sha })],
      map: async (filepath, [entry]) => {
        if (!entry) return null;
        // Descend only towards and into the config folder.
        if (filepath !== '.' && root && !(filepath === root || filepath.startsWith(root + '/') || root.startsWith(filepath + '/'))) return null;
        const type = await entry.type();
        if (type !== 'blob') return true;
        if (root && !filepath.startsWith(root + '/')) return null;
        // A symlink blob could point anywhere: it reads as missing (the loader reports it if it matters).
        if ((await entry.mode()) === 0o120000) return null;
        if (++count > MAX_FILES) { refused.push(`${filepath}: more than ${MAX_FILES} files under the config path`); return null; }
        const content = await entry.content();
        if (!content) return null;
        const rel = root ? filepath.slice(root.length + 1) : filepath;
        if (content.byteLength > MAX_FILE_BYTES) { refused.push(`${rel}: larger than ${MAX_FILE_BYTES} bytes, not read`); return null; }
        files.set(rel, Buffer.from(content).toString('utf8'));
        return true;
      },
    });
    if (refused.length) return { ok: false, reason: 'invalid', revisionId: sha, errors: refused };
    const docs = [...files].filter(([p]) => CONFIG_EXTENSIONS.test(p)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([path, text]) => ({ path, text }));
    const readFile = (p: string): string | undefined => {
      const norm = posix.normalize(p.replace(/\\/g, '/'));
      if (norm.startsWith('../') || norm === '..' || posix.isAbsolute(norm)) return undefined;
      return files.get(norm.replace(/^\.\//, ''));
    };
    const result = await loadDocuments(docs, { revisionId: sha, readFile });
    if (result.ok) return { ok: true, revision: result.revision };
    return { ok: false, reason: 'invalid', revisionId: sha, errors: result.errors.map(formatConfigError) };
  }
}

function normalizeRepoPath(p: string): string {
  const norm = posix.normalize(p.replace(/\\/g, '/')).replace(/^\.?\/+/, '').replace(/\/+$/, '');
  if (norm === '.' || norm === '') return '';
  if (norm.startsWith('..')) throw new Error(`--path ${p}: must stay inside the repository`);
  return norm;
}

/** A URL without user or password, safe for logs and status. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}

function describeGitError(err: unknown): string {
  const e = err as { code?: string; message?: string; data?: { statusCode?: number } };
  if (e?.code === 'UserCanceledError') return 'authentication failed (check the token)';
  if (e?.code === 'HttpError' && e.data?.statusCode) return `HTTP ${e.data.statusCode}`;
  if (e?.code === 'NotFoundError') return `branch not found (${e.message ?? ''})`;
  return redactUrlsIn(e?.message ?? String(err));
}

function redactUrlsIn(s: string): string {
  return s.replace(/(\w+:\/\/)[^@/\s]*@/g, '$1');
}
