// How the graph driver reads a fleet without one request per device: Graph JSON batching (`POST /$batch`,
// at most 20 requests in one), and the fixed endpoint names requests are counted under.
//
// A batch saves round trips, not throttling budget: Graph evaluates each request inside a batch against
// its limits on its own, and may answer one of them 429 while answering the others (docs/drivers.md
// "Requests per pass"). So a throttled or failing sub-request is retried on its own, in a later batch,
// after its Retry-After; the ones that were answered are kept.
import { DriverError, type DriverRequestObserver } from '../driver.ts';
import type { HttpClient } from './http.ts';

/** Graph's limit on the requests of one JSON batch. */
export const BATCH_LIMIT = 20;

/** One answer of a batch, as Graph gives it. */
export interface BatchAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

interface BatchResponse {
  responses?: { id?: string; status?: number; headers?: Record<string, string>; body?: unknown }[];
}

/**
 * The endpoint a request went to, as a fixed name (bounded label values: never an id). `pathname` is a URL
 * path, with or without the `/beta` (or `/v1.0`) version root.
 */
export function graphEndpoint(method: string, pathname: string): string {
  const p = pathname.replace(/^\/(beta|v1\.0)(?=\/|$)/, '');
  if (p === '/$batch') return 'batch';
  if (p.startsWith('/teamwork/provisioning')) return 'provisioning';
  if (p === '/teamwork/devices' || p === '/teamwork/devices/') return 'list_devices';
  const device = /^\/teamwork\/devices\/[^/]+(\/.*)?$/.exec(p);
  if (device) {
    const rest = device[1] ?? '';
    if (rest === '') return 'get_device';
    if (rest === '/health') return 'device_health';
    if (rest === '/updateSoftware') return 'update_software';
    if (rest === '/runDiagnostics') return 'run_diagnostics';
    if (rest === '/operations') return 'device_operations';
    if (rest.startsWith('/operations/')) return 'device_operation';
    return 'device_other';
  }
  if (p === '/fleetward/releases') return 'releases';
  if (p === '/fleetward/operations') return 'fleet_operations';
  if (p.startsWith('/fleetward/logs/')) return 'logs';
  if (p === '/fleetward/clock') return 'clock';
  if (p.startsWith('/fleetward/provisioning')) return 'provisioning';
  return method === 'GET' ? 'other_read' : 'other_write';
}

/**
 * GETs every path (relative to the version root, e.g. `/teamwork/devices/d1/health`) through `POST
 * beta/$batch`, BATCH_LIMIT to a request, and answers them in the same order. Sub-requests answered 429 or
 * 5xx are asked again (Retry-After honoured) up to the client's retry limit, then DriverError('Unavailable').
 * Any other answer (200, 404, …) is the caller's to read.
 */
export async function batchGet(http: HttpClient, paths: string[], what: string, observe?: DriverRequestObserver): Promise<BatchAnswer[]> {
  const answers: BatchAnswer[] = new Array(paths.length);
  const chunks: number[][] = [];
  for (let i = 0; i < paths.length; i += BATCH_LIMIT) chunks.push(paths.slice(i, i + BATCH_LIMIT).map((_, j) => i + j));
  await Promise.all(chunks.map(async (chunk) => {
    let pending = chunk;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const res = await http.request('POST', 'beta/$batch', {
        body: { requests: pending.map((i) => ({ id: String(i), method: 'GET', url: paths[i] })) },
      });
      if (res.status !== 200) throw http.failure(res, `${what} (batch)`);
      const got = new Map<string, BatchAnswer>();
      for (const r of (res.json as BatchResponse | undefined)?.responses ?? []) {
        if (typeof r.id === 'string' && typeof r.status === 'number') got.set(r.id, { status: r.status, headers: r.headers ?? {}, body: r.body });
      }
      const again: number[] = [];
      let retryAfter: string | undefined;
      let throttled = false;
      for (const i of pending) {
        const a = got.get(String(i));
        observe?.({ operation: graphEndpoint('GET', paths[i]!), code: a ? String(a.status) : 'missing', batched: true });
        if (a && a.status !== 429 && a.status < 500) {
          answers[i] = a;
          continue;
        }
        again.push(i);
        if (a?.status === 429) throttled = true;
        const ra = a ? Object.entries(a.headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1] : undefined;
        if (ra && (!retryAfter || Number(ra) > Number(retryAfter))) retryAfter = ra;
      }
      if (again.length === 0) break;
      if (attempt >= http.maxRetries) {
        const first = got.get(String(again[0]));
        throw new DriverError('Unavailable', `${what}: ${again.length} of ${chunk.length} batched requests still ${first ? `answered ${first.status}` : 'unanswered'} after ${attempt + 1} attempts`);
      }
      await http.backOff(attempt, retryAfter, throttled);
      pending = again;
    }
  }));
  return answers;
}
