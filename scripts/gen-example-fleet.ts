// Writes examples/fleet.yaml: about 200 simulated devices across eight sites and the models of
// seed 004's firmware table (plus room systems), and the release catalog they are measured against.
//
//   npm run gen:fleet            rewrite examples/fleet.yaml
//   npm run gen:fleet -- --check exit 1 if the committed file differs from what this script writes
//
// Deterministic: a seeded PRNG (mulberry32), no Math.random, no clock. Release dates are relative
// to the fixed REFERENCE_DATE below, so the file only changes when this script does.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import YAML from 'yaml';
import { mulberry32 } from '../controller/util/random.ts';
import type {
  ActivityState, Component, DeviceType, FleetDevice, FleetFile, HealthStatus, SoftwareReleaseSpec,
} from '../controller/api/types.ts';

export const REFERENCE_DATE = '2026-11-23T00:00:00Z';
export const FLEET_PATH = join(import.meta.dirname, '..', 'examples', 'fleet.yaml');
const SEED = 0x5eed_f1ee;

// ---- Deterministic randomness (mulberry32, controller/util/random.ts) ---------------------------

/** FNV-1a, for the shard label: a device keeps its shard whatever else changes in the file. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

// ---- Release catalog ----------------------------------------------------------------------------

interface Rel {
  version: string;
  /** Days before REFERENCE_DATE. */
  daysAgo: number;
  label?: 'verified' | 'preview';
  minimumVersion?: string;
  critical?: boolean;
  blocked?: string;
}

interface Family {
  /** Key used by the device catalog below. */
  key: string;
  manufacturer: string;
  models: string[];
  component: Component;
  releases: Rel[];
  /** Versions devices run that the catalog does not know (seed 000: "Unknown version"). */
  unknown?: string[];
}

// Firmware lines follow seed 004's table; the minimum firmware for remote provisioning is the
// second release of each of those lines, so devices on the first are "below the minimum".
const FIRMWARE: Family[] = [
  {
    key: 'yealink-t5x', manufacturer: 'Yealink', models: ['T55', 'T56', 'T58'], component: 'firmware',
    unknown: ['58.15.0.96', '58.15.0.109'],
    releases: [
      { version: '58.15.0.118', daysAgo: 425 },
      { version: '58.15.0.124', daysAgo: 369 }, // seed 004 minimum
      { version: '58.15.0.130', daysAgo: 299, minimumVersion: '58.15.0.118' },
      { version: '58.15.0.137', daysAgo: 229, minimumVersion: '58.15.0.124' },
      { version: '58.15.0.142', daysAgo: 131, minimumVersion: '58.15.0.130' },
      { version: '58.15.0.148', daysAgo: 54, minimumVersion: '58.15.0.137' },
      { version: '58.15.0.151', daysAgo: 12, label: 'preview', minimumVersion: '58.15.0.142' },
    ],
  },
  {
    key: 'yealink-vp59', manufacturer: 'Yealink', models: ['VP59'], component: 'firmware',
    unknown: ['91.15.0.41'],
    releases: [
      { version: '91.15.0.52', daysAgo: 410 },
      { version: '91.15.0.58', daysAgo: 348 }, // seed 004 minimum
      { version: '91.15.0.65', daysAgo: 250, minimumVersion: '91.15.0.52' },
      { version: '91.15.0.71', daysAgo: 152, minimumVersion: '91.15.0.58' },
      { version: '91.15.0.76', daysAgo: 47, minimumVersion: '91.15.0.65' },
    ],
  },
  {
    key: 'yealink-cp960', manufacturer: 'Yealink', models: ['CP960'], component: 'firmware',
    releases: [
      { version: '73.15.0.110', daysAgo: 418 },
      { version: '73.15.0.117', daysAgo: 320 }, // seed 004 minimum
      { version: '73.15.0.124', daysAgo: 194, minimumVersion: '73.15.0.110' },
      { version: '73.15.0.129', daysAgo: 61, minimumVersion: '73.15.0.117' },
    ],
  },
  {
    key: 'yealink-mp5x', manufacturer: 'Yealink', models: ['MP54', 'MP56', 'MP58'], component: 'firmware',
    unknown: ['122.15.0.22'],
    releases: [
      { version: '122.15.0.30', daysAgo: 404 },
      { version: '122.15.0.36', daysAgo: 341 }, // seed 004 minimum
      { version: '122.15.0.44', daysAgo: 257, minimumVersion: '122.15.0.30' },
      { version: '122.15.0.52', daysAgo: 173, minimumVersion: '122.15.0.36' },
      { version: '122.15.0.58', daysAgo: 82, minimumVersion: '122.15.0.44' },
      { version: '122.15.0.61', daysAgo: 19, minimumVersion: '122.15.0.52' },
    ],
  },
  {
    key: 'crestron-uc2', manufacturer: 'Crestron', models: ['UC-2'], component: 'firmware',
    releases: [
      { version: '1.0.3.48', daysAgo: 395 },
      { version: '1.0.3.52', daysAgo: 333 }, // seed 004 minimum
      { version: '1.0.3.61', daysAgo: 208, minimumVersion: '1.0.3.48' },
      { version: '1.0.3.67', daysAgo: 68, minimumVersion: '1.0.3.52' },
    ],
  },
  {
    key: 'poly-trio', manufacturer: 'Poly', models: ['Trio C60'], component: 'firmware',
    unknown: ['7.0.1.1020'],
    releases: [
      { version: '7.0.2.1065', daysAgo: 421 },
      { version: '7.0.2.1071', daysAgo: 355 }, // seed 004 minimum
      { version: '7.0.2.1080', daysAgo: 263, minimumVersion: '7.0.2.1065' },
      { version: '7.0.2.1094', daysAgo: 145, minimumVersion: '7.0.2.1071' },
      { version: '7.2.0.1012', daysAgo: 40, minimumVersion: '7.0.2.1080' },
    ],
  },
  {
    key: 'poly-ccx', manufacturer: 'Poly', models: ['CCX400', 'CCX500', 'CCX600'], component: 'firmware',
    unknown: ['7.0.2.1050'],
    releases: [
      { version: '7.0.2.1060', daysAgo: 415 },
      { version: '7.0.2.1072', daysAgo: 355 }, // seed 004 minimum
      { version: '7.0.2.1085', daysAgo: 271, minimumVersion: '7.0.2.1060' },
      { version: '7.0.2.1099', daysAgo: 166, minimumVersion: '7.0.2.1072' },
      { version: '7.2.0.1010', daysAgo: 33, minimumVersion: '7.0.2.1085' },
    ],
  },
  {
    key: 'audiocodes-c4xx', manufacturer: 'AudioCodes', models: ['C448HD', 'C450HD', 'C470HD'], component: 'firmware',
    unknown: ['1.10.98'],
    releases: [
      { version: '1.10.112', daysAgo: 412 },
      { version: '1.10.120', daysAgo: 362 }, // seed 004 minimum
      { version: '1.12.260', daysAgo: 278, minimumVersion: '1.10.112' },
      { version: '1.14.310', daysAgo: 187, minimumVersion: '1.10.120' },
      { version: '1.16.402', daysAgo: 96, minimumVersion: '1.12.260' },
      {
        version: '1.17.118', daysAgo: 26, minimumVersion: '1.14.310',
        blocked: 'Withdrawn by the vendor: handset audio drops after two hours on C470HD (AudioCodes advisory, November 2026).',
      },
    ],
  },
  {
    key: 'crestron-tss', manufacturer: 'Crestron', models: ['TSS-770', 'TSS-1070'], component: 'firmware',
    unknown: ['1.003.0093'],
    releases: [
      { version: '1.004.0107', daysAgo: 400 },
      { version: '1.004.0115', daysAgo: 337 }, // seed 004 minimum
      { version: '1.005.0032', daysAgo: 236, minimumVersion: '1.004.0107' },
      { version: '1.005.0047', daysAgo: 124, minimumVersion: '1.004.0115' },
      { version: '1.006.0012', daysAgo: 21, label: 'preview', minimumVersion: '1.005.0032' },
    ],
  },
  {
    key: 'logitech-tap-scheduler', manufacturer: 'Logitech', models: ['Tap Scheduler'], component: 'firmware',
    releases: [
      { version: '1.5.211', daysAgo: 380 },
      { version: '1.6.184', daysAgo: 215 },
      { version: '1.7.21', daysAgo: 75 },
    ],
  },
  // Android collaboration bars (Teams Rooms on Android).
  {
    key: 'poly-studio-x', manufacturer: 'Poly', models: ['Studio X30', 'Studio X50'], component: 'firmware',
    unknown: ['4.0.1.340210'],
    releases: [
      { version: '4.1.0.360005', daysAgo: 407 },
      { version: '4.2.0.380112', daysAgo: 292 },
      { version: '4.3.1.400087', daysAgo: 180, minimumVersion: '4.1.0.360005' },
      { version: '4.4.0.420015', daysAgo: 57, minimumVersion: '4.2.0.380112' },
    ],
  },
  {
    key: 'yealink-meetingbar', manufacturer: 'Yealink', models: ['MeetingBar A20', 'MeetingBar A30'], component: 'firmware',
    releases: [
      { version: '133.15.0.40', daysAgo: 398 },
      { version: '133.15.0.48', daysAgo: 285 },
      { version: '133.15.0.55', daysAgo: 159, minimumVersion: '133.15.0.40' },
      { version: '133.15.0.61', daysAgo: 44, minimumVersion: '133.15.0.48' },
    ],
  },
  {
    key: 'logitech-rally-bar', manufacturer: 'Logitech', models: ['Rally Bar', 'Rally Bar Mini'], component: 'firmware',
    releases: [
      { version: '1.12.150', daysAgo: 390 },
      { version: '1.13.92', daysAgo: 244 },
      { version: '1.14.45', daysAgo: 89 },
    ],
  },
  // Teams Rooms on Windows: the OEM's firmware bundle.
  {
    key: 'logitech-rally-plus', manufacturer: 'Logitech', models: ['Rally Plus'], component: 'firmware',
    releases: [
      { version: '1.8.31', daysAgo: 402 },
      { version: '1.9.12', daysAgo: 276 },
      { version: '1.9.40', daysAgo: 170, minimumVersion: '1.8.31' },
      { version: '1.10.7', daysAgo: 64, minimumVersion: '1.9.12' },
    ],
  },
  {
    key: 'lenovo-thinksmart-core', manufacturer: 'Lenovo', models: ['ThinkSmart Core'], component: 'firmware',
    releases: [
      { version: '2.1.5.0', daysAgo: 386 },
      { version: '2.1.9.0', daysAgo: 222 },
      { version: '2.2.3.0', daysAgo: 71 },
    ],
  },
  {
    key: 'crestron-flex', manufacturer: 'Crestron', models: ['Flex UC-M70-T'], component: 'firmware',
    releases: [
      { version: '2.3.4.19', daysAgo: 377 },
      { version: '2.4.1.7', daysAgo: 239 },
      { version: '2.4.3.2', daysAgo: 99, minimumVersion: '2.3.4.19' },
    ],
  },
];

const ANDROID_PHONE_MODELS = ['T55', 'T56', 'T58', 'VP59', 'CP960', 'MP54', 'MP56', 'MP58', 'UC-2', 'Trio C60', 'CCX400', 'CCX500', 'CCX600', 'C448HD', 'C450HD', 'C470HD'];
const ANDROID_ROOM_MODELS = ['Studio X30', 'Studio X50', 'MeetingBar A20', 'MeetingBar A30', 'Rally Bar', 'Rally Bar Mini'];
const PANEL_MODELS = ['TSS-770', 'TSS-1070', 'Tap Scheduler'];
const ANDROID_MODELS = [...ANDROID_PHONE_MODELS, ...ANDROID_ROOM_MODELS, ...PANEL_MODELS];
const WINDOWS_ROOM_MODELS = ['Rally Plus', 'ThinkSmart Core', 'Flex UC-M70-T'];

const SOFTWARE: Family[] = [
  {
    // The Teams app on Android devices. The version scheme changed from 1.0.96.<date><build> to 1.6.00.<build>;
    // numeric comparison orders both correctly (1.6 > 1.0.96).
    key: 'teams-android', manufacturer: '', models: ANDROID_MODELS, component: 'teamsClient',
    unknown: ['1.0.94.2024121701'],
    releases: [
      { version: '1.0.96.2025061002', daysAgo: 432 },
      { version: '1.0.96.2025082104', daysAgo: 383 },
      { version: '1.6.00.1876', daysAgo: 306, minimumVersion: '1.0.96.2025061002' },
      { version: '1.6.00.2410', daysAgo: 222 },
      { version: '1.6.00.3052', daysAgo: 124, minimumVersion: '1.6.00.1876' },
      { version: '1.6.00.3598', daysAgo: 40 },
      { version: '1.6.00.3811', daysAgo: 11, label: 'preview' },
    ],
  },
  {
    // The Teams Rooms app on Windows. 5.4.63.0 fixes a sign-in token leak: critical, so it enters the first ring at
    // once; rooms older than 5.3.22.0 reach it in two hops.
    key: 'teams-rooms-windows', manufacturer: '', models: WINDOWS_ROOM_MODELS, component: 'teamsClient',
    releases: [
      { version: '5.1.25.0', daysAgo: 429 },
      { version: '5.2.115.0', daysAgo: 340 },
      { version: '5.3.22.0', daysAgo: 243, minimumVersion: '5.1.25.0' },
      { version: '5.3.45.0', daysAgo: 152 },
      { version: '5.4.56.0', daysAgo: 62, minimumVersion: '5.2.115.0' },
      { version: '5.4.63.0', daysAgo: 6, critical: true, minimumVersion: '5.3.22.0' },
    ],
  },
  {
    key: 'windows-os', manufacturer: '', models: WINDOWS_ROOM_MODELS, component: 'operatingSystem',
    releases: [
      { version: '10.0.19045.5011', daysAgo: 401 },
      { version: '10.0.22631.4317', daysAgo: 300 },
      { version: '10.0.26100.2894', daysAgo: 120 },
    ],
  },
  {
    key: 'company-portal', manufacturer: '', models: ANDROID_MODELS, component: 'companyPortal',
    releases: [
      { version: '5.0.6198.0', daysAgo: 396 },
      { version: '5.0.6301.0', daysAgo: 248 },
      { version: '5.0.6402.0', daysAgo: 87 },
    ],
  },
  {
    key: 'admin-agent', manufacturer: '', models: ANDROID_MODELS, component: 'adminAgent',
    releases: [
      { version: '1.0.0.202508110920', daysAgo: 388 },
      { version: '1.0.0.202603020815', daysAgo: 232 },
      { version: '1.0.0.202609140930', daysAgo: 59 },
    ],
  },
  {
    key: 'yealink-partner-agent', manufacturer: 'Yealink', models: ['T55', 'T56', 'T58', 'VP59', 'CP960', 'MP54', 'MP56', 'MP58', 'MeetingBar A20', 'MeetingBar A30'], component: 'partnerAgent',
    releases: [
      { version: '1.4.28', daysAgo: 365 },
      { version: '1.5.6', daysAgo: 140 },
    ],
  },
];

function releaseSpecs(): SoftwareReleaseSpec[] {
  const ref = DateTime.fromISO(REFERENCE_DATE, { zone: 'utc' });
  const out: SoftwareReleaseSpec[] = [];
  for (const fam of [...FIRMWARE, ...SOFTWARE]) {
    for (const r of fam.releases) {
      // Vendors publish on weekdays, 16:00 UTC: a date falling on a weekend moves back to the Friday.
      let at = ref.minus({ days: r.daysAgo }).set({ hour: 16 });
      if (at.weekday > 5) at = at.minus({ days: at.weekday - 5 });
      const spec: SoftwareReleaseSpec = {
        component: fam.component,
        version: r.version,
        ...(fam.manufacturer ? { manufacturer: fam.manufacturer } : {}),
        models: fam.models,
        releasedAt: at.toISO({ suppressMilliseconds: true })!.replace('+00:00', 'Z'),
        label: r.label ?? 'verified',
      };
      if (r.minimumVersion) spec.minimumVersion = r.minimumVersion;
      if (r.critical) spec.critical = true;
      if (r.blocked) spec.blocked = { reason: r.blocked };
      out.push(spec);
    }
  }
  return out;
}

// ---- Sites and device models --------------------------------------------------------------------

interface Site {
  code: string;
  city: string;
  timeZone: string;
  building: string;
  floors: number[];
  executiveFloor?: number;
  /** How many of each kind of device the site has. */
  phones: number;
  rooms: number;
  bars: number;
  panels: number;
  labRooms?: number;
  executiveRooms?: number;
  contactCentrePhones?: number;
}

const SITES: Site[] = [
  { code: 'lon', city: 'London', timeZone: 'Europe/London', building: 'Bishopsgate', floors: [2, 5, 6, 12], executiveFloor: 30, phones: 24, rooms: 9, bars: 4, panels: 7, labRooms: 2, executiveRooms: 2 },
  { code: 'par', city: 'Paris', timeZone: 'Europe/Paris', building: 'La Defense', floors: [3, 4, 7], phones: 16, rooms: 4, bars: 3, panels: 4 },
  { code: 'nyc', city: 'New York', timeZone: 'America/New_York', building: 'Hudson Yards', floors: [18, 19, 21], executiveFloor: 52, phones: 20, rooms: 7, bars: 3, panels: 6, labRooms: 1, executiveRooms: 2 },
  { code: 'chi', city: 'Chicago', timeZone: 'America/Chicago', building: 'Wacker Drive', floors: [9, 10], phones: 12, rooms: 3, bars: 2, panels: 3 },
  { code: 'sfo', city: 'San Francisco', timeZone: 'America/Los_Angeles', building: 'Market Street', floors: [4, 5], phones: 9, rooms: 3, bars: 3, panels: 3, labRooms: 1 },
  { code: 'sin', city: 'Singapore', timeZone: 'Asia/Singapore', building: 'Marina Bay', floors: [21, 22], executiveFloor: 40, phones: 10, rooms: 3, bars: 2, panels: 3, executiveRooms: 1 },
  { code: 'syd', city: 'Sydney', timeZone: 'Australia/Sydney', building: 'Barangaroo', floors: [2, 3], phones: 8, rooms: 2, bars: 2, panels: 2 },
  { code: 'blr', city: 'Bengaluru', timeZone: 'Asia/Kolkata', building: 'Whitefield', floors: [1, 2], phones: 6, rooms: 2, bars: 1, panels: 2, contactCentrePhones: 8 },
];

interface Model {
  manufacturer: string;
  model: string;
  deviceType: DeviceType;
  firmware: string; // FIRMWARE family key
  teams: 'teams-android' | 'teams-rooms-windows';
  oui: string;
  weight: number;
}

const DESK_PHONES: Model[] = [
  { manufacturer: 'Yealink', model: 'T55', deviceType: 'ipPhone', firmware: 'yealink-t5x', teams: 'teams-android', oui: '80-5E-C0', weight: 4 },
  { manufacturer: 'Yealink', model: 'T56', deviceType: 'ipPhone', firmware: 'yealink-t5x', teams: 'teams-android', oui: '80-5E-C0', weight: 5 },
  { manufacturer: 'Yealink', model: 'T58', deviceType: 'ipPhone', firmware: 'yealink-t5x', teams: 'teams-android', oui: '80-5E-C0', weight: 3 },
  { manufacturer: 'Yealink', model: 'VP59', deviceType: 'ipPhone', firmware: 'yealink-vp59', teams: 'teams-android', oui: '24-9A-D8', weight: 1 },
  { manufacturer: 'Yealink', model: 'MP56', deviceType: 'ipPhone', firmware: 'yealink-mp5x', teams: 'teams-android', oui: '44-DB-D2', weight: 4 },
  { manufacturer: 'Yealink', model: 'MP58', deviceType: 'ipPhone', firmware: 'yealink-mp5x', teams: 'teams-android', oui: '44-DB-D2', weight: 2 },
  { manufacturer: 'Yealink', model: 'MP54', deviceType: 'lowCostPhone', firmware: 'yealink-mp5x', teams: 'teams-android', oui: '44-DB-D2', weight: 3 },
  { manufacturer: 'Poly', model: 'CCX400', deviceType: 'lowCostPhone', firmware: 'poly-ccx', teams: 'teams-android', oui: '64-16-7F', weight: 3 },
  { manufacturer: 'Poly', model: 'CCX500', deviceType: 'ipPhone', firmware: 'poly-ccx', teams: 'teams-android', oui: '64-16-7F', weight: 3 },
  { manufacturer: 'Poly', model: 'CCX600', deviceType: 'ipPhone', firmware: 'poly-ccx', teams: 'teams-android', oui: '64-16-7F', weight: 2 },
  { manufacturer: 'AudioCodes', model: 'C448HD', deviceType: 'lowCostPhone', firmware: 'audiocodes-c4xx', teams: 'teams-android', oui: '00-90-8F', weight: 2 },
  { manufacturer: 'AudioCodes', model: 'C450HD', deviceType: 'ipPhone', firmware: 'audiocodes-c4xx', teams: 'teams-android', oui: '00-90-8F', weight: 3 },
  { manufacturer: 'AudioCodes', model: 'C470HD', deviceType: 'ipPhone', firmware: 'audiocodes-c4xx', teams: 'teams-android', oui: '00-90-8F', weight: 2 },
  { manufacturer: 'Crestron', model: 'UC-2', deviceType: 'ipPhone', firmware: 'crestron-uc2', teams: 'teams-android', oui: '00-10-7F', weight: 1 },
];
const LOBBY_PHONES = DESK_PHONES.filter((m) => m.deviceType === 'lowCostPhone');
const EXECUTIVE_PHONES = DESK_PHONES.filter((m) => ['T58', 'VP59', 'MP58', 'CCX600', 'C470HD'].includes(m.model));
const CONFERENCE_PHONES: Model[] = [
  { manufacturer: 'Poly', model: 'Trio C60', deviceType: 'ipPhone', firmware: 'poly-trio', teams: 'teams-android', oui: '00-04-F2', weight: 3 },
  { manufacturer: 'Yealink', model: 'CP960', deviceType: 'ipPhone', firmware: 'yealink-cp960', teams: 'teams-android', oui: '24-9A-D8', weight: 2 },
];
const ROOM_SYSTEMS: Model[] = [
  { manufacturer: 'Logitech', model: 'Rally Plus', deviceType: 'teamsRoom', firmware: 'logitech-rally-plus', teams: 'teams-rooms-windows', oui: '6C-B3-11', weight: 3 },
  { manufacturer: 'Lenovo', model: 'ThinkSmart Core', deviceType: 'teamsRoom', firmware: 'lenovo-thinksmart-core', teams: 'teams-rooms-windows', oui: '98-FA-9B', weight: 2 },
  { manufacturer: 'Crestron', model: 'Flex UC-M70-T', deviceType: 'teamsRoom', firmware: 'crestron-flex', teams: 'teams-rooms-windows', oui: '00-10-7F', weight: 2 },
];
const BARS: Model[] = [
  { manufacturer: 'Poly', model: 'Studio X30', deviceType: 'collaborationBar', firmware: 'poly-studio-x', teams: 'teams-android', oui: '00-04-F2', weight: 2 },
  { manufacturer: 'Poly', model: 'Studio X50', deviceType: 'collaborationBar', firmware: 'poly-studio-x', teams: 'teams-android', oui: '00-04-F2', weight: 3 },
  { manufacturer: 'Yealink', model: 'MeetingBar A20', deviceType: 'collaborationBar', firmware: 'yealink-meetingbar', teams: 'teams-android', oui: '24-9A-D8', weight: 2 },
  { manufacturer: 'Yealink', model: 'MeetingBar A30', deviceType: 'collaborationBar', firmware: 'yealink-meetingbar', teams: 'teams-android', oui: '24-9A-D8', weight: 2 },
  { manufacturer: 'Logitech', model: 'Rally Bar', deviceType: 'collaborationBar', firmware: 'logitech-rally-bar', teams: 'teams-android', oui: '6C-B3-11', weight: 2 },
  { manufacturer: 'Logitech', model: 'Rally Bar Mini', deviceType: 'collaborationBar', firmware: 'logitech-rally-bar', teams: 'teams-android', oui: '6C-B3-11', weight: 2 },
];
const PANELS: Model[] = [
  { manufacturer: 'Crestron', model: 'TSS-770', deviceType: 'teamsPanel', firmware: 'crestron-tss', teams: 'teams-android', oui: '00-10-7F', weight: 3 },
  { manufacturer: 'Crestron', model: 'TSS-1070', deviceType: 'teamsPanel', firmware: 'crestron-tss', teams: 'teams-android', oui: '00-10-7F', weight: 2 },
  { manufacturer: 'Logitech', model: 'Tap Scheduler', deviceType: 'teamsPanel', firmware: 'logitech-tap-scheduler', teams: 'teams-android', oui: '6C-B3-11', weight: 2 },
];

const ROOM_NAMES = ['Thames', 'Severn', 'Avon', 'Tyne', 'Mersey', 'Trent', 'Wye', 'Ouse', 'Tamar', 'Exe', 'Dee', 'Cam', 'Isis', 'Kennet'];

// ---- Generation -----------------------------------------------------------------------------------

class Generator {
  private readonly rand: () => number;
  private readonly macs = new Set<string>();
  readonly devices: FleetDevice[] = [];
  private readonly families = new Map<string, Family>([...FIRMWARE, ...SOFTWARE].map((f) => [f.key, f]));

  constructor(seed: number) {
    this.rand = mulberry32(seed);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rand() * items.length)]!;
  }

  private weighted(models: readonly Model[]): Model {
    const total = models.reduce((s, m) => s + m.weight, 0);
    let r = this.rand() * total;
    for (const m of models) {
      r -= m.weight;
      if (r < 0) return m;
    }
    return models[models.length - 1]!;
  }

  /** A unique MAC under the model's OUI. The fourth octet stays below F0: that range is left to provisioning batches. */
  private mac(oui: string): string {
    for (;;) {
      const b = [Math.floor(this.rand() * 0xf0), Math.floor(this.rand() * 256), Math.floor(this.rand() * 256)];
      const mac = `${oui}-${b.map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join('-')}`;
      if (!this.macs.has(mac)) {
        this.macs.add(mac);
        return mac;
      }
    }
  }

  private serial(prefix: string): string {
    const alphabet = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';
    let s = prefix;
    for (let i = 0; i < 10; i++) s += this.pick([...alphabet]);
    return s;
  }

  /**
   * The version a device runs: mostly one of the newer verified releases, sometimes several releases
   * behind (step-wise hops), sometimes below seed 004's minimum, rarely an unknown or preview build.
   * `early` marks canary devices, the only ones already on a release younger than 30 days.
   */
  private version(familyKey: string, early: boolean): string {
    const fam = this.families.get(familyKey)!;
    // Only canary devices (lab rooms, lobby phones) already run a release younger than 30 days.
    const usable = fam.releases.filter((r) => !r.blocked && (r.label ?? 'verified') === 'verified' && (early || r.daysAgo >= 30));
    const r = this.rand();
    if (r < 0.05 && fam.unknown?.length) return this.pick(fam.unknown);
    if (r < 0.09 && fam.releases.some((x) => x.label === 'preview')) return fam.releases.find((x) => x.label === 'preview')!.version;
    if (r < 0.17) return usable[0]!.version; // the oldest release: several behind, below the provisioning minimum
    if (r < 0.32) return usable[Math.min(1, usable.length - 1)]!.version;
    // The rest: spread over the newer half, weighted toward two-behind (phases defer 30 to 90 days).
    const newer = usable.slice(Math.max(0, usable.length - 3)).map((x) => x.version);
    return this.pick(newer.length > 1 ? [...newer, ...newer.slice(0, -1)] : newer);
  }

  private state(kind: 'phone' | 'room'): { online: boolean; activityState: ActivityState; healthStatus: HealthStatus } {
    const r = this.rand();
    if (r < 0.07) return { online: false, activityState: 'offline', healthStatus: 'offline' };
    const busy = this.rand() < (kind === 'room' ? 0.18 : 0.08);
    const h = this.rand();
    const healthStatus: HealthStatus = h < 0.06 ? 'critical' : h < 0.18 ? 'nonUrgent' : 'healthy';
    return { online: true, activityState: busy ? 'busy' : 'idle', healthStatus };
  }

  add(site: Site, kind: 'phone' | 'room' | 'bar' | 'panel', n: number, model: Model, area: string, floor: number, displayName: string): void {
    const id = `${site.code}-${kind}-${String(n).padStart(3, '0')}`;
    const early = area === 'lab' || area === 'lobby';
    const software: Partial<Record<Component, string>> = {
      firmware: this.version(model.firmware, early),
      teamsClient: this.version(model.teams, early),
    };
    if (model.teams === 'teams-android') {
      software.companyPortal = this.version('company-portal', early);
      software.adminAgent = this.version('admin-agent', early);
      if (model.manufacturer === 'Yealink') software.partnerAgent = this.version('yealink-partner-agent', early);
    } else {
      software.operatingSystem = this.version('windows-os', early);
    }
    this.devices.push({
      id,
      displayName,
      macAddress: this.mac(model.oui),
      serialNumber: this.serial(model.manufacturer.slice(0, 2).toUpperCase()),
      deviceType: model.deviceType,
      manufacturer: model.manufacturer,
      model: model.model,
      timeZone: site.timeZone,
      labels: {
        site: site.code,
        building: site.building.toLowerCase().replace(/\s+/g, '-'),
        floor: String(floor),
        area,
        'fleetward.dev/shard': String(fnv1a(id) % 4),
      },
      ...this.state(kind === 'phone' ? 'phone' : 'room'),
      software,
    });
  }

  site(site: Site): void {
    const city = site.city;
    let phone = 0, room = 0, bar = 0, panel = 0;
    const roomNames: { name: string; floor: number; area: string }[] = [];

    // Phones: one or two lobby courtesy phones, the executive floor, the contact centre, then desks.
    const lobbyCount = site.phones >= 14 ? 2 : 1;
    for (let i = 0; i < lobbyCount; i++) this.add(site, 'phone', ++phone, this.weighted(LOBBY_PHONES), 'lobby', 0, `${city} lobby phone ${i + 1}`);
    if (site.executiveFloor !== undefined) {
      for (let i = 0; i < 4; i++) this.add(site, 'phone', ++phone, this.weighted(EXECUTIVE_PHONES), 'executive', site.executiveFloor, `${city} ${site.executiveFloor}.${String(i + 1).padStart(2, '0')} (executive)`);
    }
    for (let i = 0; i < (site.contactCentrePhones ?? 0); i++) {
      this.add(site, 'phone', ++phone, this.weighted(DESK_PHONES.filter((m) => m.manufacturer === 'Poly' || m.manufacturer === 'AudioCodes')), 'contact-centre', site.floors[0]!, `${city} contact centre seat ${i + 1}`);
    }
    while (phone < site.phones + (site.contactCentrePhones ?? 0)) {
      const floor = this.pick(site.floors);
      const conference = this.rand() < 0.12;
      this.add(site, 'phone', ++phone, this.weighted(conference ? CONFERENCE_PHONES : DESK_PHONES), 'office', floor,
        conference ? `${city} ${floor}F conference phone` : `${city} ${floor}.${String(10 + phone).padStart(2, '0')} desk`);
    }

    // Room systems: lab rooms (Staging ring), executive rooms, then meeting rooms.
    for (let i = 0; i < site.rooms; i++) {
      const area = i < (site.labRooms ?? 0) ? 'lab' : i < (site.labRooms ?? 0) + (site.executiveRooms ?? 0) ? 'executive' : 'meeting';
      const floor = area === 'executive' ? site.executiveFloor! : this.pick(site.floors);
      const name = area === 'executive' ? `Boardroom ${i + 1 - (site.labRooms ?? 0)}` : area === 'lab' ? `AV Lab ${i + 1}` : ROOM_NAMES[(i + site.code.charCodeAt(0)) % ROOM_NAMES.length]!;
      roomNames.push({ name, floor, area });
      this.add(site, 'room', ++room, this.weighted(ROOM_SYSTEMS), area, floor, `${site.code.toUpperCase()}-${floor}-${name}`);
    }
    // Collaboration bars in huddle rooms.
    for (let i = 0; i < site.bars; i++) {
      const floor = this.pick(site.floors);
      this.add(site, 'bar', ++bar, this.weighted(BARS), 'huddle', floor, `${site.code.toUpperCase()}-${floor}-Huddle ${i + 1}`);
    }
    // Scheduling panels outside rooms.
    for (let i = 0; i < site.panels; i++) {
      const r = roomNames[i % Math.max(1, roomNames.length)];
      const floor = r?.floor ?? this.pick(site.floors);
      this.add(site, 'panel', ++panel, this.weighted(PANELS), r?.area === 'executive' ? 'executive' : 'meeting', floor,
        `${site.code.toUpperCase()}-${floor}-${r?.name ?? 'Room'} panel${i >= roomNames.length ? ' 2' : ''}`);
    }
  }
}

export function generateExampleFleet(): FleetFile {
  const g = new Generator(SEED);
  for (const s of SITES) g.site(s);
  return { devices: g.devices, releases: releaseSpecs() };
}

const header = (devices: number) => `# The simulated fleet of the example config (examples/config): ${devices} devices at eight sites, and the
# release catalog they are measured against. Generated by scripts/gen-example-fleet.ts (npm run gen:fleet);
# do not edit by hand. Release dates are relative to ${REFERENCE_DATE}. See docs/spec/fleet-file.md.
`;

/** The fleet as the YAML text committed in examples/fleet.yaml. */
export function renderExampleFleet(fleet: FleetFile = generateExampleFleet()): string {
  const doc = new YAML.Document(fleet, { aliasDuplicateObjects: false });
  // Labels, software and model lists read best on one line each.
  YAML.visit(doc, {
    Pair(_, pair) {
      const key = YAML.isScalar(pair.key) ? pair.key.value : undefined;
      if ((key === 'labels' || key === 'software' || key === 'models') && YAML.isCollection(pair.value)) pair.value.flow = true;
    },
  });
  return header(fleet.devices.length) + doc.toString({ lineWidth: 0 });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = renderExampleFleet();
  if (process.argv.includes('--check')) {
    if (readFileSync(FLEET_PATH, 'utf8') !== text) {
      console.error('examples/fleet.yaml is stale: run npm run gen:fleet');
      process.exit(1);
    }
  } else {
    writeFileSync(FLEET_PATH, text);
    const fleet = YAML.parse(text) as FleetFile;
    console.log(`wrote ${FLEET_PATH}: ${fleet.devices.length} devices, ${fleet.releases.length} releases`);
  }
}
