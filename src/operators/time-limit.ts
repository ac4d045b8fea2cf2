import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { assertInteger } from '../internal/assert-option.js';
import type { EpisodeStep } from '../session/types.js';

/**
 * Gymnasium's `TimeLimit` as an operator on ONE episode's steps (what `env.episode()` emits): the
 * `maxSteps`-th step (the reset is not a step) is passed on with `truncated: true` and the stream
 * completes there, which unsubscribes the episode so no further step is sent. `done` (Gymnasium's
 * `terminated`) is left as the env said: a step that is `done` at the limit stays `done` and is
 * not marked `truncated`, as `maxSteps` does (in Gymnasium both flags would be set; either way the
 * episode ends, and `gae` does not bootstrap a `done` step). An episode that ends sooner passes
 * unchanged. Inside `env.episodes()` an episode cut by unsubscribing ends the series (see
 * `EnvSession.episodes`): there, pass `maxSteps`, or run `env.episode()` per episode as below.
 * Throws `InvalidOptionError` unless `maxSteps` is an integer >= 1.
 *
 * @example
 * // Three episodes, each cut at 50 steps:
 * GridWorld.connect(url)
 *   .pipe(withSession((env) => range(0, 3).pipe(concatMap((i) => env.episode(policy, { seed: i }).pipe(timeLimit(50))), episodeStats())))
 *   .subscribe((s) => console.log(s.length, s.done, s.truncated));
 */
export function timeLimit<A, O>(maxSteps: number): MonoTypeOperatorFunction<EpisodeStep<A, O>> {
  assertInteger('maxSteps', maxSteps, 1, false);
  return (source) =>
    new Observable<EpisodeStep<A, O>>((subscriber) => {
      let elapsed = 0;
      return source.subscribe({
        next: (step) => {
          if (step.kind === 'reset') elapsed = 0;
          else elapsed += 1;
          if (step.kind !== 'step' || elapsed < maxSteps) {
            subscriber.next(step);
            return;
          }
          subscriber.next(step.done || step.truncated ? step : { ...step, truncated: true });
          subscriber.complete();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
