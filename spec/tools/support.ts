import { Subscription, type Observable } from 'rxjs';
import { z } from 'zod';
import { defineEnv } from '../../src/session/define-env.js';
import type { EnvSession } from '../../src/session/types.js';
import type { ToolSchemas } from '../../src/tools/tool-types.js';

/** The generation-H echo's tools as a client declares them (arguments and result schemas). */
export const Echo = defineEnv({
  name: 'echo_mcp',
  tools: {
    echo_message: { input: z.object({ message: z.string() }), result: z.string() },
    echo_with_length: { input: z.object({ message: z.string() }), result: z.object({ message: z.string(), length: z.int() }) },
  },
});

/** Subscribes a session Observable; resolves with the session and a `close` that unsubscribes it. */
export function openSession<A, O, S, T extends ToolSchemas>(
  session$: Observable<EnvSession<A, O, S, T>>,
): Promise<{ env: EnvSession<A, O, S, T>; failures: unknown[]; close: () => void }> {
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
