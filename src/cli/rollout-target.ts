import { shareReplay, type Observable } from 'rxjs';
import { builtinEnvs } from '../envs/index.js';
import { inProcessEndpoint } from '../runtime/in-process.js';
import { UnknownEnvError } from '../errors/server-errors.js';
import { defineEnv } from '../session/define-env.js';
import type { ConnectOptions, EnvSession } from '../session/types.js';

export interface RolloutTargetOptions {
  env: string;
  url?: string;
  image?: string;
  sessions: number;
  connect: ConnectOptions;
  /** Environment variables for the container (`--image`). */
  containerEnv?: Record<string, string>;
}

export interface RolloutTarget {
  /** What the summary calls it: `grid_world (in-process)`, a URL, or an image. */
  label: string;
  session$: Observable<EnvSession>;
}

/**
 * Where a rollout's sessions come from: a built-in env served in-process (one server shared by
 * every session, closed when the last one ends), a URL, or a Docker image (one container per
 * session). All three reach the server through the same client path.
 */
export function rolloutTarget(options: RolloutTargetOptions): RolloutTarget {
  if (options.url) return { label: options.url, session$: defineEnv({ name: options.env }).connect(options.url, options.connect) };
  if (options.image) {
    return {
      label: `${options.image} (docker)`,
      session$: defineEnv({ name: options.env }).fromDockerImage(options.image, {
        ...options.connect,
        ...(options.containerEnv ? { env: options.containerEnv } : {}),
      }),
    };
  }
  const definition = Object.prototype.hasOwnProperty.call(builtinEnvs, options.env) ? builtinEnvs[options.env] : undefined;
  if (!definition) throw new UnknownEnvError(options.env, Object.keys(builtinEnvs));
  // One server for all sessions; refCount stops it when the last session unsubscribes.
  const endpoint$ = inProcessEndpoint(definition, { maxSessions: options.sessions }).pipe(shareReplay({ bufferSize: 1, refCount: true }));
  return {
    label: `${options.env} (in-process)`,
    session$: defineEnv({ name: options.env, action: definition.action }).fromEndpoint(endpoint$, options.connect),
  };
}
