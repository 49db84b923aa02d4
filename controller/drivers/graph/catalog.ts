// The release catalog of a tenant that has no catalog endpoint (a real Graph tenant): built from what each
// device's health says it runs and what it is offered (`softwareUpdateHealth.<type>SoftwareUpdateStatus`
// currentVersion / availableVersion). docs/drivers.md "The catalog on a real tenant" explains the choices:
//
// - A version some device is *offered* (availableVersion) is a verified release for that manufacturer and
//   model: the tenant offers only what it would install.
// - A version a device only *runs* (currentVersion, offered to nobody) is known but labelled preview: the
//   device is not on an "Unknown version" (which would stop its automatic updates), and the planner never
//   rolls it out to others (a test device put on a newer build by hand must not drag the fleet along).
// - Graph gives no release date, so `releasedAt` is when Fleetward first saw the version, kept in a file
//   so a restart does not start the deferral again. Deferrals therefore count from first sight: never
//   earlier than the vendor's date. Commit a SoftwareRelease with the real date to override an entry.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Component, FleetDevice, SoftwareReleaseSpec } from '../../api/types.ts';
import { COMPONENTS } from '../../api/types.ts';
import { isVendorVersion } from '../../api/version.ts';
import { statusKey, type GraphDeviceHealth } from './shapes.ts';

/** When each version was first seen offered or running, by component, manufacturer and version. */
export class FirstSeen {
  readonly #file: string | undefined;
  readonly #now: () => Date;
  readonly #seen: Map<string, string>;
  #dirty = false;

  /** With a file, what it holds is read now and `save()` writes it back; without, it lasts as long as the process. */
  constructor(options: { file?: string; now?: () => Date } = {}) {
    this.#file = options.file;
    this.#now = options.now ?? (() => new Date());
    this.#seen = new Map();
    if (!this.#file) return;
    let text: string;
    try {
      text = readFileSync(this.#file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new Error(`${this.#file}: not JSON (${(err as Error).message}); delete it to start counting deferrals afresh`);
    }
    for (const [k, v] of Object.entries((parsed as { firstSeen?: Record<string, unknown> })?.firstSeen ?? {})) {
      if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) this.#seen.set(k, v);
    }
  }

  at(component: Component, manufacturer: string, version: string): string {
    const key = `${component} ${manufacturer.toLowerCase()} ${version}`;
    let when = this.#seen.get(key);
    if (!when) {
      when = this.#now().toISOString();
      this.#seen.set(key, when);
      this.#dirty = true;
    }
    return when;
  }

  /** Writes the file when something new was seen (temp file, then rename: never half written). */
  save(): void {
    if (!this.#file || !this.#dirty) return;
    mkdirSync(dirname(this.#file), { recursive: true, mode: 0o700 });
    const tmp = `${this.#file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ firstSeen: Object.fromEntries([...this.#seen].sort()) }, null, 1), { mode: 0o600 });
    renameSync(tmp, this.#file);
    this.#dirty = false;
  }
}

/** The catalog the devices' health implies (rules at the top of this file), sorted for stable output. */
export function catalogFromHealth(devices: { device: FleetDevice; health: GraphDeviceHealth | undefined }[], seen: FirstSeen): SoftwareReleaseSpec[] {
  const offered = new Set<string>();
  const found = new Map<string, { component: Component; manufacturer: string; model: string; version: string }>();
  const note = (component: Component, device: FleetDevice, version: unknown): string | undefined => {
    if (typeof version !== 'string' || !isVendorVersion(version)) return undefined;
    const key = `${component}\0${device.manufacturer}\0${device.model}\0${version}`;
    if (!found.has(key)) found.set(key, { component, manufacturer: device.manufacturer, model: device.model, version });
    return key;
  };
  for (const { device, health } of devices) {
    for (const c of COMPONENTS) {
      const status = health?.softwareUpdateHealth?.[statusKey(c)];
      if (!status) continue;
      note(c, device, status.currentVersion);
      const key = note(c, device, status.availableVersion);
      if (key) offered.add(key);
    }
  }
  const out: SoftwareReleaseSpec[] = [];
  for (const [key, r] of [...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    out.push({
      component: r.component, version: r.version, manufacturer: r.manufacturer, models: [r.model],
      releasedAt: seen.at(r.component, r.manufacturer, r.version),
      label: offered.has(key) ? 'verified' : 'preview',
    });
  }
  seen.save();
  return out;
}
