// `fleetward validate [--config DIR] [-o text|json|github]` (docs/design.md section 5): a pull-request check.
// Exit 0 when the revision is valid, 1 when it is not (every error on stdout, one per line), 2 on a usage error.
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { formatConfigError, type ConfigError, type LoadResult } from '../../sources/load.ts';
import { loadConfigDirBounded } from '../../sources/bounded.ts';
import { bounded } from '../../api/quote.ts';

const FORMATS = ['text', 'json', 'github'] as const;
type Format = (typeof FORMATS)[number];

export function register(program: Command): void {
  program
    .command('validate')
    .description('Check a config directory the way the reconciler will: exit 0 when valid, 1 with one line per error.')
    .option('-c, --config <dir>', 'the config directory (every *.yaml / *.yml in it, recursively)', '.')
    .option('-o, --output <format>', `output: ${FORMATS.join(', ')} (github: workflow annotations)`, 'text')
    .action(async (opts: { config: string; output: string }) => {
      if (!(FORMATS as readonly string[]).includes(opts.output)) {
        throw new UsageError(`unknown output format ${JSON.stringify(opts.output)}; use one of ${FORMATS.join(', ')}`);
      }
      // In a worker, within the time budget: a hostile pull request fails the check, it does not hang it.
      const result = await loadConfigDirBounded(opts.config);
      if (!result.ok && result.errors.length === 1 && result.errors[0]!.file === opts.config && /^(no such directory|is not a directory)$/.test(result.errors[0]!.message)) {
        throw new UsageError(`--config ${opts.config}: ${result.errors[0]!.message}`);
      }
      process.stdout.write(render(opts.output as Format, opts.config, result));
      process.exitCode = result.ok ? 0 : 1;
    });
}

type Result = LoadResult;

function render(format: Format, dir: string, result: Result): string {
  if (format === 'json') {
    return JSON.stringify(result.ok
      ? { valid: true, config: dir, revision: result.revision.id, objects: result.revision.objects.length, errors: [] }
      : { valid: false, config: dir, revision: null, objects: 0, errors: result.errors.map(jsonError) }, null, 2) + '\n';
  }
  if (result.ok) {
    const n = result.revision.objects.length;
    return `${dir}: valid (${n} object${n === 1 ? '' : 's'}, revision ${result.revision.id})\n`;
  }
  const n = result.errors.length;
  const lines = format === 'github' ? result.errors.map(githubAnnotation) : result.errors.map((e) => formatConfigError(e) + '\n');
  return lines.join('') + `${dir}: ${n} error${n === 1 ? '' : 's'}; nothing of this revision would be applied\n`;
}

function jsonError(e: ConfigError): Required<Omit<ConfigError, 'kind' | 'name' | 'path'>> & { kind: string | null; name: string | null; path: string | null; text: string } {
  // Each field bounded like the text line: a hostile name or key must not make the JSON megabytes long.
  return { file: bounded(e.file, 300), line: e.line, kind: e.kind ?? null, name: e.name !== undefined ? bounded(e.name, 120) : null, path: e.path !== undefined ? bounded(e.path, 200) : null, message: bounded(e.message), text: formatConfigError(e) };
}

/** `::error file=…,line=…,title=…::message` — GitHub shows it on the line of the pull request's diff. */
function githubAnnotation(e: ConfigError): string {
  const esc = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const prop = (s: string) => esc(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
  const props = [`file=${prop(e.file)}`];
  if (e.line > 0) props.push(`line=${e.line}`);
  const title = [e.kind && `${e.kind}${e.name !== undefined ? `/${e.name}` : ''}`, e.path].filter(Boolean).join(' ');
  if (title) props.push(`title=${prop(title)}`);
  return `::error ${props.join(',')}::${esc(formatConfigError(e))}\n`;
}
