// Who may read the console (docs/console.md "Access"): anyone who can reach a loopback-only server, and
// otherwise whoever presents the console token — as `Authorization: Bearer TOKEN` (scripts, curl) or as the
// session cookie the login form sets (browsers). The token comes from a file (a mounted Secret in the
// chart); it is never logged. The cookie holds an HMAC of the token, not the token, so a leaked cookie
// cannot be replayed as a bearer token and changing the token ends every session.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const SESSION_COOKIE = 'fleetward_console';

/** Whether a listen address only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export class ConsoleAuth {
  readonly #token: string | undefined;
  readonly #session: string | undefined;
  /** `token` undefined: no authentication (only allowed on a loopback listener; controller/console/http.ts checks). */
  constructor(token: string | undefined) {
    this.#token = token;
    this.#session = token === undefined ? undefined : createHmac('sha256', token).update('fleetward console session v1').digest('base64url');
  }
  get required(): boolean { return this.#token !== undefined; }
  /** The cookie value a correct token earns. */
  get session(): string { return this.#session ?? ''; }

  tokenMatches(given: string): boolean {
    return this.#token !== undefined && same(given, this.#token);
  }

  allows(req: IncomingMessage): boolean {
    if (!this.required) return true;
    const auth = req.headers.authorization;
    if (auth && /^Bearer\s+/i.test(auth) && this.tokenMatches(auth.replace(/^Bearer\s+/i, '').trim())) return true;
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
    return cookie !== undefined && same(cookie, this.#session!);
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
