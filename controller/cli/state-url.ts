// The PostgreSQL connection string of a reader (`status`, `plan`, `forecast`): from a file (a mounted Secret,
// a CI secret written to disk), else FLEETWARD_STATE_URL — never a flag, so it is not in argv or `ps`. Its
// password is registered with the redactor before anything can print it (util/redact.ts).
import { readFileSync } from 'node:fs';
import { urlSecret } from '../store/url.ts';
import { registerSecret } from '../util/redact.ts';
import { UsageError } from './errors.ts';

/** The connection string from `--state-url-file FILE`, else FLEETWARD_STATE_URL; undefined when neither is given. */
export function readStateUrl(file: string | undefined): string | undefined {
  let url: string | undefined;
  if (file !== undefined) {
    try {
      url = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new UsageError(`--state-url-file ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    registerSecret(urlSecret(url));
    if (!url) throw new UsageError(`--state-url-file ${file}: the file is empty; it should hold a postgres:// connection string`);
  } else {
    url = process.env.FLEETWARD_STATE_URL?.trim() || undefined;
    if (url === undefined) return undefined;
    registerSecret(urlSecret(url));
  }
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new UsageError(`${file !== undefined ? `--state-url-file ${file}` : 'FLEETWARD_STATE_URL'}: the state store connection string must start with postgres:// or postgresql://`);
  }
  return url;
}
