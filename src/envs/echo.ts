import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ActionMetadata, BaseState, defineServerEnv, type EnvResetOptions, type EnvState, type Environment, type StepOutcome } from '../environment/environment.js';

export const EchoAction = z
  .strictObject({
    message: z.string().min(1).describe('Message to echo back'),
    metadata: ActionMetadata,
  })
  .meta({ title: 'EchoAction', description: 'Action for the Echo environment - just a message to echo.' });
export type EchoAction = z.infer<typeof EchoAction>;

export const EchoObservation = z
  .strictObject({
    echoed_message: z.string().describe('The echoed message from the environment'),
    message_length: z.int().min(0).default(0).describe('Length of the echoed message'),
  })
  .meta({ title: 'EchoObservation', description: 'Observation from the Echo environment - the echoed message.' });
export type EchoObservation = z.infer<typeof EchoObservation>;

/** Python's `len()`: code points, not UTF-16 units (an emoji counts 1, as in OpenEnv). */
export function codePointLength(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length--;
        i++;
      }
    }
  }
  return length;
}

/** OpenEnv's legacy echo env: echoes the message, reward 0.1 × its length, never done. */
export class EchoEnvironment implements Environment<EchoAction, EchoObservation> {
  private episodeId: string = randomUUID();
  private stepCount = 0;

  reset(options: EnvResetOptions): StepOutcome<EchoObservation> {
    this.episodeId = options.episodeId ?? randomUUID();
    this.stepCount = 0;
    return { observation: { echoed_message: 'Echo environment ready!', message_length: 0 }, reward: 0, done: false };
  }

  step(action: EchoAction): StepOutcome<EchoObservation> {
    this.stepCount++;
    const length = codePointLength(action.message);
    return { observation: { echoed_message: action.message, message_length: length }, reward: length * 0.1, done: false };
  }

  state(): EnvState {
    return { episode_id: this.episodeId, step_count: this.stepCount };
  }
}

/**
 * The echo env of OpenEnv generations A/B (before it became an MCP tool env): action
 * `{message}` (min 1 char, optional `metadata`), observation `{echoed_message, message_length}`.
 *
 * @example
 * const server = await serve(echoEnv);
 * await server.close();
 */
export const echoEnv = defineServerEnv({
  name: 'echo',
  title: 'EchoEnvironment',
  action: EchoAction,
  observation: EchoObservation,
  state: BaseState,
  create: () => new EchoEnvironment(),
});
