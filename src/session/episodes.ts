import { Observable, finalize, tap } from 'rxjs';
import { assertFunction, assertInteger } from '../internal/assert-option.js';
import { Trampoline } from '../internal/trampoline.js';
import { runEpisode, type Clock, type EpisodeSession } from './episode.js';
import type { EpisodeStep, EpisodesOptions, Policy } from './types.js';

/** `EpisodesOptions` plus the clock handed to every `runEpisode`. */
export interface RunEpisodesOptions extends EpisodesOptions {
  clock?: Clock;
}

/**
 * Episodes one after another on the same session, as a higher-order Observable: each emitted
 * value is one episode's stream (a `runEpisode`), with `episodeIndex` 0, 1, 2, ... and seed
 * `seed + episodeIndex` (unseeded when `seed` is absent).
 *
 * How subscribing to the inner streams drives the series (emitted lazily, like `concatMap`):
 * - Episode i+1 is emitted only when episode i's stream COMPLETED, so its reset can never overlap
 *   a pending step of episode i, whatever flattening you use (`concatAll`, `mergeAll`, or
 *   subscribing by hand). Subscribe to each inner stream once; an inner never subscribed stalls
 *   the series (nothing is sent).
 * - An episode that errors or is unsubscribed before it ended ends the series: the outer stream
 *   completes (the error was already delivered to the inner's subscriber, not reported twice).
 *   Cut episodes short with `maxSteps`, not `take`.
 * - The outer completes once `count` episodes completed (immediately for `count: 0`); without
 *   `count` it is unbounded: take what you need.
 *
 * @example <caption>doctest: with session (an open session)</caption>
 * runEpisodes(session, policy, { count: 3, seed: 10 })   // resets with seeds 10, 11, 12
 *   .pipe(concatAll())
 *   .subscribe((s) => console.log(s.episodeIndex, s.index, s.reward));
 */
export function runEpisodes<A, O>(
  session: EpisodeSession<A, O>,
  policy: Policy<A, O>,
  options: RunEpisodesOptions = {},
): Observable<Observable<EpisodeStep<A, O>>> {
  return new Observable<Observable<EpisodeStep<A, O>>>((subscriber) => {
    // A stray `episodeId` (not in the type) would be shared by every episode: each gets its own.
    const { count, seed, episodeId: _shared, ...episodeOptions } = options as RunEpisodesOptions & { episodeId?: string };
    try {
      assertFunction('policy', policy);
      assertInteger('count', count, 0);
      assertInteger('seed', seed, 0);
    } catch (error) {
      subscriber.error(error);
      return;
    }
    let nextIndex = 0;

    const emitOne = () => {
      if (count !== undefined && nextIndex >= count) {
        subscriber.complete();
        return;
      }
      const episodeIndex = nextIndex++;
      let ended = false;
      const end = (completed: boolean) => {
        if (ended) return;
        ended = true;
        if (completed) pump.run();
        else subscriber.complete();
      };
      subscriber.next(
        runEpisode(session, policy, {
          ...episodeOptions,
          ...(seed !== undefined && { seed: seed + episodeIndex }),
          episodeIndex,
        }).pipe(
          tap({ complete: () => end(true), error: () => end(false) }),
          // Runs after `complete`/`error` (then a no-op) or on an early unsubscribe.
          finalize(() => end(false)),
        ),
      );
    };

    // An episode completing synchronously inside `subscriber.next` asks for the next one while we
    // are still emitting: the trampoline loops instead of recursing, keeping the stack flat.
    const pump = new Trampoline(emitOne, () => !subscriber.closed);
    pump.run();
  });
}
