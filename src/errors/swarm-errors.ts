import { OpenEnvError, type ErrorContext } from './openenv-error.js';

/**
 * The swarm task serving a session ended, or never ran: it failed (its container exited), was
 * rejected (image missing on the node, a bad mount), was shut down (service removed or updated by
 * someone else, node drained), or stayed pending because no node satisfies the placement
 * constraints or has the resources reserved. Carries the task's state, the engine's message, the
 * container's exit code when it ran, and the last lines of `service logs`.
 *
 * @example
 * Echo.fromSwarmService(image, { env: { OPENENV_ENV: 'no_such_env' } }).subscribe({ // its server exits at start
 *   error: (e) => e instanceof SwarmTaskError && console.log(e.state, e.taskMessage, e.exitCode, e.logTail), // failed ... 1 [...]
 * });
 */
export class SwarmTaskError extends OpenEnvError {
  constructor(
    /**
     * The task's state when it was given up on: `failed`, `rejected`, `shutdown`, `complete`,
     * `orphaned`, `pending`, `removed`, or `node-down` (its node stopped answering the manager:
     * engine stopped, network cut; `context.nodeHostname` names it).
     */
    readonly state: string,
    /** What the engine said (`Status.Err`, else `Status.Message`), e.g. `task: non-zero exit (3)`. */
    readonly taskMessage: string,
    /** The container's exit code, when a container ran and exited; `null` otherwise. */
    readonly exitCode: number | null,
    /** The last lines of the service's log (stdout and stderr interleaved). */
    readonly logTail: string[],
    context: ErrorContext = {},
  ) {
    const exit = exitCode !== null ? ` (exit code ${exitCode})` : '';
    const tail = logTail.length ? `\n--- last ${logTail.length} log lines ---\n${logTail.join('\n')}` : '';
    const service = typeof context['serviceName'] === 'string' ? ` of service ${context['serviceName']}` : '';
    const node = typeof context['nodeHostname'] === 'string' && context['nodeHostname'] ? ` on node ${context['nodeHostname']}` : '';
    super(`The env's swarm task${service} is ${state}${node}${taskMessage ? `: ${taskMessage}` : ''}${exit}${tail}`, 'ERR_SWARM_TASK', context);
  }
}

/**
 * The Docker engine answered but cannot run services: it is not part of a swarm, or it is a
 * worker (only managers accept service calls). `nodeState` is the engine's `Swarm.LocalNodeState`.
 */
export class SwarmUnavailableError extends OpenEnvError {
  constructor(
    readonly nodeState: string,
    readonly isManager: boolean,
    target: string,
    context: ErrorContext = {},
  ) {
    const why = nodeState === 'active' && !isManager ? 'is a swarm worker, not a manager' : `is not in a swarm (state ${nodeState || 'unknown'})`;
    super(
      `The Docker engine at ${target} ${why}: talk to a manager (option docker), or make this engine a single-node swarm ` +
        'with `docker swarm init --advertise-addr 127.0.0.1`',
      'ERR_SWARM_UNAVAILABLE',
      context,
    );
  }
}
