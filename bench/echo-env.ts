import { z } from 'zod';
import { defineEnv } from '../src/session/define-env.js';

/** The echo env as a user would declare it: typed actions, validated observations. */
export const Echo = defineEnv({
  name: 'echo',
  action: z.object({ message: z.string().min(1) }),
  observation: z.object({ echoed_message: z.string(), message_length: z.number() }),
});

/** The action every step of every section sends. */
export const ECHO_ACTION = { message: 'hello openenv-rx' };
