// `fleetward simulator serve --fleet FILE --port N --token T [--state DIR] [--seed S] [--speed X] …`:
// the simulated fleet behind a Graph-shaped HTTP API (controller/drivers/simulator/server.ts), for the
// graph driver, demos and benchmarks. docs/drivers.md describes the routes and options.
import type { Command } from 'commander';
import { ScaledClock, type Clock } from '../../util/clock.ts';
import { Simulator } from '../../drivers/simulator/simulator.ts';
import { startSimulatorServer, type FaultOptions } from '../../drivers/simulator/server.ts';
import { provisioningRoutes } from '../../drivers/simulator/provisioning-routes.ts';
import type { SimulatorBehaviour } from '../../drivers/simulator/behaviour.ts';
import { parseDuration } from '../../api/duration.ts';
import { SimulatorBehaviourError } from '../../drivers/simulator/behaviour.ts';
import { UsageError } from '../errors.ts';
import { loadFleet, readBehaviourFile } from '../inputs.ts';

interface ServeOptions {
  fleet: string;
  port: string;
  host: string;
  token?: string;
  state?: string;
  seed: string;
  speed: string;
  start?: string;
  failureRate?: string;
  offlineRate?: string;
  busyRate?: string;
  rollbackRate?: string;
  installDuration?: string;
  fault429?: string;
  fault5xx?: string;
  faultSlowMs?: string;
  faultSlowRate?: string;
  strictGraph?: boolean;
  behaviour?: string;
}

function rateOption(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new UsageError(`${flag} must be a number from 0 to 1 (got ${JSON.stringify(value)})`);
  return n;
}

function intOption(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`${flag} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  return n;
}

export function register(program: Command): void {
  const simulator = program.command('simulator').description('The simulated device fleet (the embedded default driver), served over HTTP.');
  simulator
    .command('serve')
    .description('Serve a fleet file behind an HTTP API shaped like Microsoft Graph beta teamwork/devices.')
    .requiredOption('--fleet <file>', 'fleet file (devices and releases, YAML)')
    .option('--port <n>', 'port to listen on (0 picks a free one)', '8080')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--token <t>', 'bearer token clients must send (or FLEETWARD_SIMULATOR_TOKEN)')
    .option('--state <dir>', 'keep versions, operations and history here across restarts')
    .option('--seed <n>', 'seed of every random draw', '1')
    .option('--speed <x>', 'simulated seconds per wall-clock second', '1')
    .option('--start <iso>', 'simulated instant to start at (default: where the state left off, else now)')
    .option('--failure-rate <r>', 'share of updates that fail (0-1)')
    .option('--offline-rate <r>', 'share of hours a device is offline (0-1)')
    .option('--busy-rate <r>', 'share of business-hour half-hours a device is in a meeting (0-1)')
    .option('--rollback-rate <r>', 'share of successful updates silently rolled back (0-1)')
    .option('--install-duration <d>', 'install duration, e.g. 20m, or a range 10m-40m')
    .option('--fault-429 <r>', 'share of requests answered 429 with Retry-After (0-1)')
    .option('--fault-5xx <r>', 'share of requests answered 5xx (0-1)')
    .option('--fault-slow-ms <ms>', 'delay added to slow answers')
    .option('--fault-slow-rate <r>', 'share of answers that are slow (0-1, default 1 with --fault-slow-ms)')
    .option('--behaviour <file>', 'simulator behaviour settings (YAML); the rate flags override it')
    .option('--strict-graph', 'answer only as Graph documents it (no fleetward additions), as a real tenant would')
    .action(async (o: ServeOptions) => {
      const token = o.token ?? process.env.FLEETWARD_SIMULATOR_TOKEN;
      if (!token) throw new UsageError('a bearer token is required: --token T or FLEETWARD_SIMULATOR_TOKEN');
      const port = intOption('--port', o.port, 0, 65535);
      const seed = intOption('--seed', o.seed, 0, 2 ** 31 - 1);
      const speed = Number(o.speed);
      if (!(speed > 0 && speed <= 1e7)) throw new UsageError(`--speed must be a positive number (got ${JSON.stringify(o.speed)})`);
      let start: Date | undefined;
      if (o.start !== undefined) {
        start = new Date(o.start);
        if (!/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(o.start) || Number.isNaN(start.getTime())) {
          throw new UsageError(`--start must be an ISO-8601 instant such as 2026-11-22T01:00:00Z (got ${JSON.stringify(o.start)})`);
        }
      }
      const behaviour: SimulatorBehaviour = o.behaviour ? readBehaviourFile(o.behaviour) : {};
      const set = <K extends keyof SimulatorBehaviour>(k: K, v: SimulatorBehaviour[K] | undefined) => { if (v !== undefined) behaviour[k] = v; };
      set('failureRate', rateOption('--failure-rate', o.failureRate));
      set('offlineRate', rateOption('--offline-rate', o.offlineRate));
      set('busyDuringMeetings', rateOption('--busy-rate', o.busyRate));
      set('rollbackRate', rateOption('--rollback-rate', o.rollbackRate));
      if (o.installDuration !== undefined) {
        const parts = o.installDuration.split('-');
        const min = parts[0] ?? '';
        const max = parts[1] ?? min;
        if (parts.length > 2 || parseDuration(min) === undefined || parseDuration(max) === undefined) {
          throw new UsageError(`--install-duration must be a duration such as 20m or a range such as 10m-40m (got ${JSON.stringify(o.installDuration)})`);
        }
        behaviour.installDuration = { min, max };
      }
      const faults: FaultOptions = { seed };
      const f429 = rateOption('--fault-429', o.fault429);
      const f5xx = rateOption('--fault-5xx', o.fault5xx);
      const slowRate = rateOption('--fault-slow-rate', o.faultSlowRate);
      if (f429 !== undefined) faults.rate429 = f429;
      if (f5xx !== undefined) faults.rate5xx = f5xx;
      if (o.faultSlowMs !== undefined) faults.slowMs = intOption('--fault-slow-ms', o.faultSlowMs, 0, 600_000);
      if (slowRate !== undefined) faults.slowRate = slowRate;

      const fleet = await loadFleet(o.fleet);

      // The clock starts once the state is loaded, so a restart carries on where the last run stopped.
      let inner: Clock | undefined;
      const clock: Clock = {
        now: () => inner?.now() ?? new Date(-8.64e15),
        sleep: (ms) => (inner ? inner.sleep(ms) : Promise.resolve()),
      };
      let sim: Simulator;
      try {
        sim = new Simulator({ fleet, clock, seed, behaviour, ...(o.state ? { stateDir: o.state } : {}) });
      } catch (err) {
        if (err instanceof SimulatorBehaviourError) throw new UsageError(o.behaviour ? `--behaviour ${o.behaviour}: ${err.message}` : err.message);
        throw new UsageError(`cannot start the simulator: ${(err as Error).message}`, 1);
      }
      const resumeAt = start ?? sim.simulatedUntil ?? new Date();
      inner = new ScaledClock(resumeAt, speed);

      let server;
      try {
        server = await startSimulatorServer({ simulator: sim, port, host: o.host, token, faults, strictGraph: o.strictGraph ?? false, routes: provisioningRoutes(sim.provisioning) });
      } catch (err) {
        await sim.close();
        throw new UsageError(`cannot listen on ${o.host}:${port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 1);
      }
      const faultText = [f429 ? `429 ${f429}` : '', f5xx ? `5xx ${f5xx}` : '', faults.slowMs ? `slow ${faults.slowMs} ms` : ''].filter(Boolean).join(', ');
      process.stdout.write(
        `fleetward simulator: serving ${sim.inventory().length} devices at ${server.url}/beta/teamwork/devices ` +
          `(simulated time ${sim.now().toISOString()}, speed ${speed}x${o.state ? `, state in ${o.state}` : ''}${faultText ? `, faults: ${faultText}` : ''}). Ctrl-C stops it.\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
      await sim.close();
      process.stdout.write('fleetward simulator: stopped\n');
    });
}
