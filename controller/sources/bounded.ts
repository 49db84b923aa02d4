// Loading a revision within a time and memory budget (issue 10 item 2). Parsing and validation run in a
// worker thread, so the process keeps answering /healthz (Kubernetes does not restart a controller that is
// busy with a hostile push) and the PR check cannot hang; a revision that takes longer than
// LIMITS.timeBudgetMs, or needs more heap than LIMITS.memoryBudgetMb, is abandoned with an error and is
// refused like any invalid revision: the last good revision stays in force.
//
// One worker serves the process, one revision at a time, and is kept between revisions (starting one and
// compiling the schemas costs about a second); it is replaced after it was stopped for a budget.
import { Worker } from 'node:worker_threads';
import type { ConfigError } from './errors.ts';
import { LIMITS, type Limits } from './limits.ts';
import type { LoadResult } from './load.ts';

export type LoadRequest = { limits: Limits } & (
  /** `overlay`: files read in place of the directory's (relative path, text), for a change checked before it is written. */
  | { kind: 'dir'; dir: string; overlay?: [string, string][] }
  /** Objects from Kubernetes (the operator). */
  | { kind: 'objects'; objects: unknown[] }
  /** Files already read (the git source): YAML `files` by path, and every other file a devicesFile may name. */
  | { kind: 'documents'; revisionId: string; files: { path: string; text: string }[]; other: Record<string, string>; early: ConfigError[] }
);

type Request = LoadRequest extends infer R ? R extends LoadRequest ? Omit<R, 'limits'> : never : never;

/** `loadConfigDir(dir, overlay)`, in the load worker, within the budgets. */
export function loadConfigDirBounded(dir: string, overlay?: ReadonlyMap<string, string>): Promise<LoadResult> {
  return queued({ kind: 'dir', dir, ...(overlay?.size ? { overlay: [...overlay] } : {}) }, dir);
}

/** `loadDocuments(files, …)`, in the load worker, within the budgets. */
export function loadDocumentsBounded(
  files: { path: string; text: string }[], opts: { revisionId: string; other: Record<string, string>; early?: ConfigError[] },
): Promise<LoadResult> {
  return queued({ kind: 'documents', files, revisionId: opts.revisionId, other: opts.other, early: opts.early ?? [] }, '');
}

/** `validateObjects(objects)` (the operator's revision), in the load worker, within the budgets. */
export async function validateObjectsBounded(objects: unknown[]): Promise<ConfigError[]> {
  const r = await queued({ kind: 'objects', objects }, '');
  return r.ok ? [] : r.errors;
}

let tail: Promise<unknown> = Promise.resolve();
let current: { worker: Worker; memoryMb: number } | undefined;
let nextId = 0;

/** One revision at a time: a second source (or a test) waits for the first, each with its own time budget. */
function queued(request: Request, file: string): Promise<LoadResult> {
  const run = tail.then(() => inWorker(request, file));
  tail = run.catch(() => undefined);
  return run;
}

function worker(memoryMb: number): Worker {
  if (current && current.memoryMb === memoryMb) return current.worker;
  if (current) void current.worker.terminate();
  const w = new Worker(new URL('./load-worker.ts', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: memoryMb } });
  // An idle worker does not keep the process alive (`validate` exits when it has printed).
  w.unref();
  current = { worker: w, memoryMb };
  return w;
}

function retire(w: Worker): void {
  if (current?.worker === w) current = undefined;
  void w.terminate();
}

function inWorker(request: Request, file: string): Promise<LoadResult> {
  const limits = { ...LIMITS };
  const refused = (message: string): LoadResult => ({ ok: false, errors: [{ file, line: 0, message }] });
  const w = worker(limits.memoryBudgetMb);
  const id = ++nextId;
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
    };
    const timer = setTimeout(() => {
      cleanup();
      retire(w);
      resolve(refused(`loading this revision took longer than ${seconds(limits.timeBudgetMs)} (timeBudgetMs); it was abandoned`));
    }, limits.timeBudgetMs);
    const onMessage = (msg: { id: number; result: LoadResult }) => {
      if (msg.id !== id) return;
      cleanup();
      resolve(msg.result);
    };
    const onError = (err: Error & { code?: string }) => {
      cleanup();
      retire(w);
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') resolve(refused(`loading this revision needed more than ${limits.memoryBudgetMb} MiB (memoryBudgetMb); it was abandoned`));
      else reject(err); // a bug, not bad input: let it be seen with its stack
    };
    const onExit = (code: number) => {
      cleanup();
      retire(w);
      reject(new Error(`the load worker stopped (exit ${code}) without a result`));
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    w.postMessage({ id, request: { ...request, limits } });
  });
}

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
