// What this copy of Fleetward is: its version, the git revision it was built from, the Node runtime it runs
// on and the versions of its production dependencies (docs/image.md). In the image the build wrote
// build-info.json beside package.json (the image holds no .git); in a checkout the revision comes from git.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The application root: package.json, controller/, node_modules/ (the checkout, or /app in the image). */
export const APP_ROOT = join(import.meta.dirname, '..', '..');

/** The file `npm run image` writes into the image (scripts/build-image.ts). */
export const BUILD_INFO_FILE = 'build-info.json';

export interface BuildInfo {
  version: string;
  /** The commit built from (with `-dirty` when the work tree had uncommitted changes), or `unknown`. */
  revision: string;
  /** Where the source lives (the OCI label org.opencontainers.image.source). */
  source: string;
  /** When the image was built from this revision (ISO UTC; the commit's time, so rebuilding gives the same). Absent outside the image. */
  created?: string;
  /** The image's SBOM (CycloneDX JSON), relative to APP_ROOT. Absent outside the image. */
  sbom?: string;
}

export interface VersionReport extends BuildInfo {
  node: string;
  platform: string;
  /** Each production dependency in package.json, with the version installed. */
  dependencies: Record<string, string>;
}

interface PackageJson { version: string; repository?: string | { url?: string }; dependencies?: Record<string, string> }

function readPackageJson(root: string): PackageJson {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
}

export function sourceUrl(pkg: PackageJson): string {
  const repo = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url ?? '';
  return repo.replace(/^git\+/, '').replace(/\.git$/, '');
}

/** HEAD of the git work tree at `root`, `-dirty` appended when tracked files changed; undefined without git or a work tree. */
export function gitRevision(root: string): string | undefined {
  const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' });
  if (head.status !== 0 || !/^[0-9a-f]{40}$/.test(head.stdout.trim())) return undefined;
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' });
  return head.stdout.trim() + (dirty.status === 0 && dirty.stdout.trim() !== '' ? '-dirty' : '');
}

export function readBuildInfo(root = APP_ROOT): BuildInfo {
  const file = join(root, BUILD_INFO_FILE);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as BuildInfo;
  const pkg = readPackageJson(root);
  return { version: pkg.version, revision: gitRevision(root) ?? 'unknown', source: sourceUrl(pkg) };
}

export function versionReport(root = APP_ROOT): VersionReport {
  const pkg = readPackageJson(root);
  const dependencies: Record<string, string> = {};
  for (const name of Object.keys(pkg.dependencies ?? {}).sort()) {
    const manifest = join(root, 'node_modules', name, 'package.json');
    dependencies[name] = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version : 'missing';
  }
  return { ...readBuildInfo(root), node: process.versions.node, platform: `${process.platform}-${process.arch}`, dependencies };
}
