// `fleetward forecast --config DIR --fleet FILE --release component@version [--at ISO] [-o table|json|markdown]`:
// assuming every update succeeds, when each phase or ring starts and ends, and what share of the
// fleet has the release by each date (issue 3, item 5). The forecast itself is the planner's.
import type { Command } from 'commander';
import { desiredState } from '../../api/desired.ts';
import { COMPONENTS } from '../../api/types.ts';
import type { Component, SoftwareReleaseSpec } from '../../api/types.ts';
import { compareVersions } from '../../api/version.ts';
import { forecast } from '../../planner/forecast.ts';
import { UsageError } from '../errors.ts';
import { formatForecastMarkdown, formatForecastTable } from '../format/forecast.ts';
import { stableStringify } from '../format/json.ts';
import { wantColor } from '../format/text.ts';
import { loadFleetSource, loadPlanConfig, type FleetSourceOptions, observedFromFleet, parseAt, parseOutput, quietOnClosedPipe } from './plan.ts';

/** `firmware@1.0.97.4` → { component, version }; the component must be a Graph softwareType. */
export function parseRelease(text: string): { component: Component; version: string } {
  const at = text.lastIndexOf('@');
  const component = text.slice(0, Math.max(0, at));
  const version = text.slice(at + 1);
  if (at <= 0 || version === '') {
    throw new UsageError(`--release must be component@version, such as firmware@1.0.97.4 (got ${JSON.stringify(text)})`);
  }
  if (!(COMPONENTS as readonly string[]).includes(component)) {
    throw new UsageError(`--release: unknown component ${JSON.stringify(component)}; one of ${COMPONENTS.join(', ')}`);
  }
  return { component: component as Component, version };
}

function knownVersions(releases: readonly SoftwareReleaseSpec[], component: Component): string[] {
  return [...new Set(releases.filter((r) => r.component === component).map((r) => r.version))]
    .sort((a, b) => compareVersions(b, a));
}

interface ForecastOptions extends FleetSourceOptions { config?: string; release: string; at?: string; output: string; horizon?: string }

export async function runForecast(opts: ForecastOptions, out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): Promise<void> {
  const format = parseOutput(opts.output);
  const release = parseRelease(opts.release);
  const from = parseAt(opts.at);
  const source = await loadFleetSource(opts);
  const revision = await loadPlanConfig(opts.config, source);
  const desired = desiredState(revision.objects);
  const observed = observedFromFleet(source.fleet, desired, source.operations);
  const versions = knownVersions(observed.releases, release.component);
  if (!versions.some((v) => compareVersions(v, release.version) === 0)) {
    const hint = versions.length ? `; known ${release.component} versions: ${versions.slice(0, 5).join(', ')}${versions.length > 5 ? ', …' : ''}` : '';
    throw new UsageError(`--release: no ${release.component} release ${release.version} in the fleet file or the config${hint}`);
  }
  const f = forecast(desired, observed, release, from);
  if (format === 'json') out.write(stableStringify(f));
  else if (format === 'markdown') out.write(formatForecastMarkdown(f));
  else out.write(formatForecastTable(f, { color: wantColor(out) }));
}

export function register(program: Command): void {
  program
    .command('forecast')
    .description('Forecast a release: when each phase or ring starts and ends, and what share of the fleet has it by each date, assuming every update succeeds.')
    .option('--config <dir>', 'config directory (the YAML objects); with --state, default: the revision in force there')
    .option('--fleet <file>', 'fleet file: devices[] and releases[] (YAML)')
    .option('--state <dir>', 'instead of --fleet: the state directory of a running installation (its live fleet and history)')
    .option('--state-url-file <file>', 'instead of --fleet: the operator\'s PostgreSQL state store, a file holding its connection string (or FLEETWARD_STATE_URL); read-only')
    .option('--shard <name>', 'with --state-url-file: the shard to read')
    .requiredOption('--release <component@version>', 'the release to forecast, such as firmware@1.0.97.4')
    .option('--at <iso>', 'forecast from this instant, ISO-8601 with a zone (default: now)')
    .option('-o, --output <format>', 'table, json or markdown', 'table')
    .action(async (opts: ForecastOptions) => {
      quietOnClosedPipe();
      await runForecast(opts);
    });
}
