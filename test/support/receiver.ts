// A real HTTP receiver on loopback for notification tests: records every request as a receiver reads it
// (method, path, headers, raw body), and answers as told — accept, fail with a status, or hang (never answer,
// the slow or dead receiver a sender must not wait on forever).
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Whether the receiver answered 2xx (a hung or refused request is recorded but not accepted). */
  accepted: boolean;
}

export type Answer = { status: number; body?: string; headers?: Record<string, string> } | 'hang';

export interface Receiver {
  url: string;
  requests: Received[];
  /** Requests answered 2xx, their bodies parsed as JSON. */
  accepted(): { headers: IncomingHttpHeaders; path: string; json: any }[];
  /** How the next requests are answered (default 200). */
  answer: (r: Omit<Received, 'accepted'>) => Answer;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const hung: ServerResponse[] = [];
  const rec: Receiver = {
    url: '', requests: [],
    accepted: () => rec.requests.filter((r) => r.accepted).map((r) => ({ headers: r.headers, path: r.path, json: r.body ? JSON.parse(r.body) : undefined })),
    answer: () => ({ status: 200, body: 'ok' }),
    close: async () => {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const a = rec.answer(r);
      if (a === 'hang') {
        rec.requests.push({ ...r, accepted: false });
        hung.push(res);
        return;
      }
      rec.requests.push({ ...r, accepted: a.status >= 200 && a.status < 300 });
      res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers });
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  rec.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return rec;
}
