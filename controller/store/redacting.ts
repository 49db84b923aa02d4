// The status sink's half of secret redaction (util/redact.ts): every status record handed to a store — the
// run's status, per-object status, device records with their histories — has each string redacted before
// it is written, whichever store it is (JSON directory, SQL, the operator's Kubernetes status). Messages
// from a back end (error bodies, condition messages, operation errors) are where an echoed token would sit.
//
// Not redacted: the last good revision (the config itself, read back as the revision in force), and the
// identifiers and verifiers a record is matched by when read back (a hex secret can share 8 hex digits with
// an operation id or a code hash; the id must still find its operation, the hash still verify its code).
import { redactValue } from '../util/redact.ts';

/** The write methods whose records carry status text. */
const STATUS_WRITES = new Set(['writeRun', 'writeObjects', 'writeDevice', 'writeDevices', 'writeNotifications', 'writeProvisioning']);
/** Keys holding identifiers that are read back and matched, never free text. */
const IDENTIFIER_KEYS: ReadonlySet<string> = new Set([
  'id', 'deviceId', 'operationId', 'revision', 'lastAppliedRevision', 'lastAttemptedRevision', 'softwareUpdate', 'kind', 'name',
  // A ProvisioningBatch's status carries each code's verifier and the regenerate token already honoured.
  'codeHash', 'regenerateToken',
  // Notification bookkeeping: an event's key is its identity (and a ticket's dedup key); a delivery's id its idempotency key.
  'key', 'provider',
]);

/**
 * The same store, with status writes redacted. A Proxy rather than a class repeating the interface: a
 * method added to StateStore is passed through as it is, and only the status writes above are changed.
 */
export function redactingStore<T extends object>(inner: T): T {
  return new Proxy(inner, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== 'function') return v;
      if (typeof prop === 'string' && STATUS_WRITES.has(prop)) {
        return (arg: unknown, ...rest: unknown[]) => {
          const redacted = prop === 'writeDevices' ? mapIterable(arg as Iterable<unknown>) : redactValue(arg, IDENTIFIER_KEYS);
          return (v as (...a: unknown[]) => unknown).call(target, redacted, ...rest);
        };
      }
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

function* mapIterable(items: Iterable<unknown>): Iterable<unknown> {
  for (const x of items) yield redactValue(x, IDENTIFIER_KEYS);
}
