import { merge } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { createFifoGate } from '../../src/transport/fifo-gate.js';

describe('createFifoGate', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('runs the second source only after the first completed', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const gate = createFifoGate();
      const a = cold('--a|');
      const b = cold('-b|');
      expectObservable(merge(gate(a), gate(b))).toBe('--a-b|');
      expectSubscriptions(a.subscriptions).toBe('^--!');
      expectSubscriptions(b.subscriptions).toBe('---^-!');
    });
  });

  it('passes an empty source through and releases at once', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const gate = createFifoGate();
      const empty = cold('|');
      const b = cold('-b|');
      expectObservable(merge(gate(empty), gate(b))).toBe('-b|');
      expectSubscriptions(b.subscriptions).toBe('^-!');
    });
  });

  it('releases after an error', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const gate = createFifoGate();
      const failing = cold('--#');
      const b = cold('-b|');
      expectObservable(gate(failing)).toBe('--#');
      expectObservable(gate(b)).toBe('---b|');
      expectSubscriptions(b.subscriptions).toBe('--^-!');
    });
  });

  it('holds the queue behind a source that never completes until it is unsubscribed', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const gate = createFifoGate();
      const never = cold('-');
      const b = cold('-b|');
      expectObservable(gate(never), '^---!').toBe('-');
      expectObservable(gate(b)).toBe('-----b|');
      expectSubscriptions(never.subscriptions).toBe('^---!');
      expectSubscriptions(b.subscriptions).toBe('----^-!');
    });
  });

  it('an early unsubscribe of a waiting source removes it from the queue', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const gate = createFifoGate();
      const a = cold('---a|');
      const dropped = cold('x|');
      const c = cold('c|');
      expectObservable(gate(a)).toBe('---a|');
      expectObservable(gate(dropped), '^-!').toBe('');
      expectObservable(gate(c)).toBe('----c|');
      expectSubscriptions(dropped.subscriptions).toBe([]);
      expectSubscriptions(c.subscriptions).toBe('----^!');
    });
  });
});
