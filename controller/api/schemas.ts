// JSON Schemas for the eleven kinds and for the fleet file: the single source of truth for
// validation (./validate.ts, ajv) and for the CRDs (./gen-crds.ts writes crds/ from these).
//
// The schemas are written in the subset that is both JSON Schema (draft-07, as ajv reads it) and a
// Kubernetes structural schema: every node typed, no $ref, no patternProperties, no const.
// Two things differ between the targets, and gen-crds.ts translates them:
//   - `additionalProperties: false` next to `properties` (ajv reports unknown fields; a CRD may not say
//     it, the API server prunes unknown fields instead);
//   - `uniqueItems: true` (becomes `x-kubernetes-list-type: set` in a CRD).
// Cross-field constraints are `x-kubernetes-validations` (CEL, enforced by the API server); ajv ignores
// them and ./rules.ts checks the same things with the same messages.
import {
  API_VERSION, AUTO_UPDATE_COMPONENTS, COMPONENTS, DEVICE_TYPES, KINDS, NOTIFICATION_REASONS, PROVIDER_TYPES, SEVERITIES, WEEKDAYS, type Kind,
} from './types.ts';
import { DURATION_PATTERN } from './duration.ts';
import { VENDOR_VERSION_PATTERN } from './version.ts';

export type Schema = { [key: string]: unknown };

// ---- Patterns (validate.ts turns each into a sentence a person can act on) -------------------

export { DURATION_PATTERN, VENDOR_VERSION_PATTERN };
/** `HH:MM`, 00:00–23:59. */
export const TIME_PATTERN = '^([01][0-9]|2[0-3]):[0-5][0-9]$';
/** `device` or something shaped like an IANA zone name; rules.ts checks the zone exists. */
export const TIME_ZONE_PATTERN = '^(device|UTC|[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,3})$';
/** The MAC forms controller/api/mac.ts accepts. */
export const MAC_PATTERN =
  '^ *([0-9A-Fa-f]{2}[-:.]){5}[0-9A-Fa-f]{2} *$|^ *[0-9A-Fa-f]{4}[-:.][0-9A-Fa-f]{4}[-:.][0-9A-Fa-f]{4} *$|^ *[0-9A-Fa-f]{12} *$';
/** The account a device signs in with: a user principal name, `user@domain`. */
export const USER_PATTERN = '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$';
export const MAX_LOCATION_LENGTH = 256;
/** A release version, or `latest`. */
export const TARGET_VERSION_PATTERN = '^(latest|[0-9]+(\\.[0-9]+){0,5})$';
/** Local date-time without offset, for `schedule.at` (the zone is `schedule.timeZone`). */
export const LOCAL_DATE_TIME_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?$';
/**
 * Object names. Kubernetes requires lowercase DNS subdomains; standalone configs also accept capitals so that
 * a Ring named `General` can override the built-in ring (see builtins.ts: built-in names match case-insensitively).
 */
/** The message of the rule (rules.ts) and of the CEL validation (CRD) on a FleetPolicy freeze whose end is not after its start. */
export const FREEZE_END_AFTER_START = 'end must be later than start (both local date-times in timeZone)';
/** The message of the rule (rules.ts) and of the CEL validation (CRD) on SoftwareUpdate acknowledgeForcedDevices. */
export const ACKNOWLEDGE_NEEDS_FORCE = 'acknowledgeForcedDevices counts the devices a forced update interrupts: it needs force: true (remove it, or set force)';
export const NAME_PATTERN = '^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';

// ---- Building blocks -------------------------------------------------------------------------

const str = (extra: Schema = {}): Schema => ({ type: 'string', ...extra });
const duration = (description: string): Schema => str({ description, pattern: DURATION_PATTERN, minLength: 1, maxLength: 32 });
const vendorVersion = (description: string): Schema => str({ description, pattern: VENDOR_VERSION_PATTERN, maxLength: 64 });
const name = (description: string): Schema => str({ description, pattern: NAME_PATTERN, minLength: 1, maxLength: 253 });
const instant = (description: string): Schema => str({ description, format: 'date-time', maxLength: 64 });
const bool = (description: string): Schema => ({ type: 'boolean', description });
const int = (description: string, minimum: number, maximum: number): Schema => ({ type: 'integer', description, minimum, maximum });
const weekdays = (description: string): Schema => ({
  type: 'array', description, minItems: 1, maxItems: 7, uniqueItems: true, items: str({ enum: [...WEEKDAYS] }),
});
const stringList = (description: string, maxItems: number, item: Schema = str({ minLength: 1, maxLength: 253 })): Schema => ({
  type: 'array', description, maxItems, items: item,
});
const stringMap = (description: string): Schema => ({
  type: 'object', description, maxProperties: 64, additionalProperties: str({ maxLength: 253 }),
});
/** An object with a closed set of fields (unknown fields are errors for ajv, pruned by the API server). */
function obj(description: string, properties: Record<string, Schema>, required: string[] = [], extra: Schema = {}): Schema {
  const s: Schema = { type: 'object', description, properties, additionalProperties: false, ...extra };
  if (required.length > 0) s.required = required;
  return s;
}
const componentVersions = (description: string): Schema =>
  obj(description, Object.fromEntries(COMPONENTS.map((c) => [c, vendorVersion(`${c} version`)])));

// ---- Specs -----------------------------------------------------------------------------------

/** The message of the rule (rules.ts) and of the CEL validation (CRD) on a Teams or Slack provider's address. */
export const PROVIDER_ADDRESS_IN_SECRET = 'a Teams or Slack webhook URL is a credential: put it in the secret secretRef names, not in address';
const SECRET_REF_SCHEMA = obj('A secret by reference (exactly one of env, file, secret); never the value itself.', {
  env: str({ description: 'An environment variable of the Fleetward process, named FLEETWARD_NOTIFY_….', pattern: '^FLEETWARD_NOTIFY_[A-Z0-9_]+$', maxLength: 128 }),
  file: str({ description: 'A file name in the notification secrets directory (--notification-secrets-dir).', pattern: '^[A-Za-z0-9_.-]+$', maxLength: 253 }),
  secret: obj('A Kubernetes Secret in the operator\'s namespace, labelled fleetward.dev/notification-secret=true.', {
    name: name('The Secret.'), key: str({ description: 'The data key.', pattern: '^[-._a-zA-Z0-9]+$', maxLength: 253 }),
  }, ['name', 'key']),
});
/** The message of the rule (rules.ts) and of the CEL validation (CRD) on a DeviceInventory entry's key. */
export const INVENTORY_ONE_KEY = 'name the device by exactly one of id, serialNumber or macAddress';
/** What a DeviceInventory entry (or its object's defaults) sets on a device. */
const INVENTORY_FIELDS: Record<string, Schema> = {
  timeZone: str({ description: 'The device\'s IANA time zone (its maintenance windows run in it).', pattern: TIME_ZONE_PATTERN, maxLength: 64 }),
  site: str({ description: 'The device\'s site; becomes its label `site`.', minLength: 1, maxLength: 253 }),
  labels: stringMap('Labels added to the device (DeviceGroup selectors match them).'),
};

export const SELECTOR_SCHEMA = obj('Which devices the group claims; every listed criterion must match.', {
  deviceTypes: {
    type: 'array', description: 'Graph teamworkDeviceType values.', maxItems: DEVICE_TYPES.length, uniqueItems: true,
    items: str({ enum: [...DEVICE_TYPES] }),
  },
  manufacturers: stringList('Manufacturer names, compared case-insensitively.', 100),
  models: stringList('Model names, compared case-insensitively.', 500),
  matchLabels: stringMap('Labels a device must carry, all of them.'),
  devices: stringList('Device ids or MAC addresses.', 10_000),
});

const SPECS: Record<Kind, Schema> = {
  DeviceGroup: obj('Selects devices and assigns their update policy.', {
    selector: SELECTOR_SCHEMA,
    updatePhase: name('An UpdatePhase (built-in: Validation, General, Final). Exclusive with ring.'),
    ring: name('A Ring (built-in: Staging, General, Executive). Exclusive with updatePhase.'),
    maintenanceWindow: name('A MaintenanceWindow; default Sunday 01:00–04:00 in the device\'s zone.'),
    autoUpdate: obj('Automatic updates.', {
      components: {
        type: 'array', description: 'Components updated automatically (only firmware and teamsClient can be).',
        maxItems: AUTO_UPDATE_COMPONENTS.length, uniqueItems: true, items: str({ enum: [...AUTO_UPDATE_COMPONENTS] }),
      },
    }),
    pin: componentVersions('component → version: holds the group\'s devices on that version.'),
    priority: int('The highest priority wins when several groups claim a device.', -1000, 1000),
    suspend: bool('Stops all automatic work for the group\'s devices.'),
  }, ['selector'], {
    'x-kubernetes-validations': [
      { rule: '!(has(self.updatePhase) && has(self.ring))', message: 'set either updatePhase or ring, not both' },
    ],
  }),

  UpdatePhase: obj('Time-based deferral of automatic updates (phones, seed 000).', {
    deferrals: obj('Per component, counted from the release\'s releasedAt.', {
      firmware: duration('Firmware deferral, e.g. 30d.'),
      teamsClient: duration('Teams app deferral, e.g. 15d.'),
    }),
    rolloutDuration: duration('Devices in the phase are spread over this (default 21d).'),
    lagVersions: int('1 keeps devices one verified version behind the newest (seed 002).', 0, 3),
  }),

  Ring: obj('Progression-based rollout (room systems, seed 001).', {
    order: int('1 is first, 9 is last.', 1, 9),
    deferment: duration('Delay after the previous ring finished its rollout and test period.'),
    rolloutDuration: duration('Time over which the ring\'s devices are updated.'),
    testPeriod: duration('Time to validate the update before the next ring starts.'),
    startDays: weekdays('Days a release may enter the ring when it is first (default Wednesday).'),
    failureThreshold: int('Percent of targeted devices that may fail before the release pauses.', 0, 100),
  }, ['order']),

  MaintenanceWindow: obj('When work may start on a device.', {
    start: str({ description: 'HH:MM, local to timeZone.', pattern: TIME_PATTERN }),
    end: str({ description: 'HH:MM; earlier than start means the window crosses midnight.', pattern: TIME_PATTERN }),
    days: weekdays('Days the window opens (the day start falls on). Default Sunday.'),
    timeZone: str({ description: '`device` (the device\'s own zone, default) or an IANA zone name.', pattern: TIME_ZONE_PATTERN, maxLength: 64 }),
  }, ['start', 'end']),

  ProvisioningBatch: obj('Remote provisioning of devices by MAC address (seed 004).', {
    devices: {
      type: 'array', description: 'Devices to provision.', maxItems: 10_000,
      items: obj('One device.', {
        macAddress: str({ description: 'MAC address, e.g. AA-BB-CC-DD-EE-FF.', pattern: MAC_PATTERN, maxLength: 32 }),
        location: str({ description: 'Where the device is.', maxLength: MAX_LOCATION_LENGTH }),
        signIn: obj('Remote sign-in.', { user: str({ description: 'The account to sign in (UPN).', pattern: USER_PATTERN, maxLength: 320 }) }, ['user']),
      }, ['macAddress']),
    },
    devicesFile: str({ description: 'CSV file relative to the config directory (columns macAddress, location, user).', minLength: 1, maxLength: 1024 }),
    regenerateCodes: str({ description: 'Change this value to regenerate every code of the batch.', maxLength: 253 }),
  }, [], {
    'x-kubernetes-validations': [
      { rule: 'has(self.devices) || has(self.devicesFile)', message: 'list devices, a devicesFile, or both' },
    ],
  }),

  SoftwareUpdate: obj('A manual or forced update, declared.', {
    target: obj('The devices to update: a group or a list of devices.', {
      group: name('A DeviceGroup.'),
      devices: stringList('Device ids or MAC addresses.', 10_000),
    }, [], {
      'x-kubernetes-validations': [
        { rule: 'has(self.group) != has(self.devices)', message: 'set exactly one of group or devices' },
      ],
    }),
    component: str({ description: 'The component to update.', enum: [...COMPONENTS] }),
    version: str({ description: 'A version, or `latest`.', pattern: TARGET_VERSION_PATTERN, maxLength: 64 }),
    // `now`, `nextMaintenanceWindow` or {at, timeZone}: one field, two shapes. A structural schema cannot say
    // that, so the node keeps unknown fields and rules.ts (checkSchedule) validates it.
    schedule: { description: '`now`, `nextMaintenanceWindow`, or {at: YYYY-MM-DDTHH:MM, timeZone}.', 'x-kubernetes-preserve-unknown-fields': true },
    force: bool('Bypasses deferrals, rings, pauses and busy devices. Every forced update is recorded.'),
    acknowledgeForcedDevices: int('With force and schedule now: how many devices you accept to force at once. Needed above FleetPolicy maxForcedDevices; a ceiling, so a target that grew past it is held again.', 1, 1_000_000),
    suspend: bool('Holds the update.'),
  }, ['target', 'component', 'version'], {
    'x-kubernetes-validations': [
      { rule: '!has(self.acknowledgeForcedDevices) || (has(self.force) && self.force)', message: ACKNOWLEDGE_NEEDS_FORCE },
    ],
  }),

  FleetPolicy: obj('Tenant-wide settings; a singleton named `default`.', {
    autoUpdates: obj('Automatic updates for the whole fleet.', {
      pausedAt: instant('Pauses automatic updates; they resume by themselves 15 days later (seed 000).'),
    }),
    cloud: str({ description: 'commercial, or gcch / dod (manual updates only).', enum: ['commercial', 'gcch', 'dod'] }),
    retry: obj('Retries of failed operations.', {
      maxAttempts: int('Attempts per operation, the first included.', 0, 20),
      backoff: duration('First delay between attempts.'),
      maxBackoff: duration('Longest delay between attempts.'),
    }),
    failureThreshold: int('Default ring failure threshold, percent.', 0, 100),
    operationTimeout: duration('An operation running longer than this counts as failed (default 4h).'),
    lifecycle: obj('When a version stops being supported (seed 001).', {
      supportPeriod: duration('Support after release (default 365d).'),
      maxNewerReleases: int('Unsupported once this many newer releases exist (default 2).', 1, 10),
    }),
    maxForcedDevices: int('Most devices a forced `schedule: now` SoftwareUpdate may reach at once without spec.acknowledgeForcedDevices (default 20).', 0, 1_000_000),
    freezes: {
      type: 'array', description: 'Freeze periods: nothing automatic starts inside one (a company change freeze).', maxItems: 100,
      items: obj('A dated range in which nothing automatic starts.', {
        name: name('Names the freeze in plans and messages.'),
        start: str({ description: 'Local date-time YYYY-MM-DDTHH:MM in timeZone; the freeze starts here.', pattern: LOCAL_DATE_TIME_PATTERN, maxLength: 19 }),
        end: str({ description: 'Local date-time YYYY-MM-DDTHH:MM in timeZone, later than start; automatic updates start again here.', pattern: LOCAL_DATE_TIME_PATTERN, maxLength: 19 }),
        timeZone: str({ description: 'An IANA zone for start and end (default UTC).', pattern: TIME_ZONE_PATTERN, maxLength: 64 }),
        groups: stringList('DeviceGroups it applies to (default: every device).', 500, name('A DeviceGroup.')),
        manualUpdates: str({ description: 'allowed (default): SoftwareUpdates still run; frozen: they wait for the end too.', enum: ['allowed', 'frozen'] }),
        reason: str({ description: 'Why, shown in the plan.', maxLength: 256 }),
      }, ['name', 'start', 'end'], {
        'x-kubernetes-validations': [{ rule: 'self.end > self.start', message: FREEZE_END_AFTER_START }],
      }),
    },
  }),

  SoftwareRelease: obj('A version of a component.', {
    component: str({ description: 'The component.', enum: [...COMPONENTS] }),
    version: vendorVersion('The version.'),
    manufacturer: str({ description: 'When set, the release applies to this manufacturer\'s devices only.', maxLength: 253 }),
    models: stringList('Models it applies to; empty means every model.', 500),
    releasedAt: instant('When it was published; deferrals count from here.'),
    label: str({ description: 'verified, or preview (reached only manually).', enum: ['verified', 'preview'] }),
    minimumVersion: vendorVersion('A device must run at least this version to take the release (step-wise).'),
    critical: bool('Bypasses the ring start day (seed 001).'),
    blocked: obj('Blocks the release fleet-wide.', { reason: str({ description: 'Why.', minLength: 1, maxLength: 1024 }) }, ['reason']),
  }, ['component', 'version', 'releasedAt', 'label']),

  // docs/spec/notificationproviders.md; which fields each type needs is checked in rules.ts (same messages as the CEL rules).
  NotificationProvider: obj('Where notifications go: a chat, a ticket system, git commit statuses, a JSON endpoint.', {
    type: str({ description: 'generic, teams, slack, ticket, github, gitlab or gitea.', enum: [...PROVIDER_TYPES] }),
    address: str({ description: 'generic / ticket: the URL posted to; github / gitlab / gitea: the API base URL. Not for teams / slack (their URL is a secret: secretRef).', pattern: '^https?://', maxLength: 2048 }),
    secretRef: SECRET_REF_SCHEMA,
    repository: str({ description: 'Commit status providers: owner/name (GitLab: the project path).', pattern: '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$', maxLength: 512 }),
    channel: str({ description: 'Slack: the channel, when the webhook allows choosing.', maxLength: 256 }),
    context: str({ description: 'Commit status providers: the status context (default fleetward/rollout).', minLength: 1, maxLength: 255 }),
    timeout: duration('Per delivery attempt (default 10s).'),
    rateLimit: obj('At most `messages` deliveries per `per` (default 20 per 1m).', {
      messages: int('Deliveries per period.', 1, 10_000),
      per: duration('The period, e.g. 1m.'),
    }, ['messages', 'per']),
    suspend: bool('Stops deliveries to this provider; messages wait in the store until it is resumed.'),
  }, ['type'], {
    'x-kubernetes-validations': [
      { rule: "!(self.type in ['teams', 'slack']) || !has(self.address)", message: PROVIDER_ADDRESS_IN_SECRET },
    ],
  }),

  NotificationRule: obj('Which events go to which provider.', {
    providerRef: obj('The NotificationProvider.', { name: name('Its name.') }, ['name']),
    events: {
      type: 'array', description: 'Event reasons to send (default every reason).', maxItems: NOTIFICATION_REASONS.length, uniqueItems: true,
      items: str({ enum: [...NOTIFICATION_REASONS] }),
    },
    severity: str({ description: 'The least severity sent (default info).', enum: [...SEVERITIES] }),
    objects: {
      type: 'array', description: 'Only events about these objects (name * for every object of the kind).', maxItems: 100,
      items: obj('An object.', { kind: str({ minLength: 1, maxLength: 63 }), name: str({ minLength: 1, maxLength: 253 }) }, ['kind', 'name']),
    },
    codesExpiringWithin: duration('CodesExpiring: codes that expire within this (default 6h).'),
    suspend: bool('Stops this rule.'),
  }, ['providerRef']),
  DeviceInventory: obj('What the config repo knows about devices that the back end does not report: time zone, site, labels.', {
    defaults: obj('Applied to every entry of this object; an entry\'s own fields win.', INVENTORY_FIELDS),
    devices: {
      type: 'array', description: 'One entry per device, naming it by exactly one of id, serialNumber or macAddress.', minItems: 1, maxItems: 100_000,
      items: obj('One device.', {
        id: str({ description: 'The back end\'s device id.', minLength: 1, maxLength: 253 }),
        serialNumber: str({ description: 'The hardware serial number.', minLength: 1, maxLength: 253 }),
        macAddress: str({ description: 'A MAC address of the device, any usual spelling.', pattern: MAC_PATTERN, maxLength: 32 }),
        ...INVENTORY_FIELDS,
      }, [], {
        'x-kubernetes-validations': [
          { rule: '[has(self.id), has(self.serialNumber), has(self.macAddress)].filter(x, x).size() == 1', message: INVENTORY_ONE_KEY },
        ],
      }),
    },
  }, ['devices']),
};

// ---- Status (written by Fleetward, never by users) -------------------------------------------

export const CONDITION_SCHEMA = obj('Flux-style condition.', {
  type: str({ description: 'Ready, Reconciling or Stalled.', maxLength: 316 }),
  status: str({ description: 'True, False or Unknown.', enum: ['True', 'False', 'Unknown'] }),
  reason: str({ description: 'A CamelCase reason code.', maxLength: 1024 }),
  message: str({ description: 'A sentence a person can act on.', maxLength: 32768 }),
  observedGeneration: { type: 'integer', description: 'The generation the condition was set for.', minimum: 0 },
  lastTransitionTime: instant('When status last changed.'),
}, ['type', 'status', 'lastTransitionTime']);

const COMMON_STATUS: Record<string, Schema> = {
  conditions: { type: 'array', description: 'Ready, Reconciling, Stalled.', maxItems: 16, items: CONDITION_SCHEMA },
  observedGeneration: { type: 'integer', description: 'The last generation processed.', minimum: 0 },
  lastAppliedRevision: str({ description: 'The config revision last applied.', maxLength: 256 }),
  lastHandledReconcileAt: str({ description: 'The value of the reconcile.fleetward.dev/requestedAt annotation last handled (operator mode).', maxLength: 256 }),
};
const count = (description: string): Schema => ({ type: 'integer', description, minimum: 0 });
const RELEASE_STATES = ['Scheduled', 'InProgress', 'CompletedWithFailures', 'Completed', 'Deprecated', 'Paused', 'NotRequired'];

// One outcome per device (controller/planner/outcomes.ts): the counts add up to `devices`.
const OUTCOME_COUNTS: Record<string, Schema> = {
  upToDate: count('Devices updated: every automatic component at its target.'),
  progressing: count('Devices with an update in progress.'),
  waiting: count('Devices waiting for their turn, window or backoff.'),
  failed: count('Devices whose last update failed (retried after a backoff), or that went unhealthy in the test period after it.'),
  held: count('Devices held until a person acts: repeated failures, a paused release, an unknown version.'),
  rolledBack: count('Devices that rolled an update back after it succeeded.'),
  windowMissed: count('Devices whose update could not start in its window; planned for the next one.'),
  paused: count('Devices held by a paused release (counted in held or failed).'),
  failedDevices: stringList('Devices failed, held or rolled back, at most 100.', 100),
  details: str({ description: 'Set when failedDevices was cut: where every device is (`fleetward status`, the console).', maxLength: 512 }),
};

const STATUS_EXTRA: Record<Kind, Record<string, Schema>> = {
  DeviceGroup: { devices: count('Devices the group claims.'), ...OUTCOME_COUNTS },
  UpdatePhase: { devices: count('Devices in the phase.'), ...OUTCOME_COUNTS },
  Ring: { devices: count('Devices in the ring.'), ...OUTCOME_COUNTS },
  MaintenanceWindow: { nextOpen: instant('When the window next opens (device-local windows: not set).') },
  ProvisioningBatch: {
    total: count('Devices in the batch.'),
    signedIn: count('Devices signed in.'),
    // Provisioning status (controller/provisioning/status.ts, toResourceStatus): counts per state, the
    // regenerateCodes value honoured, and per device state, location and code expiry.
    counts: obj('Devices per provisioning state.', Object.fromEntries(
      ['AwaitingActivation', 'AwaitingSignIn', 'SignedIn', 'Expired', 'FirmwareTooOld', 'LockedOut'].map((st) => [st, count(`Devices ${st}.`)]),
    )),
    regenerateCodes: str({ description: 'The spec.regenerateCodes value already honoured.', maxLength: 253 }),
    devices: {
      type: 'array', description: 'At most 20 example devices, those that most need a person first (controller/provisioning/status.ts LISTED_PROVISIONING_DEVICES); every device is in the state store (`fleetward provision status`). Never a code.', maxItems: 20,
      items: obj('One device.', {
        macAddress: str({ maxLength: 32 }),
        state: str({ enum: ['AwaitingActivation', 'AwaitingSignIn', 'SignedIn', 'Expired', 'FirmwareTooOld', 'LockedOut'] }),
        location: str({ maxLength: 256 }),
        user: str({ maxLength: 320 }),
        source: str({ maxLength: 1280 }),
        codeHash: str({ description: 'No longer written (kept in the state store); accepted from older releases.', maxLength: 256 }),
        codeIssuedAt: instant('When the current code was made.'),
        codeExpiresAt: instant('When the code expires (24 hours after it was made).'),
        codesIssued: count('Codes issued for this device so far.'),
        regenerateToken: str({ description: 'The regenerate annotation value already honoured.', maxLength: 253 }),
        manufacturer: str({ maxLength: 253 }),
        model: str({ maxLength: 253 }),
        firmwareVersion: str({ maxLength: 64 }),
        requiredFirmware: str({ description: 'FirmwareTooOld: the version seed 004 requires for the model.', maxLength: 64 }),
        lockedUntil: instant('LockedOut: when activation attempts are accepted again.'),
        signInRequestedAt: instant('When remote sign-in was requested.'),
        deviceId: str({ maxLength: 253 }),
        message: str({ maxLength: 1024 }),
      }, ['macAddress']),
    },
    moreDevices: count('Devices of the batch not named in devices.'),
    details: str({ description: 'Where every device is: `fleetward provision status <batch>` or the console.', maxLength: 512 }),
  },
  SoftwareUpdate: {
    devices: count('Devices targeted.'),
    succeeded: count('Devices updated.'),
    failed: count('Devices whose update failed.'),
  },
  FleetPolicy: { autoUpdatesResumeAt: instant('When a pause lifts by itself.') },
  // Delivery counts (controller/notify/): never a secret, never the receiver's answer body.
  NotificationProvider: {
    pending: count('Messages waiting to be delivered (including retries).'),
    deadLettered: count('Messages given up after their retries.'),
    lastError: str({ description: 'Why the last attempt failed (HTTP status, timeout), redacted.', maxLength: 1024 }),
  },
  NotificationRule: {},
  DeviceInventory: {
    matched: count('Entries that matched a device the back end reports, as of the last pass.'),
    unmatched: count('Entries that matched no device (a typo, or a device not enrolled yet).'),
  },
  // The release view (controller/reconciler/release-status.ts), from the operation history.
  SoftwareRelease: {
    state: str({ description: 'Seed 001 release state.', enum: RELEASE_STATES }),
    reason: str({ maxLength: 1024 }),
    startsAt: instant('When its first ring or phase starts.'),
    endsAt: instant('When its last ring or phase ends (rollout and test period).'),
    failed: count('Devices whose attempts failed, that rolled it back, or went unhealthy after it.'),
    held: count('Devices held for it until a person acts.'),
    rolledBack: count('Devices that rolled it back.'),
    failedDevices: stringList('Failed devices, at most 100.', 100),
    heldDevices: stringList('Held devices, at most 100.', 100),
    rolledBackDevices: stringList('Devices that rolled it back, at most 100.', 100),
    details: str({ description: 'Set when a device list was cut: where every device is (`fleetward status`, the console).', maxLength: 512 }),
    pause: obj('Set while failures beyond a ring\'s failure threshold pause it.', {
      ring: str({ maxLength: 253 }),
      threshold: { type: 'integer', description: 'The ring\'s failureThreshold, percent.', minimum: 0, maximum: 100 },
      targeted: count('Devices of the ring the release targets.'),
      failed: count('Failed devices of the ring.'),
      failedDevices: stringList('The failures that tripped it, at most 100.', 100),
    }),
    stages: {
      type: 'array', description: 'Per ring (rooms) or phase (phones).', maxItems: 256,
      items: obj('One ring or phase.', {
        name: str({ maxLength: 253 }),
        kind: str({ enum: ['ring', 'phase'] }),
        state: str({ enum: RELEASE_STATES }),
        startsAt: instant('When the release starts there (absent: no automatic update deploys it).'),
        endsAt: instant('When its rollout and test period there end.'),
        devices: count('Devices there the release applies to.'),
        updated: count('Devices there on it or newer.'),
        failed: count('Failures the ring threshold counts.'),
        inProgress: count('Devices being updated to it.'),
        held: count('Devices held for it.'),
        rolledBack: count('Devices that rolled it back.'),
      }, ['name', 'kind', 'state']),
    },
  },
};

export function statusSchema(kind: Kind): Schema {
  return obj(`Observed state of the ${kind}.`, { ...COMMON_STATUS, ...STATUS_EXTRA[kind] });
}

export function specSchema(kind: Kind): Schema {
  return SPECS[kind];
}

/** The whole object as ajv checks it (metadata as Fleetward needs it; status ignored by the loader). */
export function objectSchema(kind: Kind): Schema {
  return obj(kind, {
    apiVersion: str({ enum: [API_VERSION] }),
    kind: str({ enum: [kind] }),
    // Other metadata (uid, resourceVersion, managedFields, creationTimestamp: null from kubectl…) is Kubernetes'
    // business and passes unchecked.
    metadata: {
      type: 'object', description: 'Standard object metadata.', required: ['name'],
      properties: {
        name: name('The object\'s name, unique per kind.'),
        namespace: name('Namespace (Kubernetes).'),
        labels: stringMap('Labels.'),
        annotations: { type: 'object', additionalProperties: str({ maxLength: 262144 }) },
      },
    },
    spec: SPECS[kind],
    status: { type: 'object' },
  }, ['apiVersion', 'kind', 'metadata', 'spec']);
}

// ---- The fleet file (docs/design.md section 5) -----------------------------------------------------

export const RELEASE_SPEC_SCHEMA = SPECS.SoftwareRelease;

export const FLEET_FILE_SCHEMA: Schema = obj('A simulated or observed fleet.', {
  devices: {
    type: 'array', description: 'The devices.', maxItems: 100_000,
    items: obj('One device.', {
      id: str({ minLength: 1, maxLength: 253 }),
      macAddress: str({ pattern: MAC_PATTERN, maxLength: 32 }),
      deviceType: str({ enum: [...DEVICE_TYPES] }),
      manufacturer: str({ minLength: 1, maxLength: 253 }),
      model: str({ minLength: 1, maxLength: 253 }),
      timeZone: str({ pattern: TIME_ZONE_PATTERN, maxLength: 64 }),
      displayName: str({ maxLength: 253 }),
      serialNumber: str({ maxLength: 253 }),
      labels: stringMap('Labels.'),
      online: bool('Whether the device is online.'),
      activityState: str({ enum: ['idle', 'busy', 'offline', 'unknown'] }),
      healthStatus: str({ enum: ['healthy', 'nonUrgent', 'critical', 'offline', 'unknown'] }),
      software: componentVersions('component → current version.'),
    }, ['id', 'deviceType', 'manufacturer', 'model', 'timeZone', 'software']),
  },
  releases: { type: 'array', description: 'The release catalog.', maxItems: 100_000, items: RELEASE_SPEC_SCHEMA },
}, ['devices', 'releases']);

// ---- Names for CRDs ---------------------------------------------------------------------------

export interface KindNames { plural: string; singular: string; shortNames: string[] }
export const KIND_NAMES: Record<Kind, KindNames> = {
  DeviceGroup: { plural: 'devicegroups', singular: 'devicegroup', shortNames: ['dg'] },
  UpdatePhase: { plural: 'updatephases', singular: 'updatephase', shortNames: ['uphase'] },
  Ring: { plural: 'rings', singular: 'ring', shortNames: ['fwring'] },
  MaintenanceWindow: { plural: 'maintenancewindows', singular: 'maintenancewindow', shortNames: ['mw'] },
  ProvisioningBatch: { plural: 'provisioningbatches', singular: 'provisioningbatch', shortNames: ['pb'] },
  SoftwareUpdate: { plural: 'softwareupdates', singular: 'softwareupdate', shortNames: ['swu'] },
  FleetPolicy: { plural: 'fleetpolicies', singular: 'fleetpolicy', shortNames: ['fp'] },
  SoftwareRelease: { plural: 'softwarereleases', singular: 'softwarerelease', shortNames: ['swr'] },
  NotificationProvider: { plural: 'notificationproviders', singular: 'notificationprovider', shortNames: ['nprov'] },
  NotificationRule: { plural: 'notificationrules', singular: 'notificationrule', shortNames: ['nrule'] },
  DeviceInventory: { plural: 'deviceinventories', singular: 'deviceinventory', shortNames: ['dinv'] },
};

export { KINDS };
