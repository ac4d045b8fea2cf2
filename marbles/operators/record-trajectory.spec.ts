import { Writable } from 'node:stream';
import { recordTrajectory } from '../../src/operators/record-trajectory.js';
import { newScheduler, step } from '../episode/episode-fixtures.js';

/** An in-memory sink; `end: false` keeps completion synchronous so virtual time can see it. */
const memorySink = () => {
  const lines: string[] = [];
  const sink = new Writable({
    write: (chunk: Buffer, _enc, cb) => {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { sink, lines };
};
const values = {
  r: step(0, 0, { at: 1, sentAt: 0, seed: 4 }),
  a: step(1, 1, { at: 3, sentAt: 1, seed: 4, action: { move: 1 }, done: true }),
};

describe('recordTrajectory (virtual time)', () => {
  it('passes every step through at the same frame, writing it first', () => {
    const { sink, lines } = memorySink();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const steps = cold('-r-a|', values);
      expectObservable(steps.pipe(recordTrajectory(sink, { end: false }))).toBe('-r-a|', values);
      expectSubscriptions(steps.subscriptions).toBe('^---!');
    });
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      expect.objectContaining({ kind: 'reset', seed: 4, index: 0, timestamp: 1, action: null }),
      expect.objectContaining({ kind: 'step', index: 1, action: { move: 1 }, done: true }),
    ]);
  });

  it('completes empty and stays silent on a never-emitting source', () => {
    const { sink, lines } = memorySink();
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<ReturnType<typeof step>>('--|').pipe(recordTrajectory(sink, { end: false }))).toBe('--|');
      expectObservable(cold<ReturnType<typeof step>>('-').pipe(recordTrajectory(sink, { end: false }))).toBe('-');
    });
    expect(lines).toEqual([]);
  });

  it('passes a source error through after the lines before it', () => {
    const { sink, lines } = memorySink();
    const failure = new Error('step failed');
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-r-#', values, failure).pipe(recordTrajectory(sink, { end: false }))).toBe('-r-#', values, failure);
    });
    expect(lines).toHaveLength(1);
  });

  it('unsubscribes its source on early unsubscribe and writes nothing after', () => {
    const { sink, lines } = memorySink();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const steps = cold('-r-a|', values);
      expectObservable(steps.pipe(recordTrajectory(sink, { end: false })), '^-!').toBe('-r-', values);
      expectSubscriptions(steps.subscriptions).toBe('^-!');
    });
    expect(lines).toHaveLength(1);
  });
});
