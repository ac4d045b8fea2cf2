import { catchError, concat, defer, EMPTY, map, merge, switchMap, take, takeUntil, tap, timer, type Observable } from 'rxjs';
import type { RunHelpers } from 'rxjs/testing';
import { EpisodeFailedError } from '../../src/errors/fleet-errors.js';
import { ConnectionClosedError } from '../../src/errors/connection-errors.js';
import { vectorEnv } from '../../src/fleet/vector-env.js';
import type { AutoresetMode, VectorEnv, VectorEnvOptions, VectorSession } from '../../src/fleet/vector-types.js';
import type { FakeSessionSpec } from '../../src/testing/fake-session.js';
import { newScheduler, type Act, type Obs } from '../episode/episode-fixtures.js';
import { capacity, sessionSource, type Fake } from './fleet-fixtures.js';

type Spec = Partial<FakeSessionSpec<Act, Obs, unknown>>;
const o = (x: number): Obs => ({ x });
const M: Act = { move: 1 };
const both: Act[] = [M, M];

/**
 * Two sub-envs over fake sessions that are there at once (`s` at frame 0; `confirm: false` so the
 * pool sends no reset of its own). Every answer takes one frame unless a spec says otherwise.
 * Sub-env 0: resets answer r (x 0), then q (x 10), then p (x 20); steps answer a (x 1, reward 1),
 * then b (x 2, reward 2, done), then c (x 3, reward 3).
 * Sub-env 1: resets answer r; steps answer a, c, d (x 4, reward 4): it never ends.
 */
function twoEnvs(cold: RunHelpers['cold'], options: Partial<VectorEnvOptions<VectorSession<Act, Obs>>> = {}, specs: Spec[] = [], conns = ['s', 's']) {
  const source = sessionSource(cold, conns, [
    { reset: (_, i) => ['-r|', '-q|', '-p|'][i]!, steps: ['-a|', '-b|', '-c|'], ...specs[0] },
    { steps: ['-a|', '-c|', '-d|'], ...specs[1] },
    ...specs.slice(2),
  ]);
  const vector$ = vectorEnv<Act, Obs>(source.session$, { num: 2, ...options, pool: { confirm: false, ...options.pool } });
  return { ...source, vector$ };
}

const run = (vector$: Observable<VectorEnv<Act, Obs>>, script: (v: VectorEnv<Act, Obs>) => Observable<unknown>[]) =>
  vector$.pipe(switchMap((v) => concat(...script(v))));

const mode = (autoreset: AutoresetMode) => ({ autoreset });

describe('vectorEnv autoreset, against Gymnasium 1.x documented transitions', () => {
  it('next-step (the default): the ending step returns the final observation; the next step resets that sub-env, ignores its action, reward 0, flags false', () => {
    // Gymnasium 1.x, gymnasium.vector.AutoresetMode.NEXT_STEP ("Next-step autoreset", the default
    // since 1.0): "the sub-environment is reset on the step after it terminated or truncated";
    // SyncVectorEnv.step then calls env.reset() instead of env.step(action) and returns the reset
    // observation with reward 0.0 and terminated = truncated = False. The terminal step itself
    // returns the final observation in `observations` (no final_obs key in infos).
    const fakes: Fake[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const env = twoEnvs(cold);
      fakes.push(...env.fakes);
      const script = (v: VectorEnv<Act, Obs>) => [v.reset({ seed: 7 }), v.step(both), v.step(both), v.step(both)];
      expectObservable(run(env.vector$, script), '^------!').toBe('-abcd', {
        a: { observations: [o(0), o(0)], infos: {} },
        b: { observations: [o(1), o(1)], rewards: [1, 1], terminations: [false, false], truncations: [false, false], infos: {} },
        c: { observations: [o(2), o(3)], rewards: [2, 3], terminations: [true, false], truncations: [false, false], infos: {} },
        d: { observations: [o(10), o(4)], rewards: [0, 4], terminations: [false, false], truncations: [false, false], infos: {} },
      });
    });
    // reset({ seed }) seeds sub-env i with seed + i; the autoreset is unseeded (Gymnasium's too).
    expect(fakes[0]!.resets.map((r) => r.seed)).toEqual([7, undefined]);
    expect(fakes[1]!.resets.map((r) => r.seed)).toEqual([8]);
    expect(fakes[0]!.actions).toHaveLength(2); // the third action was ignored
    expect(fakes[1]!.actions).toHaveLength(3);
  });

  it('same-step: the ending step resets at once and returns the reset observation with that step\'s reward and flags; final_obs/final_info in infos', () => {
    // Gymnasium 1.x, AutoresetMode.SAME_STEP: "the sub-environment is reset in the same step it
    // terminated or truncated"; SyncVectorEnv.step adds {"final_obs": obs, "final_info": info}
    // for that sub-env to infos (with the `_final_obs`/`_final_info` masks), then returns the
    // reset observation. Reward and terminated/truncated are the ending step's.
    const fakes: Fake[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const env = twoEnvs(cold, mode('same-step'));
      fakes.push(...env.fakes);
      const script = (v: VectorEnv<Act, Obs>) => [v.reset(), v.step(both), v.step(both), v.step(both)];
      // The ending step of sub-env 0 answers at 3, its reset at 4: the batch waits for both.
      expectObservable(run(env.vector$, script), '^------!').toBe('-ab-cd', {
        a: { observations: [o(0), o(0)], infos: {} },
        b: { observations: [o(1), o(1)], rewards: [1, 1], terminations: [false, false], truncations: [false, false], infos: {} },
        c: {
          observations: [o(10), o(3)],
          rewards: [2, 3],
          terminations: [true, false],
          truncations: [false, false],
          infos: {
            final_obs: [o(2), undefined],
            _final_obs: [true, false],
            final_info: [{ episodeId: expect.any(String), step: 2 }, undefined],
            _final_info: [true, false],
          },
        },
        d: { observations: [o(3), o(4)], rewards: [3, 4], terminations: [false, false], truncations: [false, false], infos: {} },
      });
    });
    expect(fakes[0]!.actions).toHaveLength(3); // no action is ignored in same-step mode
  });

  it('disabled: nothing resets by itself; stepping an ended sub-env errors; reset({ mask }) resets only the masked ones', () => {
    // Gymnasium 1.x, AutoresetMode.DISABLED: "no autoreset"; SyncVectorEnv.step asserts that no
    // sub-env awaits a reset, and the user resets ended ones with
    // envs.reset(options={"reset_mask": terminations | truncations}); sub-envs outside the mask
    // keep their observation.
    const errors: unknown[] = [];
    const fakes: Fake[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const env = twoEnvs(cold, mode('disabled'));
      fakes.push(...env.fakes);
      const refused = (v: VectorEnv<Act, Obs>) =>
        v.step(both).pipe(
          catchError((error: unknown) => {
            errors.push(error);
            return EMPTY;
          }),
        );
      const script = (v: VectorEnv<Act, Obs>) => [v.reset(), v.step(both), v.step(both), refused(v), v.reset({ mask: [true, false] }), v.step(both)];
      expectObservable(run(env.vector$, script), '^------!').toBe('-abcde', {
        a: { observations: [o(0), o(0)], infos: {} },
        b: { observations: [o(1), o(1)], rewards: [1, 1], terminations: [false, false], truncations: [false, false], infos: {} },
        c: { observations: [o(2), o(3)], rewards: [2, 3], terminations: [true, false], truncations: [false, false], infos: {} },
        d: { observations: [o(10), o(3)], infos: {} },
        e: { observations: [o(3), o(4)], rewards: [3, 4], terminations: [false, false], truncations: [false, false], infos: {} },
      });
    });
    expect(errors).toEqual([expect.objectContaining({ name: 'SessionStateError', message: expect.stringContaining('Sub-env(s) 0 ended') })]);
    expect(fakes[0]!.resets).toHaveLength(2);
    expect(fakes[1]!.resets).toHaveLength(1);
  });

  it('next-step with a masked reset: the reset sub-env steps normally next (no autoreset left pending)', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const env = twoEnvs(cold);
      const script = (v: VectorEnv<Act, Obs>) => [v.reset(), v.step(both), v.step(both), v.reset({ mask: [true, false] }), v.step(both)];
      expectObservable(run(env.vector$, script), '^------!').toBe('-abcde', {
        a: expect.anything(),
        b: expect.anything(),
        c: expect.objectContaining({ terminations: [true, false] }),
        d: { observations: [o(10), o(3)], infos: {} },
        e: { observations: [o(3), o(4)], rewards: [3, 4], terminations: [false, false], truncations: [false, false], infos: {} },
      });
    });
  });

  it('maxEpisodeSteps truncates (Gymnasium TimeLimit); next-step then resets the truncated sub-env', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const env = twoEnvs(cold, { maxEpisodeSteps: 1 });
      const script = (v: VectorEnv<Act, Obs>) => [v.reset(), v.step(both), v.step(both)];
      // Both truncated at 2; the step after resets both (answers at 3), ignoring the actions.
      expectObservable(run(env.vector$, script), '^-----!').toBe('-abc', {
        a: expect.anything(),
        b: { observations: [o(1), o(1)], rewards: [1, 1], terminations: [false, false], truncations: [true, true], infos: {} },
        c: { observations: [o(10), o(0)], rewards: [0, 0], terminations: [false, false], truncations: [false, false], infos: {} },
      });
    });
  });
});

describe('vectorEnv faults, concurrency and misuse', () => {
  it('a dropped session fails its episode (truncated, EpisodeFailedError with stepUnknown), is never replayed, and the next step resets on a replacement', () => {
    const fakes: Fake[] = [];
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const dropped = new ConnectionClosedError('The server closed the connection (code 1006)', 1006, '');
      // Sub-env 0's second step gets no answer: its socket drops at 3 (step error and session$ error).
      const env = twoEnvs(cold, {}, [{ steps: ['-a|', '-#'], error: dropped }, {}, {}], ['s--#', 's', 's']);
      fakes.push(...env.fakes);
      const script = (v: VectorEnv<Act, Obs>) => [v.reset(), v.step(both), v.step(both), v.step(both)];
      expectObservable(run(env.vector$, script), '^------!').toBe('-abcd', {
        a: expect.anything(),
        b: expect.anything(),
        c: {
          observations: [o(1), o(3)],
          rewards: [0, 3],
          terminations: [false, false],
          truncations: [true, false],
          infos: { error: [expect.any(EpisodeFailedError), undefined], _error: [true, false] },
        },
        d: { observations: [o(0), o(4)], rewards: [0, 4], terminations: [false, false], truncations: [false, false], infos: {} },
      });
      // The replacement (s2) was started when s0 failed, and leased by sub-env 0 for its reset.
      expectSubscriptions(env.conns[2]!.subscriptions).toBe('---^---!');
    });
    expect(fakes[0]!.actions).toHaveLength(2); // the lost step was sent once
    expect(fakes[2]!.actions).toHaveLength(0); // the autoreset on the replacement ignored the action
    expect(fakes[2]!.resets).toHaveLength(1);
  });

  it('reports the failure with the typed cause and context', () => {
    const seen: unknown[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const dropped = new ConnectionClosedError('dropped', 1006, '');
      const env = twoEnvs(cold, {}, [{ steps: ['-#'], error: dropped }], ['s-#', 's', 's']);
      const script = (v: VectorEnv<Act, Obs>) => [v.reset(), v.step(both).pipe(tap((s) => seen.push(s.infos.error?.[0])), map(() => v.stats()))];
      expectObservable(run(env.vector$, script), '^----!').toBe('-ab', {
        a: expect.anything(),
        b: expect.objectContaining({ steps: 2, failures: 1, unknownSteps: 1 }),
      });
    });
    expect(seen).toEqual([expect.objectContaining({ code: 'ERR_EPISODE_FAILED', stepUnknown: true, context: expect.objectContaining({ envIndex: 0, stepIndex: 1 }) })]);
    expect((seen[0] as EpisodeFailedError).cause).toBeInstanceOf(ConnectionClosedError);
  });

  it('an error frame that keeps the socket open fails the episode with stepUnknown false and keeps the session', () => {
    const fakes: Fake[] = [];
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const raised = Object.assign(new Error('env raised'), { code: 'ERR_SERVER', serverCode: 'EXECUTION_ERROR' });
      const env = twoEnvs(cold, {}, [{ steps: ['-#'], error: raised }]);
      fakes.push(...env.fakes);
      const script = (v: VectorEnv<Act, Obs>) => [v.reset(), v.step(both), v.step(both)];
      expectObservable(run(env.vector$, script), '^----!').toBe('-abc', {
        a: expect.anything(),
        b: expect.objectContaining({ truncations: [true, false], infos: { error: [expect.objectContaining({ stepUnknown: false }), undefined], _error: [true, false] } }),
        c: expect.objectContaining({ observations: [o(10), o(3)] }),
      });
      expectSubscriptions(env.conns[0]!.subscriptions).toBe('^----!');
    });
    expect(fakes[0]!.resets).toHaveLength(2); // the autoreset ran on the same session
  });

  it('maxConcurrency 1 sends one request at a time across sub-envs; every sub-env still has exactly one', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const env = twoEnvs(cold, { maxConcurrency: 1 });
      expectObservable(run(env.vector$, (v) => [v.reset(), v.step(both)]), '^-----!').toBe('--a-b', { a: expect.anything(), b: expect.anything() });
      // Each answer ('-x|') frees the slot for the next sub-env's request; its value is taken and the request released (as take(1)).
      expectSubscriptions(env.fakes[0]!.resetSubscriptions).toBe('^!');
      expectSubscriptions(env.fakes[1]!.resetSubscriptions).toBe('-^!');
      expectSubscriptions(env.fakes[0]!.stepSubscriptions).toBe('--^!');
      expectSubscriptions(env.fakes[1]!.stepSubscriptions).toBe('---^!');
    });
  });

  it('launches a batch server by server (sessions grouped by url, in index order within a server)', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      // Sub-envs 0 and 2 share server a: their requests go out back to back, before sub-env 1's.
      const urls = ['http://a:8000', 'http://b:8000', 'http://a:8000'];
      const source = sessionSource(cold, ['s', 's', 's']);
      // Fake k is named s<k>; every lease subscribes session$ afresh, so map's own index is always 0.
      const session$ = source.session$.pipe(map((fake) => ({ ...fake, url: urls[Number(fake.name.slice(1))]! })));
      const vector$ = vectorEnv<Act, Obs>(session$, { num: 3, maxConcurrency: 1, pool: { confirm: false } });
      const three: Act[] = [M, M, M];
      expectObservable(run(vector$, (v) => [v.reset(), v.step(three)]), '^-------!').toBe('---a--b', { a: expect.anything(), b: expect.anything() });
      expectSubscriptions(source.fakes[0]!.resetSubscriptions).toBe('^!');
      expectSubscriptions(source.fakes[2]!.resetSubscriptions).toBe('-^!');
      expectSubscriptions(source.fakes[1]!.resetSubscriptions).toBe('--^!');
      expectSubscriptions(source.fakes[0]!.stepSubscriptions).toBe('---^!');
      expectSubscriptions(source.fakes[2]!.stepSubscriptions).toBe('----^!');
      expectSubscriptions(source.fakes[1]!.stepSubscriptions).toBe('-----^!');
    });
  });

  it('unsubscribing a step abandons the requests still in flight (their episodes end: autoreset next)', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const env = twoEnvs(cold, {}, [{ steps: ['-----a|'] }, { steps: ['-----a|'] }]);
      const script = (v: VectorEnv<Act, Obs>) => [v.reset(), v.step(both).pipe(takeUntil(timer(1))), defer(() => v.step(both))];
      // The first step is given up at 2, both answers pending: the next step resets both.
      expectObservable(run(env.vector$, script), '^-----!').toBe('-a-b', {
        a: expect.anything(),
        b: { observations: [o(10), o(0)], rewards: [0, 0], terminations: [false, false], truncations: [false, false], infos: {} },
      });
      expectSubscriptions(env.fakes[0]!.stepSubscriptions).toBe('-^!');
      expectSubscriptions(env.fakes[1]!.stepSubscriptions).toBe('-^!');
    });
  });

  it('errors with InvalidOptionError when the servers hold fewer sessions than `num` (instead of waiting forever)', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const env = twoEnvs(cold, { pool: { confirm: (s) => s.reset() } }, [{ reset: '-r|' }, { reset: '-#', error: capacity(1) }], ['s', 's']);
      // s1's confirming reset is refused at 1: the pool learns 1 session is all it gets.
      expectObservable(env.vector$).toBe(
        '-#',
        undefined,
        expect.objectContaining({ name: 'InvalidOptionError', option: 'num', message: expect.stringContaining('accept only 1 session') }),
      );
    });
  });

  it('closing the vector errors a step still waiting for answers, and completes results$', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const env = twoEnvs(cold, {}, [{ steps: ['-----a|'] }]);
      const held: VectorEnv<Act, Obs>[] = [];
      // The vector lives 3 frames; a step subscribed at 2, from outside its subscription, is cut at 3.
      expectObservable(env.vector$.pipe(tap((v) => held.push(v)), switchMap((v) => v.reset())), '^--!').toBe('-a', { a: expect.anything() });
      const late$ = defer(() => held[0]!.step(both));
      expectObservable(timer(2).pipe(switchMap(() => late$))).toBe(
        '---#',
        undefined,
        expect.objectContaining({ name: 'SessionStateError', message: expect.stringContaining('closed before every sub-env answered') }),
      );
      expectObservable(timer(1).pipe(switchMap(() => held[0]!.results$))).toBe('---|');
    });
  });

  it('misuse errors before anything is sent: step before reset, wrong action count, a second request to a busy sub-env', () => {
    const errors: unknown[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const env = twoEnvs(cold);
      const catchAll = (o$: Observable<unknown>) => o$.pipe(catchError((e: unknown) => (errors.push(e), EMPTY)));
      const script = (v: VectorEnv<Act, Obs>) => [
        catchAll(v.step(both)),
        v.reset(),
        catchAll(v.step([M])),
        defer(() => {
          v.send(0, M);
          try {
            v.send(0, M);
          } catch (error) {
            errors.push(error);
          }
          return catchAll(v.step(both));
        }),
      ];
      expectObservable(run(env.vector$, script), '^---!').toBe('-a', { a: expect.anything() });
    });
    expect(errors).toEqual([
      expect.objectContaining({ name: 'SessionStateError', message: expect.stringContaining('reset() before step()') }),
      expect.objectContaining({ name: 'InvalidOptionError', option: 'actions' }),
      expect.objectContaining({ name: 'SessionStateError', message: expect.stringContaining('Sub-env 0 still has a request in flight') }),
      expect.objectContaining({ name: 'SessionStateError', message: expect.stringContaining('Sub-env(s) 0 still have a request in flight') }),
    ]);
  });
});

describe('vectorEnv as-completed mode', () => {
  it('emits each sub-env\'s answer as it arrives: a slow sub-env never stalls the fast one', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      // Sub-env 0 answers a step in 5 frames, sub-env 1 in 2.
      const env = twoEnvs(cold, {}, [{ steps: () => '-----a|' }, { steps: () => '--a|' }]);
      const script = (v: VectorEnv<Act, Obs>) => [
        v.reset(),
        defer(() => {
          const answers = v.results$.pipe(
            take(4),
            tap((r) => v.send(r.index, M)),
            map((r) => `${r.index}`),
          );
          return merge(answers, defer(() => (v.send(0, M), v.send(1, M), EMPTY)));
        }),
      ];
      // Sends at 1: sub-env 1 answers at 3, 5, 7; sub-env 0 at 6.
      expectObservable(run(env.vector$, script).pipe(map((x) => (typeof x === 'string' ? x : 'r'))), '^--------!').toBe('-r-1-101');
    });
  });

  it('each result carries the sub-env\'s episode and step; next-step autoreset rows are flagged', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const env = twoEnvs(cold);
      const script = (v: VectorEnv<Act, Obs>) => [
        v.reset(),
        defer(() => merge(v.results$.pipe(take(3), tap((r) => r.index === 0 && v.send(0, M))), defer(() => (v.send(0, M), EMPTY)))),
      ];
      expectObservable(run(env.vector$, script), '^------!').toBe('-abcd', {
        a: expect.anything(),
        b: { index: 0, observation: o(1), reward: 1, terminated: false, truncated: false, info: { episodeId: expect.any(String), step: 1 } },
        c: { index: 0, observation: o(2), reward: 2, terminated: true, truncated: false, info: { episodeId: expect.any(String), step: 2 } },
        d: { index: 0, observation: o(10), reward: 0, terminated: false, truncated: false, info: { episodeId: expect.any(String), step: 0, autoreset: true } },
      });
    });
  });
});
