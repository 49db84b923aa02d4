// `fleetward driver conformance --url URL [--token-file FILE] [--only WORD]… [-o text|json] [--timeout 10s]`:
// runs the driver conformance checks (controller/drivers/conformance/) against an out-of-process driver in
// its sandbox mode, and says for each check whether the driver keeps it and, when not, why. Exit 0 when no
// check failed, 1 when one did or the driver could not be reached, 2 for bad flags (docs/drivers.md).
import type { Command } from 'commander';
import { DriverError } from '../../drivers/driver.ts';
import { remoteHarness } from '../../drivers/conformance/remote-harness.ts';
import { runConformance, type CheckResult } from '../../drivers/conformance/run.ts';
import { UsageError } from '../errors.ts';
import { remoteSettings } from '../driver-wiring.ts';

interface ConformanceFlags {
  url?: string;
  tokenFile?: string;
  timeout: string;
  only: string[];
  output: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];
const MARK: Record<CheckResult['outcome'], string> = { passed: 'ok  ', failed: 'FAIL', skipped: 'skip' };

export function register(program: Command): void {
  const driver = program.command('driver').description('work with out-of-process drivers (docs/drivers.md)');
  driver
    .command('conformance')
    .description('check an out-of-process driver against the driver protocol: every behaviour Fleetward relies on, with the reason of each failure')
    .option('--url <url>', 'base URL of the driver, in its sandbox mode (else FLEETWARD_DRIVER_URL)')
    .option('--token-file <file>', 'file holding the bearer token (else FLEETWARD_DRIVER_TOKEN_FILE or FLEETWARD_DRIVER_TOKEN)')
    .option('--timeout <duration>', 'per-request timeout', '10s')
    .option('--only <word>', 'run only the checks whose name contains this (repeatable)', collect, [])
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (flags: ConformanceFlags) => {
      process.exitCode = await conformance(flags);
    });
}

async function conformance(flags: ConformanceFlags): Promise<number> {
  if (flags.output !== 'text' && flags.output !== 'json') throw new UsageError(`-o ${JSON.stringify(flags.output)}: expected text or json`);
  const options = remoteSettings({ driverUrl: flags.url, driverTokenFile: flags.tokenFile, driverTimeout: flags.timeout }, { env: process.env }, { url: '--url', tokenFile: '--token-file', timeout: '--timeout' });
  const text = flags.output === 'text';
  let setup;
  try {
    setup = await remoteHarness({ ...options, maxRetries: 2 });
  } catch (err) {
    if (err instanceof DriverError) throw new UsageError(`driver at ${options.url}: ${err.message}`, 1);
    throw err;
  }
  const { info, harness } = setup;
  const caps = Object.entries(info.capabilities).filter(([, v]) => v).map(([k]) => k);
  if (text) process.stdout.write(`fleetward driver conformance: ${info.name} at ${options.url} (${info.protocol}; capabilities: ${caps.join(', ') || 'none'})\n`);
  const results = await runConformance(harness, {
    only: flags.only,
    onResult: (r) => { if (text) process.stdout.write(`  ${MARK[r.outcome]}  ${r.name}${r.reason ? `\n        ${r.reason}` : ''}\n`); },
  });
  const count = (o: CheckResult['outcome']) => results.filter((r) => r.outcome === o).length;
  if (results.length === 0) throw new UsageError(`--only ${flags.only.join(' ')}: no check's name contains that`);
  if (text) process.stdout.write(`${results.length} checks: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped\n`);
  else process.stdout.write(JSON.stringify({ driver: info, url: options.url, results, passed: count('passed'), failed: count('failed'), skipped: count('skipped') }, null, 2) + '\n');
  return count('failed') > 0 ? 1 : 0;
}
