import { Observable, type OperatorFunction } from 'rxjs';
import type { EpisodeFailedError } from '../errors/fleet-errors.js';
import type { EpisodeStep } from '../session/types.js';

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

interface Running {
  stats: EpisodeStats;
  startedAt: number;
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
 * @example <caption>doctest: compile-only (env is an open session)</caption>
 * env.episodes(policy, { count: 20, seed: 0 }).pipe(concatAll(), episodeStats(), toArray())
 *   .subscribe((all) => console.table(all.map(({ episodeIndex, return: r, length }) => ({ episodeIndex, r, length }))));
 */
export function episodeStats<A, O>(): OperatorFunction<EpisodeStep<A, O>, EpisodeStats> {
  return (source) =>
    new Observable<EpisodeStats>((subscriber) => {
      const open = new Map<string, Running>();
      const emit = (key: string, running: Running) => {
        open.delete(key);
        subscriber.next(running.stats);
      };
      return source.subscribe({
        next: (step) => {
          const sessionIndex = (step as { sessionIndex?: unknown }).sessionIndex;
          const key = `${typeof sessionIndex === 'number' ? sessionIndex : ''}/${step.episodeId}`;
          let running = open.get(key);
          if (running && step.kind === 'reset') emit(key, running); // the same id reset again: the old one was cut
          if (!running || step.kind === 'reset') {
            running = {
              startedAt: step.timestamp - step.latencyMs,
              stats: {
                episodeId: step.episodeId,
                episodeIndex: step.episodeIndex,
                ...(step.seed !== undefined && { seed: step.seed }),
                ...(typeof sessionIndex === 'number' && { sessionIndex }),
                return: 0,
                length: 0,
                durationMs: 0,
                truncated: false,
                done: false,
              },
            };
            open.set(key, running);
          }
          const { stats } = running;
          stats.durationMs = step.timestamp - running.startedAt;
          if (step.error) {
            // The step that failed was never answered: the episode ends here, neither done nor cut.
            stats.error = step.error;
            emit(key, running);
            return;
          }
          if (step.kind === 'step') {
            stats.length += 1;
            if (step.reward !== null) stats.return += step.reward;
          }
          stats.done = step.done;
          stats.truncated = step.truncated;
          if (step.done || step.truncated) emit(key, running);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          for (const [key, running] of [...open]) emit(key, running);
          subscriber.complete();
        },
      });
    });
}
