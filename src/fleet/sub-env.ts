import { randomUUID } from 'node:crypto';
import { Subscription, type Observer } from 'rxjs';
import { EpisodeFailedError } from '../errors/fleet-errors.js';
import type { ErrorContext } from '../errors/openenv-error.js';
import { ProtocolError } from '../errors/protocol-errors.js';
import { SessionStateError } from '../errors/usage-errors.js';
import type { ResetOptions, StepResult } from '../session/types.js';
import { sessionRequestOf, type SessionRequest } from '../session/session-request.js';
import { Call } from '../internal/call.js';
import type { EnvPool } from './env-pool.js';
import { episodeFailure, outcomeUnknown, sessionSpoiled } from '../internal/step-failure.js';
import type { AutoresetMode, EnvInfo, VectorSession } from './vector-types.js';

/** The optional parts of a sub-env's answer; absent (undefined) on the hot path. */
export interface RowExtra<O> {
  autoreset?: true;
  final_obs?: O;
  final_info?: EnvInfo;
  error?: EpisodeFailedError;
}

/** Where a sub-env's step answers go: the batch of a vector `step`, or the as-completed stream. */
export interface StepSink<O> {
  row(env: SubEnv<unknown, O>, observation: O, reward: number, terminated: boolean, truncated: boolean, extra: RowExtra<O> | undefined): void;
  /** The vector closed while this sink still waited for answers. */
  abandon(error: unknown): void;
}

/** Where a sub-env's answer to a user `reset()` goes: the batch of a vector `reset`. */
export interface ResetSink<O> {
  /** The reset ended: its observation, or the failure that stopped it. */
  resetRow(env: SubEnv<unknown, O>, observation: O | undefined, failure: EpisodeFailedError | undefined): void;
  /** The vector closed while this sink still waited for answers. */
  abandon(error: unknown): void;
}

/** What the vector shares with its sub-envs. */
export interface SubEnvHost<A, O> {
  readonly pool: EnvPool<VectorSession<A, O>>;
  readonly mode: AutoresetMode;
  readonly maxEpisodeSteps: number | undefined;
  readonly resetRetries: number;
  readonly counters: { steps: number; failures: number; unknownSteps: number };
  /** A sub-env's operation ended: the concurrency gate may admit the next. */
  released(env: SubEnv<A, O>): void;
  /** A sub-env got a new session (maybe on another server): the launch order is out of date. */
  sessionChanged(env: SubEnv<A, O>): void;
  /** A lease emitted a session (the vector waits for all of them before it emits itself). */
  sessionArrived(env: SubEnv<A, O>): void;
  /** A lease failed while no operation could report it (the pool closed or gave up). */
  leaseFailed(env: SubEnv<A, O>, error: unknown): void;
}

const AUTORESET: RowExtra<never> = Object.freeze({ autoreset: true as const });

/** The step that ended an episode in `same-step` mode, held while the reset that follows runs. */
interface Final<O> {
  observation: O;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: EnvInfo;
  error: EpisodeFailedError | undefined;
}

/**
 * One sub-env of a vector: a leased session, its episode, and Gymnasium's autoreset rules. At most
 * one request is in flight (`busy` from the call until its answer is delivered): one `Answer`
 * call on the session's request, no closures, no Observable.
 */
export class SubEnv<A, O> {
  session: VectorSession<A, O> | undefined;
  /** Last observation (the final one of an ended episode); undefined before the first reset. */
  observation: O | undefined;
  episodeId = '';
  stepIndex = 0;
  /** Reset at least once. */
  started = false;
  /** The last answer ended the episode (done, truncated, or failed): next comes a reset. */
  ended = true;
  busy = false;
  /** The sink of the step in flight (or queued behind `maxConcurrency`); an autoreset inside a step answers here too. */
  stepSink: StepSink<O> | undefined;
  /** The sink of the user reset in flight (or queued); never set together with `stepSink`. */
  resetSink: ResetSink<O> | undefined;
  /** What to launch when the concurrency gate admits this sub-env (fields, not an object per step). */
  queued: 'step' | 'reset' | undefined;
  queuedAction: A | undefined;
  queuedSeed: number | undefined;

  private lease: Subscription | undefined;
  /** The session died while nothing was in flight: the episode was lost with it. */
  private lost: unknown;
  /** The leased session's reset/step request, looked up once per lease. */
  private request: SessionRequest<A, O> | undefined;
  /** The request in flight, if any (a settled call ignores whatever comes late). */
  private pending: Answer<A, O> | undefined;
  /** A reset waits for a lease (its session was lost). */
  private resumeReset = false;
  private after: 'reset' | 'autoreset' | 'same-step' = 'reset';
  private final: Final<O> | undefined;
  private resetSeed: number | undefined;
  private resetAttempts = 0;
  private nextEpisodeId = '';

  private readonly leaseObserver: Observer<VectorSession<A, O>> = {
    next: (session) => this.onLeased(session),
    error: (error: unknown) => this.onLeaseError(error),
    complete: () => undefined,
  };

  constructor(
    readonly index: number,
    private readonly host: SubEnvHost<A, O>,
  ) {}

  /** The sink of the operation in flight, whichever kind. */
  get sink(): StepSink<O> | ResetSink<O> | undefined {
    return this.stepSink ?? this.resetSink;
  }

  /** Claims a session from the pool unless one is held or being claimed. */
  acquire(): void {
    if (this.lease) return;
    const lease = new Subscription();
    this.lease = lease;
    lease.add(this.host.pool.session().subscribe(this.leaseObserver));
  }

  /** Starts a step (called by the gate; `busy` and `sink` are already set). */
  launchStep(action: A): void {
    // next-step: the step after an ended episode resets it and ignores the action.
    if (this.ended) return this.beginReset('autoreset', undefined);
    const session = this.session;
    if (this.lost !== undefined || !session) {
      // The session died between two steps: the episode is lost, though no request was.
      const cause = this.lost ?? new SessionStateError('The session of this sub-env was lost', { envIndex: this.index });
      return this.failEpisode(new EpisodeFailedError(false, cause, this.context()));
    }
    this.send('step', action);
  }

  /** Starts a user reset (called by the gate). */
  launchReset(seed: number | undefined): void {
    this.lost = undefined;
    this.beginReset('reset', undefined, seed);
  }

  /** The caller gave up on the answer (unsubscribed): the episode's state is unknown from here. */
  abort(): void {
    if (!this.busy) return;
    this.busy = false;
    this.stepSink = undefined;
    this.resetSink = undefined;
    this.queued = undefined;
    this.queuedAction = undefined;
    this.resumeReset = false;
    const pending = this.pending;
    this.pending = undefined;
    // Over /ws the late reply is read and dropped, so the session stays in sync and usable.
    pending?.unsubscribe();
    this.ended = true;
  }

  /** Gives the lease back (the vector closed). */
  close(): void {
    this.abort();
    const lease = this.lease;
    this.lease = undefined;
    this.session = undefined;
    this.request = undefined;
    lease?.unsubscribe();
  }

  // --- requests --------------------------------------------------------------------------------

  /** Sends a step (data: the action) or reset (data: its options) on the leased session's request. */
  private send(kind: 'step' | 'reset', data: A | ResetOptions): void {
    const answer = new Answer(this, kind);
    // Pending before it is sent: a synchronous answer (and the request after it) replaces it.
    this.pending = answer;
    answer.sent(this.request!(kind, data, answer));
  }

  /** The request in flight answered: nothing to abandon any more. */
  answered(): void {
    this.pending = undefined;
  }

  onStep(result: StepResult<O>): void {
    this.stepIndex++;
    const reward = result.reward ?? 0;
    const terminated = result.done;
    const max = this.host.maxEpisodeSteps;
    const truncated = !terminated && (result.truncated || (max !== undefined && this.stepIndex >= max));
    this.observation = result.observation;
    if (terminated || truncated) {
      this.ended = true;
      if (this.host.mode === 'same-step') {
        const info: EnvInfo = { episodeId: this.episodeId, step: this.stepIndex };
        this.final = { observation: result.observation, reward, terminated, truncated, info, error: undefined };
        return this.beginReset('same-step', this.final);
      }
    }
    this.finish(result.observation, reward, terminated, truncated, undefined);
  }

  onStepError(error: unknown): void {
    this.failEpisode(episodeFailure(error, this.context()));
  }

  /** The episode ended by a failure: reported as a truncation with `error`, never replayed. */
  private failEpisode(failure: EpisodeFailedError): void {
    this.lost = undefined;
    if (sessionSpoiled(failure.cause)) this.dropSession();
    this.host.counters.failures++;
    if (failure.stepUnknown) this.host.counters.unknownSteps++;
    this.ended = true;
    const last = this.observation as O;
    if (this.host.mode === 'same-step') {
      const info: EnvInfo = { episodeId: this.episodeId, step: this.stepIndex };
      this.final = { observation: last, reward: 0, terminated: false, truncated: true, info, error: failure };
      return this.beginReset('same-step', this.final);
    }
    this.finish(last, 0, false, true, { error: failure });
  }

  private beginReset(after: 'reset' | 'autoreset' | 'same-step', final: Final<O> | undefined, seed?: number): void {
    this.after = after;
    this.final = final;
    this.resetSeed = seed;
    this.resetAttempts = 0;
    this.sendReset();
  }

  private sendReset(): void {
    const session = this.session;
    if (!session) {
      this.resumeReset = true;
      return this.acquire();
    }
    this.nextEpisodeId = randomUUID();
    const options = this.resetSeed === undefined ? { episodeId: this.nextEpisodeId } : { seed: this.resetSeed, episodeId: this.nextEpisodeId };
    this.send('reset', options);
  }

  onReset(result: StepResult<O>): void {
    this.episodeId = this.nextEpisodeId;
    this.lost = undefined;
    this.stepIndex = 0;
    this.observation = result.observation;
    this.ended = false;
    this.started = true;
    const final = this.final;
    this.final = undefined;
    if (this.after === 'reset') return this.finishReset(result.observation, undefined);
    if (this.after === 'autoreset' || !final) return this.finish(result.observation, 0, false, false, AUTORESET);
    const extra: RowExtra<O> = { final_obs: final.observation, final_info: final.info };
    if (final.error) extra.error = final.error;
    this.finish(result.observation, final.reward, final.terminated, final.truncated, extra);
  }

  onResetError(error: unknown): void {
    this.resetFailed(error);
  }

  /** A reset failed: retried on a fresh lease while the session is what broke, else reported. */
  private resetFailed(error: unknown): void {
    const spoiled = sessionSpoiled(error);
    if (spoiled) this.dropSession();
    if (spoiled && this.resetAttempts < this.host.resetRetries) {
      this.resetAttempts++;
      return this.sendReset();
    }
    const failure = new EpisodeFailedError(outcomeUnknown(error), error, { ...this.context(), request: 'reset', stepIndex: 0 });
    const final = this.final;
    this.final = undefined;
    this.ended = true;
    if (this.after === 'reset') return this.finishReset(undefined, failure);
    this.host.counters.failures++;
    // The episode that ended (or failed) stays the answer; the next step tries the reset again.
    if (this.after === 'same-step' && final) {
      return this.finish(final.observation, final.reward, final.terminated, final.truncated, { error: final.error ?? failure });
    }
    this.finish(this.observation as O, 0, false, true, { error: failure });
  }

  // --- the lease -------------------------------------------------------------------------------

  private onLeased(session: VectorSession<A, O>): void {
    this.session = session;
    this.request = sessionRequestOf<A, O>(session);
    this.host.sessionChanged(this);
    if (this.resumeReset) {
      this.resumeReset = false;
      return this.sendReset();
    }
    this.host.sessionArrived(this);
  }

  private onLeaseError(error: unknown): void {
    const had = this.session !== undefined;
    this.session = undefined;
    this.request = undefined;
    this.lease = undefined;
    if (this.resumeReset) {
      // No session to retry on: the pool itself closed or gave up.
      this.resumeReset = false;
      this.resetAttempts = this.host.resetRetries;
      return this.resetFailed(error);
    }
    // The episode in flight is lost with it. A request in flight usually reports that itself
    // first (its socket died with the session); if it still answers, the next step reports it.
    if (had && this.started && !this.ended) this.lost = error;
    if (!had) this.host.leaseFailed(this, error);
  }

  /** Never use this session again: the pool closes it and starts a replacement. */
  private dropSession(): void {
    const session = this.session;
    const lease = this.lease;
    this.session = undefined;
    this.request = undefined;
    this.lease = undefined;
    // discard before returning the lease, so that the pool never parks it as idle.
    if (session) this.host.pool.discard(session);
    lease?.unsubscribe();
  }

  // --- answers ---------------------------------------------------------------------------------

  private finish(observation: O, reward: number, terminated: boolean, truncated: boolean, extra: RowExtra<O> | undefined): void {
    const sink = this.stepSink!;
    this.busy = false;
    this.stepSink = undefined;
    this.host.counters.steps++;
    this.host.released(this);
    sink.row(this as SubEnv<unknown, O>, observation, reward, terminated, truncated, extra);
  }

  private finishReset(observation: O | undefined, failure: EpisodeFailedError | undefined): void {
    const sink = this.resetSink!;
    this.busy = false;
    this.resetSink = undefined;
    this.host.released(this);
    sink.resetRow(this as SubEnv<unknown, O>, observation, failure);
  }

  private context(): ErrorContext {
    return { envIndex: this.index, episodeId: this.episodeId || null, stepIndex: this.stepIndex + 1, request: 'step' };
  }
}

/** ONE request of a sub-env (a `Call`: its first answer counts, nothing after it was abandoned). */
class Answer<A, O> extends Call<StepResult<O>> {
  constructor(
    private readonly env: SubEnv<A, O>,
    private readonly kind: 'step' | 'reset',
  ) {
    super();
  }

  protected answered(result: StepResult<O>): void {
    this.env.answered();
    if (this.kind === 'step') this.env.onStep(result);
    else this.env.onReset(result);
  }

  protected failed(error: unknown): void {
    this.env.answered();
    if (this.kind === 'step') this.env.onStepError(error);
    else this.env.onResetError(error);
  }

  protected override empty(): void {
    // Only an empty answer is an error here (built lazily: an Error per step would cost more than the step).
    this.error(new ProtocolError(`The ${this.kind} completed without a result`, undefined));
  }
}
