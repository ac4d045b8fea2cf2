import { OpenEnvError, type ErrorContext } from './openenv-error.js';

/** No Docker engine could be reached. `tried` lists what was attempted. */
export class DockerUnavailableError extends OpenEnvError {
  constructor(
    readonly tried: string[],
    context: ErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(
      `Docker engine unreachable (tried ${tried.join(', ')}). Start dockerd, or set DOCKER_HOST ` +
        `(e.g. unix:///var/run/docker.sock or tcp://127.0.0.1:2375), or pass { docker: new Docker(...) }.`,
      'ERR_DOCKER_UNAVAILABLE',
      context,
      options,
    );
  }
}

/** The env server (container or process) exited. Carries the exit code and the last log lines. */
export class ServerExitedError extends OpenEnvError {
  constructor(
    readonly kind: 'container' | 'process',
    readonly exitCode: number | null,
    readonly logTail: string[],
    context: ErrorContext = {},
    readonly signal?: string | null,
  ) {
    const tail = logTail.length ? `\n--- last ${logTail.length} log lines ---\n${logTail.join('\n')}` : '';
    const how = exitCode !== null ? `exited with code ${exitCode}` : signal ? `was killed by ${signal}` : 'could not be started';
    super(
      `The env ${kind} ${how}${tail}`,
      kind === 'container' ? 'ERR_CONTAINER_EXITED' : 'ERR_PROCESS_EXITED',
      context,
    );
  }
}

/** Docker refused an operation (create, start, pull, ...). */
export class DockerError extends OpenEnvError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, 'ERR_DOCKER', context, options);
  }
}

/**
 * The process registry directory (`<tmpdir>/openenv-rx-<uid>/processes`, or under `stateDir` /
 * `$OPENENV_RX_STATE_DIR`) is not safe to trust: not owned by this user, open to group or others,
 * or a symlink. Records in such a directory could have been planted to make the reaper kill
 * another process group, so none is read or written. Fix: `chmod 700` it (and `chown` it to
 * yourself), or remove it and let openenv-rx create it again.
 */
export class ProcessRegistryError extends OpenEnvError {
  constructor(
    readonly path: string,
    readonly problem: string,
    context: ErrorContext = {},
  ) {
    super(`Unsafe process registry directory ${path}: ${problem}. Remove it or run: chmod 700 ${path}`, 'ERR_PROCESS_REGISTRY', context);
  }
}
