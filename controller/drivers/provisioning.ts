// The provisioning back-end contract (seed 004): what Fleetward needs from a back end to provision devices
// remotely, whatever the back end — Teams admin center, a phone maker's portal, an in-house service, the
// simulator. A driver exposes it as `Driver.provisioning` (./driver.ts); back ends live beside the update
// back ends: ./simulator/provisioning.ts (in-process), ./graph/provisioning.ts (HTTP). An out-of-process
// driver speaks the same four calls; docs/provisioning.md "Back ends" is the user-facing description.
//
// The contract, as a back end sees it:
// - Fleetward decides; the back end records and reports. Every call is idempotent and level-triggered:
//   Fleetward calls `list()` once per provisioning run and derives everything from it, so a repeated or lost
//   call changes nothing (`register` with the same request twice is one registration).
// - Verification codes never cross this interface in plaintext: Fleetward registers a code *verifier*
//   (./code-verifier.ts: `scrypt$N$r$p$salt$hash`) and the back end checks the code a device types against
//   it (verifyCode). A back end must never log a device's activation request body.
// - The back end owns the device's side: activation with MAC + code (rate-limited per MAC: LockedOut),
//   reporting model and firmware once the device is powered on, and carrying out a remote sign-in.
// - Errors are DriverError (./driver.ts): Unavailable (retried next pass), InvalidRequest, Unauthorized.
import type { Instant } from '../api/types.ts';

/** What the back end knows about a MAC it was asked to provision. */
export type BackendProvisioningState = 'AwaitingActivation' | 'AwaitingSignIn' | 'SignedIn' | 'LockedOut';

export interface RegisterProvisioningRequest {
  /** Normalised, `AA-BB-CC-DD-EE-FF`. */
  macAddress: string;
  location?: string;
  /** A code verifier (./code-verifier.ts: `scrypt$N$r$p$salt$hash`), never the code. */
  codeHash: string;
  codeExpiresAt: Instant;
}

export interface BackendProvisioningRecord {
  macAddress: string;
  state: BackendProvisioningState;
  location?: string;
  /** Expiry of the code currently registered (AwaitingActivation and LockedOut). */
  codeExpiresAt?: Instant;
  /** While LockedOut: when activation attempts are accepted again. */
  lockedUntil?: Instant;
  /** Set once the device has been powered on and talked to the back end. */
  poweredOn?: boolean;
  manufacturer?: string;
  model?: string;
  firmwareVersion?: string;
  /** Once SignedIn (or while a remote sign-in is pending). */
  user?: string;
}

export type SignInResult =
  | { accepted: true; record: BackendProvisioningRecord }
  /** The device is not AwaitingSignIn (not activated yet, or already signed in), or the MAC is unknown. */
  | { accepted: false; reason: 'NotAwaitingSignIn' | 'UnknownDevice'; record?: BackendProvisioningRecord };

export interface ProvisioningDriver {
  /**
   * Register a MAC as awaiting activation with this code verifier, or replace the code of one already
   * registered and not yet activated. Idempotent: repeating the same request changes nothing.
   */
  register(req: RegisterProvisioningRequest): Promise<BackendProvisioningRecord>;
  /** Every MAC registered for provisioning, in any state. */
  list(): Promise<BackendProvisioningRecord[]>;
  /** Remote sign-in of `user` on a device that is AwaitingSignIn. */
  signIn(macAddress: string, user: string): Promise<SignInResult>;
  /** Forget a MAC that is no longer declared (a no-op when unknown). */
  unregister(macAddress: string): Promise<void>;
}
