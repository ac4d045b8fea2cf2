import os from 'node:os';
import type Docker from 'dockerode';
import { DockerError } from '../../errors/index.js';
import { trackTeardown } from '../teardown-registry.js';
import { dockerStatus, resolveDocker, toDockerError } from './docker-client.js';
import { LABEL, MANAGED_FILTER } from './container-labels.js';

export interface ReapOptions {
  /** Default: `new Docker()` (DOCKER_HOST honoured). */
  docker?: Docker;
  /** Remove every openenv-rx container (and service), live owners (including this process) too. */
  all?: boolean;
  /**
   * Swarm services too: `true` (fails on an engine that is not a swarm manager), `false` never,
   * default: when the engine is a swarm manager.
   */
  swarm?: boolean;
}

export interface ReapResult {
  /** Ids of the containers removed. */
  removed: string[];
  /** Labelled containers left in place (live owner, or owned by another host). */
  kept: number;
  /** Services removed and kept, when services were reaped (see `ReapOptions.swarm`). */
  services?: { removed: string[]; kept: number };
}

/** `process.kill(pid, 0)`: ESRCH means no such process; EPERM means it exists (another user's). */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** An orphan: started on this host by a process that no longer exists. */
export function isOrphan(labels: Record<string, string>, hostname: string): boolean {
  if (labels[LABEL.ownerHost] !== hostname) return false; // another machine's pid means nothing here
  return !isPidAlive(Number(labels[LABEL.ownerPid]));
}

/**
 * Removes the containers that openenv-rx processes left behind. Every container we start is
 * labelled with its owner's pid and hostname; one whose owner host is this host and whose owner
 * pid no longer exists is an orphan and is removed (force, with its anonymous volumes). With
 * `all: true` every labelled container goes, whoever owns it.
 *
 * What this guarantees, honestly: a normal unsubscribe, error or completion removes the
 * container right away. A SIGKILLed or crashed owner cannot clean up: its container runs until
 * the next sweep (the first `dockerEndpoint` subscription of any later process on this host) or
 * an explicit `reapOrphans()` / `openenv-rx reap`. If the dead owner's pid has been reused by an
 * unrelated process, its containers look owned and are kept until that process exits too.
 * Containers started from another host (a shared remote engine) are only removed by `all: true`.
 * On a swarm manager the services of `fromSwarmService` sessions are reaped by the same rule
 * (`result.services`; see `ReapOptions.swarm`).
 *
 * @example
 * const { removed, kept } = await reapOrphans();
 * console.log(`removed ${removed.length}, kept ${kept}`);
 */
export async function reapOrphans(options: ReapOptions = {}): Promise<ReapResult> {
  const docker = await resolveDocker(options.docker);
  let containers: Docker.ContainerInfo[];
  try {
    containers = await docker.listContainers({ all: true, filters: { label: [MANAGED_FILTER] } });
  } catch (error) {
    throw await toDockerError(error, 'list openenv-rx containers', docker);
  }
  const hostname = os.hostname();
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
  const services = await reapServices(docker, options);
  if (failed.length) {
    throw new DockerError(`Could not remove ${failed.length} orphan container(s): ${failed.join('; ')}`, { removed, failed });
  }
  return { removed, kept, ...(services && { services }) };
}

/** Swarm services of dead owners (`ReapOptions.swarm`); their module is loaded on first use. */
async function reapServices(docker: Docker, options: ReapOptions): Promise<ReapResult['services']> {
  if (options.swarm === false) return undefined;
  const { reapServicesIfSwarm } = await import('../swarm/service-reaper.js');
  return reapServicesIfSwarm(docker, options);
}

let sweep: Promise<void> | undefined;

/**
 * Runs `reapOrphans()` once per process (the first `dockerEndpoint` start calls it, without
 * waiting for it). Errors go to `report`, never thrown. Returns the sweep's promise.
 */
export function sweepOrphansOnce(docker: Docker, report: (error: unknown) => void): Promise<void> {
  sweep ??= trackTeardown(
    reapOrphans({ docker }).then(
      () => undefined,
      (error: unknown) => report(error),
    ),
  );
  return sweep;
}
