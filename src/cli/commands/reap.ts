import type { Command } from 'commander';
import { CliUsageError } from '../../errors/cli-errors.js';
import type { Io } from '../io.js';

const shortIds = (ids: string[], width: number): string => (ids.length ? `: ${ids.map((id) => id.slice(0, width)).join(' ')}` : '');

/** `openenv-rx reap`: stops server processes and removes containers whose owner process died (or all of ours with --all). */
export function registerReap(program: Command, io: Io): void {
  program
    .command('reap')
    .description('stop openenv-rx server processes and remove containers (and swarm services) whose owner process is gone (--all: every one)')
    .option('--all', 'remove every container and service and stop every server process openenv-rx started, owner alive or not')
    .option('--swarm', 'also remove swarm services of dead owners; fails if the engine is not a swarm manager (default: only when it is one)')
    .option('--k8s', 'delete the Kubernetes pods of dead owners on this host instead (--all: every openenv-rx pod) in --namespace')
    .option('--kubeconfig <path>', 'with --k8s: the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)')
    .option('--namespace <name>', 'with --k8s: the namespace to sweep (default: the kubeconfig context\'s, else default)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { all?: boolean; swarm?: boolean; json?: boolean; k8s?: boolean; kubeconfig?: string; namespace?: string }) => {
      if (!opts.k8s && (opts.kubeconfig !== undefined || opts.namespace !== undefined)) {
        throw new CliUsageError(opts.kubeconfig !== undefined ? '--kubeconfig' : '--namespace', '--kubeconfig and --namespace choose the cluster and namespace of reap --k8s; add --k8s');
      }
      // Loaded when the command runs: --help and the other commands start without rxjs and the runtimes.
      const { reapOrphans, reapKubernetesPods } = await import('../../runtime/lazy-runtimes.js');
      if (opts.k8s) {
        const pods = await reapKubernetesPods({ all: Boolean(opts.all), kubeConfig: opts.kubeconfig, namespace: opts.namespace });
        if (opts.json) io.out.write(`${JSON.stringify({ pods })}\n`);
        else io.out.write(`deleted ${pods.removed.length} pod(s)${shortIds(pods.removed, 63)}; kept ${pods.kept}\n`);
        return;
      }
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
