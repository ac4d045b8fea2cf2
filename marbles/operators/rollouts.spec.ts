import { defer, type Observable } from 'rxjs';
import type { RunHelpers } from 'rxjs/testing';
import { CapacityError, ServerError } from '../../src/errors/protocol-errors.js';
import { rollouts } from '../../src/operators/rollouts.js';
import { fakeSession, type FakeSession, type FakeSessionSpec } from '../../src/testing/fake-session.js';
import { newScheduler, type Act, type Obs } from '../episode/episode-fixtures.js';

type Fake = FakeSession<Act, Obs, unknown>;
/** Reset observation x = seed (letters a, b, c for seeds 1, 2, 3); a step of move m answers done after 4*m frames. */
const answers: Omit<FakeSessionSpec<Act, Obs, unknown>, 'cold'> = {
  reset: (options) => `-${'abc'[(options.seed ?? 1) - 1]}|`,
  steps: (action) => `${'----'.repeat(action.move)}(d|)`,
  values: {
    a: { observation: { x: 1 } },
    b: { observation: { x: 2 } },
    c: { observation: { x: 3 } },
    d: { observation: { x: 0 }, reward: 1, done: true },
  },
};
const move = (obs: Obs): Act => ({ move: obs.x });
const capacity = () => new CapacityError('Server at capacity (1/1 sessions)', { active_sessions: 1, max_sessions: 1 });

/** `session$` whose k-th subscription is `conns[k]`: each a cold Observable emitting its own fake session. */
function connections(cold: RunHelpers['cold'], marbles: string[], specs: Partial<FakeSessionSpec<Act, Obs, unknown>>[] = []) {
  const fakes: Fake[] = marbles.map((_, i) => fakeSession<Act, Obs, unknown>({ cold, ...answers, ...specs[i] }));
  const conns = marbles.map((m, i) => cold<Fake>(m, { s: fakes[i]! }, capacity()));
  let k = 0;
  const session$: Observable<Fake> = defer(() => conns[k++]!);
  return { fakes, conns, session$ };
}
const emitted = (sessionIndex: number, episodeIndex: number, kind: 'reset' | 'step', extra: Record<string, unknown> = {}) =>
  expect.objectContaining({ sessionIndex, episodeIndex, kind, ...extra });

describe('rollouts', () => {
  it('runs sessions in parallel, interleaving their steps; a free session takes the next episode', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const { fakes, conns, session$ } = connections(cold, ['-s', '-s']);
      expectObservable(rollouts(session$, move, { sessions: 2, episodes: 3, seed: 1 })).toBe('--(ab)cd--e--------(f|)', {
        a: emitted(0, 0, 'reset', { seed: 1 }),
        b: emitted(1, 1, 'reset', { seed: 2 }),
        c: emitted(0, 0, 'step', { done: true, reward: 1 }),
        d: emitted(0, 2, 'reset', { seed: 3 }),
        e: emitted(1, 1, 'step', { done: true }),
        f: emitted(0, 2, 'step', { done: true }),
      });
      // Each session is released as soon as no episode is left for it.
      expectSubscriptions(conns[0]!.subscriptions).toBe('^------------------!');
      expectSubscriptions(conns[1]!.subscriptions).toBe('^---------!');
      // Within a session, requests never overlap.
      expectSubscriptions(fakes[0]!.stepSubscriptions).toBe(['--^---!', '-------^-----------!']);
      expectSubscriptions(fakes[1]!.stepSubscriptions).toBe('--^-------!');
    });
  });

  it('opens only as many sessions as there are episodes, and none for zero episodes', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const { conns, session$ } = connections(cold, ['-s', '-s', '-s']);
      expectObservable(rollouts(session$, move, { sessions: 3, episodes: 1, seed: 1 })).toBe('--a---(b|)', {
        a: emitted(0, 0, 'reset'),
        b: emitted(0, 0, 'step'),
      });
      expectSubscriptions(conns[0]!.subscriptions).toBe('^-----!');
      expectSubscriptions(conns[1]!.subscriptions).toBe([]);
      expectObservable(rollouts(session$, move, { sessions: 3, episodes: 0 })).toBe('|');
    });
  });

  it('waits while session$ never emits, and fails clearly when it completes empty', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const never = cold<Fake>('-');
      expectObservable(rollouts(never, move, { sessions: 1, episodes: 1 }), '^---!').toBe('-----');
      expectSubscriptions(never.subscriptions).toBe('^---!');
      expectObservable(rollouts(cold<Fake>('--|'), move, { sessions: 1, episodes: 1 })).toBe(
        '--#',
        undefined,
        expect.objectContaining({ name: 'SessionStateError', context: expect.objectContaining({ sessionIndex: 0 }) }),
      );
    });
  });

  it('with replaceFailedSessions: false, errors the whole run on a step error, tearing down the other session and its pending step', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const failure = new ServerError('EXECUTION_ERROR', 'env raised', {});
      const { fakes, conns, session$ } = connections(cold, ['-s', '-s'], [{ steps: () => '------#', error: failure }]);
      expectObservable(rollouts(session$, move, { sessions: 2, episodes: 2, seed: 1, replaceFailedSessions: false })).toBe(
        '--(ab)--#',
        { a: emitted(0, 0, 'reset'), b: emitted(1, 1, 'reset') },
        expect.objectContaining({ name: 'ServerError', context: expect.objectContaining({ sessionIndex: 0, episodeIndex: 0, stepIndex: 1 }) }),
      );
      expectSubscriptions(conns[0]!.subscriptions).toBe('^-------!');
      expectSubscriptions(conns[1]!.subscriptions).toBe('^-------!');
      expectSubscriptions(fakes[1]!.stepSubscriptions).toBe('--^-----!');
    });
  });

  it('errors the whole run with a PolicyError when the policy fails', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const { conns, session$ } = connections(cold, ['-s', '-s']);
      const policy = (obs: Obs) => (obs.x === 2 ? cold<Act>('-----#', undefined, new Error('model down')) : move(obs));
      expectObservable(rollouts(session$, policy, { sessions: 2, episodes: 2, seed: 1 })).toBe(
        '--(ab)c#',
        { a: emitted(0, 0, 'reset'), b: emitted(1, 1, 'reset'), c: emitted(0, 0, 'step', { done: true }) },
        expect.objectContaining({ name: 'PolicyError', context: expect.objectContaining({ sessionIndex: 1, episodeIndex: 1 }) }),
      );
      // Session 0 had no episode left after its first: released at once.
      expectSubscriptions(conns[0]!.subscriptions).toBe('^-----!');
      expectSubscriptions(conns[1]!.subscriptions).toBe('^------!');
    });
  });

  it('on early unsubscribe, releases every session and abandons pending steps', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const { fakes, conns, session$ } = connections(cold, ['-s', '-s']);
      expectObservable(rollouts(session$, move, { sessions: 2, episodes: 4, seed: 1 }), '^----!').toBe('--(ab)', {
        a: emitted(0, 0, 'reset'),
        b: emitted(1, 1, 'reset'),
      });
      expectSubscriptions(conns[0]!.subscriptions).toBe('^----!');
      expectSubscriptions(conns[1]!.subscriptions).toBe('^----!');
      expectSubscriptions(fakes[0]!.stepSubscriptions).toBe('--^--!');
      expectSubscriptions(fakes[1]!.stepSubscriptions).toBe('--^--!');
    });
  });

  it('truncates every episode at maxSteps', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const { session$ } = connections(cold, ['-s'], [{ steps: () => '-(e|)', values: { ...answers.values, e: { observation: { x: 1 } } } }]);
      expectObservable(rollouts(session$, move, { sessions: 1, episodes: 2, seed: 1, maxSteps: 1 })).toBe('--abc(d|)', {
        a: emitted(0, 0, 'reset', { truncated: false }),
        b: emitted(0, 0, 'step', { truncated: true }),
        c: emitted(0, 1, 'reset', { seed: 2 }),
        d: emitted(0, 1, 'step', { truncated: true }),
      });
    });
  });

  it('with a slow policy, the steps of one session never overlap while sessions interleave', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const { fakes, session$ } = connections(cold, ['-s', '--s'], [{ steps: () => '-(d|)' }, { steps: () => '-(d|)' }]);
      const thinking = cold('---p|', { p: { move: 1 } });
      expectObservable(rollouts(session$, () => thinking, { sessions: 2, episodes: 2, seed: 1 })).toBe('--ab--c(d|)', {
        a: emitted(0, 0, 'reset'),
        b: emitted(1, 1, 'reset'),
        c: emitted(0, 0, 'step'),
        d: emitted(1, 1, 'step'),
      });
      expectSubscriptions(thinking.subscriptions).toBe(['--^--!', '---^--!']);
      expectSubscriptions(fakes[0]!.stepSubscriptions).toBe('-----^!');
      expectSubscriptions(fakes[1]!.stepSubscriptions).toBe('------^!');
    });
  });

  it('fails clearly on a CapacityError without retryOnCapacity', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const { conns, session$ } = connections(cold, ['-s', '-#']);
      expectObservable(rollouts(session$, move, { sessions: 2, episodes: 2, seed: 1 })).toBe(
        '-#',
        undefined,
        expect.objectContaining({ code: 'ERR_CAPACITY', context: expect.objectContaining({ sessionIndex: 1, sessions: 2 }) }),
      );
      expectSubscriptions(conns[0]!.subscriptions).toBe('^!');
    });
  });

  it('with retryOnCapacity, waits and resubscribes the refused session', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const { conns, session$ } = connections(cold, ['-s', '-#', '-s']);
      const run$ = rollouts(session$, move, { sessions: 2, episodes: 2, seed: 1, retryOnCapacity: { maxRetries: 2, delayMs: 3 } });
      expectObservable(run$).toBe('--a---(bc)----(d|)', {
        a: emitted(0, 0, 'reset'),
        b: emitted(0, 0, 'step'),
        c: emitted(1, 1, 'reset', { seed: 2 }),
        d: emitted(1, 1, 'step'),
      });
      expectSubscriptions(conns[1]!.subscriptions).toBe('^!');
      expectSubscriptions(conns[2]!.subscriptions).toBe('----^---------!');
    });
  });

  it('puts back an episode whose reset was refused for capacity, so it runs exactly once', () => {
    let fakes: Fake[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const refused = { reset: () => '-#', error: capacity() };
      const c = connections(cold, ['-s', '-s', '-s'], [{}, refused, {}]);
      fakes = c.fakes;
      const run$ = rollouts(c.session$, move, { sessions: 2, episodes: 2, seed: 1, retryOnCapacity: { maxRetries: 1, delayMs: 2 } });
      expectObservable(run$).toBe('--a---(bc)----(d|)', {
        a: emitted(0, 0, 'reset'),
        b: emitted(0, 0, 'step'),
        c: emitted(1, 1, 'reset', { seed: 2 }),
        d: emitted(1, 1, 'step'),
      });
    });
    expect(fakes.map((f) => f.resets.map((r) => r.seed))).toEqual([[1], [2], [2]]);
  });

  it('gives up after maxRetries capacity refusals', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const { session$ } = connections(cold, ['-#', '-#']);
      expectObservable(rollouts(session$, move, { sessions: 1, episodes: 1, retryOnCapacity: { maxRetries: 1, delayMs: 2 } })).toBe(
        '----#',
        undefined,
        expect.objectContaining({ code: 'ERR_CAPACITY' }),
      );
    });
  });

  it('grows the wait between refusals with backoff', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const { conns, session$ } = connections(cold, ['-#', '-#', '-#', '-s']);
      const run$ = rollouts(session$, move, { sessions: 1, episodes: 1, seed: 1, retryOnCapacity: { maxRetries: 5, delayMs: 2, backoff: { factor: 2 } } });
      // refused at 1, 4, 9; waits 2, 4, 8
      expectObservable(run$).toBe('-------------------a---(b|)', { a: emitted(0, 0, 'reset'), b: emitted(0, 0, 'step') });
      expectSubscriptions(conns[1]!.subscriptions).toBe('---^!');
      expectSubscriptions(conns[2]!.subscriptions).toBe('--------^!');
      expectSubscriptions(conns[3]!.subscriptions).toBe('-----------------^-----!');
    });
  });

  it('reports started, refused and ended sessions with the running count', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const { session$ } = connections(cold, ['-s', '-#', '-s']);
      const events: unknown[] = [];
      const run$ = rollouts(session$, move, {
        sessions: 2,
        episodes: 2,
        seed: 1,
        retryOnCapacity: { maxRetries: 2, delayMs: 3 },
        onSessionEvent: (e) => events.push({ ...e, error: 'error' in e ? (e.error as { code: string }).code : undefined }),
      });
      expectObservable(run$).toBe('--a---(bc)----(d|)', {
        a: emitted(0, 0, 'reset'),
        b: emitted(0, 0, 'step'),
        c: emitted(1, 1, 'reset'),
        d: emitted(1, 1, 'step'),
      });
      flush();
      expect(events).toEqual([
        { type: 'refused', sessionIndex: 1, running: 0, attempt: 1, delayMs: 3, error: 'ERR_CAPACITY' },
        { type: 'started', sessionIndex: 0, running: 1, error: undefined },
        { type: 'ended', sessionIndex: 0, running: 0, error: undefined },
        { type: 'started', sessionIndex: 1, running: 1, error: undefined },
        { type: 'ended', sessionIndex: 1, running: 0, error: undefined },
      ]);
    });
  });

  it('bounds the total wait with maxWaitMs, shortening the last wait, then errors when no session runs', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const { conns, session$ } = connections(cold, ['-#', '-#', '-#', '-s']);
      const run$ = rollouts(session$, move, { sessions: 1, episodes: 1, retryOnCapacity: { maxRetries: 10, delayMs: 4, maxWaitMs: 6 } });
      // refused at 1 (wait 4), at 6 (wait 2: the rest of the budget), at 9: gives up
      expectObservable(run$).toBe(
        '---------#',
        undefined,
        expect.objectContaining({ code: 'ERR_CAPACITY', context: expect.objectContaining({ capacityRefusals: 3, waitedMs: 6, sessionIndex: 0 }) }),
      );
      expectSubscriptions(conns[2]!.subscriptions).toBe('--------^!');
      expectSubscriptions(conns[3]!.subscriptions).toBe([]);
    });
  });

  it('a session that gives up while another runs ends quietly; the other runs every episode', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const { session$ } = connections(cold, ['-s', '-#', '-#'], [{ steps: () => '--------(d|)' }]);
      const run$ = rollouts(session$, move, { sessions: 2, episodes: 2, seed: 1, retryOnCapacity: { maxRetries: 1, delayMs: 2 } });
      expectObservable(run$).toBe('--a-------bc-------(d|)', {
        a: emitted(0, 0, 'reset'),
        b: emitted(0, 0, 'step'),
        c: emitted(0, 1, 'reset'),
        d: emitted(0, 1, 'step'),
      });
    });
  });

  it('a refused session whose wait ends with no episode left completes without reconnecting', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const { conns, session$ } = connections(cold, ['-s', '-#', '-s'], [{ steps: () => '-(d|)' }]);
      const run$ = rollouts(session$, move, { sessions: 2, episodes: 1, seed: 1, retryOnCapacity: { maxRetries: 3, delayMs: 5 } });
      expectObservable(run$).toBe('--a(b|)', { a: emitted(0, 0, 'reset'), b: emitted(0, 0, 'step') });
      expectSubscriptions(conns[2]!.subscriptions).toBe([]);
    });
  });

  it('rejects bad options with an InvalidOptionError', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const { session$ } = connections(cold, ['-s']);
      const invalid = (option: string) => expect.objectContaining({ name: 'InvalidOptionError', option });
      expectObservable(rollouts(session$, move, { sessions: 0, episodes: 1 })).toBe('#', undefined, invalid('sessions'));
      expectObservable(rollouts(session$, move, { sessions: 1, episodes: -1 })).toBe('#', undefined, invalid('episodes'));
      expectObservable(
        rollouts(session$, move, { sessions: 1, episodes: 1, retryOnCapacity: { maxRetries: 1, delayMs: -5 } }),
      ).toBe('#', undefined, invalid('retryOnCapacity.delayMs'));
      expectObservable(
        rollouts(session$, move, { sessions: 1, episodes: 1, retryOnCapacity: { maxRetries: 1, delayMs: 1, maxWaitMs: -1 } }),
      ).toBe('#', undefined, invalid('retryOnCapacity.maxWaitMs'));
      expectObservable(
        rollouts(session$, move, { sessions: 1, episodes: 1, retryOnCapacity: { maxRetries: 1, delayMs: 1, backoff: { factor: 0.5 } } }),
      ).toBe('#', undefined, invalid('backoff.factor'));
    });
  });
});
