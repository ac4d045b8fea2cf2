import type { Command } from 'commander';
import { reapOrphans } from '../../runtime/docker/reaper.js';
import type { Io } from '../io.js';

/** `openenv-rx reap`: removes containers whose owner process died (or all of ours with --all). */
export function registerReap(program: Command, io: Io): void {
  program
    .command('reap')
    .description('remove openenv-rx containers whose owner process is gone (--all: every openenv-rx container)')
    .option('--all', 'remove every container labelled openenv-rx, owner alive or not')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      const result = await reapOrphans({ all: Boolean(opts.all) });
      if (opts.json) io.out.write(`${JSON.stringify(result)}\n`);
      else io.out.write(`removed ${result.removed.length} container(s)${result.removed.length ? `: ${result.removed.map((id) => id.slice(0, 12)).join(' ')}` : ''}; kept ${result.kept}\n`);
    });
}
