import type Docker from 'dockerode';
import { MANAGED_FILTER } from '../docker/container-labels.js';
import { toDockerError } from '../docker/docker-client.js';
import { reapLabelled } from '../docker/reap-labelled.js';
import type { ReapKindResult } from '../reaper/reap-result.js';
import { isSwarmManager, swarmManagerInfo } from './swarm-manager.js';

/** Ids of the services removed, and how many labelled services were kept (live owner, or another host's). */
export type ServiceReapResult = ReapKindResult;

/**
 * Removes the swarm services that openenv-rx processes left behind: services carry the same owner
 * labels as containers (pid and hostname of the process that subscribed), and one whose owner
 * host is this host and whose owner pid no longer exists is removed, its task's container with
 * it. Only services labelled `openenv-rx=1` are ever looked at; with `all: true` every one of
 * them goes, whoever owns it. Throws `SwarmUnavailableError` when the engine is not a manager.
 *
 * @example
 * const { removed, kept } = await reapOrphanServices(new Docker());
 */
export async function reapOrphanServices(docker: Docker, options: { all?: boolean } = {}): Promise<ServiceReapResult> {
  await swarmManagerInfo(docker);
  let services: Docker.Service[];
  try {
    services = await docker.listServices({ filters: { label: [MANAGED_FILTER] } });
  } catch (error) {
    throw await toDockerError(error, 'list openenv-rx services', docker);
  }
  return reapLabelled(
    services,
    {
      noun: 'service',
      id: (service) => service.ID,
      labels: (service) => service.Spec?.Labels ?? {},
      remove: (id) => docker.getService(id).remove(),
      gone: [404], // removed by its owner meanwhile
    },
    options.all,
  );
}

/**
 * The service part of `reapOrphans()`: `swarm: true` reaps (and fails on an engine that is not a
 * manager), `false` skips, `undefined` reaps when the engine says it is a swarm manager.
 */
export async function reapServicesIfSwarm(docker: Docker, options: { all?: boolean; swarm?: boolean }): Promise<ServiceReapResult | undefined> {
  if (options.swarm === false) return undefined;
  if (options.swarm === undefined && !(await isSwarmManager(docker))) return undefined;
  return reapOrphanServices(docker, { all: options.all });
}
