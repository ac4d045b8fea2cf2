import { resolveDocker } from './docker/docker-client.js';
import { reapContainers } from './docker/reaper.js';
import { reapProcesses } from './process/reap-processes.js';
import type { ReapOptions, ReapResult } from './reaper/reap-result.js';

/**
 * Removes what openenv-rx processes left behind when they died without cleaning up (SIGKILL, OOM
 * kill, a power cut; every other exit is handled by the exit hook):
 *
 * - server process groups (`processEndpoint`) recorded in the process registry whose owner is
 *   dead: gone, a zombie, or its pid recycled (the owner's start time is recorded). A group is
 *   SIGKILLed only while provably ours: its leader has the recorded start time.
 * - containers labelled with an owner on this host that is dead by the same test (the
 *   `owner-start` label; containers of other hosts are kept).
 * - on a swarm manager (or with `swarm: true`), services of `fromSwarmService` sessions whose
 *   owner is dead by the same test (`result.services`); the swarm module loads only then.
 *
 * With `all: true` everything recorded or labelled goes, live owners included. Processes are
 * reaped first, so a missing Docker engine (`DockerUnavailableError`) does not spare them.
 *
 * @example
 * const { removed, kept, processes } = await reapOrphans();
 * console.log(`removed ${removed.length} container(s) and ${processes.removed.length} process group(s)`);
 */
export async function reapOrphans(options: ReapOptions = {}): Promise<ReapResult> {
  const processes = reapProcesses({ all: options.all, stateDir: options.stateDir });
  const docker = await resolveDocker(options.docker);
  const containers = await reapContainers({ docker, all: options.all });
  const services = options.swarm === false ? undefined : await (await import('./swarm/service-reaper.js')).reapServicesIfSwarm(docker, options);
  return { ...containers, processes, ...(services && { services }) };
}
