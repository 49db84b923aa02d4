// `fleetward`: one subcommand per file in ./commands, each exporting `register(program)`.
import { Command } from 'commander';
import { register as validate } from './commands/validate.ts';
import { register as plan } from './commands/plan.ts';
import { register as forecast } from './commands/forecast.ts';
import { register as run } from './commands/run.ts';
import { register as status } from './commands/status.ts';
import { register as simulator } from './commands/simulator.ts';
import { register as provision } from './commands/provision.ts';
import { register as operator } from './commands/operator.ts';
import { UsageError } from './errors.ts';

const program = new Command('fleetward')
  .description('Keeps fleets of meeting-room and desk devices on the software their admins declared.')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

for (const reg of [validate, plan, forecast, run, status, simulator, provision, operator]) reg(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`fleetward: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    // A bug, not bad input: print the stack (STYLE.md, "Errors a user reads").
    process.stderr.write(`fleetward: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 70;
  }
}
