// A provider's secret, from its reference (docs/notifications.md "Secrets"). The config repo is untrusted
// input, and a provider's address is chosen by whoever writes it: a reference must not be able to read any
// secret of the process and send it there. So a reference reaches only what an operator set aside for
// notifications: environment variables named FLEETWARD_NOTIFY_…, files in the notification secrets directory
// (a plain name, no path), and the Kubernetes Secrets the chart lists (the operator's Role grants `get` on
// those names only). Every value read is registered with the redactor at once: it never reaches a log line,
// a status or an error.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretRef } from '../api/types.ts';
import { registerSecret } from '../util/redact.ts';

export interface SecretSources {
  env?: NodeJS.ProcessEnv;
  /** The notification secrets directory (`--notification-secrets-dir`); unset: file references are refused. */
  dir?: string;
  /** Operator mode: reads a key of a Secret in the operator's namespace. */
  kubernetes?: (name: string, key: string) => Promise<string | undefined>;
}

/** The secret cannot be read: the delivery fails with this message (it names the reference, never a value). */
export class SecretUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretUnavailable';
  }
}

export async function resolveSecret(ref: SecretRef | undefined, src: SecretSources): Promise<string | undefined> {
  if (!ref) return undefined;
  let value: string | undefined;
  if (ref.env !== undefined) {
    if (!/^FLEETWARD_NOTIFY_[A-Z0-9_]+$/.test(ref.env)) throw new SecretUnavailable(`secretRef.env ${ref.env}: only variables named FLEETWARD_NOTIFY_… may be read`);
    value = (src.env ?? process.env)[ref.env];
    if (value === undefined) throw new SecretUnavailable(`secretRef.env ${ref.env} is not set in the Fleetward process`);
  } else if (ref.file !== undefined) {
    if (!src.dir) throw new SecretUnavailable(`secretRef.file ${ref.file}: no --notification-secrets-dir is configured`);
    if (!/^[A-Za-z0-9_.-]+$/.test(ref.file) || ref.file.startsWith('.')) throw new SecretUnavailable(`secretRef.file ${ref.file}: a plain file name in the notification secrets directory`);
    try {
      value = readFileSync(join(src.dir, ref.file), 'utf8');
    } catch (err) {
      throw new SecretUnavailable(`secretRef.file ${ref.file}: cannot read it in the notification secrets directory (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  } else if (ref.secret) {
    if (!src.kubernetes) throw new SecretUnavailable(`secretRef.secret ${ref.secret.name}: Kubernetes Secrets are read by the operator only`);
    value = await src.kubernetes(ref.secret.name, ref.secret.key).catch((err: unknown) => {
      throw new SecretUnavailable(`secretRef.secret ${ref.secret!.name}: ${(err as Error).message}`);
    });
    if (value === undefined) throw new SecretUnavailable(`secretRef.secret ${ref.secret.name} has no key ${ref.secret.key} (or is not one the operator may read: chart value notifications.secrets)`);
  }
  value = value?.trim();
  if (!value) throw new SecretUnavailable('the secret secretRef names is empty');
  return registerSecret(value);
}
