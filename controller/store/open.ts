// The one place that decides which state store a command gets (docs/run.md "State"): the reconciler,
// `status`, `plan` and the operator are handed a StateStore and never ask which one it is.
import { JsonDirStore } from './json-dir.ts';
import { redactingStore } from './redacting.ts';
import type { StateStore } from './store.ts';

export interface StoreLocation {
  /** The state directory of `fleetward run` (standalone). */
  stateDir: string;
}

export interface OpenOptions {
  /** Readers (`status`, `plan`) never write, never migrate, and never create a store that is not there. */
  readOnly?: boolean;
}

/** Opens the store at a location. */
export async function openStateStore(where: StoreLocation, _opts: OpenOptions = {}): Promise<StateStore> {
  // Status text never carries a fragment of a secret, whichever store holds it.
  return redactingStore(new JsonDirStore(where.stateDir));
}
