import type Docker from 'dockerode';

/** What one kind of resource (containers, processes, ...) left after a sweep. */
export interface ReapKindResult {
  /** Ids of what was removed (container ids, pids as strings). */
  removed: string[];
  /** What was left in place: a live owner (or, for containers, another host's). */
  kept: number;
}

/** Options of `reapOrphans` (and `openenv-rx reap`): which leftovers to remove. */
export interface ReapOptions {
  /** Default: `new Docker()` (DOCKER_HOST honoured). */
  docker?: Docker;
  /** Remove everything openenv-rx started, live owners (including this process) too. */
  all?: boolean;
  /** Directory of the process registry. Default `$OPENENV_RX_STATE_DIR`, else `<tmpdir>/openenv-rx-<uid>`. */
  stateDir?: string;
  /**
   * Swarm services too: `true` (fails on an engine that is not a swarm manager), `false` never,
   * default: when the engine is a swarm manager.
   */
  swarm?: boolean;
}

/**
 * `removed` and `kept` are the containers' (as before processes were reaped too); every other
 * kind has its own entry.
 */
export interface ReapResult extends ReapKindResult {
  /** Server process groups (`processEndpoint`) of dead owners, stopped with SIGKILL; `removed` holds their pids. */
  processes: ReapKindResult;
  /** Swarm services of dead owners (`fromSwarmService`), when services were reaped (see `ReapOptions.swarm`). */
  services?: ReapKindResult;
}
