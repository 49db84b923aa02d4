// The conformance harness for an out-of-process driver: its sandbox routes (/v1/test/scenario, /v1/test/advance
// in docs/driver-protocol.openapi.yaml) set up each check's fleet and move the back end's time; the checks then
// talk to it through the remote driver, exactly as `fleetward run --driver remote` would.
import { DriverError } from '../driver.ts';
import { RemoteDriver, type DriverInfo, type RemoteDriverOptions } from '../remote/driver.ts';
import type { ConformanceHarness } from './scenario.ts';

/** Reads the driver's description and answers a harness for it; a driver without a sandbox is refused, saying so. */
export async function remoteHarness(options: RemoteDriverOptions): Promise<{ info: DriverInfo; harness: ConformanceHarness }> {
  const probe = new RemoteDriver(options);
  let info: DriverInfo;
  try {
    info = await probe.describe();
  } finally {
    await probe.close();
  }
  if (!info.capabilities.test) {
    throw new DriverError('InvalidRequest', `the driver ${info.name} at ${options.url} does not serve the sandbox routes /v1/test/* (capabilities.test is false); the conformance checks need them to set up a known fleet and move time: run the driver in its test mode`);
  }
  const harness: ConformanceHarness = async (scenario) => {
    const driver = new RemoteDriver(options);
    const clock = async (path: string, body: unknown): Promise<Date> => {
      const res = await driver.http.request('POST', path, { body });
      if (res.status !== 200) throw driver.failure(res, `POST /${path}`);
      const now = Date.parse(String((res.json as { now?: unknown } | undefined)?.now));
      if (Number.isNaN(now)) throw new DriverError('Unavailable', `POST /${path}: expected {now: ISO instant}; got ${res.text.slice(0, 120)}`);
      return new Date(now);
    };
    let now: Date;
    try {
      now = await clock('v1/test/scenario', scenario);
    } catch (err) {
      await driver.close();
      throw err;
    }
    return {
      driver,
      capabilities: { cancel: info.capabilities.cancel, provisioning: info.capabilities.provisioning },
      now: () => now,
      advance: async (ms) => { now = await clock('v1/test/advance', { ms }); },
      close: () => driver.close(),
    };
  };
  return { info, harness };
}
