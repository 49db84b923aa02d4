// The fleet file (docs/design.md section 5): `devices[]` and `releases[]`, the input of `fleetward plan --fleet`
// and of the simulator. Untrusted like the config: the same size, alias and nesting limits, schema-validated,
// every error reported at once as `file:line: field.path: message`.
import { readFile, stat } from 'node:fs/promises';
import type { FleetFile } from '../api/types.ts';
import { fleetFileIssues, formatPath } from '../api/validate.ts';
import { timeZoneProblem } from '../api/rules.ts';
import { compareVersions } from '../api/version.ts';
import { normalizeMac } from '../api/mac.ts';
import { readBlockYaml } from './block-yaml.ts';
import { LIMITS, formatConfigError, parseYaml, textProblem, type ConfigError } from './load.ts';

export class FleetFileError extends Error {
  readonly errors: ConfigError[];
  constructor(errors: ConfigError[]) {
    super(errors.map(formatConfigError).join('\n'));
    this.name = 'FleetFileError';
    this.errors = errors;
  }
}

export function parseFleetFile(text: string, fileName: string): FleetFile {
  // Fast paths: a fleet file written as JSON (YAML's subset, what generators emit) or as plain block YAML
  // (what YAML writers emit) is read without a syntax tree, in a fraction of the time and memory. Lines
  // are looked for only when the file turns out to be invalid: the block reader again with lines, or the
  // full YAML parser for JSON and for anything outside the block subset.
  if (!textProblem(text, LIMITS.maxFleetFileBytes)) {
    if (/^\s*\{/.test(text)) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        value = undefined;
      }
      if (value !== undefined && check(value, fileName, () => 0).length === 0) return value as FleetFile;
    } else {
      const quick = readBlockYaml(text, { maxDepth: LIMITS.maxDepth });
      if (quick) {
        if (check(quick.value, fileName, () => 0).length === 0) return quick.value as FleetFile;
        const located = readBlockYaml(text, { maxDepth: LIMITS.maxDepth, withLines: true })!;
        throw new FleetFileError(check(located.value, fileName, located.lineOf));
      }
    }
  }
  const { docs, errors } = parseYaml(fileName, text, LIMITS.maxFleetFileBytes);
  if (errors.length) throw new FleetFileError(errors);
  if (docs.length !== 1) {
    throw new FleetFileError([{ file: fileName, line: 1, message: `a fleet file is one YAML document with devices and releases (found ${docs.length})` }]);
  }
  const { value, lineOf } = docs[0]!;
  const out = check(value, fileName, lineOf);
  if (out.length) throw new FleetFileError(out);
  return value as FleetFile;
}

/** Schema, then the checks across devices; every error, located with `lineOf`. */
function check(value: unknown, fileName: string, lineOf: (path: (string | number)[]) => number): ConfigError[] {
  const out: ConfigError[] = [];
  const at = (path: (string | number)[], message: string) => {
    const e: ConfigError = { file: fileName, line: lineOf(path), message };
    if (path.length) e.path = formatPath(path);
    out.push(e);
  };
  for (const i of fleetFileIssues(value)) at(i.path, i.message);
  if (out.length) return out;

  const fleet = value as FleetFile;
  const ids = new Map<string, number>();
  const macs = new Map<string, number>();
  fleet.devices.forEach((d, i) => {
    const first = ids.get(d.id);
    if (first !== undefined) at(['devices', i, 'id'], `device id ${JSON.stringify(d.id)} is used twice; the first is devices[${first}] (line ${lineOf(['devices', first, 'id'])})`);
    else ids.set(d.id, i);
    const zone = timeZoneProblem(d.timeZone, false);
    if (zone) at(['devices', i, 'timeZone'], zone);
    if (d.macAddress !== undefined) {
      const mac = normalizeMac(d.macAddress)!;
      const firstMac = macs.get(mac);
      if (firstMac !== undefined) at(['devices', i, 'macAddress'], `${mac} is also the MAC of devices[${firstMac}] (line ${lineOf(['devices', firstMac, 'macAddress'])})`);
      else macs.set(mac, i);
    }
  });
  fleet.releases.forEach((r, i) => {
    if (r.minimumVersion !== undefined && compareVersions(r.minimumVersion, r.version) > 0) {
      at(['releases', i, 'minimumVersion'], `${r.minimumVersion} is newer than the release itself (${r.version})`);
    }
  });
  return out;
}

export async function loadFleetFile(path: string): Promise<FleetFile> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new FleetFileError([{ file: path, line: 0, message: 'no such file' }]);
  }
  if (size > LIMITS.maxFleetFileBytes) {
    throw new FleetFileError([{ file: path, line: 0, message: `the file is ${(size / 1024 / 1024).toFixed(1)} MiB; a fleet file may be at most ${LIMITS.maxFleetFileBytes / 1024 / 1024} MiB` }]);
  }
  const bytes = await readFile(path);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new FleetFileError([{ file: path, line: 0, message: 'not a text file (not valid UTF-8); a fleet file is UTF-8 YAML' }]);
  }
  return parseFleetFile(text, path);
}
