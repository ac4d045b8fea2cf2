import { shareReplay, type Observable } from 'rxjs';
import type { AnyEnvDefinition } from '../environment/environment.js';
import type { PullPolicy, PullProgressEvent } from '../runtime/docker/pull-image.js';
import { serverBaseUrl } from '../internal/server-url.js';
import { urlTargetLabel } from './url-target-label.js';
import type { SwarmEndpointOptions } from '../runtime/swarm/swarm-endpoint-options.js';
import type { K8sFlagOptions } from './options/k8s-options.js';
import { inProcessEndpoint } from '../server/lazy-in-process-endpoint.js';
import { defineEnv } from '../session/define-env.js';
import type { ConnectOptions, EnvSession } from '../session/types.js';

export type RolloutTargetOptions =
  | { kind: 'url'; url: string; /** The env name `--env` gave: it labels the output (`name (url)`). */ label?: string; connect: ConnectOptions }
  | {
      kind: 'image';
      image: string;
      connect: ConnectOptions;
      pull: PullPolicy;
      /** Environment variables of every container. */
      containerEnv: Record<string, string>;
      onPullProgress?: (event: PullProgressEvent) => void;
    }
  | {
      kind: 'swarm';
      image: string;
      connect: ConnectOptions;
      /** Placement, resources, pull policy, token: what `fromSwarmService` takes (`env` from `containerEnv`). */
      swarm: Omit<SwarmEndpointOptions, 'env'>;
      /** Environment variables of every service's container. */
      containerEnv: Record<string, string>;
    }
  | {
      kind: 'k8s';
      image: string;
      connect: ConnectOptions;
      /** Cluster, namespace, pull policy, how sessions reach the pods (`env` from `containerEnv`). */
      k8s: K8sFlagOptions;
      /** Environment variables of every pod's container. */
      containerEnv: Record<string, string>;
    }
  | { kind: 'in-process'; definition: AnyEnvDefinition; sessions: number; connect: ConnectOptions };

export interface RolloutTarget {
  /** What the summary calls it: `grid_world (in-process)`, a URL, or an image. */
  label: string;
  session$: Observable<EnvSession>;
}

/**
 * Where a rollout's sessions come from: an env definition served in-process (one server shared by
 * every session, closed when the last one ends), a URL, a Docker image (one container per
 * session), a Docker image on a swarm (one service of one pinned task per session), or an image
 * as Kubernetes pods (one pod per session). All reach
 * the server through the same client path. A URL target carries no env name unless the user gave
 * one, so its errors are labelled by the URL alone; an invalid URL throws `InvalidUrlError` at
 * once. The in-process server (and dockerode) load only when a session is subscribed, so `--url`
 * never loads them.
 */
export function rolloutTarget(options: RolloutTargetOptions): RolloutTarget {
  switch (options.kind) {
    case 'url': {
      // Parsed before anything is printed: a URL with credentials or a query is refused here, and
      // the label (shown in progress and summary) is the base URL the sessions really use.
      const url = serverBaseUrl(options.url);
      return { label: urlTargetLabel(url, options.label), session$: defineEnv({ name: options.label ?? '' }).connect(url, options.connect) };
    }
    case 'image':
      return {
        label: `${options.image} (docker)`,
        session$: defineEnv({ name: options.containerEnv['OPENENV_ENV'] ?? '' }).fromDockerImage(options.image, {
          ...options.connect,
          pull: options.pull,
          env: options.containerEnv,
          ...(options.onPullProgress ? { onProgress: options.onPullProgress } : {}),
        }),
      };
    case 'swarm':
      return {
        label: `${options.image} (swarm)`,
        session$: defineEnv({ name: options.containerEnv['OPENENV_ENV'] ?? '' }).fromSwarmService(options.image, {
          ...options.connect,
          ...options.swarm,
          env: options.containerEnv,
        }),
      };
    case 'k8s': {
      const { kubeconfigPath, ...pod } = options.k8s;
      return {
        label: `${options.image} (k8s)`,
        session$: defineEnv({ name: options.containerEnv['OPENENV_ENV'] ?? '' }).fromKubernetesPod(options.image, {
          ...options.connect,
          ...pod,
          ...(kubeconfigPath !== undefined && { kubeConfig: kubeconfigPath }),
          env: options.containerEnv,
        }),
      };
    }
    case 'in-process': {
      const { definition } = options;
      // One server for all sessions; refCount stops it when the last session unsubscribes.
      const endpoint$ = inProcessEndpoint(definition, { maxSessions: options.sessions }).pipe(shareReplay({ bufferSize: 1, refCount: true }));
      return {
        label: `${definition.name} (in-process)`,
        session$: defineEnv({ name: definition.name, action: definition.action }).fromEndpoint(endpoint$, options.connect),
      };
    }
  }
}
