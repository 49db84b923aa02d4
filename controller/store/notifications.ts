// Notification bookkeeping as rows (kind, key, JSON value), the one layout every store uses: the SQLite and
// PostgreSQL tables, the JSON directory's file. The stores keep the rows' text in memory and write a row
// only when its text changed (docs/notifications.md "Delivery").
import type { NotificationChanges, NotificationRecords } from './records.ts';

export type NotificationRowKind = 'event' | 'delivery';
export interface NotificationRow { kind: NotificationRowKind; key: string; value: string }

/** The rows' text by `kind\0key`, as last read or written. */
export class NotificationRows {
  readonly #text = new Map<string, string>();

  load(rows: Iterable<NotificationRow>): void {
    this.#text.clear();
    for (const r of rows) this.#text.set(`${r.kind}\0${r.key}`, r.value);
  }

  /** Every record. A row that does not decode is left out (and overwritten by the next write of its key). */
  records(): NotificationRecords {
    const out: NotificationRecords = { events: {}, deliveries: {} };
    for (const [k, text] of this.#text) {
      const [kind, key] = k.split('\0') as [NotificationRowKind, string];
      let value: unknown;
      try { value = JSON.parse(text); } catch { continue; }
      if (!value || typeof value !== 'object') continue;
      if (kind === 'event') out.events[key] = value as NotificationRecords['events'][string];
      else out.deliveries[key] = value as NotificationRecords['deliveries'][string];
    }
    return out;
  }

  /** Applies the changes in memory; returns the rows to write (value null: delete), only those that changed. */
  apply(changes: NotificationChanges): { kind: NotificationRowKind; key: string; value: string | null }[] {
    const out: { kind: NotificationRowKind; key: string; value: string | null }[] = [];
    const each = (kind: NotificationRowKind, m: Record<string, unknown> | undefined) => {
      for (const [key, v] of Object.entries(m ?? {})) {
        const k = `${kind}\0${key}`;
        if (v === null) {
          if (!this.#text.has(k)) continue;
          this.#text.delete(k);
          out.push({ kind, key, value: null });
          continue;
        }
        const text = JSON.stringify(v);
        if (this.#text.get(k) === text) continue;
        this.#text.set(k, text);
        out.push({ kind, key, value: text });
      }
    };
    each('event', changes.events);
    each('delivery', changes.deliveries);
    return out;
  }
}
