import type Docker from 'dockerode';
import { DockerError } from '../../errors/index.js';
import { isProcessAlive, currentOwner } from '../reaper/process-identity.js';
import type { ReapKindResult } from '../reaper/reap-result.js';
import { trackTeardown } from '../teardown-registry.js';
import { dockerStatus, resolveDocker, toDockerError } from './docker-client.js';
import { LABEL, MANAGED_FILTER } from './container-labels.js';

export { isPidAlive } from '../reaper/process-identity.js';

/**
 * An orphan: started on this host by a process that no longer runs: gone, a zombie, or its pid
 * now names a process started at another time (the `owner-start` label, Linux).
 */
export function isOrphan(labels: Record<string, string>, hostname: string): boolean {
  if (labels[LABEL.ownerHost] !== hostname) return false; // another machine's pid means nothing here
  const start = labels[LABEL.ownerStart];
  return !isProcessAlive({ pid: Number(labels[LABEL.ownerPid]), ...(start !== undefined && { startTime: Number(start) }) });
}

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
  const hostname = currentOwner().host;
  const removed: string[] = [];
  const failed: string[] = [];
  let kept = 0;
  for (const info of containers) {
    if (!options.all && !isOrphan(info.Labels ?? {}, hostname)) {
      kept++;
      continue;
    }
    try {
      await docker.getContainer(info.Id).remove({ force: true, v: true });
      removed.push(info.Id);
    } catch (error) {
      const status = dockerStatus(error);
      if (status === 404 || status === 409) continue; // gone, or being removed by its owner
      failed.push(`${info.Id.slice(0, 12)}: ${(error as Error).message}`);
    }
  }
  if (failed.length) {
    throw new DockerError(`Could not remove ${failed.length} orphan container(s): ${failed.join('; ')}`, { removed, failed });
  }
  return { removed, kept };
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
