import type { EpisodeStep } from '../session/types.js';
import type { ChatMessage, ToolTraceEntry } from './collect-record.js';

/** Tokens an episode's model calls used, as the endpoints report them (`usage`). */
export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Chat Completions requests made (corrections and retried requests counted once each). */
  model_calls: number;
}

/** What a conversational policy hands the recorder when an episode ends. */
export interface EpisodeTranscript {
  /** The conversation as OpenEnv's `collect` writes it: system, user, assistant (with `tool_calls`), tool turns. */
  messages: ChatMessage[];
  /** One entry per action the env ran, in OpenEnv's `tool_trace` shape. */
  toolTrace: ToolTraceEntry[];
  /** Absent when no model was called (a scripted teacher). */
  usage?: TokenUsage;
}

/**
 * What a policy that keeps a chat conversation (`chatPolicy`, `scriptedTeacher`) offers under the
 * `EPISODE_TRANSCRIPT` key, so `collect` and `rollout` record its conversation instead of
 * building `messages` from the actions.
 */
export interface EpisodeTranscriber {
  /** The episode ended with `last` (its final result, not yet seen by the policy): its transcript; the policy forgets it. */
  finish(last: EpisodeStep<unknown, unknown>): EpisodeTranscript | undefined;
  /** The episode failed: forget it. */
  discard(episodeId: string): void;
}

/** The key of a policy function's `EpisodeTranscriber` (`Symbol.for`, so two copies of the package agree). */
export const EPISODE_TRANSCRIPT: unique symbol = Symbol.for('openenv-rx.episodeTranscript');

/**
 * The transcriber a policy carries, if any.
 *
 * @example
 * const Grid = defineEnv({ name: 'grid_world' });
 * const teacher = scriptedTeacher({ tools: [actionAsTool({ type: 'object', properties: { action: { enum: ['UP', 'DOWN', 'LEFT', 'RIGHT'] } }, required: ['action'] })] });
 * const steps = await firstValueFrom(Grid.connect('http://127.0.0.1:8000').pipe(withSession((env) => env.episode(teacher, { maxSteps: 3 }).pipe(toArray()))));
 * console.log(transcriberOf(teacher)?.finish(steps[steps.length - 1]!)?.messages);
 */
export function transcriberOf(policy: unknown): EpisodeTranscriber | undefined {
  if (typeof policy !== 'function') return undefined;
  const transcriber = (policy as unknown as Record<symbol, unknown>)[EPISODE_TRANSCRIPT];
  return typeof transcriber === 'object' && transcriber !== null ? (transcriber as EpisodeTranscriber) : undefined;
}
