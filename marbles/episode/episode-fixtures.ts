import type { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { EpisodeStep, ResetOptions, StepResult } from '../../src/session/types.js';

/** Shared by the episode and operator marble specs: a tiny env whose observation is a number. */
export interface Obs {
  x: number;
}
export interface Act {
  move: number;
}

export const newScheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

export const result = (x: number, extra: Partial<StepResult<Obs>> = {}): StepResult<Obs> => ({
  observation: { x },
  reward: null,
  done: false,
  truncated: false,
  ...extra,
});

export interface ExpectedStep {
  /** Frame of the answer (= timestamp under TestScheduler.run). */
  at: number;
  /** Frame the request was sent. */
  sentAt: number;
  action?: Act;
  reward?: number | null;
  done?: boolean;
  truncated?: boolean;
  episodeId?: string;
  episodeIndex?: number;
  seed?: number;
}

/** The `EpisodeStep` runEpisode must emit; index 0 is the reset. */
export function step(index: number, x: number, e: ExpectedStep): EpisodeStep<Act, Obs> {
  return {
    observation: { x },
    reward: e.reward ?? null,
    done: e.done ?? false,
    truncated: e.truncated ?? false,
    kind: index === 0 ? 'reset' : 'step',
    index,
    ...(e.action && { action: e.action }),
    episodeId: e.episodeId ?? 'e1',
    episodeIndex: e.episodeIndex ?? 0,
    ...(e.seed !== undefined && { seed: e.seed }),
    latencyMs: e.at - e.sentAt,
    timestamp: e.at,
  };
}

/** The action of the episode statistics specs' episode e1. */
export const statsAction: Act = { move: 1 };

/**
 * Episode e1 of the episode statistics specs (`episodeStats`, `withEpisodeStats`): reset (reward 5,
 * excluded) at 10 sent at 8, steps with rewards -1, null, 2; done at 20.
 */
export const statsEpisode = {
  r: step(0, 0, { at: 10, sentAt: 8, seed: 3, reward: 5 }),
  a: step(1, 1, { at: 12, sentAt: 10, seed: 3, action: statsAction, reward: -1 }),
  b: step(2, 2, { at: 15, sentAt: 12, seed: 3, action: statsAction, reward: null }),
  c: step(3, 3, { at: 20, sentAt: 15, seed: 3, action: statsAction, reward: 2, done: true }),
};

/** The statistics of `statsEpisode`. */
export const statsEpisodeStats = { episodeId: 'e1', episodeIndex: 0, seed: 3, return: 1, length: 3, durationMs: 12, truncated: false, done: true };

/** A session answering the reset with `reset$` and the i-th step with `steps[i]`, recording the calls. */
export function scriptedSession(reset$: Observable<StepResult<Obs>>, steps: Observable<StepResult<Obs>>[]) {
  const resets: ResetOptions[] = [];
  const actions: Act[] = [];
  return {
    resets,
    actions,
    reset: (options: ResetOptions = {}) => {
      resets.push(options);
      return reset$;
    },
    step: (action: Act) => {
      const answer = steps[actions.length];
      actions.push(action);
      if (!answer) throw new Error(`unexpected step #${actions.length}`);
      return answer;
    },
  };
}
