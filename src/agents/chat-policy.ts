import { Observable } from 'rxjs';
import { AgentReplyError } from '../errors/agent-errors.js';
import { InvalidOptionError } from '../errors/usage-errors.js';
import { EPISODE_TRANSCRIPT, type EpisodeTranscriber } from '../fleet/episode-transcript.js';
import { assertInteger } from '../internal/assert-option.js';
import type { EpisodeStep, Policy } from '../session/types.js';
import { checkToolCall, type AgentTool } from './agent-tools.js';
import { CallLimiter } from './call-limiter.js';
import { requestCompletion } from './chat-completion.js';
import { ConversationBook, EpisodeConversation, jsonObservation, type ObservationFormatter } from './episode-conversation.js';
import { loadOpenAI, type OpenAIClient } from './openai-client.js';
import { toolAction, type AgentAction } from './tool-action.js';

/** OpenEnv's `collect` system prompt, the default. */
export const DEFAULT_SYSTEM_PROMPT = `You are playing a game through a tool-calling interface.
For each turn, inspect the observation and call the provided tool with a
valid argument. Only call one tool per turn.`;

/**
 * A client of the `openai` package (`new OpenAI({ ... })` or `new AzureOpenAI({ ... })`), as
 * `chatPolicy`'s `client` option takes it. Typed by the part chatPolicy reads, so that the
 * package's types never need `openai` installed (it is an optional peer dependency).
 */
export interface OpenAICompatibleClient {
  readonly baseURL: string;
  readonly chat: { readonly completions: object };
}

/** Options of `chatPolicy`. */
export interface ChatPolicyOptions {
  /** The model id the endpoint serves. */
  model: string;
  /**
   * The functions offered: a tool env's tools (`agentToolsOf(listed)`) or a game env's action
   * (`[actionAsTool(schema)]`), or a Promise of them (learnt from the first session).
   */
  tools: readonly AgentTool[] | Promise<readonly AgentTool[]>;
  /** The endpoint's base URL, e.g. `http://127.0.0.1:8000/v1` (vLLM, llama.cpp, Ollama, TGI); default OpenAI's. */
  baseURL?: string;
  /** Default `process.env.OPENAI_API_KEY` (OpenEnv's variable), else `'not-needed'` when `baseURL` is set. Never logged or recorded. */
  apiKey?: string;
  /** A configured client instead (an `OpenAI` or `AzureOpenAI` of the `openai` package): `baseURL`, `apiKey`, `maxRetries` then unused. */
  client?: OpenAICompatibleClient;
  /** Default `DEFAULT_SYSTEM_PROMPT`; `''` for none. */
  systemPrompt?: string;
  temperature?: number;
  maxTokens?: number;
  /** Ask for SSE chunks (`stream: true`) and assemble them. Default false. */
  stream?: boolean;
  /** The longest one model request may take, its retries included (not the wait for a slot). Default 120 000. */
  stepTimeoutMs?: number;
  /** Retries of a request answered 408, 409, 429 or 5xx, or unanswered, with backoff honouring `Retry-After` (the client's own). Default 2. */
  maxRetries?: number;
  /** Model requests in flight at once over all episodes of this policy; the others wait. Default: no limit. */
  maxConcurrentRequests?: number;
  /**
   * A limiter shared with other policies calling the same endpoint (`new CallLimiter(n)`): the
   * endpoint's cap over all of them. Replaces `maxConcurrentRequests`.
   */
  limiter?: CallLimiter;
  /** Bad replies (unknown tool, arguments that are not JSON or fail the schema, no tool call) answered back with the error before the step fails with `AgentReplyError`. Default 2. */
  maxCorrections?: number;
  /** Latest turns sent with each request, beside the system prompt and the first observation. Default 40. */
  maxHistoryMessages?: number;
  /** The reset's observation as the text of the first user turn. Default: its JSON. */
  formatObservation?: ObservationFormatter;
}

/** A policy that also hands its conversations to `collect` and `rollout` (see `EpisodeTranscriber`). */
export type AgentPolicy = Policy<AgentAction, unknown> & { readonly [EPISODE_TRANSCRIPT]: EpisodeTranscriber };

/**
 * A policy played by an LLM over the OpenAI Chat Completions API, so any compatible server works
 * (vLLM, llama.cpp's server, Ollama, TGI, hosted APIs) through `baseURL`. The env's tools are
 * offered as functions; the observation becomes a user turn; the model's tool call, checked
 * against the tool's schema before anything is sent, becomes the action (`{type: 'call_tool', ...}`
 * for a tool env, the arguments themselves for an action tool). A bad reply is answered back with
 * its error up to `maxCorrections` times, then the step fails with `AgentReplyError`. Each episode
 * keeps its conversation (the request window bounded by `maxHistoryMessages`); `collect` writes it
 * as the record's `messages` and `tool_trace`, with token usage in `metrics`. Used elsewhere (a
 * plain `env.episode`), the conversations of the latest 4096 episodes stay in memory until
 * `transcriberOf(policy).finish(lastStep)` or `.discard(episodeId)` lets them go. Needs the optional
 * `openai` package (`OptionalDependencyError` otherwise).
 *
 * @example
 * const EchoMcp = defineEnv({ name: 'echo_mcp' });
 * const source = perServer(inProcessEndpoint(echoMcpEnv, { maxSessions: 4 }), EchoMcp.fromEndpoint);
 * const { tools } = await firstValueFrom(EchoMcp.connect('http://127.0.0.1:8000').pipe(withSession((env) => env.listTools())));
 * const policy = chatPolicy({ baseURL: 'http://127.0.0.1:8080/v1', model: 'qwen2.5-7b-instruct', tools: agentToolsOf(tools) });
 * collect(source, policy, { out: 'runs/agent', episodes: 20, sessions: 4, maxSteps: 5 }).subscribe();
 */
export function chatPolicy(options: ChatPolicyOptions): AgentPolicy {
  assertChatPolicyOptions(options);
  const { model, maxCorrections = 2, maxHistoryMessages = 40, formatObservation = jsonObservation } = options;
  const systemPrompt = options.systemPrompt ?? DEFAULT_SYSTEM_PROMPT;
  const settings = { model, temperature: options.temperature, maxTokens: options.maxTokens, stream: options.stream ?? false, timeoutMs: options.stepTimeoutMs ?? 120_000 };
  const limiter = options.limiter ?? new CallLimiter(options.maxConcurrentRequests ?? Number.POSITIVE_INFINITY);
  const book = new ConversationBook(() => new EpisodeConversation(formatObservation, systemPrompt || undefined));
  let client: Promise<OpenAIClient> | undefined;
  const clientOf = () =>
    (client ??= options.client
      ? Promise.resolve(options.client as unknown as OpenAIClient)
      : loadOpenAI().then(
          ({ OpenAI }) =>
            new OpenAI({
              apiKey: options.apiKey ?? process.env['OPENAI_API_KEY'] ?? (options.baseURL ? 'not-needed' : undefined),
              ...(options.baseURL !== undefined && { baseURL: options.baseURL }),
              maxRetries: options.maxRetries ?? 2,
            }),
        ));

  async function decide(conversation: EpisodeConversation, last: EpisodeStep<unknown, unknown>, signal: AbortSignal): Promise<AgentAction> {
    const tools = await options.tools;
    const problems: string[] = [];
    const refused = (problem: string) => {
      problems.push(problem);
      if (problems.length > maxCorrections) throw new AgentReplyError(problems, { episodeId: last.episodeId, stepIndex: last.index + 1, model });
    };
    for (;;) {
      const call = conversation.queued.shift();
      if (call) {
        const checked = checkToolCall(tools, call.name, call.arguments);
        if (checked.ok) {
          conversation.run(call.id, checked.tool, checked.args);
          return toolAction(checked.tool, checked.args);
        }
        conversation.refuse(call, checked.problem);
        refused(checked.problem);
        continue;
      }
      const openai = await clientOf();
      const reply = await limiter.run(() => requestCompletion(openai, settings, conversation.window(maxHistoryMessages), tools, signal), signal);
      conversation.addUsage(reply.usage);
      conversation.addReply(reply.content, reply.toolCalls);
      if (!reply.toolCalls.length) {
        conversation.askForCall(tools);
        refused('the reply called no tool');
      }
    }
  }

  const policy = (_observation: unknown, last: EpisodeStep<AgentAction, unknown>): Observable<AgentAction> =>
    new Observable<AgentAction>((subscriber) => {
      const step = last as EpisodeStep<unknown, unknown>;
      const conversation = book.of(step.episodeId);
      conversation.observe(step);
      const controller = new AbortController();
      decide(conversation, step, controller.signal).then(
        (action) => {
          subscriber.next(action);
          subscriber.complete();
        },
        (error: unknown) => subscriber.error(error),
      );
      // An episode cut off (timeout, unsubscribe) aborts its request in flight.
      return () => controller.abort();
    });
  return Object.assign(policy, { [EPISODE_TRANSCRIPT]: book }) as AgentPolicy;
}

function assertChatPolicyOptions(options: ChatPolicyOptions): void {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', options, 'an object with model and tools');
  if (typeof options.model !== 'string' || options.model === '') throw new InvalidOptionError('model', options.model, 'the model id (a non-empty string)');
  if (!Array.isArray(options.tools) && typeof (options.tools as { then?: unknown } | undefined)?.then !== 'function') {
    throw new InvalidOptionError('tools', options.tools, 'an array of AgentTool (agentToolsOf(listed) or [actionAsTool(schema)]) or a Promise of one');
  }
  if (Array.isArray(options.tools) && options.tools.length === 0) throw new InvalidOptionError('tools', options.tools, 'at least one tool');
  assertInteger('stepTimeoutMs', options.stepTimeoutMs, 1);
  assertInteger('maxRetries', options.maxRetries, 0);
  assertInteger('maxCorrections', options.maxCorrections, 0);
  assertInteger('maxHistoryMessages', options.maxHistoryMessages, 1);
  if (options.maxConcurrentRequests !== undefined) assertInteger('maxConcurrentRequests', options.maxConcurrentRequests, 1);
  if (options.limiter !== undefined && !(options.limiter instanceof CallLimiter)) throw new InvalidOptionError('limiter', options.limiter, 'a CallLimiter');
  if (options.temperature !== undefined && (typeof options.temperature !== 'number' || !(options.temperature >= 0))) throw new InvalidOptionError('temperature', options.temperature, 'a number >= 0');
  assertInteger('maxTokens', options.maxTokens, 1);
  if (options.formatObservation !== undefined && typeof options.formatObservation !== 'function') throw new InvalidOptionError('formatObservation', options.formatObservation, 'a function (observation, step) => string');
}
