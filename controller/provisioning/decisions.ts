// The provisioning decisions of a pass (seed 004), as small pure functions over what the pass gathered —
// the declared device, what the last run recorded for it, the back end's record, the codes kept, `now` —
// each answering with a reason code (docs/provisioning.md "Decisions"). No I/O, no clock: the act step
// (./reconcile.ts) calls the back end and the stores with what these return. Like the planner's checks
// (docs/style.md), a chain is a list of checks and the first one that objects wins.
import type { Instant } from '../api/types.ts';
import { checkFirmware } from '../api/minimum-firmware.ts';
import type { BackendProvisioningRecord, SignInResult } from '../drivers/provisioning.ts';
import type { RegenerationRequest } from './requests.ts';
import type { ProvisioningDeviceStatus, ProvisioningState } from './status.ts';

const ms = (t: Instant | undefined): number => (t === undefined ? Number.NaN : Date.parse(t));

// ---- a new code? ----------------------------------------------------------------------------------

/** Why a device not yet activated gets a new code on this pass. */
export type CodeReason =
  /** It never had one. */
  | 'NoCode'
  /** The plaintext kept for the export is gone or belongs to another code (a crash between two writes). */
  | 'SecretMissing'
  /** Seed 004: a code is valid 24 hours, then regenerated. */
  | 'Expired'
  /** `spec.regenerateCodes` changed. */
  | 'BatchRegenerationRequested'
  /** The `regenerate.provisioning.fleetward.dev/<MAC>` annotation changed. */
  | 'DeviceRegenerationRequested'
  /** `fleetward provision regenerate` asked for it after this code was issued. */
  | 'RegenerationRequested';

export interface CodeInput {
  /** The device as the last run left it (its code's verifier, issue and expiry, honoured token). */
  device: Pick<ProvisioningDeviceStatus, 'macAddress' | 'codeHash' | 'codeIssuedAt' | 'codeExpiresAt' | 'regenerateToken'>;
  /** The verifier stored with the plaintext code kept for the export, if any. */
  keptCodeHash: string | undefined;
  now: number;
  /** `spec.regenerateCodes` differs from the value already honoured. */
  batchRegeneration: boolean;
  /** The device's regenerate annotation value, when set. */
  annotationToken: string | undefined;
  /** This batch's regeneration requests dated at or before now. */
  requests: readonly RegenerationRequest[];
}

type CodeCheck = (i: CodeInput) => CodeReason | undefined;

export const CODE_CHECKS: readonly CodeCheck[] = [
  (i) => (i.device.codeHash ? undefined : 'NoCode'),
  (i) => (i.keptCodeHash === i.device.codeHash ? undefined : 'SecretMissing'),
  (i) => (i.now < ms(i.device.codeExpiresAt) ? undefined : 'Expired'),
  (i) => (i.batchRegeneration ? 'BatchRegenerationRequested' : undefined),
  (i) => (i.annotationToken !== undefined && i.annotationToken !== i.device.regenerateToken ? 'DeviceRegenerationRequested' : undefined),
  (i) => (i.requests.some((r) => (r.macAddress === undefined || r.macAddress === i.device.macAddress) && !(ms(r.requestedAt) <= ms(i.device.codeIssuedAt)))
    ? 'RegenerationRequested' : undefined),
];

/** Why the device needs a new code now, or undefined when the one it has stays in force. */
export function codeReason(i: CodeInput): CodeReason | undefined {
  for (const check of CODE_CHECKS) {
    const reason = check(i);
    if (reason) return reason;
  }
  return undefined;
}

// ---- where a device stands -----------------------------------------------------------------------

/** Why a device is in the state it is in, for the log and the tests. */
export type StandingReason =
  | 'SignedIn'
  | 'FirmwareTooOld'
  /** Activated; no `signIn.user` declared: the user signs in on the device. */
  | 'NoUserDeclared'
  /** Activated; remote sign-in of the declared user already asked for. */
  | 'SignInPending'
  /** Activated; remote sign-in of the declared user to be asked for now (the act step calls signIn). */
  | 'SignInNeeded'
  /** The back end refused the remote sign-in (not awaiting sign-in, or unknown); asked again next pass. */
  | 'SignInRefused'
  /** Not activated: too many wrong codes, the back end refuses attempts for a while. */
  | 'LockedOut'
  /** Not activated: a valid code is (or is about to be) registered. */
  | 'AwaitingActivation';

export interface Standing {
  state: ProvisioningState;
  reason: StandingReason;
  message?: string;
  requiredFirmware?: string;
  lockedUntil?: Instant;
}

type DeviceFacts = Pick<ProvisioningDeviceStatus, 'manufacturer' | 'model' | 'firmwareVersion'>;

/** Seed 004's minimum firmware, when the device has reported its model and firmware. */
function firmwareShortfall(d: DeviceFacts): { required: string; manufacturer: string } | undefined {
  if (!d.model || !d.firmwareVersion) return undefined;
  const f = checkFirmware(d.manufacturer, d.model, d.firmwareVersion);
  return f.ok ? undefined : { required: f.required, manufacturer: f.row.manufacturer };
}

/**
 * A device the back end reports activated (AwaitingSignIn) or SignedIn: what it is, and whether a remote
 * sign-in is to be requested (the back end's `user` is the one it has a sign-in pending or done for).
 */
export function activatedStanding(d: DeviceFacts, backend: BackendProvisioningRecord, declaredUser: string | undefined): Standing {
  if (backend.state === 'SignedIn') return { state: 'SignedIn', reason: 'SignedIn' };
  const short = firmwareShortfall(d);
  if (short) {
    return {
      state: 'FirmwareTooOld', reason: 'FirmwareTooOld', requiredFirmware: short.required,
      message: `${short.manufacturer} ${d.model} needs firmware ${short.required} or newer for remote sign-in; it runs ${d.firmwareVersion}`,
    };
  }
  if (!declaredUser) return { state: 'AwaitingSignIn', reason: 'NoUserDeclared', message: 'activated; no user declared for remote sign-in, the user signs in on the device' };
  if (backend.user === declaredUser) return { state: 'AwaitingSignIn', reason: 'SignInPending', message: `remote sign-in of ${declaredUser} pending` };
  return { state: 'AwaitingSignIn', reason: 'SignInNeeded' };
}

/** What the back end's answer to a remote sign-in makes of the device. */
export function signInStanding(res: SignInResult, user: string): Standing {
  if (res.accepted && res.record.state === 'SignedIn') return { state: 'SignedIn', reason: 'SignedIn' };
  if (!res.accepted) return { state: 'AwaitingSignIn', reason: 'SignInRefused', message: `remote sign-in refused: ${res.reason}` };
  return { state: 'AwaitingSignIn', reason: 'SignInPending', message: `remote sign-in of ${user} pending` };
}

/** A device not activated yet: held while locked out or while its firmware is below the seed's minimum. */
export function awaitingStanding(d: DeviceFacts, backend: BackendProvisioningRecord | undefined): Standing {
  if (backend?.state === 'LockedOut') {
    return {
      state: 'LockedOut', reason: 'LockedOut', ...(backend.lockedUntil ? { lockedUntil: backend.lockedUntil } : {}),
      message: 'too many wrong activation codes; attempts are refused until the lock lapses',
    };
  }
  const short = firmwareShortfall(d);
  if (short) {
    return {
      state: 'FirmwareTooOld', reason: 'FirmwareTooOld', requiredFirmware: short.required,
      message: `${short.manufacturer} ${d.model} needs firmware ${short.required} or newer; it runs ${d.firmwareVersion}`,
    };
  }
  return { state: 'AwaitingActivation', reason: 'AwaitingActivation' };
}

/** Whether the back end reports the device activated (its code has done its job and must not linger). */
export function isActivated(backend: BackendProvisioningRecord | undefined): boolean {
  return backend?.state === 'SignedIn' || backend?.state === 'AwaitingSignIn';
}

// ---- the back end's copy ---------------------------------------------------------------------------

/** Why the device's code is (re-)registered with the back end on this pass. */
export type RegisterReason = 'NewCode' | 'NotRegistered' | 'ExpiryDiffers' | 'LocationDiffers';

/** A device awaiting activation whose back end copy is missing or out of date gets registered again. */
export function registerReason(
  d: Pick<ProvisioningDeviceStatus, 'state' | 'codeHash' | 'codeExpiresAt' | 'location'>,
  newCode: boolean,
  backend: BackendProvisioningRecord | undefined,
): RegisterReason | undefined {
  const awaiting = d.state === 'AwaitingActivation' || d.state === 'FirmwareTooOld' || d.state === 'LockedOut';
  if (!awaiting || d.codeHash === undefined) return undefined;
  if (newCode) return 'NewCode';
  if (!backend) return 'NotRegistered';
  if (backend.codeExpiresAt !== d.codeExpiresAt) return 'ExpiryDiffers';
  if ((backend.location ?? '') !== (d.location ?? '')) return 'LocationDiffers';
  return undefined;
}

/** A device no longer declared: removed from the back end's list, unless unknown there or already in use. */
export function forgetReason(backend: BackendProvisioningRecord | undefined): 'NoLongerDeclared' | undefined {
  if (!backend || backend.state === 'SignedIn') return undefined;
  return 'NoLongerDeclared';
}
