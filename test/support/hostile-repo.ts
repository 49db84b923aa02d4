// Hostile config repositories for the fuzz suite (test/fuzz/) and its benchmark (bench/hostile-load.ts):
// a spec says how a repository overdoes things (size, depth, keys, aliases, unicode, special files, symlinks,
// blobs shared by many paths, CSV amplification); `buildCase` writes it as a working clone and pushes it to a
// real git server; `runCase` loads it twice, each in a child process with a heap cap and a timeout — as the
// pull-request check (`fleetward validate -o json`) and through the git source — and reports what each said,
// its wall time and its peak RSS. The bounds are resource bounds (it ends, with a clear answer, within them),
// not speed benchmarks.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import YAML from 'yaml';
import { createRepo, git, gitAsync, type GitServer } from './git-server.ts';

export type Special = 'fifo' | 'fifolink' | 'dirlink' | 'outlink';
export interface HostileSpec {
  /** Valid DeviceGroups in groups.yaml (the baseline a hostile part is added to). */
  groups: number;
  /** Further files of one group each (2000 is the cap). */
  smallFiles: number;
  /** Keys of one mapping (10000 is the cap). */
  mappingKeys: number;
  /** Nesting depth of one value, in flow (`[[[`) or block style. */
  depth: number;
  flow: boolean;
  /** Levels of a billion-laughs alias bomb (each level names the previous one ten times). */
  aliasLevels: number;
  /** Length of one apiVersion value. */
  longValue: number;
  /** Any text: used as an object name, a label value and a file name. */
  unicode: string;
  /** Special files; FIFOs exist only in a checkout (git cannot hold them). */
  specials: Special[];
  /** Paths that name one blob (hard links in the checkout), and its size. */
  shared: { paths: number; bytes: number };
  /** ProvisioningBatches naming one devicesFile of `rows` rows. */
  csv: { batches: number; rows: number };
  /** A blob of this many zero bytes outside the config (commit only: a zip bomb for the fetch). */
  zeros?: number;
}

export const BASE: HostileSpec = {
  groups: 3, smallFiles: 0, mappingKeys: 0, depth: 0, flow: true, aliasLevels: 0, longValue: 0, unicode: '',
  specials: [], shared: { paths: 0, bytes: 0 }, csv: { batches: 0, rows: 0 },
};

/** The attacks of issue 10, each at the size that hurt before the limits. */
export const ISSUE_CASES: [string, Partial<HostileSpec>][] = [
  ['600 paths naming one 4 MiB blob', { shared: { paths: 600, bytes: 4 * 1024 * 1024 } }],
  ['one mapping of 40k keys', { mappingKeys: 40_000 }],
  ['a 1 MiB file of 88k keys', { mappingKeys: 88_000 }],
  ['100 batches naming one 10k-row CSV', { csv: { batches: 100, rows: 10_000 } }],
  ['400 batches naming one 10k-row CSV', { csv: { batches: 400, rows: 10_000 } }],
  ['FIFO, symlink to a FIFO, to a folder, out of the repo', { specials: ['fifo', 'fifolink', 'dirlink', 'outlink'] }],
  ['a 786 KB apiVersion', { longValue: 786_432 }],
  ['a 9-level alias bomb', { aliasLevels: 9 }],
  ['flow nesting 100k deep', { depth: 100_000, flow: true }],
  ['block nesting 50k deep', { depth: 50_000, flow: false }],
  ['2500 files', { smallFiles: 2500 }],
  ['a 128 MiB blob of zeros pushed beside the config', { zeros: 128 * 1024 * 1024 }],
];

/** Generated specs: each part drawn around and beyond its limit, several parts at once. */
export const arbitrarySpec: fc.Arbitrary<HostileSpec> = fc.record({
  groups: fc.integer({ min: 0, max: 30 }),
  smallFiles: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2200 })),
  mappingKeys: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 60_000 })),
  depth: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 20_000 })),
  flow: fc.boolean(),
  aliasLevels: fc.integer({ min: 0, max: 10 }),
  longValue: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1_500_000 })),
  unicode: fc.string({ unit: 'grapheme', maxLength: 30 }),
  specials: fc.subarray<Special>(['fifo', 'fifolink', 'dirlink', 'outlink']),
  shared: fc.record({ paths: fc.integer({ min: 0, max: 700 }), bytes: fc.integer({ min: 1, max: 5 * 1024 * 1024 }) }),
  csv: fc.record({ batches: fc.integer({ min: 0, max: 300 }), rows: fc.integer({ min: 0, max: 12_000 }) }),
});

const group = (name: string, labels: Record<string, string> = {}) =>
  ({ apiVersion: 'fleetward.dev/v1alpha1', kind: 'DeviceGroup', metadata: { name }, spec: { selector: { deviceTypes: ['ipPhone'], matchLabels: labels } } });

function nested(depth: number, flow: boolean): string {
  // Block style: compact nested sequences (`- - - 1`), one level per `- `, on one line.
  return flow ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `\n    ${'- '.repeat(depth)}1`;
}

/** dirOnly: the checkout holds what git cannot (FIFOs); commitOnly: the commit holds what the checkout does not. */
export interface BuiltCase { url: string; work: string; sha: string; dirOnly: boolean; commitOnly: boolean }

/** Writes the spec into a new repository on `server` and pushes it; the working clone is the checkout. */
export async function buildCase(server: GitServer, name: string, spec: HostileSpec): Promise<BuiltCase> {
  const repo = createRepo(server, name);
  const w = repo.work;
  const write = (p: string, text: string) => { mkdirSync(dirname(join(w, p)), { recursive: true }); writeFileSync(join(w, p), text); };
  write('groups.yaml', Array.from({ length: spec.groups }, (_, i) => YAML.stringify(group(`g${i}`))).join('---\n'));
  for (let i = 0; i < spec.smallFiles; i++) write(`many/f${i}.yaml`, YAML.stringify(group(`m${i}`)));
  if (spec.mappingKeys) {
    // Short keys without values, so 88k of them fit in 1 MiB as in the issue.
    write('keys.yaml', `apiVersion: fleetward.dev/v1alpha1\nkind: DeviceGroup\nmetadata: {name: keys}\nspec:\n selector:\n  matchLabels:\n${Array.from({ length: spec.mappingKeys }, (_, i) => `   k${i.toString(36)}:`).join('\n')}\n`);
  }
  if (spec.depth) write('deep.yaml', `apiVersion: fleetward.dev/v1alpha1\nkind: Ring\nmetadata: {name: deep}\nspec:\n  order: 4\n  x: ${nested(spec.depth, spec.flow)}\n`);
  if (spec.aliasLevels) {
    const lines = ['a0: &a0 [lol]'];
    for (let l = 1; l <= spec.aliasLevels; l++) lines.push(`a${l}: &a${l} [${Array.from({ length: 10 }, () => `*a${l - 1}`).join(', ')}]`);
    write('bomb.yaml', `apiVersion: fleetward.dev/v1alpha1\nkind: Ring\nmetadata: {name: bomb}\nspec:\n  order: 4\n  x:\n${lines.map((l) => '    ' + l).join('\n')}\n`);
  }
  if (spec.longValue) write('long.yaml', `apiVersion: ${'v'.repeat(spec.longValue)}\nkind: Ring\nmetadata: {name: long}\nspec: {order: 4}\n`);
  if (spec.unicode) {
    write('unicode.yaml', YAML.stringify(group(spec.unicode, { site: spec.unicode })));
    const fileName = spec.unicode.replace(/[/\\\0]/g, '').slice(0, 40);
    if (fileName && !fileName.startsWith('.')) write(`u/${fileName}.yaml`, YAML.stringify(group(`u-${spec.unicode.length}`, { note: spec.unicode })));
  }
  if (spec.csv.batches) {
    write('devices.csv', 'macAddress,location\n' + Array.from({ length: spec.csv.rows }, (_, i) => `${(0x0011_2200_0000 + i).toString(16).padStart(12, '0')},desk ${i}`).join('\n') + '\n');
    write('batches.yaml', Array.from({ length: spec.csv.batches }, (_, i) => YAML.stringify({ apiVersion: 'fleetward.dev/v1alpha1', kind: 'ProvisioningBatch', metadata: { name: `b${i}` }, spec: { devicesFile: 'devices.csv' } })).join('---\n'));
  }
  // Git cannot hold a FIFO: those stay in the checkout only (excluded from the commit).
  const exclude = (p: string) => appendFileSync(join(w, '.git/info/exclude'), `/${p}\n`);
  for (const s of spec.specials) {
    if (s === 'fifo') { execFileSync('mkfifo', [join(w, 'pipe.yaml')]); exclude('pipe.yaml'); }
    if (s === 'fifolink') { execFileSync('mkfifo', [join(w, 'fifo')]); symlinkSync('fifo', join(w, 'fifo.yaml')); exclude('fifo'); exclude('fifo.yaml'); }
    if (s === 'dirlink') { mkdirSync(join(w, 'sub'), { recursive: true }); writeFileSync(join(w, 'sub/readme.txt'), 'x\n'); symlinkSync('sub', join(w, 'folder.yaml')); }
    if (s === 'outlink') symlinkSync('../../../etc/passwd', join(w, 'escape.yaml'));
  }
  const shared: string[] = [];
  if (spec.shared.paths) {
    // One file, hard-linked: the checkout holds it once on disk; the commit names one blob from every path.
    const blob = join(w, 'copies/c0.yaml');
    mkdirSync(dirname(blob), { recursive: true });
    writeFileSync(blob, `# ${'x'.repeat(Math.max(0, spec.shared.bytes - 3))}\n`);
    for (let i = 1; i < spec.shared.paths; i++) linkSync(blob, join(w, `copies/c${i}.yaml`));
    exclude('copies');
    const oid = git(w, 'hash-object', '-w', blob);
    for (let i = 0; i < spec.shared.paths; i++) shared.push(`100644 ${oid}\tcopies/c${i}.yaml`);
  }
  if (spec.zeros) {
    // Written straight into the object store: a few hundred KiB compressed, never on disk in full.
    const oid = execFileSync('sh', ['-c', `head -c ${spec.zeros} /dev/zero | git hash-object -w --stdin`], { cwd: w, encoding: 'utf8' }).trim();
    shared.push(`100644 ${oid}\telsewhere/zeros.bin`);
    exclude('elsewhere');
  }
  git(w, 'add', '-A');
  if (shared.length) execFileSync('git', ['update-index', '--add', '--index-info'], { cwd: w, input: shared.join('\n') + '\n' });
  git(w, 'commit', '-q', '--allow-empty', '-m', 'hostile');
  await gitAsync(w, 'push', '-q', 'origin', 'HEAD:main');
  return { url: repo.url, work: w, sha: repo.head(), dirOnly: spec.specials.some((s) => s === 'fifo' || s === 'fifolink'), commitOnly: (spec.zeros ?? 0) > 0 };
}

export interface Bounded { code: number | null; signal: string | null; timedOut: boolean; stdout: string; stderr: string; ms: number; maxRssMb: number }

/** Runs `node --max-old-space-size=heapMb test/support/measured.ts <args>` and kills it after `timeoutMs`. */
export function runBounded(args: string[], opts: { heapMb: number; timeoutMs: number; env?: Record<string, string> }): Promise<Bounded> {
  const root = join(import.meta.dirname, '..', '..');
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${opts.heapMb}`, 'test/support/measured.ts', ...args], {
      cwd: root, env: { ...process.env, ...opts.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let report = '';
    child.stdout!.on('data', (d) => { if (stdout.length < 1 << 20) stdout += d; });
    child.stderr!.on('data', (d) => { if (stderr.length < 1 << 20) stderr += d; });
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d) => { report += d; });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let maxRssMb = NaN;
      try {
        maxRssMb = Math.round((JSON.parse(report) as { maxRssKb: number }).maxRssKb / 1024);
      } catch {
        // killed before it could report
      }
      resolve({ code, signal, timedOut, stdout, stderr, ms: Math.round(performance.now() - started), maxRssMb });
    });
  });
}

export interface CaseOutcome {
  validate: Bounded & { valid?: boolean; lines: string[] };
  git: Bounded & { ok?: boolean; reason?: string; lines: string[] };
}

/** The pull-request check and the git source on one built case, each bounded. */
export async function runCase(c: BuiltCase, bounds: { heapMb: number; timeoutMs: number }): Promise<CaseOutcome> {
  const v = await runBounded(['controller/cli/main.ts', 'validate', '--config', c.work, '-o', 'json'], bounds);
  let valid: boolean | undefined;
  let vLines: string[] = [];
  try {
    const j = JSON.parse(v.stdout) as { valid: boolean; errors: { text: string }[] };
    valid = j.valid;
    vLines = j.errors.map((e) => e.text);
  } catch {
    valid = undefined;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'fw-hostile-clone-'));
  try {
    const g = await runBounded(['test/support/git-load-child.ts', c.url, join(scratch, 'clone')], bounds);
    let parsed: { ok?: boolean; reason?: string; errors?: string[] } = {};
    try {
      parsed = JSON.parse(g.stdout) as typeof parsed;
    } catch {
      parsed = {};
    }
    return {
      validate: { ...v, ...(valid !== undefined ? { valid } : {}), lines: vLines },
      git: { ...g, ...(parsed.ok !== undefined ? { ok: parsed.ok } : {}), ...(parsed.reason ? { reason: parsed.reason } : {}), lines: parsed.errors ?? [] },
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
