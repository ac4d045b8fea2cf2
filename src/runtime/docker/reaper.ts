import type Docker from 'dockerode';
import type { ReapKindResult } from '../reaper/reap-result.js';
import { trackTeardown } from '../teardown-registry.js';
import { resolveDocker, toDockerError } from './docker-client.js';
import { MANAGED_FILTER } from './container-labels.js';
import { reapLabelled } from './reap-labelled.js';

export { isPidAlive } from '../reaper/process-identity.js';
export { isOrphan } from './reap-labelled.js';


/**
 * Removes the labelled containers of dead owners on this host (force, with anonymous volumes);
 * with `all`, every labelled container. Rejects with `DockerError` listing what could not be
 * removed, or `DockerUnavailableError` without an engine.
 */
export async function reapContainers(options: { docker?: Docker; all?: boolean } = {}): Promise<ReapKindResult> {
  const docker = await resolveDocker(options.docker);
  let containers: Docker.ContainerInfo[];
  try {
    containers = await docker.listContainers({ all: true, filters: { label: [MANAGED_FILTER] } });
  } catch (error) {
    throw await toDockerError(error, 'list openenv-rx containers', docker);
  }
  return reapLabelled(
    containers,
    {
      noun: 'container',
      id: (info) => info.Id,
      labels: (info) => info.Labels ?? {},
      remove: (id) => docker.getContainer(id).remove({ force: true, v: true }),
      gone: [404, 409], // gone, or being removed by its owner
    },
    options.all,
  );
}

let sweep: Promise<void> | undefined;

/**
 * Runs `reapContainers()` once per process (the first `dockerEndpoint` start calls it, without
 * waiting for it). Errors go to `report`, never thrown. Returns the sweep's promise.
 */
export function sweepOrphansOnce(docker: Docker, report: (error: unknown) => void): Promise<void> {
  sweep ??= trackTeardown(
    reapContainers({ docker }).then(
      () => undefined,
      (error: unknown) => report(error),
    ),
  );
  return sweep;
}
