// Regeneration on request (seed 004: "generated in bulk or at the device level"), level-triggered: a request
// records when it was made; any code issued before that instant is replaced on the next pass. Nothing is
// consumed, so a request survives a restart and is harmless to honour twice.
import { join } from 'node:path';
import type { Instant } from '../api/types.ts';
import { readJson, writeFileAtomic } from './files.ts';

export interface RegenerationRequest {
  batch: string;
  /** One device; absent = every device of the batch still awaiting activation. */
  macAddress?: string;
  requestedAt: Instant;
}

/** `<state-dir>/provisioning/requests.json`, written by `fleetward provision regenerate`. */
export class FileRegenerationRequests {
  readonly path: string;
  constructor(stateDir: string) {
    this.path = join(stateDir, 'provisioning', 'requests.json');
  }
  async list(): Promise<RegenerationRequest[]> {
    return (await readJson<RegenerationRequest[]>(this.path)) ?? [];
  }
  /** Keeps one request per batch and device: the latest. */
  async add(req: RegenerationRequest): Promise<void> {
    const all = (await this.list()).filter((r) => !(r.batch === req.batch && r.macAddress === req.macAddress));
    all.push(req);
    await writeFileAtomic(this.path, JSON.stringify(all, null, 2) + '\n', 0o600);
  }
}
