import { EMPTY, isObservable, type Observable, type Observer, type Unsubscribable } from 'rxjs';
import type { ErrorContext } from '../errors/openenv-error.js';
import { ProtocolError } from '../errors/protocol-errors.js';
import { PolicyError } from '../errors/usage-errors.js';
import { Call } from '../internal/call.js';
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
 * episode and rollout, so it keeps no operator chain: each request or decision is one `Call`
 * (the session's request, a policy's answer, the check), and a step costs that call and the
 * `EpisodeStep` it emits. Synchronous answers (fakes, a synchronous policy) loop instead of recursing.
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
  /** The request, policy call or check pending (a settled call ignores whatever comes late). */
  private pending: Unsubscribable | undefined;
  /** The session's reset/step request, looked up once. */
  private readonly request: SessionRequest<A, O>;
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
    this.request = sessionRequestOf<A, O>(session);
  }

  /** Runs the check (when the session has one) and sends the reset. */
  start(): void {
    const check$ = this.session.checkEpisodes?.() ?? EMPTY;
    if (check$ === EMPTY) return this.sendReset();
    this.waiting = 'check';
    this.await(new CheckCall(this)).listen(check$);
  }

  /** Cancels whatever is pending (request, policy call); nothing is emitted afterwards. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const pending = this.pending;
    this.pending = undefined;
    pending?.unsubscribe();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Context of an error at `stepIndex` (the episode's position, plus the request when known). */
  where(stepIndex: number, request?: ErrorContext['request']): ErrorContext {
    const { episodeId, episodeIndex } = this.plan;
    return request === undefined ? { episodeId, episodeIndex, stepIndex } : { episodeId, episodeIndex, stepIndex, request };
  }

  // --- answers (called by the calls below) -----------------------------------------------------

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

  /** Makes `call` the one pending, before it is sent: a synchronous answer may already replace it. */
  private await<C extends Unsubscribable>(call: C): C {
    this.pending = call;
    return call;
  }

  private sendReset(): void {
    const { plan } = this;
    this.waiting = 'reset';
    const options: ResetOptions = { ...plan.resetOptions, episodeId: plan.episodeId };
    if (plan.seed !== undefined) options.seed = plan.seed;
    const call = this.await(new RequestCall(this, 0));
    this.sentAt = plan.clock.now();
    call.sent(this.request('reset', options, call));
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
    if (isObservable(answer)) return void this.await(new PolicyCall(this, 'Observable errored')).listen(answer as Observable<A>);
    if (isPromiseLike(answer)) {
      const call = this.await(new PolicyCall(this, 'rejected'));
      answer.then(
        (action) => call.value(action),
        (cause: unknown) => call.error(cause),
      );
      return;
    }
    this.sendStep(answer);
  }

  private sendStep(action: A): void {
    const index = this.last!.index + 1;
    this.waiting = 'step';
    this.action = action;
    const call = this.await(new RequestCall(this, index));
    this.sentAt = this.plan.clock.now();
    call.sent(this.request('step', action, call));
  }
}

/** One reset (index 0) or step request of the loop. */
class RequestCall<A, O> extends Call<StepResult<O>> {
  constructor(
    private readonly loop: EpisodeLoop<A, O>,
    private readonly index: number,
  ) {
    super();
  }

  protected answered(result: StepResult<O>): void {
    this.loop.result(this.index, result);
  }

  protected failed(error: unknown): void {
    this.loop.requestFailed(this.index, error);
  }

  protected override empty(): void {
    const kind = this.index > 0 ? 'step' : 'reset';
    this.error(new ProtocolError(`The ${kind} request completed without a result`, undefined));
  }
}

/** The policy's answer (an Observable's first value, or a Promise's): the next action. */
class PolicyCall<A, O> extends Call<A> {
  constructor(
    private readonly loop: EpisodeLoop<A, O>,
    private readonly how: string,
  ) {
    super();
  }

  protected answered(action: A): void {
    this.loop.decided(action);
  }

  protected failed(cause: unknown): void {
    this.loop.policyFailed(this.how, cause);
  }

  protected override empty(): void {
    if (this.settled) return;
    this.unsubscribe();
    this.loop.policyEmpty();
  }
}

/** `checkEpisodes()`: completes (episodes make sense) or errors; it never emits. */
class CheckCall<A, O> extends Call<never> {
  constructor(private readonly loop: EpisodeLoop<A, O>) {
    super();
  }

  protected answered(): void {
    // checkEpisodes never emits.
  }

  protected failed(error: unknown): void {
    this.loop.checkFailed(error);
  }

  protected override empty(): void {
    this.unsubscribe();
    this.loop.checked();
  }
}
