import type { Command } from 'commander';
import { reapOrphans } from '../../runtime/docker/reaper.js';
import type { Io } from '../io.js';

/** `openenv-rx reap`: removes containers whose owner process died (or all of ours with --all). */
export function registerReap(program: Command, io: Io): void {
  program
    .command('reap')
    .description('remove openenv-rx containers whose owner process is gone (--all: every openenv-rx container)')
    .option('--all', 'remove every container labelled openenv-rx, owner alive or not')
    .option('--swarm', 'also remove swarm services of dead owners; fails if the engine is not a swarm manager (default: only when it is one)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { all?: boolean; swarm?: boolean; json?: boolean }) => {
      const result = await reapOrphans({ all: Boolean(opts.all), ...swarmOption(opts) });
      if (opts.json) io.out.write(`${JSON.stringify(result)}\n`);
      else io.out.write(`removed ${result.removed.length} container(s)${result.removed.length ? `: ${result.removed.map((id) => id.slice(0, 12)).join(' ')}` : ''}; kept ${result.kept}\n`);
      if (!opts.json && result.services) io.out.write(serviceSummary(result.services));
    });
}

/** `--swarm` forces service reaping; without it `reapOrphans` reaps services when the engine is a swarm manager. */
const swarmOption = (opts: { swarm?: boolean }): { swarm?: true } => (opts.swarm ? { swarm: true } : {});

/** `removed 1 swarm service(s): 1a2b3c4d5e6f; kept 0` */
function serviceSummary(services: { removed: string[]; kept: number }): string {
  const ids = services.removed.length ? `: ${services.removed.map((id) => id.slice(0, 12)).join(' ')}` : '';
  return `removed ${services.removed.length} swarm service(s)${ids}; kept ${services.kept}\n`;
}
