import { defer, type Observable } from 'rxjs';
import type { RunHelpers } from 'rxjs/testing';
import { ConnectionClosedError, ConnectionError, TimeoutError } from '../../src/errors/connection-errors.js';
import { CapacityError, ServerError } from '../../src/errors/protocol-errors.js';
import { rollouts, type RolloutSessionEvent } from '../../src/operators/rollouts.js';
import { fakeSession, type FakeSession, type FakeSessionSpec } from '../../src/testing/fake-session.js';
import { newScheduler, type Act, type Obs } from '../episode/episode-fixtures.js';

type Fake = FakeSession<Act, Obs, unknown>;
/** Reset observation x = seed (a, b for seeds 1, 2); a step of move m answers done after 4*m frames. */
const answers: Omit<FakeSessionSpec<Act, Obs, unknown>, 'cold'> = {
  reset: (options) => `-${'ab'[(options.seed ?? 1) - 1]}|`,
  steps: (action) => `${'----'.repeat(action.move)}(d|)`,
  values: { a: { observation: { x: 1 } }, b: { observation: { x: 2 } }, d: { observation: { x: 0 }, reward: 1, done: true } },
};
const move = (obs: Obs): Act => ({ move: obs.x });
const dropped = () => new ConnectionClosedError('The server closed the connection (code 1006)', 1006, '', { request: 'step' });

interface Conn {
  /** Marbles of the session Observable: `s` emits the fake, `#` errors with `error`. */
  marbles: string;
  error?: unknown;
  fake?: Partial<FakeSessionSpec<Act, Obs, unknown>>;
}

/** `session$` whose k-th subscription is `conns[k]`, each with its own fake session and failure. */
function connections(cold: RunHelpers['cold'], specs: Conn[]) {
  const fakes: Fake[] = specs.map((c) => fakeSession<Act, Obs, unknown>({ cold, ...answers, ...c.fake }));
  const conns = specs.map((c, i) => cold<Fake>(c.marbles, { s: fakes[i]! }, c.error));
  let k = 0;
  const session$: Observable<Fake> = defer(() => conns[k++]!);
  return { fakes, conns, session$ };
}
const emitted = (sessionIndex: number, episodeIndex: number, kind: 'reset' | 'step', extra: Record<string, unknown> = {}) =>
  expect.objectContaining({ sessionIndex, episodeIndex, kind, ...extra });
/** The failure step of episode `episodeIndex`: truncated, no reward, an EpisodeFailedError. */
const failedStep = (sessionIndex: number, episodeIndex: number, extra: Record<string, unknown>, error: Record<string, unknown>) =>
  emitted(sessionIndex, episodeIndex, 'step', {
    truncated: true,
    done: false,
    reward: null,
    ...extra,
    error: expect.objectContaining({ name: 'EpisodeFailedError', code: 'ERR_EPISODE_FAILED', ...error }),
  });
const fast = { backoff: { initialMs: 3 } };

describe('rollouts surviving faults (replaceFailedSessions, the default)', () => {
  it('drops a session whose connection dies mid-step, reports that episode failed (step unknown, never replayed) and runs the rest on a replacement', () => {
    let fakes: Fake[] = [];
    const events: RolloutSessionEvent[] = [];
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const c = connections(cold, [{ marbles: '-s----#', error: dropped(), fake: { steps: () => '--------(d|)' } }, { marbles: '-s' }]);
      fakes = c.fakes;
      const run$ = rollouts(c.session$, move, { sessions: 1, episodes: 2, seed: 1, replaceFailedSessions: fast, onSessionEvent: (e) => events.push(e) });
      expectObservable(run$).toBe('--a---f----b-------(d|)', {
        a: emitted(0, 0, 'reset', { seed: 1 }),
        f: failedStep(
          0,
          0,
          { index: 1, action: { move: 1 }, latencyMs: 4, seed: 1 },
          {
            stepUnknown: true,
            cause: expect.objectContaining({ code: 'ERR_CONNECTION_CLOSED', closeCode: 1006 }),
            context: expect.objectContaining({ sessionIndex: 0, episodeIndex: 0, stepIndex: 1, request: 'step' }),
          },
        ),
        b: emitted(0, 1, 'reset', { seed: 2 }),
        d: emitted(0, 1, 'step', { done: true }),
      });
      expectSubscriptions(c.conns[0]!.subscriptions).toBe('^-----!');
      expectSubscriptions(c.conns[1]!.subscriptions).toBe('---------^---------!');
      expectSubscriptions(c.fakes[0]!.stepSubscriptions).toBe('--^---!');
    });
    // The lost step went out once, on the dead session; the replacement ran only the next episode.
    expect(fakes.map((f) => f.actions)).toEqual([[{ move: 1 }], [{ move: 2 }]]);
    expect(fakes.map((f) => f.resets.map((r) => r.seed))).toEqual([[1], [2]]);
    expect(events.map((e) => [e.type, e.running, 'attempt' in e ? e.attempt : undefined, 'delayMs' in e ? e.delayMs : undefined])).toEqual([
      ['started', 1, undefined, undefined],
      ['ended', 0, undefined, undefined],
      ['lost', 0, 1, 3],
      ['started', 1, undefined, undefined],
      ['ended', 0, undefined, undefined],
    ]);
    expect(events[2]).toMatchObject({ error: { code: 'ERR_CONNECTION_CLOSED', context: { sessionIndex: 0, sessions: 1 } } });
  });

  it('a reply timeout on the request alone drops the session too', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const timedOut = new TimeoutError('reply', 2, { request: 'step' });
      const c = connections(cold, [{ marbles: '-s', fake: { steps: () => '--#', error: timedOut } }, { marbles: '-s' }]);
      expectObservable(rollouts(c.session$, move, { sessions: 1, episodes: 2, seed: 1, replaceFailedSessions: fast })).toBe('--a-f----b-------(d|)', {
        a: emitted(0, 0, 'reset'),
        f: failedStep(0, 0, { index: 1 }, { stepUnknown: true, cause: expect.objectContaining({ phase: 'reply' }) }),
        b: emitted(0, 1, 'reset'),
        d: emitted(0, 1, 'step', { done: true }),
      });
      expectSubscriptions(c.conns[0]!.subscriptions).toBe('^---!');
      expectSubscriptions(c.conns[1]!.subscriptions).toBe('-------^---------!');
    });
  });

  it('a fatal error frame (SESSION_ERROR: the server closed the session) is a session fault too', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const closed = new ServerError('SESSION_ERROR', 'too many queued messages', {});
      const c = connections(cold, [{ marbles: '-s', fake: { steps: () => '--#', error: closed } }, { marbles: '-s' }]);
      expectObservable(rollouts(c.session$, move, { sessions: 1, episodes: 2, seed: 1, replaceFailedSessions: fast })).toBe('--a-f----b-------(d|)', {
        a: emitted(0, 0, 'reset'),
        f: failedStep(0, 0, { index: 1, action: { move: 1 } }, { stepUnknown: false, cause: expect.objectContaining({ serverCode: 'SESSION_ERROR' }) }),
        b: emitted(0, 1, 'reset', { seed: 2 }),
        d: emitted(0, 1, 'step', { done: true }),
      });
      expectSubscriptions(c.conns[0]!.subscriptions).toBe('^---!');
    });
  });

  it('puts an episode whose reset was never answered back in the queue: it runs once, on the replacement', () => {
    let fakes: Fake[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const c = connections(cold, [{ marbles: '-s-#', error: dropped(), fake: { reset: '----a|' } }, { marbles: '-s' }]);
      fakes = c.fakes;
      expectObservable(rollouts(c.session$, move, { sessions: 1, episodes: 1, seed: 1, replaceFailedSessions: fast })).toBe('--------a---(d|)', {
        a: emitted(0, 0, 'reset', { seed: 1 }),
        d: emitted(0, 0, 'step', { done: true }),
      });
    });
    expect(fakes.map((f) => f.resets.map((r) => r.seed))).toEqual([[1], [1]]);
    expect(fakes.map((f) => f.actions.length)).toEqual([0, 1]);
  });

  it('a fault while the policy thinks: no action, step not unknown, the policy call cancelled', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const thinking = cold('---p|', { p: { move: 1 } });
      const c = connections(cold, [{ marbles: '-s--#', error: dropped() }]);
      expectObservable(rollouts(c.session$, () => thinking, { sessions: 1, episodes: 1, seed: 1 })).toBe('--a-(f|)', {
        a: emitted(0, 0, 'reset'),
        f: failedStep(0, 0, { index: 1, latencyMs: 0 }, { stepUnknown: false, context: expect.objectContaining({ request: 'policy', stepIndex: 1 }) }),
      });
      expectSubscriptions(thinking.subscriptions).toBe('--^-!');
      // Nothing left to run: no replacement.
      expectSubscriptions(c.conns[0]!.subscriptions).toBe('^---!');
    });
  });

  it('a capacity refusal of a replacement (the old slot still held) counts as a fault, not a run error', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const full = new CapacityError('Server at capacity (1/1 sessions)', { active_sessions: 1, max_sessions: 1 });
      const c = connections(cold, [{ marbles: '-s--#', error: dropped() }, { marbles: '-#', error: full }, { marbles: '-s' }]);
      const run$ = rollouts(c.session$, move, { sessions: 1, episodes: 2, seed: 1, replaceFailedSessions: { backoff: { initialMs: 2, factor: 2 } } });
      expectObservable(run$).toBe('--a-f--------b-------(d|)', {
        a: emitted(0, 0, 'reset'),
        f: failedStep(0, 0, { index: 1 }, { stepUnknown: true }),
        b: emitted(0, 1, 'reset'),
        d: emitted(0, 1, 'step', { done: true }),
      });
      // Faults at 4 (wait 2) and 7 (wait 4): replacements subscribed at 6 and 11.
      expectSubscriptions(c.conns[1]!.subscriptions).toBe('------^!');
      expectSubscriptions(c.conns[2]!.subscriptions).toBe('-----------^---------!');
    });
  });

  it('gives up after maxRetries faults in a row and errors the run when no other session runs', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const refused = () => new ConnectionError('WebSocket connection failed: ECONNREFUSED');
      const c = connections(cold, [
        { marbles: '-#', error: refused() },
        { marbles: '-#', error: refused() },
        { marbles: '-s' },
      ]);
      expectObservable(rollouts(c.session$, move, { sessions: 1, episodes: 1, replaceFailedSessions: { maxRetries: 1, backoff: { initialMs: 2 } } })).toBe(
        '----#',
        undefined,
        expect.objectContaining({ code: 'ERR_CONNECTION', context: expect.objectContaining({ sessionIndex: 0, replacements: 1, waitedMs: 2 }) }),
      );
      expectSubscriptions(c.conns[1]!.subscriptions).toBe('---^!');
      expectSubscriptions(c.conns[2]!.subscriptions).toBe([]);
    });
  });

  it('a slot that gives up while another session runs ends quietly; the other runs every episode', () => {
    const events: RolloutSessionEvent[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const c = connections(cold, [{ marbles: '-s' }, { marbles: '---#', error: new ConnectionError('ECONNRESET') }]);
      const run$ = rollouts(c.session$, move, { sessions: 2, episodes: 2, seed: 1, replaceFailedSessions: { maxRetries: 0 }, onSessionEvent: (e) => events.push(e) });
      expectObservable(run$).toBe('--a---bc-------(d|)', {
        a: emitted(0, 0, 'reset'),
        b: emitted(0, 0, 'step', { done: true }),
        c: emitted(0, 1, 'reset', { seed: 2 }),
        d: emitted(0, 1, 'step', { done: true }),
      });
    });
    expect(events.find((e) => e.type === 'gave-up')).toMatchObject({ sessionIndex: 1, running: 1, attempts: 1, reason: 'fault', error: { code: 'ERR_CONNECTION' } });
  });

  it.each(['VALIDATION_ERROR', 'EXECUTION_ERROR'])('still errors the run on what the caller must fix: an action the server refused or raised on (%s)', (serverCode) => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const refused = new ServerError(serverCode, 'bad action', {});
      const c = connections(cold, [{ marbles: '-s', fake: { steps: () => '--#', error: refused } }, { marbles: '-s' }]);
      expectObservable(rollouts(c.session$, move, { sessions: 1, episodes: 2, seed: 1 })).toBe(
        '--a-#',
        { a: emitted(0, 0, 'reset') },
        expect.objectContaining({ serverCode, context: expect.objectContaining({ sessionIndex: 0, stepIndex: 1 }) }),
      );
      expectSubscriptions(c.conns[1]!.subscriptions).toBe([]);
    });
  });

  it('on unsubscribe during the wait before a replacement, never subscribes it', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const c = connections(cold, [{ marbles: '-s--#', error: dropped() }, { marbles: '-s' }]);
      expectObservable(rollouts(c.session$, move, { sessions: 1, episodes: 2, seed: 1, replaceFailedSessions: fast }), '^-----!').toBe('--a-f-', {
        a: emitted(0, 0, 'reset'),
        f: failedStep(0, 0, { index: 1 }, { stepUnknown: true }),
      });
      expectSubscriptions(c.conns[1]!.subscriptions).toBe([]);
    });
  });

  it('rejects a bad replaceFailedSessions with an InvalidOptionError', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const { session$ } = connections(cold, [{ marbles: '-s' }]);
      const invalid = (option: string) => expect.objectContaining({ name: 'InvalidOptionError', option });
      const run = (replaceFailedSessions: unknown) => rollouts(session$, move, { sessions: 1, episodes: 1, replaceFailedSessions: replaceFailedSessions as never });
      expectObservable(run('yes')).toBe('#', undefined, invalid('replaceFailedSessions'));
      expectObservable(run({ maxRetries: -1 })).toBe('#', undefined, invalid('replaceFailedSessions.maxRetries'));
      expectObservable(run({ backoff: { factor: 0.5 } })).toBe('#', undefined, invalid('backoff.factor'));
    });
  });
});
