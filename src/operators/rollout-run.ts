import { randomUUID } from 'node:crypto';
import { asyncScheduler, Subscription, type Observable, type Observer, type SchedulerLike, type Subscriber } from 'rxjs';
import { EpisodeFailedError } from '../errors/fleet-errors.js';
import { isPermanentStartFailure } from '../errors/permanent-failure.js';
import { SessionStateError } from '../errors/usage-errors.js';
import { hasCode, withContext } from '../internal/error-context.js';
import { isSessionFault, outcomeUnknown } from '../internal/step-failure.js';
import { Trampoline } from '../internal/trampoline.js';
import { EpisodeLoop, type Clock, type EpisodeSession } from '../session/episode-loop.js';
import { episodeStep } from '../session/episode-step.js';
import type { EpisodeStep, Policy } from '../session/types.js';
import { backoffDelay, type BackoffOptions } from './backoff-delay.js';
import type { RolloutSessionEvent, RolloutStep, RolloutsOptions } from './rollouts.js';

/** `RolloutsOptions` as the run uses them: validated, defaults filled in. */
export interface RolloutRunOptions extends RolloutsOptions {
  scheduler: SchedulerLike;
  /** Undefined: a fault errors the run. */
  replace: { maxRetries: number; backoff: BackoffOptions } | undefined;
}

/** Global episode indices handed out on demand; an index given back is handed out first. */
class EpisodeQueue {
  private next = 0;
  private readonly returned: number[] = [];
  constructor(private readonly total: number) {}
  claim(): number | undefined {
    return this.returned.shift() ?? (this.next < this.total ? this.next++ : undefined);
  }
  giveBack(index: number): void {
    this.returned.unshift(index);
  }
  hasWork(): boolean {
    return this.returned.length > 0 || this.next < this.total;
  }
}

/**
 * The coordinator behind `rollouts`: one `Slot` per parallel session, a shared queue of episode
 * indices, and the output subscriber every step goes to directly. Its lifetime is the output's
 * subscription: `stop()` (teardown) releases every session.
 */
export class RolloutRun<A, O> {
  readonly queue: EpisodeQueue;
  /** Sessions whose reset was answered and that are not released yet. */
  running = 0;
  readonly clock: Clock;
  private readonly slots: Slot<A, O>[] = [];
  private active = 0;
  private stopped = false;

  constructor(
    readonly session$: Observable<EpisodeSession<A, O>>,
    readonly policy: Policy<A, O>,
    readonly options: RolloutRunOptions,
    readonly subscriber: Subscriber<RolloutStep<A, O>>,
  ) {
    this.queue = new EpisodeQueue(options.episodes);
    this.clock = options.clock ?? asyncScheduler;
  }

  start(): void {
    const count = Math.min(this.options.sessions, this.options.episodes);
    for (let i = 0; i < count; i++) this.slots.push(new Slot(this, i));
    this.active = count;
    for (const slot of this.slots) if (!this.stopped) slot.connect();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const slot of this.slots) slot.stop();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** A slot has nothing left to do (its session is released). */
  slotDone(): void {
    if (--this.active === 0 && !this.stopped) this.subscriber.complete();
  }

  fail(error: unknown): void {
    if (!this.stopped) this.subscriber.error(error);
  }

  event(event: RolloutSessionEvent): void {
    this.options.onSessionEvent?.(event);
  }
}

/**
 * One of the parallel sessions: subscribes `session$`, runs claimed episodes on it one after
 * another (an `EpisodeLoop` each, reporting to this slot), and on a failure decides: give the
 * episode back or report it failed, then retry (capacity), replace (fault) or fail the run.
 */
class Slot<A, O> implements Observer<EpisodeStep<A, O>> {
  private lease: Subscription | undefined;
  private session: EpisodeSession<A, O> | undefined;
  private loop: EpisodeLoop<A, O> | undefined;
  private claimed: number | undefined;
  /** From the first answered reset until released: what `running` counts. */
  private live = false;
  private refusals = 0;
  private waitedMs = 0;
  /** Faults in a row (reset once a session answers a reset), and the ms waited on them. */
  private strikes = 0;
  private faultWaitedMs = 0;
  private wait: Subscription | undefined;
  private done = false;
  /** Claims and starts the next episode; an episode ending synchronously loops instead of recursing. */
  private readonly nextEpisode = new Trampoline(
    () => this.startEpisode(),
    () => !this.done,
  );

  constructor(
    private readonly run: RolloutRun<A, O>,
    private readonly index: number,
  ) {}

  /** Subscribes `session$` (again). Only the latest lease's callbacks count. */
  connect(): void {
    const lease = new Subscription();
    this.lease = lease;
    let emitted = false;
    lease.add(
      this.run.session$.subscribe({
        next: (session) => {
          if (this.lease !== lease || emitted) return;
          emitted = true;
          this.session = session;
          this.nextEpisode.run();
        },
        error: (error: unknown) => {
          if (this.lease === lease) this.failed(error);
        },
        complete: () => {
          if (this.lease === lease && !emitted) this.failed(new SessionStateError('The session Observable completed without emitting a session'));
        },
      }),
    );
  }

  /** The run ends (teardown): release everything, no further decisions. */
  stop(): void {
    this.done = true;
    this.wait?.unsubscribe();
    this.wait = undefined;
    this.loop?.stop();
    this.loop = undefined;
    this.release();
  }

  // --- the episode in progress reports here ----------------------------------------------------

  next(step: EpisodeStep<A, O>): void {
    if (!this.live) {
      this.live = true;
      this.strikes = 0;
      this.run.running++;
      this.run.event({ type: 'started', sessionIndex: this.index, running: this.run.running });
    }
    this.run.subscriber.next(step as RolloutStep<A, O>);
  }

  complete(): void {
    this.loop = undefined;
    this.claimed = undefined;
    this.nextEpisode.run();
  }

  error(error: unknown): void {
    this.failed(error);
  }

  // --- internals -------------------------------------------------------------------------------

  private startEpisode(): void {
    const session = this.session;
    if (!session) return;
    const { run } = this;
    const episodeIndex = run.queue.claim();
    if (episodeIndex === undefined) return this.finish();
    const { seed, maxSteps, resetOptions } = run.options;
    this.claimed = episodeIndex;
    const plan = {
      episodeId: randomUUID(),
      episodeIndex,
      seed: seed === undefined ? undefined : seed + episodeIndex,
      maxSteps,
      resetOptions,
      clock: run.clock,
      sessionIndex: this.index,
    };
    const loop = new EpisodeLoop(session, run.policy, plan, this);
    this.loop = loop;
    loop.start();
  }

  /** The session or its episode failed (the loop has stopped or is stopped here). */
  private failed(raw: unknown): void {
    if (this.done) return;
    const { run } = this;
    const error = withContext(raw, { sessionIndex: this.index, sessions: run.options.sessions });
    const loop = this.loop;
    const claimed = this.claimed;
    this.loop = undefined;
    this.claimed = undefined;
    loop?.stop();
    const fault = run.options.replace !== undefined && isSessionFault(raw);
    if (claimed !== undefined) {
      // A reset never answered: nothing of that episode happened; it runs on another session.
      if (loop?.last === undefined) run.queue.giveBack(claimed);
      else if (fault) this.reportFailed(loop, error);
      if (this.done) return; // the consumer unsubscribed on that step
    }
    this.release();
    if (hasCode(raw, 'ERR_CAPACITY')) {
      if (run.options.retryOnCapacity) return this.refused(error);
      // A replacement refused: the server may still hold the lost session's slot.
      if (run.options.replace && this.strikes > 0) return this.replace(error);
      return run.fail(error);
    }
    // A start that can never succeed (no such image, a crash at start, a 404) is not replaced.
    if (!fault || isPermanentStartFailure(raw)) return run.fail(error);
    this.replace(error);
  }

  /** Emits the failure step of the episode `loop` was running. */
  private reportFailed(loop: EpisodeLoop<A, O>, error: unknown): void {
    const last = loop.last!;
    const { run } = this;
    const inFlight = loop.waiting === 'step';
    const index = last.index + 1;
    const context = { ...loop.where(index, inFlight ? 'step' : loop.waiting === 'policy' ? 'policy' : undefined), sessionIndex: this.index };
    const failure = new EpisodeFailedError(inFlight && outcomeUnknown(error), error, context);
    const timestamp = run.clock.now();
    const latencyMs = inFlight ? timestamp - loop.sentAt : 0;
    const step = episodeStep<A, O>(loop.plan, index, last.observation, null, false, true, inFlight, loop.action, latencyMs, timestamp) as RolloutStep<A, O>;
    step.error = failure;
    run.subscriber.next(step);
  }

  /** A capacity refusal with `retryOnCapacity`: wait (bounded), then subscribe again. */
  private refused(error: unknown): void {
    const { run } = this;
    const { maxRetries, delayMs, backoff, maxWaitMs = Infinity } = run.options.retryOnCapacity!;
    const attempt = ++this.refusals;
    const wanted = backoff ? backoffDelay(attempt, { ...backoff, initialMs: delayMs }) : delayMs;
    const wait = Math.min(wanted, maxWaitMs - this.waitedMs);
    if (attempt > maxRetries || (wait <= 0 && wanted > 0)) {
      const gaveUp = withContext(error, { capacityRefusals: attempt, waitedMs: this.waitedMs });
      return this.giveUp(gaveUp, attempt, this.waitedMs, 'capacity');
    }
    this.waitedMs += wait;
    run.event({ type: 'refused', sessionIndex: this.index, running: run.running, attempt, delayMs: wait, error });
    this.reconnectAfter(wait);
  }

  /** A fault: subscribe `session$` again after a backoff, unless too many came in a row. */
  private replace(error: unknown): void {
    const { run } = this;
    const { maxRetries, backoff } = run.options.replace!;
    const attempt = ++this.strikes;
    // Nothing left to run: the others (or nobody) finish; no replacement needed.
    if (!run.queue.hasWork()) return this.finish();
    if (attempt > maxRetries) {
      const gaveUp = withContext(error, { replacements: attempt - 1, waitedMs: this.faultWaitedMs });
      return this.giveUp(gaveUp, attempt, this.faultWaitedMs, 'fault');
    }
    const wait = backoffDelay(attempt, backoff);
    this.faultWaitedMs += wait;
    run.event({ type: 'lost', sessionIndex: this.index, running: run.running, attempt, delayMs: wait, error });
    this.reconnectAfter(wait);
  }

  private giveUp(error: unknown, attempts: number, waitedMs: number, reason: 'capacity' | 'fault'): void {
    const { run } = this;
    run.event({ type: 'gave-up', sessionIndex: this.index, running: run.running, attempts, waitedMs, error, reason });
    // Others hold sessions and will finish the episodes: end this slot quietly.
    if (run.running > 0) this.finish();
    else run.fail(error);
  }

  /** Subscribes `session$` again after `ms`, if an episode is still left then. */
  private reconnectAfter(ms: number): void {
    this.wait = this.run.options.scheduler.schedule(() => {
      this.wait = undefined;
      if (this.done) return;
      if (this.run.queue.hasWork()) this.connect();
      else this.finish();
    }, ms);
  }

  /** Unsubscribes the session (closing its connection, stopping its container). */
  private release(): void {
    const lease = this.lease;
    this.lease = undefined;
    this.session = undefined;
    lease?.unsubscribe();
    if (this.live) {
      this.live = false;
      this.run.running--;
      this.run.event({ type: 'ended', sessionIndex: this.index, running: this.run.running });
    }
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.release();
    this.run.slotDone();
  }
}
