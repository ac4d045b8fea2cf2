import { defer, type Observable } from 'rxjs';
import type { RunHelpers } from 'rxjs/testing';
import { ConnectionError, TimeoutError } from '../../src/errors/connection-errors.js';
import { CapacityError, ServerError } from '../../src/errors/protocol-errors.js';
import { retryConnect } from '../../src/operators/retry-connect.js';
import { newScheduler } from '../episode/episode-fixtures.js';

// A fresh error per use: layers add context to an error in place.
const refused = () => new ConnectionError('connect ECONNREFUSED 127.0.0.1:8000', { url: 'http://127.0.0.1:8000' });
const backoff = { initialMs: 2, factor: 2, jitter: 0 };
type Session = { id: string };

/** The k-th subscription of the returned Observable is `attempts[k]`, each a cold Observable of one session. */
function attemptsOf(cold: RunHelpers['cold'], marbles: string[], errors: unknown[] = []) {
  const attempts = marbles.map((m, i) => cold<Session>(m, { s: { id: `s${i}` } }, errors[i] ?? refused()));
  let k = 0;
  const session$: Observable<Session> = defer(() => attempts[k++]!);
  return { attempts, session$ };
}

describe('retryConnect', () => {
  it('passes a session through without retrying', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const { attempts, session$ } = attemptsOf(cold, ['-s--|']);
      expectObservable(session$.pipe(retryConnect({ backoff }))).toBe('-s--|', { s: { id: 's0' } });
      expectSubscriptions(attempts[0]!.subscriptions).toBe('^---!');
    });
  });

  it('retries connection failures with exponential backoff until one connects', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const { attempts, session$ } = attemptsOf(cold, ['-#', '-#', '-s']);
      // fails at 1, waits 2, fails at 4, waits 4, connects at 9.
      expectObservable(session$.pipe(retryConnect({ maxRetries: 3, backoff }))).toBe('---------s', { s: { id: 's2' } });
      expectSubscriptions(attempts[0]!.subscriptions).toBe('^!');
      expectSubscriptions(attempts[1]!.subscriptions).toBe('---^!');
      expectSubscriptions(attempts[2]!.subscriptions).toBe('--------^');
    });
  });

  it('retries a connect-phase TimeoutError but not a reply timeout', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const connectTimeout = new TimeoutError('connect', 10);
      const replyTimeout = new TimeoutError('reply', 10);
      const retried = attemptsOf(cold, ['-#', '-s'], [connectTimeout]);
      expectObservable(retried.session$.pipe(retryConnect({ backoff }))).toBe('----s', { s: { id: 's1' } });
      const notRetried = attemptsOf(cold, ['-#', '-s'], [replyTimeout]);
      expectObservable(notRetried.session$.pipe(retryConnect({ backoff }))).toBe('-#', undefined, replyTimeout);
    });
  });

  it('retries a CapacityError only when asked', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const full = new CapacityError('at capacity', { active_sessions: 1, max_sessions: 1 });
      const plain = attemptsOf(cold, ['-#', '-s'], [full]);
      expectObservable(plain.session$.pipe(retryConnect({ backoff }))).toBe(
        '-#',
        undefined,
        expect.objectContaining({ code: 'ERR_CAPACITY', context: expect.objectContaining({ attempts: 1 }) }),
      );
      const asked = attemptsOf(cold, ['-#', '-s'], [full]);
      expectObservable(asked.session$.pipe(retryConnect({ backoff, retryOnCapacity: true }))).toBe('----s', { s: { id: 's1' } });
    });
  });

  it('never retries once a session was emitted (its requests may have reached the server)', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const dropped = refused();
      const { attempts, session$ } = attemptsOf(cold, ['-s--#', '-s'], [dropped]);
      expectObservable(session$.pipe(retryConnect({ backoff }))).toBe('-s--#', { s: { id: 's0' } }, dropped);
      expectSubscriptions(attempts[1]!.subscriptions).toBe([]);
    });
  });

  it('never retries other errors', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const crash = new ServerError('FACTORY_ERROR', 'env factory raised', {});
      const { session$ } = attemptsOf(cold, ['-#', '-s'], [crash]);
      expectObservable(session$.pipe(retryConnect({ backoff }))).toBe('-#', undefined, crash);
    });
  });

  it('gives up after maxRetries with the last error, naming the attempts', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const { session$ } = attemptsOf(cold, ['-#', '-#', '-#']);
      expectObservable(session$.pipe(retryConnect({ maxRetries: 2, backoff }))).toBe(
        '---------#',
        undefined,
        expect.objectContaining({ code: 'ERR_CONNECTION', context: expect.objectContaining({ attempts: 3, url: 'http://127.0.0.1:8000' }) }),
      );
    });
  });

  it('accepts a backoff function', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const { session$ } = attemptsOf(cold, ['-#', '-s']);
      expectObservable(session$.pipe(retryConnect({ backoff: (attempt) => attempt * 5 }))).toBe('-------s', { s: { id: 's1' } });
    });
  });

  it('completes on an empty source and waits on a never-connecting one', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<Session>('--|').pipe(retryConnect({ backoff }))).toBe('--|');
      expectObservable(cold<Session>('-').pipe(retryConnect({ backoff }))).toBe('-');
    });
  });

  it('on unsubscribe during the backoff wait, never resubscribes', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const { attempts, session$ } = attemptsOf(cold, ['-#', '-s']);
      expectObservable(session$.pipe(retryConnect({ backoff: { initialMs: 10 } })), '^----!').toBe('------');
      expectSubscriptions(attempts[0]!.subscriptions).toBe('^!');
      expectSubscriptions(attempts[1]!.subscriptions).toBe([]);
    });
  });

  it('rejects bad options with an InvalidOptionError', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const { session$ } = attemptsOf(cold, ['-s']);
      const invalid = (option: string) => expect.objectContaining({ name: 'InvalidOptionError', option });
      expectObservable(session$.pipe(retryConnect({ maxRetries: -1 }))).toBe('#', undefined, invalid('maxRetries'));
      expectObservable(session$.pipe(retryConnect({ backoff: { jitter: 2 } }))).toBe('#', undefined, invalid('backoff.jitter'));
    });
  });
});
