// `fleetward`: one subcommand per file in ./commands, each exporting `register(program)`.
// Only the command being run is imported (the Kubernetes client alone costs a second of start-up);
// help and unknown commands import them all.
import { Command } from 'commander';
import { UsageError } from './errors.ts';
import { redactSecrets } from '../util/redact.ts';

type Register = (program: Command) => void;
const admin = () => import('./commands/admin.ts');
const COMMANDS: Record<string, () => Promise<{ register: Register }>> = {
  validate: () => import('./commands/validate.ts'),
  plan: () => import('./commands/plan.ts'),
  forecast: () => import('./commands/forecast.ts'),
  run: () => import('./commands/run.ts'),
  status: () => import('./commands/status.ts'),
  state: () => import('./commands/state.ts'),
  simulator: () => import('./commands/simulator.ts'),
  provision: () => import('./commands/provision.ts'),
  operator: () => import('./commands/operator.ts'),
  driver: () => import('./commands/driver.ts'),
  version: () => import('./commands/version.ts'),
  // Admin actions written into the config directory: one file, four commands.
  'retry-failed': admin,
  pause: admin,
  resume: admin,
  force: admin,
};

const program = new Command('fleetward')
  .description('Keeps fleets of meeting-room and desk devices on the software their admins declared.')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

try {
  const asked = process.argv[2];
  const wanted = asked !== undefined && Object.hasOwn(COMMANDS, asked) ? [COMMANDS[asked]!] : [...new Set(Object.values(COMMANDS))];
  for (const load of wanted) (await load()).register(program);
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(redactSecrets(`fleetward: ${err.message}\n`));
    process.exitCode = err.exitCode;
  } else {
    // A bug, not bad input: print the stack (docs/style.md, "Errors a user reads").
    process.stderr.write(redactSecrets(`fleetward: internal error: ${(err as Error)?.stack ?? String(err)}\n`));
    process.exitCode = 70;
  }
}
