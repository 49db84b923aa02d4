// Webhook signatures, GitHub's `X-Hub-Signature-256` scheme (Gitea and GitLab's generic webhooks can send
// the same): `sha256=` + hex HMAC-SHA256 of the raw request body with the shared secret. Compared in
// constant time. The body is never trusted for anything else: a valid delivery only asks for a fetch.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-hub-signature-256';

export function signBody(secret: string, body: Buffer | string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

export function verifySignature(secret: string, body: Buffer, header: string | string[] | undefined): boolean {
  if (!secret || typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = Buffer.from(signBody(secret, body), 'utf8');
  const given = Buffer.from(header, 'utf8');
  // timingSafeEqual needs equal lengths; comparing against itself keeps the time independent of where they differ.
  if (given.length !== expected.length) {
    timingSafeEqual(expected, expected);
    return false;
  }
  return timingSafeEqual(given, expected);
}

/** Headers naming a delivery: a redelivery of the same event carries the same id (GitHub, Gitea, GitLab). */
export const DELIVERY_ID_HEADERS = ['x-github-delivery', 'x-gitea-delivery', 'x-gitlab-event-uuid'] as const;

/**
 * Signed deliveries seen recently, so a replay (a sender's retry, or someone re-posting a captured request)
 * asks for no second fetch. Keyed by delivery id AND by signature: the id header is not signed, so a replay
 * with a forged id is still caught by its signature, which covers the whole body. Only deliveries whose
 * signature was verified are recorded, so unauthenticated traffic cannot fill the table. Bounded in time
 * (`windowMs`) and in entries (`maxEntries`, oldest dropped first).
 */
export class RecentDeliveries {
  readonly #windowMs: number;
  readonly #max: number;
  /** key → first seen (ms); Map keeps insertion order, which is time order. */
  readonly #seen = new Map<string, number>();

  constructor(opts: { windowMs?: number; maxEntries?: number } = {}) {
    this.#windowMs = opts.windowMs ?? 10 * 60_000;
    this.#max = opts.maxEntries ?? 10_000;
  }

  /** True when any of `keys` was seen within the window; records the keys that were not. */
  check(keys: string[], nowMs: number): boolean {
    for (const [k, at] of this.#seen) {
      if (nowMs - at < this.#windowMs && this.#seen.size <= this.#max) break;
      this.#seen.delete(k);
    }
    const duplicate = keys.some((k) => this.#seen.has(k));
    for (const k of keys) if (!this.#seen.has(k)) this.#seen.set(k, nowMs);
    while (this.#seen.size > this.#max) this.#seen.delete(this.#seen.keys().next().value!);
    return duplicate;
  }
}

/** The keys a verified delivery is remembered by: its delivery id (when sent) and its signature. */
export function deliveryKeys(headers: Record<string, string | string[] | undefined>, signature: string): string[] {
  const keys = [`sig:${signature}`];
  for (const h of DELIVERY_ID_HEADERS) {
    const v = headers[h];
    if (typeof v === 'string' && v) keys.push(`id:${h}:${v.slice(0, 200)}`);
  }
  return keys;
}
