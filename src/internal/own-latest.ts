import { Observable, type Subscription } from 'rxjs';

/**
 * `switchMap` for sources whose values own resources (a transport, a started server): each value
 * runs `project(value)` in place of the previous one. Unlike `switchMap`, the result never
 * completes because the source or an inner did (what was emitted lives on until unsubscribed),
 * a source that completes without a value errors with `onEmpty()`, and unsubscribing tears the
 * inner down BEFORE the source (close the connection while the server still runs, then stop it).
 * An unsubscribe that arrives while an inner is still being subscribed (it emitted synchronously)
 * tears that inner down as soon as its subscription exists.
 *
 * @example
 * ownLatest(endpoint$, (endpoint) => sessionOn(endpoint.url), () => new ConnectionError('no endpoint'));
 */
export function ownLatest<T, R>(source$: Observable<T>, project: (value: T) => Observable<R>, onEmpty: () => unknown): Observable<R> {
  return new Observable<R>((subscriber) => {
    let inner: Subscription | undefined;
    let outer: Subscription | undefined;
    let torn = false;
    let emitted = false;
    // Registered first, so that an unsubscribe during a synchronous emission below runs it.
    subscriber.add(() => {
      torn = true;
      inner?.unsubscribe();
      outer?.unsubscribe();
    });
    const subscription = source$.subscribe({
      next: (value) => {
        emitted = true;
        inner?.unsubscribe();
        const current = project(value).subscribe({
          next: (result) => subscriber.next(result),
          error: (error: unknown) => subscriber.error(error),
        });
        if (torn) current.unsubscribe();
        else inner = current;
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => {
        if (!emitted) subscriber.error(onEmpty());
      },
    });
    if (torn) subscription.unsubscribe();
    else outer = subscription;
  });
}
