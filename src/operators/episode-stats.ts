import { Observable, type OperatorFunction } from 'rxjs';
import type { EpisodeFailedError } from '../errors/fleet-errors.js';
import type { EpisodeStep } from '../session/types.js';
import { EpisodeStatsFold } from './episode-stats-fold.js';

/** One finished (or cut) episode, as `episodeStats()` reports it. */
export interface EpisodeStats {
  episodeId: string;
  episodeIndex: number;
  /** Absent for an unseeded episode. */
  seed?: number;
  /** Present when the steps carry it (`rollouts`). */
  sessionIndex?: number;
  /** Sum of the non-null rewards of the steps; the reset's reward is excluded (nothing was done yet). */
  return: number;
  /** Number of steps answered (the reset is not a step; nor is the step a failed episode lost). */
  length: number;
  /** From the reset being sent (`timestamp - latencyMs` of the first result) to the last result. */
  durationMs: number;
  truncated: boolean;
  done: boolean;
  /**
   * Set when the episode FAILED (its last step carried `error`: `rollouts` replacing a failed
   * session): then `done` and `truncated` are false, and `return`/`length` cover the steps
   * answered before the failure.
   */
  error?: EpisodeFailedError;
}

/**
 * Folds a stream of `EpisodeStep`s into one `EpisodeStats` per episode, emitted when the episode
 * ends (`done` or `truncated`). Works on a flattened stream of many episodes, also interleaved
 * ones from `rollouts`: steps are grouped by `sessionIndex` + `episodeId`, and a `reset` starts a
 * new group. Episodes still open when the source completes (cut by a `take`) are emitted then,
 * with `done` and `truncated` both false, so nothing is silently dropped; filter on
 * `s.done || s.truncated` to keep whole episodes only. A failed episode (a step with `error`)
 * is emitted with that `error`; `summarize` counts it apart.
 *
 * @example <caption>doctest: with env (an open session)</caption>
 * env.episodes(policy, { count: 20, seed: 0 }).pipe(concatAll(), episodeStats(), toArray())
 *   .subscribe((all) => console.table(all.map(({ episodeIndex, return: r, length }) => ({ episodeIndex, r, length }))));
 */
export function episodeStats<A, O>(): OperatorFunction<EpisodeStep<A, O>, EpisodeStats> {
  return (source) =>
    new Observable<EpisodeStats>((subscriber) => {
      const fold = new EpisodeStatsFold<A, O>((stats) => subscriber.next(stats));
      return source.subscribe({
        next: (step) => fold.add(step),
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          fold.flush();
          subscriber.complete();
        },
      });
    });
}
