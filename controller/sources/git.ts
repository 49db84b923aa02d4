// `--repo URL [--branch B] [--path P]`: the config from a git repository, read with isomorphic-git (no
// `git` binary needed at run time). The revision id is the commit SHA. The clone lives in the state
// directory; it is fetched when the fetch interval passes or a signed webhook asks (controller/server).
// Fetches are coalesced and rate-limited, since a webhook can be posted by anyone holding a signed body:
// a trigger while a fetch is due or running is absorbed (one more fetch afterwards at most), and two fetches
// start at least `minFetchIntervalMs` apart; a trigger inside that time is deferred to its end, never dropped.
// Files are read straight from the commit's tree: there is no checkout a stray file could leak into.
//
// The repository is untrusted input: paths outside `--path` are never read, sizes are checked from object
// headers before any blob is read (the limits of controller/sources/limits.ts),
// and the token (from --token-file or FLEETWARD_GIT_TOKEN) is handed to git only through onAuth, never logged.
import * as fs from 'node:fs';
import { join, posix } from 'node:path';
import git from 'isomorphic-git';
import { decodeUtf8, formatConfigError, type ConfigError } from './load.ts';
import { loadDocumentsBounded } from './bounded.ts';
import { isConfigPath, isHiddenPath } from './config-files.ts';
import { ObjectSizes } from './git-objects.ts';
import { PackRefused, screenedHttp } from './git-pack.ts';
import { LIMITS, MIB, mib } from './limits.ts';
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
  /** Told what became of each trigger (webhook, fetch interval): the run counts them in a metric. */
  onTrigger?: (outcome: FetchTrigger) => void;
}

/** What a trigger did: asked for a fetch now, joined one already due / running / deferred, or was deferred. */
export type FetchTrigger = 'fetch' | 'absorbed' | 'deferred';


export class GitSource implements Source {
  readonly description: string;
  readonly #o: Required<Omit<GitSourceOptions, 'token' | 'onTrigger'>> & Pick<GitSourceOptions, 'token' | 'onTrigger'>;
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
    // Decided first: `onTrigger?.(…)` would skip evaluating its argument when there is no listener.
    const outcome = this.#trigger();
    this.#o.onTrigger?.(outcome);
  }

  #trigger(): FetchTrigger {
    if (this.#fetching) { this.#again = true; return 'absorbed'; }
    if (this.#deferred) return 'absorbed';
    const wait = this.#waitMs();
    if (wait > 0) { this.#defer(wait); return 'deferred'; }
    // The kick only brings the pass forward (kicks coalesce); a fetch already due (or a failed one to
    // retry) takes this trigger with it.
    const already = this.#fetchRequested;
    this.#fetchRequested = true;
    this.#kick?.();
    return already ? 'absorbed' : 'fetch';
  }

  /** How long until the rate limit allows the next fetch (0: now). */
  #waitMs(): number {
    return this.#lastFetchAt === undefined ? 0 : this.#lastFetchAt + this.#o.minFetchIntervalMs - this.#o.clock.now().getTime();
  }

  /** One deferred trigger at a time: when the rate limit allows, it asks again. */
  #defer(wait: number): void {
    const ctl = new AbortController();
    this.#deferred = ctl;
    void this.#o.clock.sleep(wait, ctl.signal).then(() => {
      if (ctl.signal.aborted) return;
      this.#deferred = undefined;
      this.#trigger();
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
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        await this.#fetching_(() => git.clone({
          fs, http: screenedHttp, dir, url: this.#o.url, ref: this.#o.branch, singleBranch: true, noCheckout: true, noTags: true, depth: 1, ...this.#auth(),
        }));
      }
      this.#cloned = true;
    }
    if (this.#fetchRequested) {
      // A pass that comes sooner than the rate limit allows (the loop's own timer, another kick) uses the
      // clone as it is; the fetch follows when allowed. So a failing server is not retried on every pass.
      const wait = this.#waitMs();
      if (wait > 0) {
        this.#fetchRequested = false;
        if (!this.#deferred) this.#defer(wait);
      } else {
        await this.#fetching_(() => git.fetch({ fs, http: screenedHttp, dir, url: this.#o.url, ref: this.#o.branch, singleBranch: true, tags: false, prune: true, depth: 1, ...this.#auth() }));
      }
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
        this.#trigger();
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
    let result: SourceResult;
    try {
      result = await this.#loadCommit(sha);
    } catch (err) {
      // A damaged clone (a missing or corrupt object): the source cannot be read, the last good revision stays.
      return { ok: false, reason: 'unavailable', message: `${this.description}: commit ${sha} could not be read: ${describeGitError(err)}` };
    }
    this.#last = { sha, result };
    return result;
  }

  /**
   * The revision at `sha`. The tree is walked with readTree (no blob is read while walking), every object's
   * size comes from its header (controller/sources/git-objects.ts) and is checked against the limits before
   * any blob is read; a blob named by several paths is read once but counted once per path.
   */
  async #loadCommit(sha: string): Promise<SourceResult> {
    // One reader of object sizes for the whole revision: it reads the pack indexes once.
    const sizes = new ObjectSizes(join(this.#o.workDir, '.git'));
    const listed = await this.#listTree(sha, sizes);
    if ('refused' in listed) return { ok: false, reason: 'invalid', revisionId: sha, errors: [listed.refused] };
    const { blobs, links, folders } = listed;
    const early: ConfigError[] = [];
    const refuse = (file: string, message: string) => early.push({ file, line: 0, message });

    // Sizes first, from the object headers: nothing is read until the whole revision fits the budget.
    const toRead: { rel: string; oid: string }[] = [];
    let total = 0;
    let yamlFiles = 0;
    const oversized = new Map<string, number>();
    for (const [rel, oid] of blobs) {
      const size = sizes.size(oid);
      if (size !== undefined && size > LIMITS.maxFileBytes) {
        if (isConfigPath(rel)) refuse(rel, `the file is ${mib(size)}; a config file may be at most ${LIMITS.maxFileBytes / MIB} MiB`);
        else oversized.set(rel, size);
        continue;
      }
      if (isConfigPath(rel)) yamlFiles++;
      total += size ?? 0;
      toRead.push({ rel, oid });
    }
    if (yamlFiles > LIMITS.maxFiles) return invalid(sha, `more than ${LIMITS.maxFiles} YAML files; a config revision may hold at most ${LIMITS.maxFiles}`);
    if (total > LIMITS.maxTotalBytes) {
      return invalid(sha, `the files under the config path hold ${mib(total)} (a file named by several paths counts once per path); a config revision may hold at most ${LIMITS.maxTotalBytes / MIB} MiB (maxTotalBytes)`);
    }

    const byOid = new Map<string, string>();
    const read = async (oid: string): Promise<string> => {
      let text = byOid.get(oid);
      if (text === undefined) {
        const { blob } = await git.readBlob({ fs, dir: this.#o.workDir, oid });
        // A size the header could not give is checked here, after the read, before it is kept.
        if (blob.byteLength > LIMITS.maxFileBytes) throw new Error(`blob ${oid} is ${mib(blob.byteLength)}`);
        text = decodeUtf8(blob) ?? '\uFFFD';
        byOid.set(oid, text);
      }
      return text;
    };
    const files = new Map<string, string>();
    for (const { rel, oid } of toRead) {
      try {
        files.set(rel, await read(oid));
      } catch {
        refuse(rel, `could not be read within the limits (at most ${LIMITS.maxFileBytes / MIB} MiB per file)`);
      }
    }
    // A symlink is followed one hop to a file of the same commit inside the config path, as the directory
    // loader follows one inside the config directory; anything else is refused when its name says config.
    for (const [rel, oid] of links) {
      const size = sizes.size(oid);
      const target = size !== undefined && size <= 4096 ? posix.normalize(posix.join(posix.dirname(rel), await read(oid))) : undefined;
      const problem = target === undefined ? 'is a symlink whose target could not be read'
        : target.startsWith('../') || target === '..' || posix.isAbsolute(target) ? 'is a symlink that leads outside the config directory (or nowhere); it was not read'
          : folders.has(target) ? 'is a symlink to a folder; only regular files are read'
            : links.has(target) ? 'is a symlink to a symlink; only one hop is followed'
              : files.has(target) ? undefined
                : oversized.has(target) ? `is a symlink to a file of ${mib(oversized.get(target)!)}; a config file may be at most ${LIMITS.maxFileBytes / MIB} MiB`
                  : 'is a symlink that leads outside the config directory (or nowhere); it was not read';
      if (problem === undefined) files.set(rel, files.get(target!)!);
      else if (isConfigPath(rel)) refuse(rel, problem);
    }

    const docs = [...files].filter(([p]) => isConfigPath(p)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([path, text]) => ({ path, text }));
    const result = await loadDocumentsBounded(docs, { revisionId: sha, other: Object.fromEntries(files), early });
    if (result.ok) return { ok: true, revision: result.revision };
    return { ok: false, reason: 'invalid', revisionId: sha, errors: result.errors.map(formatConfigError) };
  }

  /**
   * The blobs, symlinks and folders under the config path (paths relative to it), dot-folders skipped like the
   * directory loader skips them (controller/sources/config-files.ts). Each tree's size is checked before it is read.
   */
  async #listTree(sha: string, sizes: ObjectSizes): Promise<{ blobs: Map<string, string>; links: Map<string, string>; folders: Set<string> } | { refused: string }> {
    const dir = this.#o.workDir;
    const { commit } = await git.readCommit({ fs, dir, oid: sha });
    const blobs = new Map<string, string>();
    const links = new Map<string, string>();
    const folders = new Set<string>();
    const readTree = async (oid: string) => {
      const size = sizes.size(oid);
      // A tree entry takes at least 28 bytes: a listing larger than the entry budget allows is refused unread.
      if (size !== undefined && size > LIMITS.maxTreeEntries * 300) return undefined;
      return (await git.readTree({ fs, dir, oid })).tree;
    };
    // Down to the config path first.
    let oid = commit.tree;
    for (const part of this.#o.path ? this.#o.path.split('/') : []) {
      const tree = await readTree(oid);
      const next = tree?.find((e) => e.path === part && e.type === 'tree');
      if (!next) return { blobs, links, folders };
      oid = next.oid;
    }
    let walked = 0;
    const stack: [string, string][] = [[oid, '']];
    while (stack.length) {
      const [treeOid, prefix] = stack.pop()!;
      const tree = await readTree(treeOid);
      if (!tree) return { refused: `${prefix || '.'}: a folder listing larger than ${LIMITS.maxTreeEntries} entries allow; it was not read` };
      for (const e of tree) {
        const rel = prefix ? `${prefix}/${e.path}` : e.path;
        if (isHiddenPath(rel)) continue;
        if (++walked > LIMITS.maxTreeEntries) {
          return { refused: `more than ${LIMITS.maxTreeEntries} files and folders under the config path; a config revision may hold at most ${LIMITS.maxTreeEntries} (maxTreeEntries)` };
        }
        if (e.type === 'tree') { folders.add(rel); stack.push([e.oid, rel]); }
        else if (e.type === 'blob' && e.mode === '120000') links.set(rel, e.oid);
        else if (e.type === 'blob') blobs.set(rel, e.oid);
        // A submodule (type commit) is another repository: never read.
      }
    }
    return { blobs, links, folders };
  }
}

function invalid(sha: string, message: string): SourceResult {
  return { ok: false, reason: 'invalid', revisionId: sha, errors: [message] };
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
  if (err instanceof PackRefused) return err.message;
  const e = err as { code?: string; message?: string; data?: { statusCode?: number } };
  if (e?.code === 'UserCanceledError') return 'authentication failed (check the token)';
  if (e?.code === 'HttpError' && e.data?.statusCode) return `HTTP ${e.data.statusCode}`;
  if (e?.code === 'NotFoundError') return `branch not found (${e.message ?? ''})`;
  return redactUrlsIn(e?.message ?? String(err));
}

function redactUrlsIn(s: string): string {
  return s.replace(/(\w+:\/\/)[^@/\s]*@/g, '$1');
}
