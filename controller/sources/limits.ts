// The limits a config revision is loaded under (issue 10 item 1): the config repo is untrusted, so every
// cost — bytes read, files, objects, keys, CSV rows, time, memory — is budgeted per revision and checked
// before the work it guards. The same limits hold for `validate`, `run --config`, `run --repo` and the operator.
//
// Defaults suit a fleet of tens of thousands of devices with room to spare. An operator who needs more sets
// FLEETWARD_LIMITS, e.g. `FLEETWARD_LIMITS=maxFileBytes=4194304,timeBudgetMs=60000` (docs/validate.md).

export const DEFAULT_LIMITS = {
  /** Bytes per file (YAML or CSV). */
  maxFileBytes: 1024 * 1024,
  /** YAML files per revision. */
  maxFiles: 2000,
  /** Bytes read per revision, YAML and CSV together (a blob named by several paths counts once per path). */
  maxTotalBytes: 32 * 1024 * 1024,
  /** One git object (blob, tree, commit) of a fetched pack, anywhere in the repository: checked before indexing. */
  maxGitObjectBytes: 64 * 1024 * 1024,
  /** Bytes of one fetch response (the compressed pack). */
  maxPackBytes: 256 * 1024 * 1024,
  /** Entries of a git tree walked per revision (files and folders, anywhere under the config path). */
  maxTreeEntries: 20_000,
  /** Objects (YAML documents) per revision. */
  maxObjects: 20_000,
  /** Keys of one YAML mapping. */
  maxKeysPerMapping: 10_000,
  /** CSV device rows per revision, each distinct devicesFile counted once. */
  maxCsvRows: 100_000,
  /** Nesting of mappings and lists in one document. */
  maxDepth: 64,
  /** Alias expansions per document (yaml's maxAliasCount). */
  maxAliasCount: 100,
  /** Errors reported per revision; the rest are counted in one last line. */
  maxErrors: 500,
  /** Wall time to parse and validate one revision before it is abandoned as invalid. */
  timeBudgetMs: 30_000,
  /** Heap of the worker that parses and validates a revision, in MiB. */
  memoryBudgetMb: 512,
  /** A fleet file (controller/sources/fleet-file.ts) may describe tens of thousands of devices. */
  maxFleetFileBytes: 64 * 1024 * 1024,
};
export type Limits = typeof DEFAULT_LIMITS;

/** `name=value,name=value` from FLEETWARD_LIMITS over the defaults; a name or value it cannot use is an error. */
export function limitsFrom(spec: string | undefined): Limits {
  const out = { ...DEFAULT_LIMITS };
  for (const part of (spec ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\w+)\s*=\s*(\d+)$/.exec(part);
    if (!m || !(m[1]! in out)) {
      throw new Error(`FLEETWARD_LIMITS: ${JSON.stringify(part.slice(0, 80))} is not name=number with a name among ${Object.keys(out).join(', ')}`);
    }
    const value = Number(m[2]);
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`FLEETWARD_LIMITS: ${m[1]} must be a positive whole number`);
    out[m[1] as keyof Limits] = value;
  }
  return out;
}

/** The limits in force in this process (and in its load workers, which inherit the environment). */
export const LIMITS: Limits = (() => {
  try {
    return limitsFrom(process.env.FLEETWARD_LIMITS);
  } catch (err) {
    // A mistake in the operator's own setting: one line and the usage exit code, not a stack at import time.
    process.stderr.write(`fleetward: ${(err as Error).message}\n`);
    process.exit(2);
  }
})();

export const MIB = 1024 * 1024;
export const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;
