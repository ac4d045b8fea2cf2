import { TestScheduler } from 'rxjs/testing';
import { ConnectionClosedError, ConnectionError, ProtocolError, ServerExitedError } from '../../src/errors/index.js';
import { explainLoss } from '../../src/session/explain-connection-loss.js';

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

const closed = new ConnectionClosedError('The server closed the connection (code 1006)', 1006, '');
const reset = new ConnectionError('WebSocket connection failed: ECONNRESET');
const exited = new ServerExitedError('container', 137, ['echo fixture listening'], { containerId: 'abc' });
const protocol = new ProtocolError('The server sent a binary frame', undefined);

describe('explainLoss (a lost connection reported as the server exit that caused it)', () => {
  it('replaces a connection loss by the server exit reported within the grace period', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('  a-#', { a: 1 }, closed);
      const failure = cold<never>('   ---#', undefined, exited);
      const sourceSubs = '  ^-!';
      const failureSubs = ' --^--!';
      expectObservable(source.pipe(explainLoss(failure, 10))).toBe('a----#', { a: 1 }, exited);
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      expectSubscriptions(failure.subscriptions).toBe(failureSubs);
    });
  });

  it('rethrows the loss as is when no exit is reported in time (the server lives on)', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('  -#', undefined, reset);
      const failure = cold<never>('  -', undefined);
      expectObservable(source.pipe(explainLoss(failure, 5))).toBe('------#', undefined, reset);
      expectSubscriptions(failure.subscriptions).toBe(' -^----!');
    });
  });

  it('passes every other error through at once, without waiting', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('  --#', undefined, protocol);
      const failure = cold<never>('  #', undefined, exited);
      expectObservable(source.pipe(explainLoss(failure, 10))).toBe('--#', undefined, protocol);
      expectSubscriptions(failure.subscriptions).toBe([]);
    });
  });

  it('leaves values, completion and an empty source alone', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const failure = cold<never>('#', undefined, exited);
      expectObservable(cold('a-b|').pipe(explainLoss(failure, 10))).toBe('a-b|');
      expectObservable(cold('|').pipe(explainLoss(failure, 10))).toBe('|');
      expectObservable(cold('-').pipe(explainLoss(failure, 10))).toBe('-');
    });
  });

  it('an early unsubscribe while waiting for the explanation tears the wait down', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('  -#', undefined, closed);
      const failure = cold<never>('  -----#', undefined, exited);
      expectObservable(source.pipe(explainLoss(failure, 10)), '^--!').toBe('-');
      expectSubscriptions(failure.subscriptions).toBe(' -^-!');
    });
  });
});
