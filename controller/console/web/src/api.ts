// The JSON the console's server sends (controller/console/api.ts). The browser computes no rule: it shows these.
export type Outcome = 'rolledBack' | 'held' | 'failed' | 'windowMissed' | 'inProgress' | 'waiting' | 'updated';
export const OUTCOMES: Outcome[] = ['updated', 'inProgress', 'waiting', 'failed', 'held', 'rolledBack', 'windowMissed'];
export const OUTCOME_WORDS: Record<Outcome, string> = {
  updated: 'Up to date', inProgress: 'In progress', waiting: 'Waiting', failed: 'Failed', held: 'Held',
  rolledBack: 'Rolled back', windowMissed: 'Window missed',
};
export type Counts = Record<Outcome, number>;

export interface Stage extends Counts { kind: string; name: string; devices: number }
export interface ReleaseStage {
  name: string; kind: string; startsAt?: string | null; endsAt?: string | null; state: string;
  devices: number; updated: number; failed: number; inProgress?: number; held?: number; rolledBack?: number;
}
export interface Release {
  component: string; version: string; state: string; reason?: string; startsAt?: string; endsAt?: string;
  stages: ReleaseStage[]; failed: number; held: number; rolledBack: number;
  failedDevices?: string[]; heldDevices?: string[]; rolledBackDevices?: string[];
  pause?: { ring: string; threshold: number; targeted: number; failed: number; failedDevices: string[] };
}
export interface Overview {
  at: string | null; source: string | null; driver: string | null; revision: string | null; newestRevision: string | null;
  revisionErrors: string[]; ready: { status: string; reason: string; message: string; since?: string } | null;
  devices: number; outcomes: Counts; operationsIssued: number; operationsInFlight: number;
  autoUpdatesPausedUntil: string | null; stages: Stage[]; releases: Release[]; releasesInProgress: number; releasesTotal: number; quarantined: number; indexed: number;
}
export interface Facet { value: string; devices: number }
export interface DeviceRow {
  id: string; name: string; manufacturer: string; model: string; deviceType: string; group: string | null; stage: string;
  site: string | null; labels: string[]; outcome: Outcome; online: boolean | null; firmware: string | null; teamsClient: string | null;
}
export interface DeviceList {
  total: number; offset: number; limit: number; items: DeviceRow[]; outcomes: Counts;
  facets: Record<'group' | 'stage' | 'model' | 'site' | 'outcome' | 'label', Facet[]>;
}
export interface ComponentPlan {
  component: string; currentVersion: string | null; targetVersion: string | null; state: string; reason: string;
  message?: string; notBefore: string | null; unsupported?: boolean; softwareUpdate?: string; outcome: Outcome;
}
export interface HistoryEntry {
  operationId: string; operationType: string; component?: string; fromVersion?: string; toVersion?: string; status: string;
  createdAt: string; startedAt?: string; completedAt?: string; error?: { code: string; message: string };
  reason?: string; softwareUpdate?: string; issuedBy: string; forced?: boolean; logsUrl?: string;
  diagnostics?: { operationId: string; status: string; logsUrl?: string }; rolledBack?: { detectedAt: string; reportedVersion: string };
  refused?: boolean; windowOverrun?: boolean;
}
export interface ProvisioningDevice {
  macAddress: string; state: string; location?: string; user?: string; source?: string; codeIssuedAt?: string; codeExpiresAt?: string;
  codesIssued?: number; manufacturer?: string; model?: string; firmwareVersion?: string; requiredFirmware?: string; lockedUntil?: string; message?: string;
}
export interface Device {
  id: string; name: string; manufacturer: string | null; model: string | null; deviceType: string | null; macAddress: string | null;
  timeZone: string | null; labels: Record<string, string>; online: boolean | null; activityState: string | null; healthStatus: string | null;
  group: string | null; phase: string | null; ring: string | null; maintenanceWindow: string | null; outcome: Outcome;
  components: ComponentPlan[]; pending: { component: string; toVersion: string; reason: string }[];
  historyLost: { at: string; reason: string } | null; history: HistoryEntry[];
  provisioning: (ProvisioningDevice & { batch: string }) | null;
}
export interface Point { at: string; devices: number; share: number }
export interface ReleaseView {
  release: Release;
  forecast: { from: string; stages: { name: string; kind: string; startsAt: string | null; endsAt: string | null; devices: number }[]; adoption: Point[]; eligibleDevices: number; notes: string[] } | null;
  forecastError: string | null;
  actual: Point[];
  retry: { command: string; devices: { id: string; group: string | null; outcome: string }[]; total: number; yaml: string | null };
}
export interface PathRow {
  manufacturer: string; model: string; component: string; currentVersion: string; newVersion: string; eligibleDevices: number;
  activeStage: string | null; blocked: { reason: string; devices: number }[];
}
export interface Paths { at: string; paths: PathRow[] }
export interface Provisioning {
  batches: { batch: string; counts: Record<string, number>; lastReconciledAt: string | null; devices: ProvisioningDevice[] }[];
}

export class ApiError extends Error { constructor(message: string, readonly status: number) { super(message); } }

export async function get<T>(path: string): Promise<T> {
  const res = await fetch(`/ui/api/${path}`, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (res.status === 401) { location.assign('/ui/login'); throw new ApiError('sign in first', 401); }
  const body = await res.json() as T & { error?: string };
  if (!res.ok) throw new ApiError(body.error ?? `HTTP ${res.status}`, res.status);
  return body;
}
