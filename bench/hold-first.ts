import type { Observable, Subscription } from 'rxjs';
import { onCleanup } from './cleanup.js';

/** The first value of a resource Observable, with the unsubscribe that ends the resource. */
export interface Held<T> {
  value: T;
  /** Unsubscribes (closes what the subscription holds); registered with the bench cleanup. */
  close(): Promise<void>;
}

/** Subscribes to `source$` and resolves with its first value; the subscription stays open until `close()`. */
export function holdFirst<T>(source$: Observable<T>): Promise<Held<T>> {
  return new Promise((resolve, reject) => {
    let subscription: Subscription | undefined;
    const close = onCleanup(() => subscription?.unsubscribe());
    subscription = source$.subscribe({
      next: (value) => resolve({ value, close }),
      error: (error: unknown) => {
        void close();
        reject(error);
      },
    });
  });
}
