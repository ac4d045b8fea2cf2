import { EMPTY, isObservable, type Observable, type Observer, type Unsubscribable } from 'rxjs';
import type { ErrorContext } from '../errors/openenv-error.js';
import { ProtocolError } from '../errors/protocol-errors.js';
import { PolicyError } from '../errors/usage-errors.js';
import { messageOf, withContext } from '../internal/error-context.js';
import { isPromiseLike } from '../internal/is-promise-like.js';
import { Trampoline } from '../internal/trampoline.js';
import type { EnvSession, EpisodeStep, Policy, ResetOptions, StepResult } from './types.js';
import { episodeStep } from './episode-step.js';
import { sessionRequestOf, type SessionRequest } from './session-request.js';

/** Where `latencyMs` and `timestamp` come from. */
export interface Clock {
  /** Milliseconds, as `Date.now()` (the default) or a test's virtual clock. */
  now(): number;
}

/**
 * What the agent loop needs: `reset` and `step` (a fake in tests, an `EnvSession` in real use),
 * and `checkEpisodes` when the session has one (run before the first reset).
 */
export type EpisodeSession<A, O> = Pick<EnvSession<A, O, unknown>, 'reset' | 'step'> & Partial<Pick<EnvSession<A, O, unknown>, 'checkEpisodes'>>;

/** One episode's settings, validated and resolved (`runEpisode` and `rollouts` build it). */
export interface EpisodePlan {
  episodeId: string;
  episodeIndex: number;
  seed: number | undefined;
  maxSteps: number | undefined;
  resetOptions: Omit<ResetOptions, 'seed' | 'episodeId'> | undefined;
  clock: Clock;
  /** Written on every step when set (`rollouts`). */
  sessionIndex?: number;
}

/** What the loop waits for. */
export type EpisodeWait = 'check' | 'reset' | 'policy' | 'step';

/**
 * The agent loop of ONE episode as a small state machine (the semantics are `runEpisode`'s):
 * check, reset, then policy → step until `done`/`truncated`. It is the per-step path of every
 * episode and rollout, so it keeps one observer object per request or decision and no operator
 * chain: a step costs the session's own request Observable and the `EpisodeStep` it emits.
 * Synchronous answers (fakes, a synchronous policy) loop instead of recursing.
 *
 * `rollouts` drives it directly and reads `last`/`waiting`/`action` when a fault ends the episode.
 */
export class EpisodeLoop<A, O> {
  /** The last step emitted (the reset first); undefined until the reset answered. */
  last: EpisodeStep<A, O> | undefined;
  /** What is pending; after a failure, what was pending then. Undefined before `start` and between steps. */
  waiting: EpisodeWait | undefined;
  /** The action of the step in flight (set while `waiting` is `step`). */
  action: A | undefined;
  /** `clock.now()` when the request in flight was sent. */
  sentAt = 0;
  private stopped = false;
  /** What cancels what is pending (request, policy Observable, check). */
  private inner: Unsubscribable | undefined;
  /** The session's own per-step path, when it has one: no Observable per request. */
  private readonly direct: SessionRequest<A, O> | undefined;
  /** The answer awaited: callbacks of anything else (a late `complete`, a stale Promise) are ignored. */
  private current: object | undefined;
  /** The next decision, trampolined: a synchronous answer inside it loops instead of recursing. */
  private readonly next = new Trampoline(
    () => this.decide(),
    () => !this.stopped,
  );

  constructor(
    private readonly session: EpisodeSession<A, O>,
    private readonly policy: Policy<A, O>,
    readonly plan: EpisodePlan,
    private readonly observer: Observer<EpisodeStep<A, O>>,
  ) {
    this.direct = sessionRequestOf<A, O>(session);
  }

  /** Runs the check (when the session has one) and sends the reset. */
  start(): void {
    const check$ = this.session.checkEpisodes?.() ?? EMPTY;
    if (check$ === EMPTY) return this.sendReset();
    this.waiting = 'check';
    this.listen(check$ as Observable<never>, new CheckAnswer(this));
  }

  /** Cancels whatever is pending (request, policy call); nothing is emitted afterwards. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.current = undefined;
    const inner = this.inner;
    this.inner = undefined;
    inner?.unsubscribe();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Context of an error at `stepIndex` (the episode's position, plus the request when known). */
  where(stepIndex: number, request?: ErrorContext['request']): ErrorContext {
    const { episodeId, episodeIndex } = this.plan;
    return request === undefined ? { episodeId, episodeIndex, stepIndex } : { episodeId, episodeIndex, stepIndex, request };
  }

  // --- answers (called by the observer objects below) ----------------------------------------

  /** True when `answer` is what the loop waits for; it is then no longer awaited. */
  take(answer: object): boolean {
    if (this.current !== answer) return false;
    this.current = undefined;
    const inner = this.inner;
    this.inner = undefined;
    // Take the first value only: the source is released (a no-op once it completed).
    inner?.unsubscribe();
    return true;
  }

  checked(): void {
    this.sendReset();
  }

  result(index: number, result: StepResult<O>): void {
    const { plan } = this;
    const timestamp = plan.clock.now();
    const maxSteps = plan.maxSteps;
    const truncated = result.truncated || (!result.done && maxSteps !== undefined && index >= maxSteps);
    const step = episodeStep<A, O>(plan, index, result.observation, result.reward, result.done, truncated, index > 0, this.action, timestamp - this.sentAt, timestamp);
    this.last = step;
    this.waiting = undefined;
    this.action = undefined;
    this.observer.next(step);
    if (this.stopped) return;
    if (step.done || step.truncated) {
      this.stopped = true;
      this.observer.complete();
      return;
    }
    this.next.run();
  }

  /** A request failed (or completed empty): the episode errors with its position added. */
  requestFailed(index: number, error: unknown): void {
    this.fail(withContext(error, this.where(index, index > 0 ? 'step' : 'reset')));
  }

  checkFailed(error: unknown): void {
    this.fail(withContext(error, this.where(0)));
  }

  decided(action: A): void {
    this.sendStep(action);
  }

  policyFailed(how: string, cause: unknown): void {
    const context = this.where(this.nextIndex(), 'policy');
    this.fail(cause instanceof PolicyError ? cause.addContext(context) : new PolicyError(`The policy ${how}: ${messageOf(cause)}`, context, { cause }));
  }

  policyEmpty(): void {
    this.fail(new PolicyError('The policy Observable completed without an action', this.where(this.nextIndex(), 'policy')));
  }

  // --- internals -------------------------------------------------------------------------------

  private nextIndex(): number {
    return this.last === undefined ? 0 : this.last.index + 1;
  }

  /** Ends the episode with `error`; `waiting`/`action` keep what was pending (a run reports it). */
  private fail(error: unknown): void {
    if (this.stopped) return;
    this.stop();
    this.observer.error(error);
  }

  private sendReset(): void {
    const { plan } = this;
    this.waiting = 'reset';
    const options: ResetOptions = { ...plan.resetOptions, episodeId: plan.episodeId };
    if (plan.seed !== undefined) options.seed = plan.seed;
    const answer = new RequestAnswer(this, 0);
    if (this.direct) return this.sendDirect(answer, options);
    let request$: Observable<StepResult<O>>;
    try {
      this.sentAt = plan.clock.now();
      request$ = this.session.reset(options);
    } catch (error) {
      return this.requestFailed(0, error);
    }
    this.listen(request$, answer);
  }

  private decide(): void {
    const last = this.last!;
    this.waiting = 'policy';
    let answer: ReturnType<Policy<A, O>>;
    try {
      answer = this.policy(last.observation, last);
    } catch (cause) {
      return this.policyFailed('threw', cause);
    }
    if (isObservable(answer)) return this.listen(answer, new PolicyAnswer(this));
    if (isPromiseLike(answer)) {
      const token = {};
      this.current = token;
      answer.then(
        (action) => {
          if (this.take(token)) this.decided(action);
        },
        (cause: unknown) => {
          if (this.take(token)) this.policyFailed('rejected', cause);
        },
      );
      return;
    }
    this.sendStep(answer);
  }

  private sendStep(action: A): void {
    const index = this.last!.index + 1;
    this.waiting = 'step';
    this.action = action;
    const answer = new RequestAnswer(this, index);
    if (this.direct) return this.sendDirect(answer, undefined, action);
    let request$: Observable<StepResult<O>>;
    try {
      this.sentAt = this.plan.clock.now();
      request$ = this.session.step(action);
    } catch (error) {
      return this.requestFailed(index, error);
    }
    this.listen(request$, answer);
  }

  /** A reset (with `options`) or step (of `action`) on the session's direct path; same bookkeeping as `listen`. */
  private sendDirect(answer: RequestAnswer<A, O>, options: ResetOptions | undefined, action?: A): void {
    this.current = answer;
    this.sentAt = this.plan.clock.now();
    const handle = options ? this.direct!.reset(options, answer) : this.direct!.step(action as A, answer);
    if (this.current === answer) this.inner = handle;
    else handle?.unsubscribe();
  }

  /** Subscribes `source$` with `answer` as what is awaited; an answer that came synchronously already released it. */
  private listen<T>(source$: Observable<T>, answer: Partial<Observer<T>>): void {
    this.current = answer;
    const subscription = source$.subscribe(answer);
    if (this.current === answer) this.inner = subscription;
    else subscription.unsubscribe();
  }
}

/** The observer of one reset or step request: its first value is the answer. */
class RequestAnswer<A, O> implements Observer<StepResult<O>> {
  constructor(
    private readonly loop: EpisodeLoop<A, O>,
    private readonly index: number,
  ) {}

  next(result: StepResult<O>): void {
    if (this.loop.take(this)) this.loop.result(this.index, result);
  }

  error(error: unknown): void {
    if (this.loop.take(this)) this.loop.requestFailed(this.index, error);
  }

  complete(): void {
    if (!this.loop.take(this)) return;
    const kind = this.index > 0 ? 'step' : 'reset';
    this.loop.requestFailed(this.index, new ProtocolError(`The ${kind} request completed without a result`, undefined));
  }
}

/** The observer of a policy Observable: its first value is the action. */
class PolicyAnswer<A, O> implements Observer<A> {
  constructor(private readonly loop: EpisodeLoop<A, O>) {}

  next(action: A): void {
    if (this.loop.take(this)) this.loop.decided(action);
  }

  error(cause: unknown): void {
    if (this.loop.take(this)) this.loop.policyFailed('Observable errored', cause);
  }

  complete(): void {
    if (this.loop.take(this)) this.loop.policyEmpty();
  }
}

/** The observer of `checkEpisodes()`: completes (episodes make sense) or errors. */
class CheckAnswer<A, O> implements Observer<never> {
  constructor(private readonly loop: EpisodeLoop<A, O>) {}

  next(): void {
    // checkEpisodes never emits.
  }

  error(error: unknown): void {
    if (this.loop.take(this)) this.loop.checkFailed(error);
  }

  complete(): void {
    if (this.loop.take(this)) this.loop.checked();
  }
}
