// `fleetward state check|repair [--state-dir DIR]`: look at, and recover, a damaged state store
// (docs/run.md "Damaged state").
import type { Command } from 'commander';
import { DamagedRecord } from '../../store/damage.ts';
import { checkState, repairState } from '../../store/repair.ts';
import { StoreDamaged } from '../../store/sqlite.ts';
import { storeExists } from '../../store/open.ts';
import { UsageError } from '../errors.ts';

/** A store that cannot be used is one line and what to do, never a stack trace (exit 1). */
export function storeError(err: unknown): unknown {
  if (err instanceof StoreDamaged) return new UsageError(err.message, 1);
  if (err instanceof DamagedRecord) {
    return new UsageError(`${err.message}; run \`fleetward state check\` to see what is damaged and \`fleetward state repair\` to recover (docs/run.md "Damaged state")`, 1);
  }
  return err;
}

interface StateOptions { stateDir: string }

export function register(program: Command): void {
  const state = program.command('state').description('Check or repair the state store of `fleetward run` (docs/run.md "Damaged state").');
  state
    .command('check')
    .description('List what of the state directory cannot be read (exit 1 when anything is damaged). Reads only.')
    .option('--state-dir <dir>', 'state directory of `fleetward run`', '.fleetward')
    .action((o: StateOptions) => {
      exists(o.stateDir);
      const findings = checkState(o.stateDir);
      for (const f of findings) process.stdout.write(`${f.what}: ${f.problem}\n`);
      if (findings.length) {
        process.stdout.write(`${findings.length} damaged; stop \`fleetward run\` and run \`fleetward state repair --state-dir ${o.stateDir}\` (take a copy of the directory first)\n`);
        process.exitCode = 1;
      } else {
        process.stdout.write(`${o.stateDir}: the state store is readable\n`);
      }
    });
  state
    .command('repair')
    .description('Recover a damaged state directory of a stopped run: keep what can be read, drop and report what cannot.')
    .option('--state-dir <dir>', 'state directory of `fleetward run`', '.fleetward')
    .action(async (o: StateOptions) => {
      exists(o.stateDir);
      let actions;
      try {
        actions = await repairState(o.stateDir, new Date());
      } catch (err) {
        throw storeError(err);
      }
      for (const a of actions) process.stdout.write(`${a.what}: ${a.done}\n`);
      process.stdout.write(actions.length ? `${actions.length} repaired; \`fleetward status\` shows the devices whose history was lost\n` : `${o.stateDir}: nothing to repair\n`);
    });
}

function exists(dir: string): void {
  if (!storeExists({ stateDir: dir })) throw new UsageError(`${dir}: no state directory of \`fleetward run\` here (use --state-dir)`);
}
