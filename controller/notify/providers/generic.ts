// The generic webhook: the message as JSON, signed like Fleetward's own webhook receiver expects
// (controller/server/webhook.ts): `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` with the
// provider's secret, and the delivery's stable id in `X-Fleetward-Delivery` (the same on every retry, so
// a receiver drops a duplicate).
import { API_VERSION } from '../../api/types.ts';
import { SIGNATURE_HEADER, signBody } from '../../server/webhook.ts';
import { JSON_HEADERS, type Format } from './request.ts';

export const DELIVERY_HEADER = 'x-fleetward-delivery';

export const formatGeneric: Format = ({ delivery: d, provider, secret, link }) => {
  const body = JSON.stringify({
    apiVersion: API_VERSION, kind: 'Notification', id: d.id, action: d.action, createdAt: d.createdAt,
    event: { ...d.content, ...(link ? { link } : {}) },
  });
  return {
    url: provider.spec.address!,
    headers: { ...JSON_HEADERS, [DELIVERY_HEADER]: d.id, 'x-fleetward-event': d.content.reason, ...(secret ? { [SIGNATURE_HEADER]: signBody(secret, body) } : {}) },
    body,
  };
};
