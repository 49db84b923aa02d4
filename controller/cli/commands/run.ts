import type { Command } from 'commander';
import { UsageError } from '../errors.ts';

// Placeholder until its issue lands.
export function register(program: Command): void {
  program
    .command('run')
    .description('(not yet implemented)')
    .allowUnknownOption()
    .action(() => {
      throw new UsageError('run is not implemented yet');
    });
}
