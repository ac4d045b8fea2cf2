import { Observable, type Subscription } from 'rxjs';

/** Wraps a cold Observable so that it runs only when every earlier wrapped one has finished. */
export type FifoGate = <T>(source: Observable<T>) => Observable<T>;

/**
 * A one-at-a-time gate: wrapped Observables start in subscription order, each after the previous
 * one completed, errored or was unsubscribed. Unsubscribing a waiting one just removes it.
 *
 * @example
 * const gate = createFifoGate();
 * merge(gate(timer(50)), gate(of('second'))).subscribe(console.log); // 0, then 'second'
 */
export function createFifoGate(): FifoGate {
  let busy = false;
  const waiting: Array<() => void> = [];
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else busy = false;
  };

  return <T>(source: Observable<T>) =>
    new Observable<T>((subscriber) => {
      let holding = false;
      let inner: Subscription | undefined;
      const finish = (): void => {
        if (!holding) return;
        holding = false;
        release();
      };
      const start = (): void => {
        holding = true;
        inner = source.subscribe({
          next: (value) => subscriber.next(value),
          error: (error: unknown) => {
            finish();
            subscriber.error(error);
          },
          complete: () => {
            finish();
            subscriber.complete();
          },
        });
      };
      if (busy) waiting.push(start);
      else {
        busy = true;
        start();
      }
      return () => {
        const index = waiting.indexOf(start);
        if (index >= 0) waiting.splice(index, 1);
        inner?.unsubscribe();
        finish();
      };
    });
}
