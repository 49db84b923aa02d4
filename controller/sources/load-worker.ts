// The worker thread revisions are parsed and validated in (controller/sources/bounded.ts): the main thread
// keeps answering /healthz, webhooks and metrics meanwhile, and a revision that overruns its time or memory
// budget is stopped by terminating this thread, never by waiting for it. The thread stays up between
// revisions (loading the schemas once), and answers one request at a time.
import { parentPort } from 'node:worker_threads';
import { LIMITS } from './limits.ts';
import { loadConfigDir, loadDocuments, validateObjects, type LoadResult } from './load.ts';
import type { LoadRequest } from './bounded.ts';

async function load(req: LoadRequest): Promise<LoadResult> {
  // The limits in force in the parent (FLEETWARD_LIMITS, or a test's), not this thread's own reading of them.
  Object.assign(LIMITS, req.limits);
  if (req.kind === 'dir') return loadConfigDir(req.dir, new Map(req.overlay ?? []));
  if (req.kind === 'objects') {
    const errors = validateObjects(req.objects);
    // Only the errors matter to the caller; the objects stay where they are (no revision built here).
    return errors.length ? { ok: false, errors } : { ok: true, revision: { id: '', objects: [] } };
  }
  const files = new Map(Object.entries(req.other));
  return loadDocuments(req.files, {
    revisionId: req.revisionId, early: req.early,
    // The git source's reader: relative to the config root, never out of it.
    readFile: (p) => {
      const parts = p.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.');
      if (parts.includes('..') || p.startsWith('/')) return undefined;
      return files.get(parts.join('/'));
    },
  });
}

parentPort!.on('message', (msg: { id: number; request: LoadRequest }) => {
  void load(msg.request).then((result) => parentPort!.postMessage({ id: msg.id, result }));
});
