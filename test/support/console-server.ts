// Serves the admin console over a state directory, as `fleetward run` does (the server of
// controller/server/server.ts with a read-only store), for the console's browser tests and bench/console.ts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { ASSET_DIR, Console } from '../../controller/console/http.ts';
import { Metrics } from '../../controller/server/metrics.ts';
import { startServer, type RunningServer } from '../../controller/server/server.ts';
import { openStateStore } from '../../controller/store/open.ts';

export interface ConsoleServer { url: string; server: RunningServer; console: Console; close(): Promise<void> }

export async function serveConsole(stateDir: string, opts: { token?: string; host?: string } = {}): Promise<ConsoleServer> {
  // `npm install` builds the bundle (the prepare script); a checkout whose node_modules predates it builds it here.
  if (!existsSync(join(ASSET_DIR, 'app.js'))) await (await import('../../scripts/build-console.ts')).buildConsole({ quiet: true });
  const store = await openStateStore({ stateDir }, { readOnly: true });
  const host = opts.host ?? '127.0.0.1';
  const webConsole = new Console({ store: () => store, host, ...(opts.token ? { token: opts.token } : {}) });
  const server = await startServer(0, host, { metrics: new Metrics(), logger: pino({ level: 'silent' }), ready: () => true, console: webConsole });
  return {
    url: `http://${host}:${server.port}/ui/`, server, console: webConsole,
    close: async () => { await server.close(); await store.close(); },
  };
}
