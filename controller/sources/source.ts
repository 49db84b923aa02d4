// A source produces revisions: every object of the config at one commit or content hash (docs/design.md
// section 1). The reconcile loop asks for the newest one each pass; a source's events (a file changed,
// a webhook arrived, the fetch interval passed) only ask for a pass sooner, they never carry data.
import type { Revision } from '../api/types.ts';

export type SourceResult =
  | { ok: true; revision: Revision }
  /** The newest revision failed validation: nothing of it may be applied. */
  | { ok: false; reason: 'invalid'; revisionId?: string; errors: string[] }
  /** The source could not be read at all (clone or fetch failed, directory missing). */
  | { ok: false; reason: 'unavailable'; message: string };

export interface Source {
  /** For status and logs, e.g. `dir:/srv/config`, `git:https://host/repo.git#main:fleet`. Never holds a token. */
  readonly description: string;
  /** The newest revision, validated as a whole. */
  load(): Promise<SourceResult>;
  /** Calls `kick` when a new revision may be available (debounced by the source). */
  watch(kick: () => void): void;
  close(): Promise<void>;
}
