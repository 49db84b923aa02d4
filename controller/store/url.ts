// A PostgreSQL connection string as it may be shown and as it must be hidden (without loading the client).

/**
 * The secret part of a connection string — its password — for the redactor (util/redact.ts). Not the whole
 * URL: every 8-character piece of it (the user, `postgres`) would then be cut out of every message.
 */
export function urlSecret(url: string): string | undefined {
  try {
    const u = new URL(url);
    const password = decodeURIComponent(u.password);
    return password || undefined;
  } catch {
    return undefined;
  }
}

/** The URL without its password, for logs and status: `postgres://fleetward@db:5432/fleetward`. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}
