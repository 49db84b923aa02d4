// `npm run image`: builds the Fleetward OCI image with buildah FROM SCRATCH: no Docker daemon, no base image,
// nothing pulled from a container registry (docs/image.md).
//
//   node scripts/build-image.ts [--force] [--archive] [--out DIR]
//
// The image holds exactly:
//   /usr/local/bin/node          the Node 24 runtime the project already installs (the `node` npm package),
//                                symbols stripped
//   /lib…, /lib64/…              the shared libraries `ldd` says that binary needs (glibc, libstdc++, libgcc_s)
//   /etc/passwd, /etc/group      the non-root user 65532 (fleetward) the chart runs as, and nothing else
//   /app                         package.json, the lockfile, controller/ (TypeScript: Node strips the types),
//                                bin/, examples/, production dependencies from `npm ci --omit=dev`, build-info.json
//                                and the SBOM
//   /tmp                         empty; the chart mounts an emptyDir there (the root filesystem is read-only)
// It runs as 65532:65532 with `fleetward` as its entrypoint. Labels: org.opencontainers.image.* (version,
// revision, source, created, …). Beside it, in --out (default dist/): fleetward-<version>.sbom.cdx.json,
// the CycloneDX SBOM of the npm dependencies in the image; with --archive also fleetward-<version>.oci.tar.
//
// The image name is the chart's default (charts/fleetward/values.yaml image.repository, tag = package.json
// version = the chart's appVersion), so `helm install` runs what this builds. A build whose inputs (every file
// copied, the revision, this script) hash to the label of the image already there is skipped: tests and CI
// call this once per run at little cost.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync,
  rmSync, statSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { gitRevision, sourceUrl, BUILD_INFO_FILE, type BuildInfo } from '../controller/cli/build-info.ts';

export const REPO_ROOT = join(import.meta.dirname, '..');
/** The user the image runs as (and the chart's runAsUser / runAsGroup / fsGroup). */
export const IMAGE_UID = 65532;
/** Where the application lives in the image (its working directory). */
export const APP_DIR = '/app';
const NODE_IN_IMAGE = '/usr/local/bin/node';
/** The label holding the hash of everything the image was built from. */
export const INPUTS_LABEL = 'dev.fleetward.build-inputs';
/** What of the checkout goes into /app (besides node_modules from `npm ci`). */
const APP_PATHS = ['package.json', 'package-lock.json', 'bin', 'controller', 'examples'];

interface PackageJson { name: string; version: string; description?: string; license?: string; repository?: string }

export function packageJson(): PackageJson {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson;
}

/** The image reference the chart runs by default: `<values.yaml image.repository>:<package.json version>`. */
export function imageRef(): { repository: string; tag: string; ref: string } {
  const values = parseYaml(readFileSync(join(REPO_ROOT, 'charts', 'fleetward', 'values.yaml'), 'utf8')) as { image: { repository: string } };
  const repository = values.image.repository;
  const tag = packageJson().version;
  return { repository, tag, ref: `${repository}:${tag}` };
}

export function sbomFileName(version: string): string {
  return `fleetward-${version}.sbom.cdx.json`;
}

function log(s: string): void {
  process.stderr.write(`[image] ${s}\n`);
}

function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `${cmd} is not installed (see .ci/debian-packages)` : r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${String(r.stderr ?? '')}${String(r.stdout ?? '')}`);
  return String(r.stdout ?? '');
}

/** The shared libraries a dynamically linked binary loads, as `ldd` resolves them on this machine (path in the image → file here). */
export function sharedLibraries(binary: string): Map<string, string> {
  const libs = new Map<string, string>();
  for (const line of run('ldd', [binary]).split('\n')) {
    const m = /^\s*(?:\S+\s+=>\s+)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
    if (m) libs.set(m[1]!, realpathSync(m[1]!));
    else if (/not found/.test(line)) throw new Error(`ldd ${binary}: ${line.trim()}`);
  }
  return libs;
}

function walk(path: string, out: string[] = []): string[] {
  const st = lstatSync(path);
  if (st.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name), out);
  else if (st.isFile()) out.push(path);
  return out;
}

/** Files and directories of a dependency tree that nothing running needs: type declarations, source maps, docs, tests. */
function isRuntimeJunk(name: string, isDir: boolean): boolean {
  if (isDir) return ['test', 'tests', '__tests__', '.github', '.bin'].includes(name);
  // Node refuses to strip types under node_modules, so no .ts there can be run; LICENSE files stay.
  return /\.(d\.[cm]?ts|[cm]?ts|map|md|markdown|tsbuildinfo)$/i.test(name) && !/^licen[cs]e/i.test(name);
}

function pruneTree(dir: string): number {
  let removed = 0;
  const inPrebuilds = dir.endsWith('/prebuilds');
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    // Native prebuilds for other platforms (android-arm, win32-x64, …): only this one can load here.
    if (isRuntimeJunk(name, st.isDirectory()) || (inPrebuilds && st.isDirectory() && name !== `${process.platform}-${process.arch}`)) {
      removed += st.isDirectory() ? walk(p).reduce((s, f) => s + statSync(f).size, 0) : st.size;
      rmSync(p, { recursive: true, force: true });
    } else if (st.isDirectory()) {
      removed += pruneTree(p);
    }
  }
  return removed;
}

function dirBytes(dir: string): number {
  return walk(dir).reduce((s, f) => s + statSync(f).size, 0);
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** The hash of every input of the build: the runtime, its libraries, the app files, the revision, this script. */
export function inputsHash(nodeBinary: string, libs: Map<string, string>, revision: string): string {
  const h = createHash('sha256');
  const add = (label: string, data: string | Buffer) => { h.update(`${label}\0${data.length}\0`); h.update(data); };
  add('script', readFileSync(import.meta.filename));
  add('revision', revision);
  add('node', readFileSync(nodeBinary));
  for (const [inImage, file] of [...libs].sort()) add(`lib:${inImage}`, readFileSync(file));
  for (const p of APP_PATHS) for (const f of walk(join(REPO_ROOT, p))) add(`app:${relative(REPO_ROOT, f)}`, readFileSync(f));
  add('values', readFileSync(join(REPO_ROOT, 'charts', 'fleetward', 'values.yaml')));
  return h.digest('hex');
}

function imageLabel(ref: string, label: string): string | undefined {
  const r = spawnSync('buildah', ['inspect', '--type', 'image', '--format', `{{ index .OCIv1.Config.Labels "${label}" }}`, ref], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The image's size as its storage reports it (uncompressed layers), in bytes. */
export function imageSize(ref: string): number {
  return Number(run('podman', ['image', 'inspect', '--format', '{{.Size}}', ref]).trim());
}

export interface BuildResult { ref: string; id: string; size: number; sbom: string; inputs: string; built: boolean; archive?: string }

export function buildImage(opts: { force?: boolean; archive?: boolean; out?: string } = {}): BuildResult {
  const started = Date.now();
  const pkg = packageJson();
  const { ref } = imageRef();
  const out = opts.out ?? join(REPO_ROOT, 'dist');
  mkdirSync(out, { recursive: true });
  const sbomPath = join(out, sbomFileName(pkg.version));

  const nodeBinary = realpathSync(join(REPO_ROOT, 'node_modules', 'node', 'bin', 'node'));
  if (!existsSync(nodeBinary)) throw new Error(`${nodeBinary} is missing: run npm ci first (the image ships the Node of the node package)`);
  // The admin console ships as its bundle (controller/console/web/dist, made by npm ci's prepare script).
  if (!existsSync(join(REPO_ROOT, 'controller', 'console', 'web', 'dist', 'app.js'))) throw new Error('the console bundle is missing: run npm run build (npm ci makes it) before npm run image');
  const libs = sharedLibraries(nodeBinary);
  const revision = gitRevision(REPO_ROOT) ?? 'unknown';
  const inputs = inputsHash(nodeBinary, libs, revision);

  if (!opts.force && imageLabel(ref, INPUTS_LABEL) === inputs && existsSync(sbomPath) && !opts.archive) {
    const size = imageSize(ref);
    log(`${ref} is up to date (inputs ${inputs.slice(0, 12)}): ${mb(size)}`);
    return { ref, id: run('buildah', ['inspect', '--type', 'image', '--format', '{{.FromImageID}}', ref]).trim(), size, sbom: sbomPath, inputs, built: false };
  }

  // The commit's time, not the clock's: the same revision gives the same labels and file times.
  const commitTime = revision === 'unknown' ? undefined : run('git', ['log', '-1', '--format=%ct'], { cwd: REPO_ROOT }).trim();
  const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? commitTime ?? Math.floor(Date.now() / 1000));
  const created = new Date(epoch * 1000).toISOString();

  const stage = mkdtempSync(join(tmpdir(), 'fleetward-image-'));
  const root = join(stage, 'rootfs');
  const app = join(root, APP_DIR.slice(1));
  try {
    // 1. The runtime and the libraries it links, at the paths the dynamic loader looks in.
    log(`runtime: ${nodeBinary} (Node ${process.versions.node}), ${libs.size} shared libraries`);
    mkdirSync(join(root, dirname(NODE_IN_IMAGE).slice(1)), { recursive: true });
    const nodeInImage = join(root, NODE_IN_IMAGE.slice(1));
    copyFileSync(nodeBinary, nodeInImage);
    // Debug symbols are ~18 MB a runtime never reads; the dynamic symbol table (native addons) stays.
    const strip = spawnSync('strip', ['--strip-all', nodeInImage], { encoding: 'utf8' });
    if (strip.status !== 0) log(`strip unavailable or failed (${strip.error?.message ?? strip.stderr.trim()}): shipping the Node binary unstripped`);
    chmodSync(nodeInImage, 0o755);
    for (const [inImage, file] of libs) {
      mkdirSync(join(root, dirname(inImage).slice(1)), { recursive: true });
      copyFileSync(file, join(root, inImage.slice(1)));
    }

    // 2. Users, and the empty mount points. No shell, no package manager, no CA bundle (Node carries its own).
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc', 'passwd'), `root:x:0:0:root:/root:/sbin/nologin\nfleetward:x:${IMAGE_UID}:${IMAGE_UID}:fleetward:/tmp:/sbin/nologin\n`);
    writeFileSync(join(root, 'etc', 'group'), `root:x:0:\nfleetward:x:${IMAGE_UID}:\n`);
    mkdirSync(join(root, 'tmp'));
    chmodSync(join(root, 'tmp'), 0o1777);

    // 3. Production dependencies, exactly as the lockfile pins them; install scripts never run.
    mkdirSync(app, { recursive: true });
    for (const p of APP_PATHS) cpSync(join(REPO_ROOT, p), join(app, p), { recursive: true });
    log('npm ci --omit=dev (production dependencies from package-lock.json)');
    run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });

    // 4. The SBOM of what npm installed, before anything is pruned (CycloneDX, by @cyclonedx/cyclonedx-npm).
    log(`SBOM: ${relative(process.cwd(), sbomPath)}`);
    run(process.execPath, [join(REPO_ROOT, 'node_modules', '@cyclonedx', 'cyclonedx-npm', 'bin', 'cyclonedx-npm-cli.js'),
      '--omit', 'dev', '--output-reproducible', '--output-format', 'JSON', '--mc-type', 'application',
      '--output-file', sbomPath, join(app, 'package.json')], { cwd: app });
    copyFileSync(sbomPath, join(app, 'sbom.cdx.json'));

    // 5. What a runtime never reads.
    const pruned = pruneTree(join(app, 'node_modules'));
    rmSync(join(app, 'node_modules', '.package-lock.json'), { force: true });
    log(`pruned ${mb(pruned)} of type declarations, source maps, docs, tests and other platforms' prebuilds from node_modules`);

    const info: BuildInfo = { version: pkg.version, revision, source: sourceUrl(pkg), created, sbom: 'sbom.cdx.json' };
    writeFileSync(join(app, BUILD_INFO_FILE), JSON.stringify(info, null, 2) + '\n');

    const parts = { node: statSync(nodeInImage).size, libraries: [...libs.values()].reduce((s, f) => s + statSync(f).size, 0), node_modules: dirBytes(join(app, 'node_modules')) };
    const appBytes = dirBytes(app) - parts.node_modules;

    // 6. The image: one layer from scratch, owned by root (read-only to the user it runs as).
    log(`buildah: ${ref}`);
    const previous = spawnSync('buildah', ['inspect', '--type', 'image', '--format', '{{.FromImageID}}', ref], { encoding: 'utf8' }).stdout?.trim();
    const container = run('buildah', ['from', '--pull=never', 'scratch']).trim();
    try {
      run('buildah', ['copy', '--quiet', container, `${root}/`, '/']);
      const labels: Record<string, string> = {
        'org.opencontainers.image.title': 'fleetward',
        'org.opencontainers.image.description': pkg.description ?? '',
        'org.opencontainers.image.version': pkg.version,
        'org.opencontainers.image.revision': revision,
        'org.opencontainers.image.source': sourceUrl(pkg),
        'org.opencontainers.image.licenses': pkg.license ?? '',
        'org.opencontainers.image.created': created,
        [INPUTS_LABEL]: inputs,
      };
      run('buildah', ['config',
        '--entrypoint', JSON.stringify([NODE_IN_IMAGE, `${APP_DIR}/controller/cli/main.ts`]),
        '--cmd', '--help',
        '--workingdir', APP_DIR,
        '--user', `${IMAGE_UID}:${IMAGE_UID}`,
        '--env', 'NODE_ENV=production',
        '--env', 'HOME=/tmp',
        '--env', `PATH=/usr/local/bin`,
        '--port', '8080/tcp',
        '--stop-signal', 'SIGTERM',
        '--os', 'linux', '--arch', process.arch === 'x64' ? 'amd64' : process.arch,
        '--created-by', 'scripts/build-image.ts',
        ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
        container]);
      run('buildah', ['commit', '--quiet', '--rm', '--format', 'oci', '--timestamp', String(epoch), container, ref]);
    } catch (err) {
      spawnSync('buildah', ['rm', container]);
      throw err;
    }
    const id = run('buildah', ['inspect', '--type', 'image', '--format', '{{.FromImageID}}', ref]).trim();
    // The image this tag named before is left untagged: remove it, unless a container or another tag still uses it.
    if (previous && previous !== id) spawnSync('buildah', ['rmi', previous], { stdio: 'ignore' });
    const size = imageSize(ref);
    let archive: string | undefined;
    if (opts.archive) {
      archive = join(out, `fleetward-${pkg.version}.oci.tar`);
      rmSync(archive, { force: true });
      run('buildah', ['push', '--quiet', ref, `oci-archive:${archive}:${ref}`]);
    }
    log(`built ${ref} (${id.slice(0, 12)}) in ${((Date.now() - started) / 1000).toFixed(0)} s: ${mb(size)} ` +
      `(node ${mb(parts.node)}, libraries ${mb(parts.libraries)}, node_modules ${mb(parts.node_modules)}, app ${mb(appBytes)})`);
    return { ref, id, size, sbom: sbomPath, inputs, built: true, ...(archive ? { archive } : {}) };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const known = new Set(['--force', '--archive', '--out']);
  const bad = args.filter((a, i) => a.startsWith('-') && !known.has(a) && args[i - 1] !== '--out');
  if (bad.length) {
    process.stderr.write(`build-image: unknown option ${bad[0]}\nusage: node scripts/build-image.ts [--force] [--archive] [--out DIR]\n`);
    process.exit(2);
  }
  const outAt = args.indexOf('--out');
  try {
    const r = buildImage({ force: args.includes('--force'), archive: args.includes('--archive'), ...(outAt >= 0 ? { out: args[outAt + 1]! } : {}) });
    process.stdout.write(`${r.ref}\t${r.id}\t${r.size} bytes\t${(r.size / 1e6).toFixed(1)} MB\tsbom ${relative(process.cwd(), r.sbom)}${r.archive ? `\tarchive ${relative(process.cwd(), r.archive)}` : ''}\n`);
  } catch (err) {
    process.stderr.write(`build-image: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
