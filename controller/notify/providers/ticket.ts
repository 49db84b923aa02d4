// A ticket webhook: an incident opened, updated and resolved under one stable dedup key, the shape incident
// tools take (PagerDuty Events v2's dedup_key / trigger / resolve, Opsgenie's alias, ServiceNow's correlation
// id). The key is the event's key, so a re-opened event reopens the same incident rather than filing a new one.
import { DELIVERY_HEADER } from './generic.ts';
import { JSON_HEADERS, type Format } from './request.ts';

/** The incident's dedup key for an event key: stable across passes, restarts and leaders. */
export function ticketDedupKey(eventKey: string): string {
  return `fleetward:${eventKey}`;
}

export const formatTicket: Format = ({ delivery: d, provider, secret, link }) => {
  const c = d.content;
  const body = {
    dedupKey: ticketDedupKey(c.key),
    action: d.action === 'resolve' ? 'resolve' : d.action === 'update' ? 'update' : 'open',
    status: d.action === 'resolve' ? 'resolved' : 'open',
    title: c.title,
    severity: c.severity,
    description: c.message,
    reason: c.reason,
    object: c.object,
    affectedDevices: c.devices,
    affectedDeviceCount: c.deviceCount,
    ...(c.revision ? { revision: c.revision } : {}),
    ...(c.errors?.length ? { errors: c.errors } : {}),
    ...(link ? { link } : {}),
    source: 'fleetward',
    occurredAt: d.createdAt,
  };
  return {
    url: provider.spec.address!,
    headers: { ...JSON_HEADERS, [DELIVERY_HEADER]: d.id, ...(secret ? { authorization: `Bearer ${secret}` } : {}) },
    body: JSON.stringify(body),
  };
};
