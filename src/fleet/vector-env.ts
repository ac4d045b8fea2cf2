import { defer, Observable, of, Subject, switchMap, tap } from 'rxjs';
import { InvalidOptionError, SessionStateError } from '../errors/usage-errors.js';
import { assertInteger } from '../internal/assert-option.js';
import { messageOf } from '../internal/error-context.js';
import { envPool, type EnvPool } from './env-pool.js';
import { assertPoolSource, type PoolSource } from './pool-source.js';
import { groupByServer } from './server-order.js';
import { SubEnv, type ResetSink, type StepSink, type SubEnvHost } from './sub-env.js';
import { ResetBatch, ResultStream, StepBatch } from './vector-batch.js';
import type {
  AutoresetMode,
  EnvResult,
  VectorEnv,
  VectorEnvOptions,
  VectorReset,
  VectorResetOptions,
  VectorSession,
  VectorStats,
  VectorStep,
} from './vector-types.js';

const MODES: readonly AutoresetMode[] = ['next-step', 'same-step', 'disabled'];

const isPool = <S>(source: unknown): source is EnvPool<S> =>
  typeof (source as EnvPool<S> | null)?.session === 'function' && typeof (source as EnvPool<S>).stats === 'function';

/**
 * N sub-envs over N leased sessions, with Gymnasium 1.x's vector semantics: `reset({ seed })`
 * and `step(actions)` give arrays in sub-env order; `autoreset` is `next-step` (default),
 * `same-step` or `disabled` (then `reset({ mask })`). The as-completed mode (EnvPool's async
 * `recv`) is `send(index, action)` with answers on `results$`, so a slow sub-env never stalls the
 * others. One request in flight per sub-env, always; `maxConcurrency` caps them all together.
 *
 * `source` is a pool (its leases are returned on unsubscribe) or anything `envPool` takes (a pool
 * of `num` sessions is made and closed with the vector). Emits once every sub-env holds a session.
 *
 * Faults: a sub-env whose socket drops, whose server dies or whose reply times out ends its
 * episode with `truncations[i] = true` and `infos.error[i]` (an `EpisodeFailedError`,
 * `stepUnknown` when the request's outcome is unknown; it is never replayed); its session is
 * dropped, the pool replaces it, and its next reset runs on the replacement. The other sub-envs
 * carry on. `step`/`reset` error only for misuse (wrong length, a busy sub-env, no reset yet).
 *
 * @example
 * vectorEnv(Echo.connect(url), { num: 8 })
 *   .pipe(
 *     withSession((venv) => // the sessions are given back after the 100 steps
 *       venv.reset({ seed: 0 }).pipe(
 *         concatMap(() => range(0, 100)),
 *         concatMap(() => venv.step(Array.from({ length: 8 }, () => ({ message: 'hi' })))),
 *       ),
 *     ),
 *   )
 *   .subscribe(({ rewards, terminations }) => console.log(rewards, terminations));
 */
export function vectorEnv<A, O>(
  source: PoolSource<VectorSession<A, O>> | EnvPool<VectorSession<A, O>>,
  options: VectorEnvOptions<VectorSession<A, O>>,
): Observable<VectorEnv<A, O>> {
  return defer(() => {
    const { num, autoreset = 'next-step', maxConcurrency, maxEpisodeSteps, resetRetries = 3, pool: poolOptions } = options ?? ({} as never);
    assertInteger('num', num, 1, false);
    assertInteger('maxConcurrency', maxConcurrency, 1);
    assertInteger('maxEpisodeSteps', maxEpisodeSteps, 1);
    assertInteger('resetRetries', resetRetries, 0);
    if (!MODES.includes(autoreset)) throw new InvalidOptionError('autoreset', autoreset, `one of ${MODES.join(', ')}`);
    let pool$: Observable<EnvPool<VectorSession<A, O>>>;
    if (isPool<VectorSession<A, O>>(source)) pool$ = of(source);
    else {
      assertPoolSource(source);
      // A pool that came up short has learned that its servers hold fewer sessions than `num`:
      // the missing leases would wait forever (the vector never returns the ones it holds).
      const short = (pool: EnvPool<VectorSession<A, O>>): boolean => pool.stats().size < num;
      pool$ = envPool(source, { min: num, max: num, ...poolOptions }).pipe(
        tap((pool) => {
          if (short(pool)) {
            const { size, servers } = pool.stats();
            // Short after `unplaceableTimeoutMs`: some servers failed rather than refused.
            const failed = servers.filter((s) => s.lastError !== undefined).map((s) => `${s.label}: ${messageOf(s.lastError)}`);
            const why = failed.length > 0 ? `; servers that failed: ${failed.join('; ')}` : '';
            throw new InvalidOptionError('num', num, `at most ${size}: the servers of this source accept only ${size} session(s) (learned from CAPACITY_REACHED${why})`);
          }
        }),
      );
    }
    return pool$.pipe(
      switchMap(
        (pool) =>
          new Observable<VectorEnv<A, O>>((subscriber) => {
            const vector = new Vector<A, O>(pool, num, autoreset, maxConcurrency ?? Infinity, maxEpisodeSteps, resetRetries, {
              ready: () => subscriber.next(vector),
              failed: (error) => subscriber.error(error),
            });
            vector.start();
            return () => vector.close();
          }),
      ),
    );
  });
}

class Vector<A, O> implements VectorEnv<A, O>, SubEnvHost<A, O> {
  readonly counters = { steps: 0, failures: 0, unknownSteps: 0 };
  private readonly envs: SubEnv<A, O>[];
  private readonly results = new Subject<EnvResult<O>>();
  readonly results$ = this.results.asObservable();
  private readonly stream = new ResultStream<O>(this.results);
  /** Sub-envs admitted by `maxConcurrency` and waiting for a slot. */
  private readonly gate: SubEnv<A, O>[] = [];
  private inflight = 0;
  private arrived = 0;
  private emitted = false;
  private closed = false;
  private everReset = false;
  /** The sub-envs in the order a batch launches them (`groupByServer`); recomputed after a lease. */
  private order: SubEnv<A, O>[] | undefined;

  constructor(
    readonly pool: EnvPool<VectorSession<A, O>>,
    readonly num: number,
    readonly mode: AutoresetMode,
    private readonly maxConcurrency: number,
    readonly maxEpisodeSteps: number | undefined,
    readonly resetRetries: number,
    private readonly callbacks: { ready(): void; failed(error: unknown): void },
  ) {
    this.envs = Array.from({ length: num }, (_, i) => new SubEnv<A, O>(i, this));
  }

  get autoreset(): AutoresetMode {
    return this.mode;
  }

  start(): void {
    for (const env of this.envs) if (!this.closed) env.acquire();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.gate.length = 0;
    const waiting = new Set(this.envs.flatMap((env) => (env.sink ? [env.sink] : [])));
    for (const env of this.envs) env.close();
    // A step or reset subscribed outside the vector's own subscription must not wait forever.
    for (const sink of waiting) sink.abandon(new SessionStateError('The vector env was closed before every sub-env answered'));
    this.results.complete();
  }

  reset(options: VectorResetOptions = {}): Observable<VectorReset<O>> {
    return new Observable<VectorReset<O>>((subscriber) => {
      let chosen: SubEnv<A, O>[];
      let seeds: Array<number | undefined>;
      try {
        this.usable();
        ({ chosen, seeds } = this.resetPlan(options));
      } catch (error) {
        subscriber.error(error);
        return undefined;
      }
      this.everReset = true;
      const batch = new ResetBatch<O>(this.num, chosen.length, this.envs.map((e) => e.observation as O), subscriber);
      for (const env of chosen) this.runReset(env, batch, seeds[env.index]);
      return () => {
        if (!batch.done) for (const env of chosen) if (env.sink === batch) this.abort(env);
      };
    });
  }

  step(actions: readonly A[]): Observable<VectorStep<O>> {
    return new Observable<VectorStep<O>>((subscriber) => {
      try {
        this.usable();
        if (!Array.isArray(actions) || actions.length !== this.num) {
          throw new InvalidOptionError('actions', actions, `an array of ${this.num} actions (one per sub-env)`);
        }
        if (this.envs.some((e) => e.busy)) {
          const busy = this.envs.filter((e) => e.busy).map((e) => e.index);
          throw new SessionStateError(`Sub-env(s) ${busy.join(', ')} still have a request in flight`);
        }
        this.stepAllowed(this.envs);
      } catch (error) {
        subscriber.error(error);
        return undefined;
      }
      const batch = new StepBatch<O>(this.num, subscriber);
      const envs = this.launchOrder();
      for (let i = 0; i < envs.length; i++) {
        const env = envs[i]!;
        this.runStep(env, batch, actions[env.index]!);
      }
      return () => {
        if (!batch.done) for (const env of envs) if (env.sink === batch) this.abort(env);
      };
    });
  }

  send(index: number, action: A): void {
    this.usable();
    assertInteger('index', index, 0, false);
    const env = this.envs[index];
    if (!env) throw new InvalidOptionError('index', index, `a sub-env index below ${this.num}`);
    if (env.busy) throw new SessionStateError(`Sub-env ${index} still has a request in flight: send again after its answer`);
    this.stepAllowed([env]);
    this.runStep(env, this.stream, action);
  }

  stats(): VectorStats {
    return { ...this.counters, pool: this.pool.stats() };
  }

  // --- SubEnvHost ------------------------------------------------------------------------------

  released(): void {
    this.inflight--;
    while (this.inflight < this.maxConcurrency && this.gate.length > 0) this.launch(this.gate.shift()!);
  }

  sessionChanged(): void {
    this.order = undefined;
  }

  sessionArrived(): void {
    if (this.emitted || this.closed) return;
    if (++this.arrived === this.num) {
      this.emitted = true;
      this.callbacks.ready();
    }
  }

  leaseFailed(_env: SubEnv<A, O>, error: unknown): void {
    if (!this.emitted && !this.closed) this.callbacks.failed(error);
  }

  // --- internals -------------------------------------------------------------------------------

  private launchOrder(): SubEnv<A, O>[] {
    return (this.order ??= groupByServer(this.envs));
  }

  private usable(): void {
    if (this.closed) throw new SessionStateError('The vector env is closed');
  }

  private stepAllowed(envs: readonly SubEnv<A, O>[]): void {
    if (!this.everReset) throw new SessionStateError('Call reset() before step(): Gymnasium vector envs start with a reset');
    if (this.mode !== 'disabled') return;
    // Gymnasium asserts this in disabled mode: an ended sub-env must be reset through the mask.
    const ended = envs.filter((e) => e.ended).map((e) => e.index);
    if (ended.length > 0) {
      throw new SessionStateError(`Sub-env(s) ${ended.join(', ')} ended their episode: with autoreset 'disabled', reset them with reset({ mask })`);
    }
  }

  private resetPlan(options: VectorResetOptions): { chosen: SubEnv<A, O>[]; seeds: Array<number | undefined> } {
    const { seed, mask } = options;
    let seeds: Array<number | undefined>;
    if (seed === undefined) seeds = new Array<undefined>(this.num).fill(undefined);
    else if (typeof seed === 'number') {
      assertInteger('seed', seed, 0, false);
      seeds = this.envs.map((e) => seed + e.index);
    } else {
      if (!Array.isArray(seed) || seed.length !== this.num) throw new InvalidOptionError('seed', seed, `a number or an array of ${this.num} seeds`);
      seed.forEach((s, i) => assertInteger(`seed[${i}]`, s, 0));
      seeds = [...seed];
    }
    let chosen = this.launchOrder();
    if (mask !== undefined) {
      if (!Array.isArray(mask) || mask.length !== this.num || mask.some((m) => typeof m !== 'boolean')) {
        throw new InvalidOptionError('mask', mask, `an array of ${this.num} booleans`);
      }
      if (!mask.includes(true)) throw new InvalidOptionError('mask', mask, 'at least one true (Gymnasium asserts the same)');
      chosen = chosen.filter((e) => mask[e.index]);
    }
    const busy = chosen.filter((e) => e.busy).map((e) => e.index);
    if (busy.length > 0) throw new SessionStateError(`Sub-env(s) ${busy.sort((a, b) => a - b).join(', ')} still have a request in flight`);
    return { chosen, seeds };
  }

  /** Queues a step of `env` answering into `sink`. */
  private runStep(env: SubEnv<A, O>, sink: StepSink<O>, action: A): void {
    env.stepSink = sink;
    this.run(env, 'step', action, undefined);
  }

  /** Queues a user reset of `env` answering into `sink`. */
  private runReset(env: SubEnv<A, O>, sink: ResetSink<O>, seed: number | undefined): void {
    env.resetSink = sink;
    this.run(env, 'reset', undefined, seed);
  }

  /** Marks `env` busy now (one request per sub-env, from the call on) and launches it when a slot is free. */
  private run(env: SubEnv<A, O>, kind: 'step' | 'reset', action: A | undefined, seed: number | undefined): void {
    env.busy = true;
    env.queued = kind;
    env.queuedAction = action;
    env.queuedSeed = seed;
    if (this.inflight < this.maxConcurrency) this.launch(env);
    else this.gate.push(env);
  }

  private launch(env: SubEnv<A, O>): void {
    const kind = env.queued;
    const action = env.queuedAction;
    env.queued = undefined;
    env.queuedAction = undefined;
    if (!kind || !env.busy) return;
    this.inflight++;
    if (kind === 'step') env.launchStep(action as A);
    else env.launchReset(env.queuedSeed);
  }

  private abort(env: SubEnv<A, O>): void {
    const queuedAt = this.gate.indexOf(env);
    if (queuedAt >= 0) this.gate.splice(queuedAt, 1);
    else if (env.busy) this.inflight--;
    env.abort();
    while (this.inflight < this.maxConcurrency && this.gate.length > 0) this.launch(this.gate.shift()!);
  }
}
