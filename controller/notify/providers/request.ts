// What every provider format produces: one HTTP request, built by a pure function from the delivery (the
// tests read the same bytes a receiver reads). The dispatcher (../dispatcher.ts) sends it.
import type { DeliveryRecord } from '../../store/records.ts';
import type { ProviderConfig } from '../config.ts';

export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface FormatInput {
  delivery: DeliveryRecord;
  provider: ProviderConfig;
  /** The provider's secret, resolved from its secretRef (never logged, never stored). */
  secret: string | undefined;
  /** Where a person reads more: the console's page, when a console URL is configured. */
  link: string | undefined;
}

export type Format = (input: FormatInput) => OutgoingRequest;

export const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'fleetward-notification' };

/** The one line every chat message starts with: what happened, and how serious it is. */
export function headline(d: DeliveryRecord): string {
  const c = d.content;
  if (d.action === 'resolve') return `Resolved: ${c.title}`;
  return d.action === 'update' ? `Update: ${c.title}` : c.title;
}

/** The devices as a sentence: the first ones named, the rest counted. */
export function deviceLine(d: DeliveryRecord): string | undefined {
  const c = d.content;
  if (!c.deviceCount) return undefined;
  const more = c.deviceCount - c.devices.length;
  return `${c.devices.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/** The text when a message is about an event ending. */
export function resolvedText(d: DeliveryRecord): string {
  const c = d.content;
  if (c.reason === 'InvalidRevision') return 'A valid revision was applied again: the config is back in force.';
  if (c.reason === 'TenantPaused') return 'Automatic updates resumed for the tenant.';
  return `No longer the case as of ${d.createdAt}.`;
}
