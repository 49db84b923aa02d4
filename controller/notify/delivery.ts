// One message per event, not one per pass (docs/notifications.md "Delivery"): a pure function from the events
// the pass derived, what the store says was already announced, and `now`, to the records to write and the
// messages to enqueue. After Alertmanager's grouping: an event is first announced after a short group wait
// (a burst of held devices becomes one message listing them), a change of it (more devices, a new state)
// is announced at most once per cool-down, its end once (resolved), and a flapping event is not re-announced
// inside the cool-down.
import { createHash } from 'node:crypto';
import type { DeliveryRecord, NotificationChanges, NotificationContent, NotificationEventRecord, NotificationRecords } from '../store/records.ts';
import { NO_RESOLVE_MESSAGE, fingerprint } from './events.ts';

export interface DeliverySettings {
  /** A new event is announced this long after it was first seen, with whatever joined it meanwhile. */
  groupWaitMs: number;
  /** At most one message per event per cool-down (updates, a re-opening after a resolve). */
  cooldownMs: number;
  /** Dead-lettered messages are kept this long (counted in status), then dropped. */
  keepDeadLetteredMs: number;
}

export const DEFAULT_SETTINGS: DeliverySettings = { groupWaitMs: 60_000, cooldownMs: 3_600_000, keepDeadLetteredMs: 7 * 86_400_000 };

/** A delivery's id: stable for the same message, so a retry or a restart carries the same idempotency key. */
export function deliveryId(provider: string, key: string, action: string, announcedAt: string): string {
  return createHash('sha256').update(`${provider}\0${key}\0${action}\0${announcedAt}`).digest('hex').slice(0, 32);
}

export interface AdvanceInput {
  now: string;
  stored: NotificationRecords;
  derived: readonly NotificationContent[];
  /** Providers an event goes to (./config.ts routes). */
  routes: (c: NotificationContent) => string[];
  settings?: DeliverySettings;
}

/** The changes to write; `enqueued` lists the new deliveries (also in `changes.deliveries`). */
export function advance(input: AdvanceInput): { changes: NotificationChanges; enqueued: DeliveryRecord[]; announced: { record: NotificationEventRecord; action: DeliveryRecord['action'] }[] } {
  const s = input.settings ?? DEFAULT_SETTINGS;
  const now = input.now;
  const t = Date.parse(now);
  const events: Record<string, NotificationEventRecord | null> = {};
  const deliveries: Record<string, DeliveryRecord | null> = {};
  const enqueued: DeliveryRecord[] = [];
  const announced: { record: NotificationEventRecord; action: DeliveryRecord['action'] }[] = [];
  const since = (iso: string | undefined, ms: number) => !iso || t >= Date.parse(iso) + ms;

  const enqueue = (rec: NotificationEventRecord, action: DeliveryRecord['action'], providers: readonly string[]) => {
    const content = contentOf(rec);
    for (const provider of providers) {
      // A commit status replaces the one still waiting for the same commit: only the newest state matters.
      if (rec.reason === 'RevisionStatus') {
        for (const d of Object.values(input.stored.deliveries)) {
          if (d.provider === provider && d.content.key === rec.key && !d.deadLetteredAt && d.attempts === 0) deliveries[d.id] = null;
        }
      }
      const d: DeliveryRecord = { id: deliveryId(provider, rec.key, action, now), provider, action, content, createdAt: now, attempts: 0, nextAttemptAt: now };
      deliveries[d.id] = d;
      enqueued.push(d);
    }
  };
  /**
   * Announces an event (a Kubernetes Event in operator mode, a log line) and enqueues its message for the
   * providers whose rules take it; its end goes to those that were told it began.
   */
  const announce = (rec: NotificationEventRecord, action: DeliveryRecord['action']) => {
    const providers = action === 'resolve' ? (rec.announcedTo ?? input.routes(contentOf(rec))) : input.routes(contentOf(rec));
    rec.announced = action === 'resolve' ? 'resolved' : 'open';
    rec.announcedAt = now;
    rec.announcedFingerprint = fingerprint(rec);
    if (action === 'resolve') delete rec.announcedTo;
    else rec.announcedTo = [...providers];
    announced.push({ record: rec, action });
    enqueue(rec, action, providers);
  };

  const seen = new Set<string>();
  for (const c of input.derived) {
    seen.add(c.key);
    const prev = input.stored.events[c.key];
    const rec: NotificationEventRecord = {
      ...(prev ? { firstSeenAt: prev.firstSeenAt } : { firstSeenAt: now }),
      ...(prev?.announced ? { announced: prev.announced, announcedAt: prev.announcedAt!, announcedFingerprint: prev.announcedFingerprint! } : {}),
      ...(prev?.announcedTo ? { announcedTo: prev.announcedTo } : {}),
      ...(prev?.resolvedAt && prev.status === 'resolved' ? { resolvedAt: prev.resolvedAt } : {}),
      ...c, status: 'open',
    };
    if (c.reason === 'RevisionStatus') {
      // A forge shows the newest state at once: no group wait, no cool-down.
      if (rec.announcedFingerprint !== fingerprint(rec)) announce(rec, prev?.announced === 'open' ? 'update' : 'open');
    } else if (rec.announced !== 'open') {
      // Never announced, or its end was: announce once it has waited its group wait, and (when it flapped back)
      // once the cool-down since the resolve message is over.
      if (since(rec.firstSeenAt, s.groupWaitMs) && (rec.announced !== 'resolved' || since(rec.announcedAt, s.cooldownMs))) {
        delete rec.resolvedAt;
        announce(rec, 'open');
      }
    } else if (rec.announcedFingerprint !== fingerprint(rec) && since(rec.announcedAt, s.cooldownMs)) {
      announce(rec, 'update');
    } else {
      // A rule (or provider) added while the event is open: its provider hears of it now, once.
      const told = new Set(rec.announcedTo ?? []);
      const newcomers = input.routes(contentOf(rec)).filter((p) => !told.has(p));
      if (newcomers.length) {
        rec.announcedTo = [...told, ...newcomers];
        enqueue(rec, 'open', newcomers);
      }
    }
    if (!prev || JSON.stringify(prev) !== JSON.stringify(rec)) events[c.key] = rec;
  }

  for (const [key, prev] of Object.entries(input.stored.events)) {
    if (seen.has(key)) continue;
    if (prev.status === 'open') {
      if (!prev.announced) { events[key] = null; continue; } // ended inside its group wait: nothing was said
      const rec: NotificationEventRecord = { ...prev, status: 'resolved', resolvedAt: now };
      if (prev.announced === 'open' && !NO_RESOLVE_MESSAGE.has(prev.reason)) announce(rec, 'resolve');
      events[key] = rec;
    } else if (since(prev.resolvedAt, s.cooldownMs) && since(prev.announcedAt, s.cooldownMs)) {
      events[key] = null; // over, and past its cool-down: forgotten
    }
  }

  for (const d of Object.values(input.stored.deliveries)) {
    if (d.deadLetteredAt && since(d.deadLetteredAt, s.keepDeadLetteredMs)) deliveries[d.id] = null;
  }
  return { changes: { events, deliveries }, enqueued, announced };
}

/** The message content of a tracked event (without its bookkeeping). */
export function contentOf(r: NotificationEventRecord): NotificationContent {
  const { status: _s, firstSeenAt: _f, resolvedAt: _r, announced: _a, announcedAt: _t, announcedFingerprint: _p, announcedTo: _to, ...content } = r;
  return content;
}
