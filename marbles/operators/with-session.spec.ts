import { withSession } from '../../src/operators/with-session.js';
import { newScheduler } from '../episode/episode-fixtures.js';

describe('withSession', () => {
  it('completes when the work completes, releasing the never-completing session', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const session$ = cold('-s', { s: 'env' });
      const work = cold('  -a-b|');
      expectObservable(session$.pipe(withSession(() => work))).toBe('--a-b|');
      expectSubscriptions(session$.subscriptions).toBe('^----!');
      expectSubscriptions(work.subscriptions).toBe('-^---!');
    });
  });

  it('hands the session to the project function', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-s', { s: 'env-1' }).pipe(withSession((env) => cold('-(x|)', { x: `${env}!` })))).toBe('--(x|)', { x: 'env-1!' });
    });
  });

  it('completes on a session source that completes empty, and waits on one that never emits', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('--|').pipe(withSession(() => cold('a|')))).toBe('--|');
      expectObservable(cold('-').pipe(withSession(() => cold('a|')))).toBe('-');
    });
  });

  it('errors when the work errors, and unsubscribes the session', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const session$ = cold('-s');
      expectObservable(session$.pipe(withSession(() => cold('-a#', undefined, 'step failed')))).toBe('--a#', undefined, 'step failed');
      expectSubscriptions(session$.subscriptions).toBe('^--!');
    });
  });

  it('errors when the session dies under the work, and unsubscribes the work', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const work = cold('  -a---b|');
      expectObservable(cold('-s--#', undefined, 'connection lost').pipe(withSession(() => work))).toBe('--a-#', undefined, 'connection lost');
      expectSubscriptions(work.subscriptions).toBe('-^--!');
    });
  });

  it('on early unsubscribe, unsubscribes both the work and the session', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const session$ = cold('-s');
      const work = cold('  -a---b|');
      expectObservable(session$.pipe(withSession(() => work)), '^---!').toBe('--a--');
      expectSubscriptions(session$.subscriptions).toBe('^---!');
      expectSubscriptions(work.subscriptions).toBe('-^--!');
    });
  });
});
