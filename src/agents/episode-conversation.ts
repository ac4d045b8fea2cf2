import type { ChatMessage, ToolTraceEntry } from '../fleet/collect-record.js';
import type { TokenUsage } from '../fleet/episode-transcript.js';
import { isRecord } from '../internal/is-record.js';
import { toolStepOutcome } from '../tools/tool-results.js';
import type { EpisodeStep } from '../session/types.js';
import type { AgentTool } from './agent-tools.js';
import { pythonJsonDumps, toolMessageContent } from './python-json.js';

/** Turns an observation into the text of a `user` turn (the reset's observation; a game env's later ones go in tool turns). */
export type ObservationFormatter = (observation: unknown, step: EpisodeStep<unknown, unknown>) => string;

/** The default formatter: the observation as JSON (where OpenEnv's scripted teacher finds `legal_actions`). */
export const jsonObservation: ObservationFormatter = (observation) => JSON.stringify(observation ?? null);

/** A tool call of a model reply, as the endpoint sent it. */
export interface ReplyToolCall {
  id: string;
  name: string;
  /** The arguments as JSON text (possibly invalid). */
  arguments: string;
}

/** The call the env is running: its result, the next step, becomes a tool turn and a `tool_trace` entry. */
interface CallInFlight {
  id: string;
  tool: AgentTool;
  args: Record<string, unknown>;
}

/**
 * One episode's conversation, in OpenEnv's record shapes: the system prompt, the observation as a
 * user turn, each assistant reply (with `tool_calls`), each result as a tool turn answering its
 * call, and the corrections sent back to the model. Results are folded in as the steps arrive
 * (`observe`, idempotent per step index); the last one when the recorder ends the episode.
 */
export class EpisodeConversation {
  readonly messages: ChatMessage[] = [];
  readonly toolTrace: ToolTraceEntry[] = [];
  readonly usage: TokenUsage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, model_calls: 0 };
  /** Tool calls of the last reply not yet run (a reply may call several: they run in order, as OpenEnv's harness runs them). */
  queued: ReplyToolCall[] = [];
  private inFlight: CallInFlight | undefined;
  private seen = -1;

  constructor(
    private readonly format: ObservationFormatter,
    systemPrompt: string | undefined,
  ) {
    if (systemPrompt) this.messages.push({ role: 'system', content: systemPrompt });
  }

  /** Folds a step's result in: the reset's observation as a user turn, a step's as the tool turn of the call that caused it. */
  observe(step: EpisodeStep<unknown, unknown>): void {
    if (step.index <= this.seen) return;
    this.seen = step.index;
    if (step.kind === 'reset') {
      this.messages.push({ role: 'user', content: this.format(step.observation, step) });
      return;
    }
    const call = this.inFlight;
    this.inFlight = undefined;
    if (!call) return;
    const observation = step.observation;
    let data: unknown;
    let error: unknown = null;
    if (call.tool.kind === 'tool') {
      // What the tool returned (OpenEnv's `data`), or its error's message (OpenEnv's `error` is a string).
      ({ data, error } = toolOutcome(call.tool.name, observation, step));
    } else {
      // OpenEnv's StepEnvSessionAdapter default: the whole step as the tool's data.
      data = { tool_name: call.tool.name, arguments: call.args, observation, reward: step.reward, done: step.done };
    }
    this.messages.push({ role: 'tool', tool_call_id: call.id, name: call.tool.name, content: toolMessageContent(data, error) });
    this.toolTrace.push({ tool_name: call.tool.name, arguments: call.args, result: { data, done: step.done, metadata: { step: step.index, reward: step.reward }, error } });
  }

  /** A model (or scripted) reply: the assistant turn as OpenEnv writes it (arguments re-dumped as Python's `json.dumps`). */
  addReply(content: string | null, toolCalls: readonly ReplyToolCall[]): void {
    const message: ChatMessage = { role: 'assistant', content: content ?? '' };
    if (toolCalls.length) {
      message.tool_calls = toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: redumped(call.arguments) } }));
    }
    this.messages.push(message);
    this.queued = [...toolCalls];
  }

  /** The env will run `call`: its result answers it. */
  run(id: string, tool: AgentTool, args: Record<string, unknown>): void {
    this.inFlight = { id, tool, args };
  }

  /** A bad call answered back with its error; the rest of the reply's calls are answered as not run (every call needs an answer). */
  refuse(call: ReplyToolCall, problem: string): void {
    this.messages.push({ role: 'tool', tool_call_id: call.id, name: call.name, content: `Error: ${problem}` });
    for (const skipped of this.queued) this.messages.push({ role: 'tool', tool_call_id: skipped.id, name: skipped.name, content: 'Error: not run, an earlier call of this reply failed' });
    this.queued = [];
  }

  /** A reply that called no tool, answered with a user turn asking for one. */
  askForCall(tools: readonly AgentTool[]): void {
    this.messages.push({ role: 'user', content: `Call one of the tools (${tools.map((t) => t.name).join(', ')}) to act.` });
  }

  addUsage(usage: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null | undefined): void {
    this.usage.model_calls++;
    if (!usage) return;
    this.usage.prompt_tokens += usage.prompt_tokens ?? 0;
    this.usage.completion_tokens += usage.completion_tokens ?? 0;
    this.usage.total_tokens += usage.total_tokens ?? (usage.prompt_tokens ?? 0) + (usage.completion_tokens ?? 0);
  }

  /**
   * What is sent to the model: the system prompt and the first observation, then at most
   * `maxMessages` of the latest turns, never starting on a tool turn (its call would be cut off).
   */
  window(maxMessages: number): ChatMessage[] {
    const head = this.messages.findIndex((m) => m.role === 'user') + 1;
    if (this.messages.length - head <= maxMessages) return this.messages;
    let start = this.messages.length - maxMessages;
    while (start < this.messages.length && this.messages[start]!.role === 'tool') start++;
    return [...this.messages.slice(0, head), ...this.messages.slice(start)];
  }
}

function toolOutcome(tool: string, observation: unknown, step: EpisodeStep<unknown, unknown>): { data: unknown; error: unknown } {
  try {
    const outcome = toolStepOutcome(tool, observation, { reward: step.reward, done: step.done }, undefined, () => ({}));
    return outcome.ok ? { data: outcome.value ?? null, error: null } : { data: null, error: outcome.error.toolMessage };
  } catch {
    // An observation of no known shape: recorded as it came.
    return { data: isRecord(observation) ? (observation['result'] ?? observation) : observation, error: isRecord(observation) ? (observation['error'] ?? null) : null };
  }
}

// OpenEnv parses the model's arguments and writes `json.dumps(args)`; text that is not JSON stays as sent.
function redumped(argumentsText: string): string {
  try {
    return pythonJsonDumps(JSON.parse(argumentsText));
  } catch {
    return argumentsText;
  }
}

/**
 * The conversations of the episodes a policy is playing, by episode id, at most `limit` (the
 * oldest dropped: an episode abandoned without `finish` or `discard` cannot leak). It is the
 * policy's `EpisodeTranscriber`.
 */
export class ConversationBook {
  private readonly open = new Map<string, EpisodeConversation>();

  constructor(
    private readonly create: () => EpisodeConversation,
    private readonly limit = 4096,
  ) {}

  of(episodeId: string): EpisodeConversation {
    let conversation = this.open.get(episodeId);
    if (!conversation) {
      conversation = this.create();
      this.open.set(episodeId, conversation);
      if (this.open.size > this.limit) this.open.delete(this.open.keys().next().value!);
    }
    return conversation;
  }

  finish(last: EpisodeStep<unknown, unknown>): { messages: ChatMessage[]; toolTrace: ToolTraceEntry[]; usage?: TokenUsage } | undefined {
    const conversation = this.open.get(last.episodeId);
    if (!conversation) return undefined;
    this.open.delete(last.episodeId);
    conversation.observe(last);
    return { messages: conversation.messages, toolTrace: conversation.toolTrace, ...(conversation.usage.model_calls > 0 && { usage: conversation.usage }) };
  }

  discard(episodeId: string): void {
    this.open.delete(episodeId);
  }

  /** Open conversations (for tests of the bound). */
  get size(): number {
    return this.open.size;
  }
}
