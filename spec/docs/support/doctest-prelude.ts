/**
 * What a `doctest: with NAME` fragment runs inside (copied next to the compiled snippets, imported
 * by their preludes): `hold` opens a session, pool or vector env for the fragment and keeps it open,
 * `settle` waits for the work of the fragment's last statement (an Observable runs to its end, a
 * Subscription until it closes, a Promise until it settles) and then closes what `hold` opened, so
 * that the program exits on its own like a whole one.
 */
import { isObservable, lastValueFrom, Subscription, type Observable } from 'rxjs';

const held = new Subscription();

/** Subscribes to `source` until `settle` and resolves with its first value (rejects if it fails first). */
export function hold<T>(source: Observable<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    let opened = false;
    held.add(
      source.subscribe({
        next: (value) => {
          opened = true;
          resolve(value);
        },
        error: (error: unknown) => {
          if (!opened) return reject(error);
          // A held session that fails while the fragment runs is the fragment's failure.
          console.error('doctest prelude: the held resource failed:', error);
          process.exitCode = 1;
        },
      }),
    );
  });
}

/** Waits for `result` (the fragment's last expression) to be done, then closes everything `hold` opened. */
export async function settle(result: unknown): Promise<void> {
  try {
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
    else if (result instanceof Subscription) await new Promise<void>((resolve) => result.add(() => resolve()));
    else if (result instanceof Promise) await result;
  } finally {
    held.unsubscribe();
  }
}
