// `fleetward version`: the version of package.json and the git revision of the checkout; -o json adds the Node
// runtime and each production dependency's installed version. In the image (no .git) the build's
// build-info.json says the revision; test/k8s/image.test.ts checks that copy.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, runCli } from '../support/run-cli.ts';
import { readBuildInfo, versionReport } from '../../controller/cli/build-info.ts';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim();

test('fleetward version prints the package version, the checkout\'s git revision and the Node runtime', async () => {
  const r = await runCli(['version']);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.is(lines[0], `fleetward ${pkg.version}`);
  assert.match(lines[1]!, new RegExp(`^revision: ${head}(-dirty)?$`));
  assert.is(lines[2], `node: v${process.versions.node} (${process.platform}-${process.arch})`);
});

test('-o json names every production dependency with the version installed, and the Node version', async () => {
  const r = await runCli(['version', '-o', 'json']);
  assert.is(r.code, 0, r.stderr);
  const v = JSON.parse(r.stdout);
  assert.is(v.version, pkg.version);
  assert.is(v.node, process.versions.node);
  assert.equal(Object.keys(v.dependencies), Object.keys(pkg.dependencies).sort());
  const yaml = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'yaml', 'package.json'), 'utf8')).version;
  assert.is(v.dependencies.yaml, yaml);
  assert.match(v.source, /^https:\/\//);
});

test('an unknown output format is a usage error (exit 2) and prints no version', async () => {
  const r = await runCli(['version', '-o', 'yaml']);
  assert.is(r.code, 2);
  assert.is(r.stdout, '');
  assert.match(r.stderr, /-o yaml: expected text or json/);
});

test('where a build wrote build-info.json (the image has no .git), its revision and SBOM are reported', () => {
  const root = mkdtempSync(join(tmpdir(), 'fw-version-'));
  try {
    writeFileSync(join(root, 'package.json'), JSON.stringify({ version: '9.9.9', dependencies: { yaml: '^2', gone: '^1' } }));
    mkdirSync(join(root, 'node_modules', 'yaml'), { recursive: true });
    writeFileSync(join(root, 'node_modules', 'yaml', 'package.json'), JSON.stringify({ version: '2.8.0' }));
    const info = { version: '9.9.9', revision: 'a'.repeat(40), source: 'https://example.com/fleetward', created: '2026-01-02T03:04:05.000Z', sbom: 'sbom.cdx.json' };
    writeFileSync(join(root, 'build-info.json'), JSON.stringify(info));
    assert.equal(readBuildInfo(root), info);
    const report = versionReport(root);
    assert.is(report.revision, 'a'.repeat(40));
    assert.equal(report.dependencies, { gone: 'missing', yaml: '2.8.0' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('outside git and without build-info.json the revision reads unknown rather than a guess', () => {
  const root = mkdtempSync(join(tmpdir(), 'fw-version-'));
  try {
    writeFileSync(join(root, 'package.json'), JSON.stringify({ version: '1.2.3', repository: 'git+https://example.com/x.git' }));
    assert.equal(readBuildInfo(root), { version: '1.2.3', revision: 'unknown', source: 'https://example.com/x' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
