// Where plaintext verification codes live, and nowhere else (seed 004: codes are secrets). Standalone: one
// file per batch under `<state-dir>/provisioning/secrets/`, mode 0600 in a 0700 directory. On Kubernetes the
// operator implements CodeSecretStore over one Secret per batch (data key = MAC, value = code).
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Instant } from '../api/types.ts';
import { ensureDir, readJson, safeFileName, writeFileAtomic } from './files.ts';

export interface StoredCode {
  code: string;
  expiresAt: Instant;
  /** The verifier issued with it, so a code and the status it belongs to can be told apart after a crash. */
  codeHash: string;
  /** Where the device is, so the code Secrets alone make the technicians' export on Kubernetes. */
  location?: string;
}

/** MAC (`AA-BB-…`) → its current code. */
export type BatchCodes = Record<string, StoredCode>;

export interface CodeSecretStore {
  load(batch: string): Promise<BatchCodes>;
  /** Replace the batch's codes as a whole. An empty record removes the batch's secret. */
  save(batch: string, codes: BatchCodes): Promise<void>;
  /** Batches that have a secret (to clean up batches no longer declared). */
  batches(): Promise<string[]>;
}

export class FileCodeSecretStore implements CodeSecretStore {
  readonly dir: string;
  constructor(stateDir: string) {
    this.dir = join(stateDir, 'provisioning', 'secrets');
  }
  #path(batch: string): string {
    return join(this.dir, `${safeFileName(batch)}.json`);
  }
  async load(batch: string): Promise<BatchCodes> {
    return (await readJson<BatchCodes>(this.#path(batch))) ?? {};
  }
  async save(batch: string, codes: BatchCodes): Promise<void> {
    if (Object.keys(codes).length === 0) {
      await rm(this.#path(batch), { force: true });
      return;
    }
    await ensureDir(this.dir, 0o700);
    await writeFileAtomic(this.#path(batch), JSON.stringify(codes, null, 2) + '\n', 0o600);
  }
  async batches(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((f) => f.endsWith('.json') && !f.startsWith('.')).map((f) => f.slice(0, -5)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }
}

/** For tests and for embedding: nothing touches the disk. */
export class MemoryCodeSecretStore implements CodeSecretStore {
  readonly #data = new Map<string, BatchCodes>();
  async load(batch: string): Promise<BatchCodes> {
    return structuredClone(this.#data.get(batch) ?? {});
  }
  async save(batch: string, codes: BatchCodes): Promise<void> {
    if (Object.keys(codes).length === 0) this.#data.delete(batch);
    else this.#data.set(batch, structuredClone(codes));
  }
  async batches(): Promise<string[]> {
    return [...this.#data.keys()].sort();
  }
}
