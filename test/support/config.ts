// Builders for config revisions in tests: objects as data, YAML text from them, and loading through the
// real loader (loadDocuments, the same path as the git source) with files held in memory.
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { API_VERSION, type Kind } from '../../controller/api/types.ts';
import { LIMITS, formatConfigError, loadDocuments, type LoadResult } from '../../controller/sources/load.ts';

export type Obj = { apiVersion: string; kind: string; metadata: { name: string }; spec: Record<string, unknown> };

export const anObject = (kind: Kind, name: string, spec: Record<string, unknown>): Obj =>
  ({ apiVersion: API_VERSION, kind, metadata: { name }, spec });

export const aRing = (name: string, spec: Record<string, unknown>) => anObject('Ring', name, spec);
export const aWindow = (name: string, start: string, end: string, extra: Record<string, unknown> = {}) =>
  anObject('MaintenanceWindow', name, { start, end, ...extra });
export const aGroup = (name: string, spec: Record<string, unknown> = {}) =>
  anObject('DeviceGroup', name, { selector: { deviceTypes: ['ipPhone'] }, ...spec });
export const aPhase = (name: string, spec: Record<string, unknown> = {}) => anObject('UpdatePhase', name, spec);
export const aBatch = (name: string, spec: Record<string, unknown>) => anObject('ProvisioningBatch', name, spec);
export const anUpdate = (name: string, spec: Record<string, unknown>) =>
  anObject('SoftwareUpdate', name, { target: { group: 'phones' }, component: 'firmware', version: 'latest', ...spec });
export const aPolicy = (name: string, spec: Record<string, unknown> = {}) => anObject('FleetPolicy', name, spec);
export const aRelease = (version: string, spec: Record<string, unknown> = {}) =>
  anObject('SoftwareRelease', `fw-${version.replace(/\./g, '-')}`, { component: 'firmware', version, releasedAt: '2026-10-01T00:00:00Z', label: 'verified', ...spec });

/** Objects as one multi-document YAML file. */
export const yamlOf = (...objects: unknown[]): string => objects.map((o) => YAML.stringify(o)).join('---\n');

/** Loads files held in memory: YAML files by path; any other path is what `readFile` can see (CSV files). */
export function loadFiles(files: Record<string, string>): LoadResult {
  const yaml = Object.entries(files).filter(([p]) => /\.ya?ml$/.test(p)).map(([path, text]) => ({ path, text }));
  return loadDocuments(yaml, { revisionId: 'test', readFile: (rel) => files[rel] });
}

/** Loads the objects as one file, `config.yaml`. */
export const loadObjects = (...objects: unknown[]): LoadResult => loadFiles({ 'config.yaml': yamlOf(...objects) });

export function errorLines(r: LoadResult): string[] {
  return r.ok ? [] : r.errors.map(formatConfigError);
}

/** The revision is refused with exactly these lines, and nothing of it is handed on. */
export function assertRefused(r: LoadResult, expected: string[]): void {
  assert.equal(errorLines(r), expected);
  assert.is(r.ok, false);
  assert.not.ok('revision' in r, 'an invalid revision carries no objects');
}

/** The revision is accepted and holds these kind/name pairs. */
export function assertLoaded(r: LoadResult, expected: string[]): void {
  assert.equal(errorLines(r), [], 'expected no errors');
  if (!r.ok) return;
  assert.equal(r.revision.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [...expected].sort());
}

/** A new temporary config directory holding `files` (relative path → text, folders made as needed). */
export function writeConfigDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fw-config-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

/** Runs `fn` on a temporary config directory holding `files`, then removes it. */
export async function inConfigDir(files: Record<string, string>, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = writeConfigDir(files);
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `fn` with some of the loader's limits lowered, then puts them back. */
export async function withLimits(over: Partial<typeof LIMITS>, fn: () => unknown): Promise<void> {
  const saved = { ...LIMITS };
  Object.assign(LIMITS, over);
  try {
    await fn();
  } finally {
    Object.assign(LIMITS, saved);
  }
}
