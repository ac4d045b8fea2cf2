import { NEVER, Observable, asyncScheduler, catchError, defer, map, merge, observeOn, switchMap, throwError } from 'rxjs';
import { ConnectionError } from '../errors/connection-errors.js';
import type { Endpoint } from '../runtime/endpoint.js';
import type { DockerEndpointOptions } from '../runtime/docker/docker-endpoint-options.js';
import { dockerEndpoint, fromKubernetesPod, processEndpoint } from '../runtime/lazy-runtimes.js';
import type { KubernetesPodOptions } from '../runtime/kubernetes/kubernetes-pod-options.js';
import type { ProcessEndpointOptions } from '../runtime/process-endpoint.js';
import type { SwarmEndpointOptions } from '../runtime/swarm/swarm-endpoint-options.js';
import { urlEndpoint } from '../runtime/url-endpoint.js';
import { openTransport } from '../transport/open-transport.js';
import type { Transport, TransportOptions } from '../transport/transport.js';
import { createSession, type SessionOptions } from './create-session.js';
import { explainConnectionLoss, explainLoss } from './explain-connection-loss.js';
import type { ActionOf, AnyEnvSpec, EnvSpec, ObservationOf, StateOf, ToolsOf, TypedSpec } from './env-spec.js';
import type { AnyToolSchemas, CallToolStep, ToolArgs, ToolName, ToolSchemas } from '../tools/tool-types.js';
import type { ConnectOptions, EnvSession } from './types.js';
import { withContext } from '../internal/error-context.js';
import { ownLatest } from '../internal/own-latest.js';
import { withSourceUrl } from '../internal/source-url.js';

/** How a definition opens a transport. Injected in tests; `openTransport` otherwise. */
export type OpenTransport = (url: string, options?: TransportOptions) => Observable<Transport>;

/** Dependencies of `defineEnv` (for tests that replace the network). */
export interface EnvDependencies {
  openTransport?: OpenTransport;
}

/**
 * A typed env kind. Every method returns a cold `Observable<EnvSession>`: subscribing opens the
 * connection (and starts the server, for runtimes) and emits ONE session; it never completes by
 * itself; it errors when the connection or the server dies; unsubscribing closes the connection
 * first, then tears the server down.
 */
export interface EnvDefinition<A, O, S, T extends ToolSchemas = AnyToolSchemas> {
  readonly spec: EnvSpec<A, O, S>;
  /**
   * The step action that calls a tool, typed by the declared tools: what a policy returns to call a
   * tool inside `episode()` (the session checks the arguments before sending, as `callTool` does).
   *
   * @example
   * Echo.connect(url)
   *   .pipe(withSession((env) => env.episode(() => Echo.toolCall('echo_message', { message: 'hi' }), { maxSteps: 3 })))
   *   .subscribe((step) => console.log(step.observation));
   */
  toolCall<K extends ToolName<T>>(name: K, args: ToolArgs<T, K>): CallToolStep<K, ToolArgs<T, K>>;
  /** A server that already runs at `url` (`http://...`; the WS URL is derived). */
  connect(url: string, options?: ConnectOptions): Observable<EnvSession<A, O, S, T>>;
  /**
   * A server started by a runtime: its teardown runs after the transport closed; its `failure$`
   * fails the session. A connection lost because the server died is reported as the runtime's
   * error (`ServerExitedError`: exit code, log tail), waiting up to 2 s for it.
   */
  fromEndpoint(endpoint$: Observable<Endpoint>, options?: ConnectOptions): Observable<EnvSession<A, O, S, T>>;
  /** A transport you supply (tests inject fakes here). The session closes it on unsubscribe. */
  fromTransport(transport$: Observable<Transport>, options?: SessionOptions): Observable<EnvSession<A, O, S, T>>;
  /**
   * A Docker container of `image`, started on subscribe and stopped and removed on unsubscribe
   * (also on error, and when the process dies: see `reapOrphans`). Port 8000 is published on
   * 127.0.0.1 only.
   *
   * @example
   * GridWorld.fromDockerImage(image, { env: { OPENENV_ENV: 'grid_world' } }) // image: docker/Dockerfile's, e.g. 'openenv-rx/envs:latest'
   *   .pipe(withSession((env) => env.episode(policy))) // the container is removed when the episode ends
   *   .subscribe(console.log);
   */
  fromDockerImage(image: string, options?: DockerEndpointOptions & ConnectOptions): Observable<EnvSession<A, O, S, T>>;
  /**
   * A local server process (`uvicorn ...`, `node ...`), started on subscribe, SIGTERM then SIGKILL
   * on unsubscribe. `{port}` in `args` is replaced by a free port.
   *
   * @example
   * Echo.fromProcess('uvicorn', ['envs.echo_env.server.app:app', '--port', '{port}']) // OpenEnv's echo env
   *   .pipe(withSession((env) => env.episode(policy, { maxSteps: 3 }))) // the server is stopped when the episode ends
   *   .subscribe((step) => console.log(step.observation.echoed_message));
   */
  fromProcess(command: string, args?: string[], options?: ProcessEndpointOptions & ConnectOptions): Observable<EnvSession<A, O, S, T>>;
  /**
   * A Docker Swarm service of `image` with one task, created on subscribe and removed on
   * unsubscribe (also on error; `reapOrphans` removes what a dead process left). The session is
   * pinned to that task through its host-mode port, never the ingress mesh; the task's end fails
   * the session with `SwarmTaskError` (state, message, exit code, log tail). The server gets a
   * fresh `OPENENV_TOKEN` (or `token`), which the session sends as `Authorization: Bearer`.
   * See `swarmEndpoint` for the options.
   *
   * @example
   * GridWorld.fromSwarmService(image, { pull: 'if-missing', env: { OPENENV_ENV: 'grid_world' }, resources: { cpus: 1 } }) // image: e.g. 'registry.example/envs:1.2'
   *   .pipe(withSession((env) => env.episode(policy))) // the service is removed when the episode ends
   *   .subscribe(console.log);
   */
  fromSwarmService(image: string, options?: SwarmEndpointOptions & ConnectOptions): Observable<EnvSession<A, O, S, T>>;
  /**
   * A Kubernetes pod of `image`, created on subscribe and deleted (awaited gone) on unsubscribe
   * (also on error; `reapKubernetesPods` removes what a dead process left). The session talks to
   * that pod straight (its IP, or a port-forward through the API server), never a Service; the
   * pod's end fails the session with a typed `KubernetesPodError` (crash with its log tail, OOM
   * kill, eviction, deletion by someone else). See `fromKubernetesPod` for the options.
   *
   * @example
   * GridWorld.fromKubernetesPod(image, { namespace: 'envs', env: { OPENENV_ENV: 'grid_world' } }) // image: docker/Dockerfile's, on the nodes or in their registry
   *   .pipe(withSession((env) => env.episode(policy))) // the pod is deleted when the episode ends
   *   .subscribe(console.log);
   */
  fromKubernetesPod(image: string, options?: KubernetesPodOptions & ConnectOptions): Observable<EnvSession<A, O, S, T>>;
}

/**
 * Declares an env kind from its name and optional zod schemas; the session types are inferred.
 *
 * @example
 * const GridWorld = defineEnv({
 *   name: 'grid_world',
 *   action: z.object({ action: z.enum(['UP', 'DOWN', 'LEFT', 'RIGHT']) }),
 *   observation: z.object({ x: z.number(), y: z.number(), message: z.string() }),
 * });
 * GridWorld.connect('http://127.0.0.1:8000')
 *   .pipe(withSession((env) => env.reset().pipe(concatMap(() => env.steps(from([{ action: 'DOWN' as const }]))))))
 *   .subscribe(console.log);
 */
export function defineEnv<const T extends AnyEnvSpec>(
  spec: T,
  dependencies: EnvDependencies = {},
): EnvDefinition<ActionOf<T>, ObservationOf<T>, StateOf<T>, ToolsOf<T>> {
  // The schemas' types are exactly what TypedSpec names (action input, observation/state output); TS cannot see through the generic.
  return defineTypedEnv<ActionOf<T>, ObservationOf<T>, StateOf<T>, ToolsOf<T>>(spec as unknown as TypedSpec<T>, dependencies);
}

function defineTypedEnv<A, O, S, T extends ToolSchemas>(spec: EnvSpec<A, O, S>, dependencies: EnvDependencies): EnvDefinition<A, O, S, T> {
  const open = dependencies.openTransport ?? openTransport;
  const env = { env: spec.name };

  /** What both entry points share: the env's name on every error, an empty source refused, the inner closed first. */
  const own = <T, R>(source$: Observable<T>, what: string, project: (value: T) => Observable<R>): Observable<R> =>
    ownLatest(
      source$.pipe(catchError((error: unknown) => throwError(() => withContext(error, env)))),
      project,
      () => new ConnectionError(`No ${what} for env ${spec.name}`, env),
    );

  const fromTransport = (transport$: Observable<Transport>, options: SessionOptions = {}): Observable<EnvSession<A, O, S, T>> =>
    own(
      transport$,
      'transport was opened',
      (transport) =>
        new Observable<EnvSession<A, O, S, T>>((subscriber) => {
          const session = createSession<A, O, S, T>(transport, spec, options);
          // The session closes its transport on teardown; its failure$ ends the stream with an error.
          const failure = session.failure$.subscribe({ error: (error: unknown) => subscriber.error(error) });
          subscriber.next(session);
          return () => {
            failure.unsubscribe();
            session.close();
          };
        }),
    );

  const fromEndpoint = (endpoint$: Observable<Endpoint>, options: ConnectOptions = {}): Observable<EnvSession<A, O, S, T>> =>
    own(endpoint$, 'endpoint was started', (endpoint) => {
      const serverFailure$ = endpoint.failure$?.pipe(
        catchError((error: unknown) => throwError(() => withContext(error, { ...env, url: endpoint.url }))),
      );
      // A socket killed by a dying server is reported as the server's exit (code, logs).
      const transport$ = serverFailure$
        ? open(endpoint.url, options).pipe(
            explainLoss(serverFailure$),
            map((transport) => explainConnectionLoss(transport, serverFailure$)),
          )
        : open(endpoint.url, options);
      // The server's exit also fails a session that has nothing in flight. One tick later:
      // a request in flight reports the same error first, with its own step and request.
      const idleFailure$ = (serverFailure$ ?? NEVER).pipe(observeOn(asyncScheduler));
      return merge(fromTransport(transport$, options), idleFailure$);
    });

  return {
    spec,
    toolCall: (name, args) => ({ type: 'call_tool', tool_name: name, arguments: args }),
    // Deferred so a bad URL errors the Observable (typed, credentials not echoed) instead of throwing here.
    // Marked with its URL: a pool names the server by it before any session opened there.
    connect: (url, options) => withSourceUrl(fromEndpoint(defer(() => urlEndpoint(url)), options), url),
    fromEndpoint,
    fromTransport,
    fromDockerImage: (image, options = {}) => fromEndpoint(defer(() => dockerEndpoint(image, options)), options),
    fromKubernetesPod: (image, options = {}) => fromEndpoint(defer(() => fromKubernetesPod(image, options)), options),
    fromProcess: (command, args = [], options = {}) => fromEndpoint(defer(() => processEndpoint(command, args, options)), options),
    // The swarm runtime is loaded on subscribe: only its users pay for it.
    fromSwarmService: (image, options = {}) =>
      defer(() => import('../runtime/swarm/swarm-endpoint.js')).pipe(
        switchMap(({ swarmSession }) => {
          const { endpoint$, headers } = swarmSession(image, options);
          return fromEndpoint(endpoint$, { ...options, headers: { ...options.headers, ...headers } });
        }),
      ),
  };
}
