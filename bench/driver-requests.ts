// Requests per reconcile pass from the graph driver to the back end, at fleet sizes (issue 16.5): a generated
// fleet (bench/support/fleetgen.ts) served over real HTTP by the simulator's Graph-shaped server, read the way
// a pass reads it. One JSON line per (size, back end, shards): HTTP requests per pass, by endpoint, and the
// requests carried inside `$batch` (each counted by a real tenant's throttling).
//
//   node bench/driver-requests.ts [--sizes 1000,10000,50000] [--shards 1,2] [--back-ends graph,fleetward]
//
// `graph`: the back end answers only what Graph documents (a real tenant): device list pages, then each
// device's operations and health through `$batch` (20 per request). `fleetward`: the simulator's (and a
// protocol driver's) fleet-wide lists: pages of devices with health, pages of operations, the catalog.
import { parseArgs } from 'node:util';
import { measurePassRequests } from './support/requests-per-pass.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,50000' },
    shards: { type: 'string', default: '1,2' },
    'back-ends': { type: 'string', default: 'graph,fleetward' },
  },
});
const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
for (const size of list(values.sizes!).map(Number)) {
  for (const backEnd of list(values['back-ends']!) as ('graph' | 'fleetward')[]) {
    for (const shards of list(values.shards!).map(Number)) {
      const started = performance.now();
      const r = await measurePassRequests({ devices: size, backEnd, shards });
      console.log(JSON.stringify({
        bench: 'driver-requests', ...r, requestsPerThousandDevices: Math.round((r.requests / size) * 1000 * 10) / 10,
        measureMs: Math.round(performance.now() - started),
      }));
    }
  }
}
