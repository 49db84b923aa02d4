// `fleetward version [-o text|json]`: the version and git revision of this copy; JSON adds the Node runtime and
// each production dependency's installed version (what a platform engineer checks against an advisory).
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { versionReport } from '../build-info.ts';

export function register(program: Command): void {
  program
    .command('version')
    .description('Print the version and git revision (-o json: with the Node runtime and dependency versions).')
    .option('-o, --output <format>', 'text or json', 'text')
    .action((opts: { output: string }) => {
      if (opts.output !== 'text' && opts.output !== 'json') throw new UsageError(`-o ${opts.output}: expected text or json`);
      const r = versionReport();
      if (opts.output === 'json') {
        process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        return;
      }
      process.stdout.write(`fleetward ${r.version}\nrevision: ${r.revision}\nnode: v${r.node} (${r.platform})\n`);
    });
}
