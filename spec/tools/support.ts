import { Subscription, type Observable } from 'rxjs';
import { z } from 'zod';
import { defineEnv } from '../../src/session/define-env.js';

/** The generation-H echo's tools as a client declares them (arguments and result schemas). */
export const Echo = defineEnv({
  name: 'echo_mcp',
  tools: {
    echo_message: { input: z.object({ message: z.string() }), result: z.string() },
    echo_with_length: { input: z.object({ message: z.string() }), result: z.object({ message: z.string(), length: z.int() }) },
  },
});

/** Subscribes a resource Observable (a session); resolves with its first value and a `close` that unsubscribes it. */
export function openSession<X>(session$: Observable<X>): Promise<{ env: X; failures: unknown[]; close: () => void }> {
  const subscription = new Subscription();
  const failures: unknown[] = [];
  return new Promise((resolve, reject) => {
    let opened = false;
    subscription.add(
      session$.subscribe({
        next: (env) => {
          opened = true;
          resolve({ env, failures, close: () => subscription.unsubscribe() });
        },
        error: (error: unknown) => (opened ? failures.push(error) : reject(error)),
      }),
    );
  });
}
