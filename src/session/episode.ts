import { randomUUID } from 'node:crypto';
import { asyncScheduler, Observable } from 'rxjs';
import { assertFunction, assertInteger } from '../internal/assert-option.js';
import { EpisodeLoop, type Clock, type EpisodeSession } from './episode-loop.js';
import type { EpisodeOptions, EpisodeStep, Policy } from './types.js';

export type { Clock, EpisodeSession } from './episode-loop.js';

/** `EpisodeOptions` plus what `episodes()` and tests set. */
export interface RunEpisodeOptions extends EpisodeOptions {
  /** Written on every step; `episodes()` sets it. Default 0. */
  episodeIndex?: number;
  /**
   * Default `asyncScheduler`: `Date.now()` normally, virtual time inside `TestScheduler.run`,
   * so marble tests see deterministic `timestamp`/`latencyMs` without passing anything.
   */
  clock?: Clock;
}

/**
 * The agent loop: reset, then `policy → step` until the env answers `done`, or until `maxSteps`
 * steps were taken (that last result then carries `truncated: true`; an env `done` at the same
 * step wins and leaves `truncated` false). Emits the reset result first (`kind: 'reset'`, index 0),
 * then one `EpisodeStep` per step, and completes right after the last one.
 *
 * - Cold: nothing is sent until subscribed; each subscription runs a new episode.
 * - Sequential: the policy is called after a result arrived, the step is sent after the policy
 *   answered; steps never overlap.
 * - The policy may return `A`, `Promise<A>` or `Observable<A>` (first value taken). A throw, a
 *   rejection, an erroring or empty Observable becomes a `PolicyError` (`cause` kept, context
 *   `stepIndex`/`episodeId`/`episodeIndex`).
 * - Unsubscribing cancels the pending policy call (its Observable is unsubscribed, a Promise's
 *   late answer is ignored) and the pending request.
 * - Without `episodeId` a uuid is generated and sent with the reset, so every trajectory is traceable.
 * - Errors from the session get `episodeId`, `episodeIndex` and `stepIndex` added to their context.
 * - A session with `checkEpisodes` (every `EnvSession`) is asked first: over stateless HTTP the
 *   episode errors with `StatelessHttpError` before any reset is sent.
 *
 * @example <caption>doctest: with session (an open grid_world session)</caption>
 * runEpisode(session, (obs) => ({ action: obs.x < 4 ? 'RIGHT' : 'DOWN' }), { seed: 7, maxSteps: 50 })
 *   .subscribe((s) => console.log(s.index, s.reward, s.done));
 */
export function runEpisode<A, O>(
  session: EpisodeSession<A, O>,
  policy: Policy<A, O>,
  options: RunEpisodeOptions = {},
): Observable<EpisodeStep<A, O>> {
  return new Observable<EpisodeStep<A, O>>((subscriber) => {
    const { seed, maxSteps, resetOptions, episodeIndex = 0, clock = asyncScheduler } = options;
    assertFunction('policy', policy);
    assertInteger('seed', seed, 0);
    assertInteger('maxSteps', maxSteps, 0);
    assertInteger('episodeIndex', episodeIndex, 0);
    const episodeId = options.episodeId ?? randomUUID();
    // One hand-written loop instead of expand/concatMap/defer chains: every step of every
    // episode and rollout runs through it, and each operator layer per step showed in profiles.
    const loop = new EpisodeLoop(session, policy, { episodeId, episodeIndex, seed, maxSteps, resetOptions, clock }, subscriber);
    loop.start();
    return () => loop.stop();
  });
}
