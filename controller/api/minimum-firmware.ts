// Seed 004's table: the firmware a device must run before remote provisioning works on it, kept as data.
// A device below its model's minimum is FirmwareTooOld; once a firmware update brings it there,
// provisioning continues by itself (controller/provisioning/reconcile.ts).
import { compareVersions, isVendorVersion } from './version.ts';

export interface MinimumFirmware {
  category: 'Teams phones' | 'Teams panels';
  manufacturer: string;
  /** Model names as the seed writes them; `aliases` are other spellings back ends report. */
  models: string[];
  aliases?: string[];
  version: string;
}

export const MINIMUM_FIRMWARE: readonly MinimumFirmware[] = [
  { category: 'Teams phones', manufacturer: 'Yealink', models: ['T55', 'T56', 'T58'], version: '58.15.0.124' },
  { category: 'Teams phones', manufacturer: 'Yealink', models: ['VP59'], version: '91.15.0.58' },
  { category: 'Teams phones', manufacturer: 'Yealink', models: ['CP960'], version: '73.15.0.117' },
  { category: 'Teams phones', manufacturer: 'Yealink', models: ['MP56', 'MP54', 'MP58'], version: '122.15.0.36' },
  { category: 'Teams phones', manufacturer: 'Crestron', models: ['UC-2'], version: '1.0.3.52' },
  { category: 'Teams phones', manufacturer: 'Poly', models: ['Trio C60'], aliases: ['C60'], version: '7.0.2.1071' },
  { category: 'Teams phones', manufacturer: 'Poly', models: ['CCX400', 'CCX500', 'CCX600'], version: '7.0.2.1072' },
  { category: 'Teams phones', manufacturer: 'AudioCodes', models: ['C448HD', 'C450HD', 'C470HD'], version: '1.10.120' },
  { category: 'Teams panels', manufacturer: 'Crestron', models: ['770', '1070'], aliases: ['TSS-770', 'TSS-1070'], version: '1.004.0115' },
];

const squash = (s: string): string => s.toUpperCase().replace(/[^A-Z0-9]/g, '');

/** Poly was Polycom; AudioCodes is written "Audio Codes" in the seed. */
const MANUFACTURER_ALIASES: Record<string, string> = { POLYCOM: 'POLY', HP: 'POLY', HPPOLY: 'POLY' };
const manufacturerKey = (m: string): string => MANUFACTURER_ALIASES[squash(m)] ?? squash(m);

/**
 * The seed's row for a model, or undefined when the table does not list it. Matching ignores case,
 * spaces and dashes, a leading manufacturer name (`Yealink T58`) and a letter suffix naming a variant (`T58A`).
 */
export function minimumFirmwareFor(manufacturer: string | undefined, model: string): MinimumFirmware | undefined {
  const m = squash(model);
  for (const row of MINIMUM_FIRMWARE) {
    const maker = squash(row.manufacturer);
    if (manufacturer !== undefined && manufacturer !== '' && manufacturerKey(manufacturer) !== maker) continue;
    const bare = m.startsWith(maker) ? m.slice(maker.length) : m;
    for (const name of [...row.models, ...(row.aliases ?? [])].map(squash)) {
      if (bare === name) return row;
      // A letter suffix is a variant of the same model (T58A, T55A); a digit would be another model (T550).
      if (bare.startsWith(name) && /^[A-Z][A-Z0-9]*$/.test(bare.slice(name.length))) return row;
    }
  }
  return undefined;
}

export type FirmwareCheck =
  | { ok: true; row?: MinimumFirmware }
  | { ok: false; required: string; row: MinimumFirmware };

/** Whether a device running `firmwareVersion` may be provisioned remotely. Unlisted models are not held. */
export function checkFirmware(manufacturer: string | undefined, model: string, firmwareVersion: string): FirmwareCheck {
  const row = minimumFirmwareFor(manufacturer, model);
  if (!row) return { ok: true };
  // A version we cannot read cannot be shown to be new enough.
  if (!isVendorVersion(firmwareVersion) || compareVersions(firmwareVersion, row.version) < 0) {
    return { ok: false, required: row.version, row };
  }
  return { ok: true, row };
}
