import { EMPTY, Observable, concatAll, defer, map, of, throwError } from 'rxjs';
import { createToolApi } from '../tools/tool-api.js';
import type { RunHelpers, TestScheduler } from 'rxjs/testing';
import { SessionStateError } from '../errors/usage-errors.js';
import type { HealthResponse, MetadataResponse, SchemaResponse } from '../protocol/http-messages.js';
import { InvalidOptionError } from '../errors/usage-errors.js';
import { runEpisode, type Clock } from '../session/episode.js';
import { runEpisodes } from '../session/episodes.js';
import { runSteps } from '../session/run-steps.js';
import type {
  EnvSession,
  EpisodeOptions,
  EpisodeStep,
  EpisodesOptions,
  Policy,
  ResetOptions,
  StepResult,
  StepsOptions,
} from '../session/types.js';

/** `cold` of `TestScheduler.run`'s helpers, or `scheduler.createColdObservable`. */
export type ColdFactory = RunHelpers['cold'];
/** One subscription of a reset or step answer, as `expectSubscriptions` reads it. */
export type FakeSubscriptionLog = ReturnType<ColdFactory>['subscriptions'][number];

/** A value of the marbles: the observation is required, the rest defaults to `reward: null`, `done: false`. */
export interface FakeResult<O> {
  observation: O;
  reward?: number | null;
  done?: boolean;
  truncated?: boolean;
}

/** Answers of a fake session, given as marbles whose letters are keys of `values`. */
export interface FakeSessionSpec<A, O, S> {
  /** From `testScheduler.run(({ cold }) => ...)`. Give this or `scheduler`. */
  cold?: ColdFactory;
  /** A `TestScheduler` used without `run` (its virtual clock also stamps the steps). */
  scheduler?: TestScheduler;
  /** The reset answer: one marble for every reset, one per reset in order, or computed. */
  reset: string | readonly string[] | ((options: ResetOptions, index: number) => string);
  /** The step answers: the i-th step request of the session (counted across episodes) gets `steps[i]`. */
  steps: readonly string[] | ((action: A, index: number) => string);
  values: Record<string, FakeResult<O>>;
  /** The error a `#` in the marbles emits. */
  error?: unknown;
  /** What `state()` answers; default `{ episode_id, step_count }` tracked from the requests. */
  state?: S | (() => S);
  /** Default `fake`. */
  name?: string;
}

/** An `EnvSession` answering from marbles, which records what it was asked. */
export interface FakeSession<A, O, S> extends EnvSession<A, O, S> {
  /** Every action sent (a `step()` subscribed), in order. */
  readonly actions: A[];
  /** The options of every reset sent, in order (`episodeId` included). */
  readonly resets: ResetOptions[];
  /** Subscriptions of all reset answers, in order: pass to `expectSubscriptions`. */
  readonly resetSubscriptions: FakeSubscriptionLog[];
  /** Subscriptions of all step answers, in order: proves that steps never overlap, and teardown. */
  readonly stepSubscriptions: FakeSubscriptionLog[];
}

/**
 * A virtual-time `EnvSession` for marble-testing your own agent loop with `TestScheduler`: reset
 * and step answers are cold marbles, `episode`/`episodes` are the library's real agent loop, and
 * `actions`/`resets`/`*Subscriptions` record what your code sent and when.
 *
 * @example
 * import { TestScheduler } from 'rxjs/testing';
 * import { map } from 'rxjs';
 * import { fakeSession } from 'openenv-rx/testing';
 *
 * new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable, expectSubscriptions }) => {
 *   const env = fakeSession<{ move: string }, { x: number }, unknown>({
 *     cold,
 *     reset: '-r|',
 *     steps: ['--a|', '--b|'],
 *     values: { r: { observation: { x: 0 } }, a: { observation: { x: 1 }, reward: 0 }, b: { observation: { x: 2 }, reward: 1, done: true } },
 *   });
 *   const x$ = env.episode(() => ({ move: 'right' }), { episodeId: 'e1' }).pipe(map((s) => s.observation.x));
 *   expectObservable(x$).toBe('-r-a-(b|)', { r: 0, a: 1, b: 2 });
 *   expectSubscriptions(env.stepSubscriptions).toBe(['-^-!', '---^-!']);
 *   // after run(): env.actions deep-equals [{ move: 'right' }, { move: 'right' }]
 * });
 */
export function fakeSession<A = Record<string, unknown>, O = Record<string, unknown>, S = Record<string, unknown>>(
  spec: FakeSessionSpec<A, O, S>,
): FakeSession<A, O, S> {
  const cold: ColdFactory | undefined =
    spec.cold ?? (spec.scheduler ? spec.scheduler.createColdObservable.bind(spec.scheduler) : undefined);
  if (!cold) throw new InvalidOptionError('cold', undefined, 'the `cold` helper of TestScheduler.run, or `scheduler`');
  // Without run mode, asyncScheduler is wall-clock time: stamp with the TestScheduler's frames instead.
  const clock: Clock | undefined = spec.scheduler;
  const name = spec.name ?? 'fake';
  const values: Record<string, StepResult<O>> = {};
  for (const [key, v] of Object.entries(spec.values)) {
    values[key] = { observation: v.observation, reward: v.reward ?? null, done: v.done ?? false, truncated: v.truncated ?? false };
  }

  const actions: A[] = [];
  const resets: ResetOptions[] = [];
  const resetSubscriptions: FakeSubscriptionLog[] = [];
  const stepSubscriptions: FakeSubscriptionLog[] = [];
  let lastEpisodeId: string | null = null;
  let stepCount = 0;

  /** Subscribes a fresh cold answer, copying its subscription log into `log` (teardown included). */
  const answer = (marbles: string, log: FakeSubscriptionLog[]) =>
    new Observable<StepResult<O>>((subscriber) => {
      const answer$ = cold(marbles, values, spec.error);
      const subscription = answer$.subscribe(subscriber);
      const at = log.push(answer$.subscriptions[0]!) - 1;
      return () => {
        subscription.unsubscribe();
        // The cold Observable replaces its log entry on unsubscribe: copy the final one.
        log[at] = answer$.subscriptions[0]!;
      };
    });

  const pick = <T>(
    source: string | readonly string[] | ((input: T, index: number) => string),
    input: T,
    index: number,
    what: string,
  ): string => {
    if (typeof source === 'function') return source(input, index);
    if (typeof source === 'string') return source;
    const marbles = source[index];
    if (marbles === undefined) {
      throw new SessionStateError(`fakeSession has no answer for ${what} #${index}: it was given ${source.length}`, { env: name });
    }
    return marbles;
  };

  // Tool calls are steps (answered by the step marbles); a fake has no JSON-RPC.
  const tools = createToolApi({
    env: name,
    tools: undefined,
    step: (action, project) => session.step(action as A).pipe(map((result) => project(result, { env: name, request: 'step' }))),
    mcp: () => throwError(() => new SessionStateError('fakeSession answers no JSON-RPC (mcp): call tools via steps', { env: name, request: 'mcp' })),
  });

  const session: FakeSession<A, O, S> = {
    ...tools,
    name,
    url: 'fake://session',
    transport: 'ws',
    actions,
    resets,
    resetSubscriptions,
    stepSubscriptions,
    reset: (options: ResetOptions = {}) =>
      defer(() => {
        const marbles = pick(spec.reset, options, resets.length, 'reset');
        resets.push(options);
        lastEpisodeId = options.episodeId ?? null;
        stepCount = 0;
        return answer(marbles, resetSubscriptions);
      }),
    step: (action: A) =>
      defer(() => {
        const marbles = pick(spec.steps, action, actions.length, 'step');
        actions.push(action);
        stepCount += 1;
        return answer(marbles, stepSubscriptions);
      }),
    state: () =>
      defer(() => {
        if (spec.state === undefined) return of({ episode_id: lastEpisodeId, step_count: stepCount } as S);
        return of(typeof spec.state === 'function' ? (spec.state as () => S)() : spec.state);
      }),
    steps: (action$: Observable<A>, options?: StepsOptions) => runSteps(session.step, action$, options),
    health: () => of<HealthResponse>({ status: 'healthy' }),
    schema: () => of<SchemaResponse>({ action: {}, observation: {}, state: {} }),
    metadata: () => of<MetadataResponse>({ name, description: 'A fake session answering from marbles' }),
    episode: (policy: Policy<A, O>, options?: EpisodeOptions): Observable<EpisodeStep<A, O>> =>
      runEpisode(session, policy, { ...options, ...(clock && { clock }) }),
    episodes: (policy: Policy<A, O>, options?: EpisodesOptions): Observable<Observable<EpisodeStep<A, O>>> =>
      runEpisodes(session, policy, { ...options, ...(clock && { clock }) }),
    episodesFlat: (policy: Policy<A, O>, options?: EpisodesOptions): Observable<EpisodeStep<A, O>> =>
      session.episodes(policy, options).pipe(concatAll()),
    // A fake is one env answering in order: episodes always make sense.
    checkEpisodes: () => EMPTY,
  };
  return session;
}
