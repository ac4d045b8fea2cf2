import { z } from 'zod';
import { defineEnv } from '../../../src/session/define-env.js';

/** The echo env as the fault server (and the fixture image) speak it: typed action and observation. */
export const Echo = defineEnv({
  name: 'echo',
  action: z.object({ message: z.string().min(1) }),
  observation: z.object({ echoed_message: z.string(), message_length: z.number() }),
});

/** An action for step `i`. */
export const say = (i: number): { message: string } => ({ message: `m${i}` });
