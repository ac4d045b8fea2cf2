import { Observable, type OperatorFunction } from 'rxjs';
import type { EpisodeStep } from '../session/types.js';
import type { EpisodeStats } from './episode-stats.js';
import { EpisodeStatsFold } from './episode-stats-fold.js';

/** A step as `withEpisodeStats()` passes it on: the step that ends an episode carries its `episode` statistics. */
export type StepWithEpisodeStats<A, O> = EpisodeStep<A, O> & {
  /** Set on the step that ends its episode (`done`, `truncated` or failed `error`): what `episodeStats()` reports for it. */
  episode?: EpisodeStats;
};

/**
 * Gymnasium's `RecordEpisodeStatistics` as an operator: every step passes through, and the step
 * that ends an episode (`done`, `truncated`, or a failure `error`) gets an `episode` field with
 * the episode's statistics: `return` (Gymnasium's `r`), `length` (`l`) and `durationMs` (`t`, in
 * ms), plus ids, seed and flags. It is the same fold as `episodeStats()` (which emits only the
 * statistics), so both agree; unlike it, an episode still open when the source completes has no
 * step to carry its statistics and is not reported. Only ending steps are copied; the others
 * pass unchanged. For Gymnasium's `return_queue`, keep the last N with
 * `filter((s) => s.episode !== undefined)` and `bufferCount(N, 1)`, and `summarize` them.
 *
 * @example
 * GridWorld.connect(url)
 *   .pipe(withSession((env) => env.episodesFlat(policy, { count: 10, seed: 0, maxSteps: 50 }).pipe(withEpisodeStats())))
 *   .subscribe((step) => step.episode && console.log(`episode ${step.episode.episodeIndex}: r=${step.episode.return} l=${step.episode.length}`));
 */
export function withEpisodeStats<A, O>(): OperatorFunction<EpisodeStep<A, O>, StepWithEpisodeStats<A, O>> {
  return (source) =>
    new Observable<StepWithEpisodeStats<A, O>>((subscriber) => {
      let ending: EpisodeStats | undefined;
      const fold = new EpisodeStatsFold<A, O>((stats, endingStep) => {
        if (endingStep) ending = stats;
      });
      return source.subscribe({
        next: (step) => {
          ending = undefined;
          fold.add(step);
          subscriber.next(ending ? { ...step, episode: ending } : step);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
