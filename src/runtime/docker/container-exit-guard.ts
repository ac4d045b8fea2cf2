import { createRequire } from 'node:module';
import type Docker from 'dockerode';
import { currentOwner } from '../reaper/process-identity.js';
import { refCountedExitHook } from '../ref-counted-exit-hook.js';
import { spawnDetachedNode } from '../spawn-detached-node.js';
import { ownerFilters } from './container-labels.js';
import { removeContainersChild, type RemoveContainersChildArgs } from './remove-containers-child.js';

interface ModemFields {
  socketPath?: unknown;
  host?: unknown;
  port?: number | string;
  protocol?: unknown;
}

/** How the child reaches the same engine: a unix socket or plain http; anything else from the environment. */
function engineTarget(docker: Docker): RemoveContainersChildArgs['target'] {
  const modem = docker.modem as unknown as ModemFields;
  if (typeof modem.socketPath === 'string') return { socketPath: modem.socketPath };
  if (typeof modem.host === 'string' && modem.protocol === 'http') return { host: modem.host, port: modem.port, protocol: 'http' };
  return undefined; // https / ssh: DOCKER_HOST and DOCKER_CERT_PATH, as `new Docker()` reads them
}

/** What an exit guard removes: the owner's containers, or its swarm services. */
export type ExitGuardKind = 'containers' | 'services';

/** Starts the detached reaper child. Synchronous (an exit hook may run nothing else); never throws. */
function spawnRemover(target: RemoveContainersChildArgs['target'], kind: ExitGuardKind): void {
  const args: RemoveContainersChildArgs = {
    dockerode: createRequire(import.meta.url).resolve('dockerode'),
    target,
    filters: ownerFilters(currentOwner()),
    ...(kind === 'services' && { services: true }),
    passesAfterMs: [0, 2_000],
  };
  spawnDetachedNode(['-e', `(${removeContainersChild.toString()})(${JSON.stringify(args)})`]);
}

const holdEngineHook = refCountedExitHook(); // per kind and engine

/**
 * Keeps this process's containers on `docker`'s engine from outliving it when it exits by a
 * signal, an uncaught error or `process.exit`: while at least one is held, the shared exit hook
 * starts a detached child that removes every container labelled with this owner (twice, 2 s
 * apart, for a create still in flight). One child per engine, however many containers. Returns
 * the release function (idempotent), to call once the container is removed.
 */
export function holdContainerUntilExit(docker: Docker): () => void {
  return holdUntilExit(docker, 'containers');
}

/**
 * `holdContainerUntilExit` for `kind`: with `services`, the child removes every swarm service
 * labelled with this owner on `docker`'s manager (their tasks' containers follow).
 */
export function holdUntilExit(docker: Docker, kind: ExitGuardKind): () => void {
  const target = engineTarget(docker);
  return holdEngineHook(JSON.stringify([kind, target ?? null]), () => spawnRemover(target, kind));
}
