import { lastValueFrom, NEVER, of, toArray } from 'rxjs';
import { ServerError } from '../../src/errors/protocol-errors.js';
import { runEpisode } from '../../src/session/episode.js';
import type { EpisodeStep } from '../../src/session/types.js';
import { stepTimeout } from '../../src/operators/step-timeout.js';
import { newScheduler, result, scriptedSession, step, type Act, type Obs } from './episode-fixtures.js';

const move = (obs: Obs): Act => ({ move: obs.x + 1 });
const errorLike = (name: string, context: Record<string, unknown>) =>
  expect.objectContaining({ name, context: expect.objectContaining(context) });

describe('runEpisode', () => {
  it('resets, then alternates policy and step until done, emitting every result', () => {
    const env = { calls: [] as [Obs, number, string][], resets: [] as unknown[] };
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reset = cold('-r|', { r: result(0) });
      const s1 = cold('  --a|', { a: result(1, { reward: 0.5 }) });
      const s2 = cold('    --b|', { b: result(2, { reward: 1, done: true }) });
      const session = scriptedSession(reset, [s1, s2]);
      const policy = (obs: Obs, last: EpisodeStep<Act, Obs>) => {
        env.calls.push([obs, last.index, last.kind]);
        return move(obs);
      };
      const episode$ = runEpisode(session, policy, { seed: 7, episodeId: 'e1', resetOptions: { extra: { level: 2 } } });

      expectObservable(episode$).toBe('-r-a-(b|)', {
        r: step(0, 0, { at: 1, sentAt: 0, seed: 7 }),
        a: step(1, 1, { at: 3, sentAt: 1, seed: 7, action: { move: 1 }, reward: 0.5 }),
        b: step(2, 2, { at: 5, sentAt: 3, seed: 7, action: { move: 2 }, reward: 1, done: true }),
      });
      expectSubscriptions(reset.subscriptions).toBe('^!');
      expectSubscriptions(s1.subscriptions).toBe('-^-!');
      expectSubscriptions(s2.subscriptions).toBe('---^-!');
      env.resets = session.resets;
    });
    expect(env.resets).toEqual([{ extra: { level: 2 }, seed: 7, episodeId: 'e1' }]);
    expect(env.calls).toEqual([
      [{ x: 0 }, 0, 'reset'],
      [{ x: 1 }, 1, 'step'],
    ]);
  });

  it('generates an episode id, sends it with the reset and stamps every step with it', async () => {
    const session = scriptedSession(of(result(0)), [of(result(1, { done: true }))]);
    const steps = await lastValueFrom(runEpisode(session, move).pipe(toArray()));
    const id = session.resets[0]?.episodeId;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(steps.map((s) => s.episodeId)).toEqual([id, id]);
    expect(session.resets[0]).not.toHaveProperty('seed');
  });

  it('completes right after a reset that already answers done', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const session = scriptedSession(cold('--(r|)', { r: result(0, { done: true }) }), []);
      expectObservable(runEpisode(session, move, { episodeId: 'e1' })).toBe('--(r|)', {
        r: step(0, 0, { at: 2, sentAt: 0, done: true }),
      });
    });
  });

  it('errors with a ProtocolError when the reset completes empty', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const session = scriptedSession(cold<ReturnType<typeof result>>('--|'), []);
      expectObservable(runEpisode(session, move, { episodeId: 'e1' })).toBe(
        '--#',
        undefined,
        errorLike('ProtocolError', { request: 'reset', stepIndex: 0, episodeId: 'e1', episodeIndex: 0 }),
      );
    });
  });

  it('waits forever on a reset that never answers, and unsubscribes it on teardown', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const reset = cold<ReturnType<typeof result>>('-');
      const session = scriptedSession(reset, []);
      expectObservable(runEpisode(session, move), '^---!').toBe('-----');
      expectSubscriptions(reset.subscriptions).toBe('^---!');
    });
  });

  it('passes a step error on with the episode context added', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const failure = new ServerError('EXECUTION_ERROR', 'env raised', {});
      const s1 = cold<ReturnType<typeof result>>('  --#', undefined, failure);
      const session = scriptedSession(cold('-r|', { r: result(0) }), [s1]);
      expectObservable(runEpisode(session, move, { episodeId: 'e1', episodeIndex: 3 })).toBe(
        '-r-#',
        { r: step(0, 0, { at: 1, sentAt: 0, episodeIndex: 3 }) },
        errorLike('ServerError', { request: 'step', stepIndex: 1, episodeId: 'e1', episodeIndex: 3 }),
      );
      expectSubscriptions(s1.subscriptions).toBe('-^-!');
    });
  });

  it('errors with a ProtocolError when a step completes without a result', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const session = scriptedSession(cold('-r|', { r: result(0) }), [cold<ReturnType<typeof result>>('--|')]);
      expectObservable(runEpisode(session, move, { episodeId: 'e1' })).toBe(
        '-r-#',
        { r: step(0, 0, { at: 1, sentAt: 0 }) },
        errorLike('ProtocolError', { request: 'step', stepIndex: 1 }),
      );
    });
  });

  it('wraps a throwing policy in a PolicyError keeping the cause', () => {
    const thrown = new Error('no idea');
    newScheduler().run(({ cold, expectObservable }) => {
      const session = scriptedSession(cold('-r|', { r: result(0) }), []);
      const policy = () => {
        throw thrown;
      };
      expectObservable(runEpisode(session, policy, { episodeId: 'e1' })).toBe(
        '-(r#)',
        { r: step(0, 0, { at: 1, sentAt: 0 }) },
        expect.objectContaining({
          name: 'PolicyError',
          code: 'ERR_POLICY',
          cause: thrown,
          message: expect.stringContaining('no idea'),
          context: expect.objectContaining({ request: 'policy', stepIndex: 1, episodeId: 'e1', episodeIndex: 0 }),
        }),
      );
      expect(session.actions).toEqual([]);
    });
  });

  it('wraps an erroring policy Observable, and rejects one that completes without an action', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const failing = cold<Act>('--#', undefined, new Error('model down'));
      const empty = cold<Act>('--|');
      const reset = () => cold('-r|', { r: result(0) });
      expectObservable(runEpisode(scriptedSession(reset(), []), () => failing, { episodeId: 'e1' })).toBe(
        '-r-#',
        { r: step(0, 0, { at: 1, sentAt: 0 }) },
        errorLike('PolicyError', { stepIndex: 1 }),
      );
      expectObservable(runEpisode(scriptedSession(reset(), []), () => empty, { episodeId: 'e1' })).toBe(
        '-r-#',
        { r: step(0, 0, { at: 1, sentAt: 0 }) },
        expect.objectContaining({ name: 'PolicyError', message: expect.stringContaining('without an action') }),
      );
      expectSubscriptions(failing.subscriptions).toBe('-^-!');
      expectSubscriptions(empty.subscriptions).toBe('-^-!');
    });
  });

  it('takes the first action of a policy Observable and unsubscribes it', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const decisions = cold('-pq|', { p: { move: 5 }, q: { move: 6 } });
      const session = scriptedSession(cold('-r|', { r: result(0) }), [cold('-(a|)', { a: result(1, { done: true }) })]);
      expectObservable(runEpisode(session, () => decisions, { episodeId: 'e1' })).toBe('-r-(a|)', {
        r: step(0, 0, { at: 1, sentAt: 0 }),
        a: step(1, 1, { at: 3, sentAt: 2, action: { move: 5 }, done: true }),
      });
      expectSubscriptions(decisions.subscriptions).toBe('-^!');
    });
  });

  it('times out a policy that never answers (with stepTimeout) and unsubscribes it', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const thinking = cold<Act>('-');
      const session = scriptedSession(cold('-r|', { r: result(0) }), []);
      const episode$ = runEpisode(session, () => thinking, { episodeId: 'e1' }).pipe(stepTimeout(5));
      expectObservable(episode$).toBe(
        '-r----#',
        { r: step(0, 0, { at: 1, sentAt: 0 }) },
        expect.objectContaining({ name: 'TimeoutError', phase: 'step', context: expect.objectContaining({ stepIndex: 1, episodeId: 'e1' }) }),
      );
      expectSubscriptions(thinking.subscriptions).toBe('-^----!');
      expect(session.actions).toEqual([]);
    });
  });

  it('on early unsubscribe, tears down the pending step', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const s1 = cold('  ----a|', { a: result(1) });
      const session = scriptedSession(cold('-r|', { r: result(0) }), [s1]);
      expectObservable(runEpisode(session, move, { episodeId: 'e1' }), '^--!').toBe('-r-', {
        r: step(0, 0, { at: 1, sentAt: 0 }),
      });
      expectSubscriptions(s1.subscriptions).toBe('-^-!');
    });
  });

  it('on early unsubscribe, tears down the pending policy call and never steps', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const thinking = cold('-----p|', { p: { move: 1 } });
      const session = scriptedSession(cold('-r|', { r: result(0) }), [cold('-a|', { a: result(1) })]);
      expectObservable(runEpisode(session, () => thinking, { episodeId: 'e1' }), '^--!').toBe('-r-', {
        r: step(0, 0, { at: 1, sentAt: 0 }),
      });
      expectSubscriptions(thinking.subscriptions).toBe('-^-!');
    });
  });

  it('truncates after maxSteps steps, marking the last result', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const s1 = cold('  --a|', { a: result(1, { reward: -0.1 }) });
      const s2 = cold('    --b|', { b: result(2, { reward: -0.1 }) });
      const session = scriptedSession(cold('-r|', { r: result(0) }), [s1, s2]);
      expectObservable(runEpisode(session, move, { episodeId: 'e1', maxSteps: 2 })).toBe('-r-a-(b|)', {
        r: step(0, 0, { at: 1, sentAt: 0 }),
        a: step(1, 1, { at: 3, sentAt: 1, action: { move: 1 }, reward: -0.1 }),
        b: step(2, 2, { at: 5, sentAt: 3, action: { move: 2 }, reward: -0.1, truncated: true }),
      });
      expectSubscriptions(s2.subscriptions).toBe('---^-!');
    });
  });

  it('with maxSteps 0 emits only the reset, truncated; an env done at the limit is not truncated', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const reset = () => cold('-r|', { r: result(0) });
      expectObservable(runEpisode(scriptedSession(reset(), []), move, { episodeId: 'e1', maxSteps: 0 })).toBe('-(r|)', {
        r: step(0, 0, { at: 1, sentAt: 0, truncated: true }),
      });
      const done = scriptedSession(reset(), [cold('-(a|)', { a: result(1, { done: true }) })]);
      expectObservable(runEpisode(done, move, { episodeId: 'e1', maxSteps: 1 })).toBe('-r(a|)', {
        r: step(0, 0, { at: 1, sentAt: 0 }),
        a: step(1, 1, { at: 2, sentAt: 1, action: { move: 1 }, done: true }),
      });
    });
  });

  it('with a slow policy, never overlaps steps: each is sent after the previous answer and the decision', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const thinking = cold('---p|', { p: { move: 9 } });
      const s1 = cold('    --a|', { a: result(1) });
      const s2 = cold('         --b|', { b: result(2, { done: true }) });
      const session = scriptedSession(cold('-r|', { r: result(0) }), [s1, s2]);
      expectObservable(runEpisode(session, () => thinking, { episodeId: 'e1' })).toBe('-r----a----(b|)', {
        r: step(0, 0, { at: 1, sentAt: 0 }),
        a: step(1, 1, { at: 6, sentAt: 4, action: { move: 9 } }),
        b: step(2, 2, { at: 11, sentAt: 9, action: { move: 9 }, done: true }),
      });
      expectSubscriptions(thinking.subscriptions).toBe(['-^--!', '------^--!']);
      expectSubscriptions(s1.subscriptions).toBe('----^-!');
      expectSubscriptions(s2.subscriptions).toBe('---------^-!');
    });
  });

  it('rejects bad options with an InvalidOptionError before sending anything', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const session = scriptedSession(cold('-r|', { r: result(0) }), []);
      expectObservable(runEpisode(session, move, { maxSteps: -1 })).toBe(
        '#',
        undefined,
        expect.objectContaining({ name: 'InvalidOptionError', option: 'maxSteps', value: -1 }),
      );
      expectObservable(runEpisode(session, 'nope' as never)).toBe('#', undefined, expect.objectContaining({ option: 'policy' }));
      expect(session.resets).toEqual([]);
    });
  });

  describe('with a Promise policy (real time)', () => {
    it('steps with the resolved action', async () => {
      const session = scriptedSession(of(result(0)), [of(result(1, { done: true }))]);
      const steps = await lastValueFrom(runEpisode(session, async (obs: Obs) => move(obs)).pipe(toArray()));
      expect(steps.map((s) => [s.kind, s.action])).toEqual([
        ['reset', undefined],
        ['step', { move: 1 }],
      ]);
    });

    it('turns a rejection into a PolicyError keeping the cause', async () => {
      const cause = new Error('rate limited');
      const session = scriptedSession(of(result(0)), []);
      await expect(lastValueFrom(runEpisode(session, () => Promise.reject(cause), { episodeId: 'e1' }))).rejects.toMatchObject({
        name: 'PolicyError',
        cause,
        context: { stepIndex: 1, episodeId: 'e1', episodeIndex: 0, request: 'policy' },
      });
    });

    it('ignores the late answer of a Promise after unsubscribe', async () => {
      let answer!: (a: Act) => void;
      const pending = new Promise<Act>((resolve) => (answer = resolve));
      const session = scriptedSession(of(result(0)), [NEVER]);
      const seen: string[] = [];
      const subscription = runEpisode(session, () => pending).subscribe((s) => seen.push(s.kind));
      subscription.unsubscribe();
      answer({ move: 1 });
      await pending;
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen).toEqual(['reset']);
      expect(session.actions).toEqual([]);
    });
  });

  it('runs a long episode against a synchronous session without growing the stack', async () => {
    const session = { reset: () => of(result(0)), step: () => of(result(1, { reward: 1 })) };
    const steps = await lastValueFrom(runEpisode(session, move, { maxSteps: 20_000 }).pipe(toArray()));
    expect(steps).toHaveLength(20_001);
    expect(steps.at(-1)).toMatchObject({ index: 20_000, truncated: true });
  });
});
