import type { Command } from 'commander';
import type { Io } from '../io.js';

const shortIds = (ids: string[], width: number): string => (ids.length ? `: ${ids.map((id) => id.slice(0, width)).join(' ')}` : '');

/** `openenv-rx reap`: stops server processes and removes containers whose owner process died (or all of ours with --all). */
export function registerReap(program: Command, io: Io): void {
  program
    .command('reap')
    .description('stop openenv-rx server processes and remove containers (and swarm services) whose owner process is gone (--all: every one)')
    .option('--all', 'remove every container and service and stop every server process openenv-rx started, owner alive or not')
    .option('--swarm', 'also remove swarm services of dead owners; fails if the engine is not a swarm manager (default: only when it is one)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { all?: boolean; swarm?: boolean; json?: boolean }) => {
      // Loaded when the command runs: --help and the other commands start without rxjs and the runtimes.
      const { reapOrphans } = await import('../../runtime/lazy-runtimes.js');
      const result = await reapOrphans({ all: Boolean(opts.all), ...(opts.swarm && { swarm: true }) });
      if (opts.json) {
        io.out.write(`${JSON.stringify(result)}\n`);
        return;
      }
      io.out.write(`removed ${result.removed.length} container(s)${shortIds(result.removed, 12)}; kept ${result.kept}\n`);
      io.out.write(`stopped ${result.processes.removed.length} process group(s)${shortIds(result.processes.removed, 12)}; kept ${result.processes.kept}\n`);
      if (result.services) io.out.write(`removed ${result.services.removed.length} swarm service(s)${shortIds(result.services.removed, 12)}; kept ${result.services.kept}\n`);
    });
}
