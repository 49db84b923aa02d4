// Writes crds/*.yaml and charts/fleetward/crds/*.yaml from the schemas in ./schemas.ts (one source of truth).
// `npm run gen:crds`; test/unit/api-crds.test.ts fails when the committed files are stale.
// The CRDs are apiextensions.k8s.io/v1 with structural schemas: see toStructural() for the translation.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { API_GROUP, API_VERSION_NAME, KINDS, type Kind } from './types.ts';
import { KIND_NAMES, specSchema, statusSchema, type Schema } from './schemas.ts';

export const CRD_DIRS = ['crds', 'charts/fleetward/crds'] as const;

interface Column { name: string; type: string; jsonPath: string; description?: string; priority?: number }

const READY: Column = { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' };
const STATUS: Column = { name: 'Status', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].message', priority: 1 };
const AGE: Column = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

const COLUMNS: Record<Kind, Column[]> = {
  DeviceGroup: [
    { name: 'Phase', type: 'string', jsonPath: '.spec.updatePhase' },
    { name: 'Ring', type: 'string', jsonPath: '.spec.ring' },
    { name: 'Window', type: 'string', jsonPath: '.spec.maintenanceWindow', priority: 1 },
    { name: 'Devices', type: 'integer', jsonPath: '.status.devices' },
  ],
  UpdatePhase: [
    { name: 'Firmware', type: 'string', jsonPath: '.spec.deferrals.firmware', description: 'Firmware deferral' },
    { name: 'TeamsClient', type: 'string', jsonPath: '.spec.deferrals.teamsClient', description: 'Teams app deferral' },
    { name: 'Rollout', type: 'string', jsonPath: '.spec.rolloutDuration', priority: 1 },
  ],
  Ring: [
    { name: 'Order', type: 'integer', jsonPath: '.spec.order' },
    { name: 'Rollout', type: 'string', jsonPath: '.spec.rolloutDuration' },
    { name: 'Test', type: 'string', jsonPath: '.spec.testPeriod' },
    { name: 'Deferment', type: 'string', jsonPath: '.spec.deferment', priority: 1 },
  ],
  MaintenanceWindow: [
    { name: 'Start', type: 'string', jsonPath: '.spec.start' },
    { name: 'End', type: 'string', jsonPath: '.spec.end' },
    { name: 'Zone', type: 'string', jsonPath: '.spec.timeZone', priority: 1 },
  ],
  ProvisioningBatch: [
    { name: 'Devices', type: 'integer', jsonPath: '.status.total' },
    { name: 'SignedIn', type: 'integer', jsonPath: '.status.signedIn' },
  ],
  SoftwareUpdate: [
    { name: 'Component', type: 'string', jsonPath: '.spec.component' },
    { name: 'Version', type: 'string', jsonPath: '.spec.version' },
    { name: 'Force', type: 'boolean', jsonPath: '.spec.force', priority: 1 },
  ],
  FleetPolicy: [
    { name: 'Cloud', type: 'string', jsonPath: '.spec.cloud' },
    { name: 'Paused', type: 'date', jsonPath: '.spec.autoUpdates.pausedAt' },
  ],
  SoftwareRelease: [
    { name: 'Component', type: 'string', jsonPath: '.spec.component' },
    { name: 'Version', type: 'string', jsonPath: '.spec.version' },
    { name: 'Label', type: 'string', jsonPath: '.spec.label' },
    { name: 'State', type: 'string', jsonPath: '.status.state', priority: 1 },
  ],
  NotificationProvider: [
    { name: 'Type', type: 'string', jsonPath: '.spec.type' },
    { name: 'Pending', type: 'integer', jsonPath: '.status.pending' },
    { name: 'DeadLettered', type: 'integer', jsonPath: '.status.deadLettered', priority: 1 },
  ],
  NotificationRule: [
    { name: 'Provider', type: 'string', jsonPath: '.spec.providerRef.name' },
    { name: 'Severity', type: 'string', jsonPath: '.spec.severity' },
  ],
  DeviceInventory: [
    { name: 'Matched', type: 'integer', jsonPath: '.status.matched' },
    { name: 'Unmatched', type: 'integer', jsonPath: '.status.unmatched' },
  ],
};

/**
 * The ajv schema as a Kubernetes structural schema: `additionalProperties: false` dropped (the API server
 * prunes unknown fields instead), `uniqueItems: true` → `x-kubernetes-list-type: set`, `required` kept,
 * `description` kept. Everything else is already in the common subset.
 */
export function toStructural(s: Schema): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'additionalProperties' && v === false) continue;
    if (k === 'uniqueItems') { if (v === true) out['x-kubernetes-list-type'] = 'set'; continue; }
    if (k === 'properties') {
      out.properties = Object.fromEntries(Object.entries(v as Record<string, Schema>).map(([p, ps]) => [p, toStructural(ps)]));
    } else if ((k === 'items' || k === 'additionalProperties') && typeof v === 'object' && v !== null) {
      out[k] = toStructural(v as Schema);
    } else out[k] = v;
  }
  return out;
}

export function crdFor(kind: Kind): Schema {
  const names = KIND_NAMES[kind];
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${names.plural}.${API_GROUP}`,
      labels: { 'app.kubernetes.io/name': 'fleetward', 'app.kubernetes.io/part-of': 'fleetward' },
    },
    spec: {
      group: API_GROUP,
      names: { kind, listKind: `${kind}List`, plural: names.plural, singular: names.singular, shortNames: names.shortNames, categories: ['fleetward'] },
      scope: 'Namespaced',
      versions: [{
        name: API_VERSION_NAME,
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [READY, ...COLUMNS[kind], STATUS, AGE],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description: String(specSchema(kind).description ?? kind),
            properties: {
              apiVersion: { type: 'string', description: 'APIVersion of this representation of the object.' },
              kind: { type: 'string', description: 'The kind of the object.' },
              metadata: { type: 'object' },
              spec: toStructural(specSchema(kind)),
              status: toStructural(statusSchema(kind)),
            },
            required: ['spec'],
          },
        },
      }],
    },
  };
}

export function crdFileName(kind: Kind): string {
  return `${API_GROUP}_${KIND_NAMES[kind].plural}.yaml`;
}

const HEADER = '# Generated by `npm run gen:crds` from controller/api/schemas.ts. Do not edit.\n';

/** Every CRD file: name → text, exactly as written to each of CRD_DIRS. */
export function generateCrds(): Map<string, string> {
  const out = new Map<string, string>();
  for (const kind of KINDS) {
    out.set(crdFileName(kind), HEADER + stringify(crdFor(kind), { lineWidth: 0, aliasDuplicateObjects: false }));
  }
  return out;
}

export function writeCrds(root: string): string[] {
  const files = generateCrds();
  const written: string[] = [];
  for (const dir of CRD_DIRS) {
    const abs = join(root, dir);
    mkdirSync(abs, { recursive: true });
    // Remove CRDs of kinds that no longer exist, so the directory is exactly the generated set.
    for (const name of readdirSync(abs)) if (name.startsWith(`${API_GROUP}_`) && !files.has(name)) rmSync(join(abs, name));
    for (const [name, text] of files) {
      writeFileSync(join(abs, name), text);
      written.push(join(dir, name));
    }
  }
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(import.meta.dirname, '..', '..');
  for (const f of writeCrds(root)) process.stdout.write(`wrote ${f}\n`);
}
