import { asapScheduler, catchError, concat, defer, EMPTY, from, ignoreElements, mergeMap, NEVER, Observable, of, switchMap, takeUntil, tap, throwError, timer, type Subscription } from 'rxjs';
import type { ErrorCode } from '../errors/error-codes.js';
import { isEpisodeLocalAgentFailure } from '../errors/agent-errors.js';
import { EpisodeFailedError } from '../errors/fleet-errors.js';
import { assertFunction } from '../internal/assert-option.js';
import { hasCode, messageOf } from '../internal/error-context.js';
import { loadHistogramBuilder, type HistogramBuilder } from '../internal/lazy-hdr-histogram.js';
import { packageVersion } from '../internal/package-version.js';
import { withSession } from '../operators/with-session.js';
import { runEpisode, type EpisodeSession } from '../session/episode.js';
import type { Policy, ResetOptions, StepResult } from '../session/types.js';
import { assertCollectOptions, type CollectOptions } from './collect-options.js';
import { collectEpisodeId, EpisodeRecordBuilder, type EpisodeRecord, type StepTiming } from './collect-record.js';
import { CollectStore, type FailureRecord } from './collect-store.js';
import { transcriberOf } from './episode-transcript.js';
import { PhaseTimings, type CollectPhase, type PhaseLatency } from './collect-timings.js';
import { envPool, type EnvPool, type PoolStats } from './env-pool.js';
import { assertPoolSource, type PoolSource } from './pool-source.js';
import { outcomeUnknown, sessionSpoiled } from '../internal/step-failure.js';

/** What `collect` needs of a session: the agent loop's `reset`/`step`, and its `url` when it has one. */
export type CollectSession<A, O> = EpisodeSession<A, O> & { readonly url?: string };

/** Counters after each episode, for progress lines. */
export interface CollectProgress {
  /** Episodes this run will attempt (planned minus those already recorded). */
  toRun: number;
  recorded: number;
  failed: number;
  steps: number;
  /** Mean return of the episodes recorded by this run (NaN before the first). */
  meanReturn: number;
  elapsedMs: number;
  pool: PoolStats | undefined;
}

/** What `collect()` emits when the run ends: where, how many episodes, how it ended, and timings. */
export interface CollectSummary {
  out: string;
  /** This run's number in the directory (1, then 2 after a resume, ...). */
  run: number;
  status: 'completed' | 'interrupted' | 'failed';
  planned: number;
  /** Planned episodes already in the results when the run started (skipped). */
  alreadyRecorded: number;
  recorded: number;
  failed: number;
  /** Planned episodes neither recorded nor failed by this run (interrupted or failed runs); `resume` runs them. */
  notRun: number;
  steps: number;
  elapsedMs: number;
  episodesPerSecond: number;
  meanReturn: number;
  /** Failed episodes by the code of their cause (`ERR_TIMEOUT`, `ERR_CONNECTION_CLOSED`, ...; `other` for an error without one). */
  failures: Record<string, number>;
  /** p50/p95/p99 per phase (see `COLLECT_PHASES`), ms. */
  latency: Partial<Record<CollectPhase, PhaseLatency>>;
  pool: PoolStats | undefined;
  /** Torn last lines cut off before appending (`{file, bytes}`). */
  repaired: Array<{ file: string; bytes: number }>;
  /** Results files in `out`. */
  files: string[];
  /**
   * The run recorded nothing and failed nothing in a directory that held nothing (it failed or was
   * stopped before its first episode ended): what it created in `out` was removed, so a plain
   * rerun starts afresh.
   */
  removed: boolean;
}

/** What a running collection reports, in order: `started`, one `recorded` or `failed` per episode, `summary`. */
export type CollectEvent =
  | { type: 'started'; out: string; run: number; planned: number; alreadyRecorded: number; toRun: number; repaired: Array<{ file: string; bytes: number }> }
  | { type: 'recorded'; episodeId: string; index: number; file: string; return: number; steps: number; progress: CollectProgress }
  | { type: 'failed'; episodeId: string; index: number; error: EpisodeFailedError; progress: CollectProgress }
  | { type: 'summary'; summary: CollectSummary };

const FATAL: readonly ErrorCode[] = [
  'ERR_POLICY',
  'ERR_ACTION_INVALID',
  'ERR_ACTION_REJECTED',
  'ERR_INVALID_OPTION',
  'ERR_STATELESS_HTTP',
  'ERR_POOL_START',
  'ERR_POOL_CLOSED',
  'ERR_POOL_QUEUE_FULL',
  'ERR_COLLECT_OUTPUT',
];

/**
 * The default `isFatal` of `collect`: errors no other episode would escape (the policy threw, the
 * action does not fit the schema — also a server's `VALIDATION_ERROR` — episodes over stateless
 * HTTP, the pool gave up starting sessions, the output cannot be written). Everything else (a
 * socket dropped, a server died, a reply timed out, an env crashed) fails one episode.
 *
 * @example
 * // Also stop at the first reply timeout:
 * collect(source, policy, { out: 'runs/a', episodes: 10, sessions: 2, isFatal: (e) => isCollectFatal(e) || (e as { code?: string }).code === 'ERR_TIMEOUT' });
 */
export function isCollectFatal(error: unknown): boolean {
  // A model that gave no valid tool call, or a timed-out or retriable model request, fails one episode.
  if (hasCode(error, 'ERR_POLICY') && isEpisodeLocalAgentFailure((error as Error).cause)) return false;
  return FATAL.some((code) => hasCode(error, code)) || (error as { serverCode?: unknown } | null)?.serverCode === 'VALIDATION_ERROR';
}

/**
 * Runs `episodes` episodes over a pool of `sessions` sessions of `source` and writes them to the
 * directory `out`, one OpenEnv `EpisodeRecord` per line (see `EpisodeRecord`), as `openenv collect`
 * does, plus `failures.jsonl` and `metadata.json`. The subscription is the run.
 *
 * - Ids: episode i gets the id `s<seed>-e<i>` and the reset seed `seed + i`, whichever session
 *   runs it. With `resume`, ids already in the results are skipped: a killed run continues where
 *   it stopped, without duplicates (a torn last line is cut off first, and reported).
 * - Datasets: `metadata.json`'s `dataset` records seed, `maxSteps`, `shardSize`, `resetOptions`
 *   and the `dataset` option; a `resume` that differs fails with `CollectMismatchError` before
 *   writing anything (`forceResume` mixes them, except seed and shard size). Resuming reads the
 *   results line by line and keeps a bitset of indices: memory is flat in the number of records.
 * - Faults: an episode whose session drops, whose server dies or whose reply times out is written
 *   to `failures.jsonl` (with `step_unknown`; a step is never replayed) and the run goes on; the
 *   pool replaces the session. Every planned episode ends up recorded, failed, or (interrupted
 *   runs) not run, and the summary counts each. `isFatal` errors stop the run instead.
 * - Writes are synchronous, one line per write: what was reported is on disk.
 * - Unsubscribing (or `stop$`) closes every session and server and marks the run `interrupted`.
 * - A pool that gives up ends the run with its own error (`PoolStartError`); the episodes its
 *   teardown cut off are not run, not failed. A first run that records and fails nothing removes
 *   what it created in `out` (`summary.removed`).
 *
 * @example
 * collect(perServer(inProcessEndpoint(echoEnv, { maxSessions: 8 }), Echo.fromEndpoint), (obs) => ({ message: 'hi' }), {
 *   out: 'runs/echo', episodes: 100, sessions: 8, maxSteps: 20, resume: true,
 * }).subscribe((event) => event.type === 'summary' && console.log(event.summary));
 */
export function collect<A, O, S extends CollectSession<A, O>>(source: PoolSource<S>, policy: Policy<A, O>, options: CollectOptions): Observable<CollectEvent> {
  return defer(() => {
    assertPoolSource(source);
    assertFunction('policy', policy);
    assertCollectOptions(options);
    return from(loadHistogramBuilder()).pipe(
      switchMap((build) => new Observable<CollectEvent>((subscriber) => new CollectRun(source, policy, options, build, subscriber).start())),
    );
  });
}

/** One collection: the plan, the store, the pool and the counters. */
class CollectRun<A, O, S extends CollectSession<A, O>> {
  private readonly seed: number;
  private readonly timings: PhaseTimings;
  private readonly isFatal: (error: unknown) => boolean;
  private readonly startedAt = performance.now();
  private store!: CollectStore;
  private pool: EnvPool<S> | undefined;
  private pending: number[] = [];
  private recorded = 0;
  private failed = 0;
  private steps = 0;
  private returns = 0;
  private readonly failures: Record<string, number> = {};
  private interrupted = false;
  private finished = false;
  /** The pool errored: the episodes its teardown cut off are not run, and its error ends the run. */
  private poolFailed = false;

  /** Stop requested, the pool gone, or the end written: nothing more is recorded. */
  private get stopping(): boolean {
    return this.interrupted || this.finished || this.poolFailed;
  }

  constructor(
    private readonly source: PoolSource<S>,
    private readonly policy: Policy<A, O>,
    private readonly options: CollectOptions,
    build: HistogramBuilder,
    private readonly subscriber: { next(event: CollectEvent): void; error(error: unknown): void; complete(): void },
  ) {
    this.timings = new PhaseTimings(build);
    this.seed = options.seed ?? 0;
    this.isFatal = options.isFatal ?? isCollectFatal;
  }

  /** Opens the store, plans, runs; returns the teardown. */
  start(): () => void {
    const { options } = this;
    this.store = CollectStore.open({
      dir: options.out,
      resume: options.resume ?? false,
      forceResume: options.forceResume ?? false,
      dataset: {
        seed: this.seed,
        max_steps: options.maxSteps ?? null,
        shard_size: options.shardSize ?? null,
        reset_options: options.resetOptions ?? null,
        ...options.dataset,
      },
      shardSize: options.shardSize,
      seed: this.seed,
      idPrefix: options.episodeIdPrefix,
      config: { ...options.config, episodes: options.episodes, sessions: options.sessions, max_steps: options.maxSteps ?? null, reward: options.reward ?? 'sum' },
      versions: { openenv_rx: packageVersion(), node: process.version, platform: `${process.platform} ${process.arch}` },
    });
    for (let i = 0; i < options.episodes; i++) if (!this.store.isRecorded(i)) this.pending.push(i);
    const alreadyRecorded = options.episodes - this.pending.length;
    this.store.plan(options.episodes, alreadyRecorded);
    this.subscriber.next({
      type: 'started',
      out: options.out,
      run: this.store.runNumber,
      planned: options.episodes,
      alreadyRecorded,
      toRun: this.pending.length,
      repaired: this.store.repaired,
    });

    const stop$ = (options.stop$ ?? NEVER).pipe(tap(() => (this.interrupted = true)));
    const subscription: Subscription = this.work().pipe(takeUntil(stop$)).subscribe({
      next: (event) => this.subscriber.next(event),
      error: (error: unknown) => {
        this.finish(this.interrupted ? 'interrupted' : 'failed', messageOf(error));
        this.subscriber.error(error);
      },
      complete: () => {
        const writeError = this.finish(this.interrupted ? 'interrupted' : 'completed');
        if (writeError) this.subscriber.error(writeError);
        else this.subscriber.complete();
      },
    });
    return () => {
      this.interrupted = true;
      subscription.unsubscribe();
      this.finish('interrupted');
    };
  }

  private work(): Observable<CollectEvent> {
    if (this.pending.length === 0) return EMPTY;
    const { sessions, pool: poolOptions } = this.options;
    const confirm = (session: S) => this.timings.timeFirst(session.reset(), 'first_reset');
    return envPool(this.timings.timeSource(this.source), { ...poolOptions, size: Math.min(sessions, this.pending.length), confirm }).pipe(
      tap({ error: () => (this.poolFailed = true) }),
      withSession((pool) => {
        this.pool = pool;
        return from(this.pending).pipe(mergeMap((index) => this.runOne(pool, index), sessions));
      }),
    );
  }

  /** One episode on a leased session: exactly one `recorded` or `failed` event, or a fatal error. */
  private runOne(pool: EnvPool<S>, index: number): Observable<CollectEvent> {
    return defer(() => {
      const episodeId = collectEpisodeId(this.seed, index, this.options.episodeIdPrefix);
      const builder = new EpisodeRecordBuilder<A, O>(episodeId, index, this.seed + index, this.seed, this.options.reward, transcriberOf(this.policy));
      const probe = new RequestProbe<A, O>(this.timings);
      const episode$ = pool.session().pipe(
        withSession((session) => {
          builder.server = typeof session.url === 'string' ? session.url : undefined;
          const { maxSteps, resetOptions } = this.options;
          return runEpisode(probe.wrap(session), this.policy, {
            seed: this.seed + index,
            episodeId,
            episodeIndex: index,
            ...(maxSteps !== undefined && { maxSteps }),
            ...(resetOptions && { resetOptions }),
          }).pipe(
            tap((step) => builder.add(step, probe.timing)),
            // A session that may be out of sync is never leased again.
            catchError((error: unknown) => {
              if (sessionSpoiled(error)) pool.discard(session);
              return throwError(() => error);
            }),
            ignoreElements(),
          );
        }),
      );
      // While the run stops, closing sessions fail the episodes still running: those are not run, not failed.
      return concat(
        episode$,
        defer(() => (this.stopping ? EMPTY : of(this.record(index, builder.build())))),
      ).pipe(
        catchError((error: unknown) => {
          if (this.stopping) return EMPTY;
          // A pool that gives up closes its sessions (failing the episodes on them) and errors its
          // leases before it errors itself. Decide a tick later: by then a failed pool has ended
          // the run with its own error, and these episodes count as not run, not as failed.
          return timer(0, asapScheduler).pipe(
            mergeMap(() => {
              if (this.stopping) return EMPTY;
              if (this.isFatal(error)) return throwError(() => error);
              return of(this.fail(index, builder, probe, error));
            }),
          );
        }),
      );
    });
  }

  private record(index: number, record: EpisodeRecord): CollectEvent {
    const file = this.store.appendRecord(index, record);
    this.store.countSteps(record.metrics.steps);
    this.timings.add('episode', record.metrics.duration_ms);
    this.recorded++;
    this.steps += record.metrics.steps;
    this.returns += record.reward;
    return { type: 'recorded', episodeId: record.episode_id, index, file, return: record.reward, steps: record.metrics.steps, progress: this.progress() };
  }

  private fail(index: number, builder: EpisodeRecordBuilder<A, O>, probe: RequestProbe<A, O>, cause: unknown): CollectEvent {
    const stepUnknown = probe.lostInFlight && outcomeUnknown(cause);
    const error = new EpisodeFailedError(stepUnknown, cause, { episodeId: builder.episodeId, episodeIndex: index, stepIndex: builder.length + (probe.lostInFlight ? 1 : 0) });
    builder.discard();
    // An agent's failure is counted by its own code (ERR_AGENT_REPLY, ...), not the policy wrapper's.
    const counted = hasCode(cause, 'ERR_POLICY') && isEpisodeLocalAgentFailure((cause as Error).cause) ? (cause as Error).cause : cause;
    const code = (counted as { code?: unknown } | null)?.code;
    const key = typeof code === 'string' ? code : 'other'; // an error that is not an OpenEnvError (a bug, a thrown string)
    this.failures[key] = (this.failures[key] ?? 0) + 1;
    const failure: FailureRecord = {
      episode_id: builder.episodeId,
      episode_index: index,
      seed: builder.seed,
      run: this.store.runNumber,
      at: new Date().toISOString(),
      steps: builder.length,
      step_unknown: stepUnknown,
      server: builder.server,
      error: { code: typeof code === 'string' ? code : undefined, message: messageOf(cause) },
    };
    const inner = (cause as { cause?: unknown } | null)?.cause;
    if (inner instanceof Error) {
      const innerCode = (inner as { code?: unknown }).code;
      failure.error.cause_message = inner.message;
      if (typeof innerCode === 'string') failure.error.cause_code = innerCode;
    }
    this.store.appendFailure(failure);
    this.store.countSteps(builder.length);
    this.failed++;
    this.steps += builder.length;
    return { type: 'failed', episodeId: builder.episodeId, index, error, progress: this.progress() };
  }

  private progress(): CollectProgress {
    return {
      toRun: this.pending.length,
      recorded: this.recorded,
      failed: this.failed,
      steps: this.steps,
      meanReturn: this.recorded ? this.returns / this.recorded : Number.NaN,
      elapsedMs: performance.now() - this.startedAt,
      pool: this.pool?.stats(),
    };
  }

  /**
   * Writes the end into `metadata.json` once, and emits the summary (also before a fatal error).
   * Returns the error of that last write, if any (the caller decides how to report it).
   */
  private finish(status: CollectSummary['status'], error?: string): unknown {
    if (this.finished) return undefined;
    this.finished = true;
    const summary = this.summary(status);
    let writeError: unknown;
    let removed = false;
    try {
      removed = this.store.finish(status, {
        ...(error !== undefined && { error }),
        elapsed_ms: Math.round(summary.elapsedMs),
        episodes_per_second: summary.episodesPerSecond,
        mean_return: Number.isNaN(summary.meanReturn) ? null : summary.meanReturn,
        failures_by_code: summary.failures,
        latency_ms: summary.latency,
      });
    } catch (caught) {
      writeError = caught;
    }
    summary.files = removed ? [] : this.store.files();
    summary.removed = removed;
    this.subscriber.next({ type: 'summary', summary });
    return writeError;
  }

  private summary(status: CollectSummary['status']): CollectSummary {
    const elapsedMs = performance.now() - this.startedAt;
    const planned = this.options.episodes;
    const alreadyRecorded = planned - this.pending.length;
    return {
      out: this.options.out,
      run: this.store.runNumber,
      status,
      planned,
      alreadyRecorded,
      recorded: this.recorded,
      failed: this.failed,
      notRun: Math.max(0, this.pending.length - this.recorded - this.failed),
      steps: this.steps,
      elapsedMs,
      episodesPerSecond: elapsedMs > 0 ? Math.round(((this.recorded + this.failed) * 1e6) / elapsedMs) / 1000 : 0,
      meanReturn: this.recorded ? this.returns / this.recorded : Number.NaN,
      failures: { ...this.failures },
      latency: this.timings.summary(),
      pool: this.pool?.stats(),
      repaired: this.store.repaired,
      files: [],
      removed: false,
    };
  }
}

/**
 * Wraps a session's `reset`/`step` to time each request (and the policy between them) and to
 * know whether a request was on the wire when the episode failed.
 */
class RequestProbe<A, O> {
  /** Timing of the last answered request, read by the step's consumer right after. */
  readonly timing: StepTiming = { latencyMs: 0, policyMs: 0 };
  /** A request was sent and did not answer (it errored, or the episode died while it was in flight). */
  requestFailed = false;
  private inFlight = false;
  private answeredAt = 0;

  /** A request was on the wire when the episode failed (an error may arrive through the lease before the request is torn down). */
  get lostInFlight(): boolean {
    return this.requestFailed || this.inFlight;
  }

  constructor(private readonly timings: PhaseTimings) {}

  wrap(session: CollectSession<A, O>): EpisodeSession<A, O> {
    const check = session.checkEpisodes;
    return {
      reset: (options?: ResetOptions) => this.time(() => session.reset(options), 'reset'),
      step: (action: A) => this.time(() => session.step(action), 'step'),
      ...(check && { checkEpisodes: () => check.call(session) }),
    };
  }

  private time(send: () => Observable<StepResult<O>>, phase: 'reset' | 'step'): Observable<StepResult<O>> {
    return new Observable<StepResult<O>>((subscriber) => {
      const now = this.timings.now;
      const sentAt = now();
      this.timing.policyMs = phase === 'step' ? sentAt - this.answeredAt : 0;
      if (phase === 'step') this.timings.add('policy', this.timing.policyMs);
      this.inFlight = true;
      const subscription = send().subscribe({
        next: (result) => {
          this.inFlight = false;
          this.answeredAt = now();
          this.timing.latencyMs = this.answeredAt - sentAt;
          this.timings.add(phase, this.timing.latencyMs);
          subscriber.next(result);
        },
        error: (error: unknown) => {
          this.inFlight = false;
          this.requestFailed = true;
          subscriber.error(error);
        },
        complete: () => subscriber.complete(),
      });
      return () => {
        // Torn down while on the wire (the session died first): that request's outcome is unknown.
        if (this.inFlight) this.requestFailed = true;
        this.inFlight = false;
        subscription.unsubscribe();
      };
    });
  }
}
