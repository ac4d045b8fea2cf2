import { tap, type Observable } from 'rxjs';
import { perSwarmService } from '../../fleet/per-swarm-service.js';
import { withSourceUrl } from '../../internal/source-url.js';
import { perServer, type PoolSource } from '../../fleet/pool-source.js';
import { inProcessEndpoint } from '../../server/lazy-in-process-endpoint.js';
import { dockerEndpoint, fromKubernetesPod } from '../../runtime/lazy-runtimes.js';
import { k8sOptionsFromFlags } from '../options/k8s-options.js';
import type { Endpoint } from '../../runtime/endpoint.js';
import { defineEnv } from '../../session/define-env.js';
import type { ConnectOptions, EnvSession } from '../../session/types.js';
import { PullProgress } from '../format/pull-progress.js';
import type { Io } from '../io.js';
import { loadEnvDefinition } from '../load-env-definition.js';
import { urlTargetLabel } from '../url-target-label.js';
import { swarmOptionsFromFlags } from '../options/swarm-options.js';
import { DEFAULT_ENV, targetRequest, type TargetFlags } from '../options/target-options.js';

/** Where `collect` gets its sessions, for the pool. */
export interface CollectTarget {
  /** What the summary and metadata call it: `grid_world (in-process)`, a URL, or an image. */
  label: string;
  source: PoolSource<EnvSession>;
  /** Sessions one server takes when we know it (our in-process server: all of them). */
  sessionsPerServer: number | undefined;
}

/**
 * The pool source of the target flags: a URL is one server (its capacity learnt from refusals);
 * an image and an in-process env are servers the pool starts as it needs them, packing sessions
 * onto each up to what it accepts (`--sessions-per-server`, else learnt: most OpenEnv images take
 * one). `onSession` sees every session opened (the CLI asks the first for its action schema).
 */
export async function collectTarget(
  flags: TargetFlags,
  options: { sessions: number; sessionsPerServer: number | undefined; replyTimeoutMs: number | undefined; io: Io; onSession: (session: EnvSession) => void },
): Promise<CollectTarget> {
  const { headers, containerEnv } = targetRequest(flags);
  const connect: ConnectOptions = { transport: flags.transport, headers, ...(options.replyTimeoutMs !== undefined && { replyTimeoutMs: options.replyTimeoutMs }) };
  const seen = <S extends EnvSession>(session$: Observable<S>) => session$.pipe(tap((session) => options.onSession(session)));
  if (flags.url) {
    // Marked with its URL again: `seen` returns a new Observable, and the pool names the server by it.
    const source = withSourceUrl(seen(defineEnv({ name: flags.env ?? '' }).connect(flags.url, connect)), flags.url);
    return { label: urlTargetLabel(flags.url, flags.env), source, sessionsPerServer: options.sessionsPerServer };
  }
  const swarm = swarmOptionsFromFlags(flags);
  const k8s = k8sOptionsFromFlags(flags);
  if (flags.image && k8s) {
    // Pods the pool starts as it needs them, each packed up to what its server accepts.
    const { kubeconfigPath, ...pod } = k8s;
    const Env = defineEnv({ name: containerEnv['OPENENV_ENV'] ?? '' });
    const server$ = fromKubernetesPod(flags.image, { ...pod, ...(kubeconfigPath !== undefined && { kubeConfig: kubeconfigPath }), env: containerEnv });
    return {
      label: `${flags.image} (k8s)`,
      source: perServer(server$, (endpoint$: Observable<Endpoint>) => seen(Env.fromEndpoint(endpoint$, connect))),
      sessionsPerServer: options.sessionsPerServer,
    };
  }
  if (flags.image && swarm) {
    // Swarm services the pool starts as it needs them, each packed up to what it accepts.
    const services = perSwarmService(defineEnv({ name: containerEnv['OPENENV_ENV'] ?? '' }), flags.image, { ...connect, ...swarm, env: containerEnv });
    return {
      label: `${flags.image} (swarm)`,
      source: perServer(services.server$, (endpoint$: Observable<Endpoint>) => seen(services.open(endpoint$))),
      sessionsPerServer: options.sessionsPerServer,
    };
  }
  if (flags.image) {
    const image = flags.image;
    const Env = defineEnv({ name: containerEnv['OPENENV_ENV'] ?? '' });
    const pull = new PullProgress(options.io.err, 'collect');
    const server$ = dockerEndpoint(image, { pull: flags.pull, env: containerEnv, onProgress: (event) => pull.update(event) });
    return {
      label: `${image} (docker)`,
      source: perServer(server$, (endpoint$: Observable<Endpoint>) => seen(Env.fromEndpoint(endpoint$, connect))),
      sessionsPerServer: options.sessionsPerServer,
    };
  }
  const definition = await loadEnvDefinition(flags.env ?? DEFAULT_ENV, '--env');
  const perServerSessions = options.sessionsPerServer ?? options.sessions;
  const Env = defineEnv({ name: definition.name, action: definition.action });
  return {
    label: `${definition.name} (in-process)`,
    source: perServer(inProcessEndpoint(definition, { maxSessions: perServerSessions }), (endpoint$: Observable<Endpoint>) => seen(Env.fromEndpoint(endpoint$, connect))),
    sessionsPerServer: perServerSessions,
  };
}
