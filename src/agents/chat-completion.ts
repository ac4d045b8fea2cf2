import { LlmRequestError, LlmTimeoutError } from '../errors/agent-errors.js';
import type { ChatMessage } from '../fleet/collect-record.js';
import { messageOf } from '../internal/error-context.js';
import { openaiTools, type AgentTool } from './agent-tools.js';
import type { ReplyToolCall } from './episode-conversation.js';
import type { OpenAIClient } from './openai-client.js';

/** One model reply: its text, its tool calls and the tokens it used. */
export interface ChatReply {
  content: string | null;
  toolCalls: ReplyToolCall[];
  usage: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | undefined;
}

/** The sampling settings of every request. */
export interface ChatRequestSettings {
  model: string;
  temperature: number | undefined;
  maxTokens: number | undefined;
  stream: boolean;
  /** The longest a request may take, the client's retries included. */
  timeoutMs: number;
}

/**
 * One Chat Completions request (streamed as SSE chunks when `stream`, assembled by the client's
 * own stream helper), aborted by `signal` or after `timeoutMs`. Errors become `LlmRequestError`
 * (status and whether another episode may fare better) or `LlmTimeoutError`.
 */
export async function requestCompletion(
  client: OpenAIClient,
  settings: ChatRequestSettings,
  messages: readonly ChatMessage[],
  tools: readonly AgentTool[],
  signal: AbortSignal,
): Promise<ChatReply> {
  const controller = new AbortController();
  const abort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', abort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, settings.timeoutMs);
  if (signal.aborted) abort();
  const body = {
    model: settings.model,
    messages: messages as never,
    tools: openaiTools(tools),
    ...(settings.temperature !== undefined && { temperature: settings.temperature }),
    ...(settings.maxTokens !== undefined && { max_tokens: settings.maxTokens }),
  };
  const options = { signal: controller.signal, timeout: settings.timeoutMs };
  // The client sleeps between retries without watching the signal: the abort must not wait for it.
  const stopped = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }));
  try {
    const request = settings.stream
      ? client.chat.completions.stream({ ...body, stream: true, stream_options: { include_usage: true } }, options).finalChatCompletion()
      : client.chat.completions.create(body, options);
    request.catch(() => undefined); // settles after an abort, unobserved
    const completion = await Promise.race([request, stopped]);
    const message = completion.choices[0]?.message;
    if (!message) throw new LlmRequestError(`The endpoint ${client.baseURL} answered without a choice (model ${settings.model})`, 200, true, { model: settings.model });
    const toolCalls = (message.tool_calls ?? []).flatMap((call) =>
      call.type === 'function' ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments ?? '' }] : [],
    );
    return { content: message.content ?? null, toolCalls, usage: completion.usage ?? undefined };
  } catch (error) {
    if (timedOut) throw new LlmTimeoutError(settings.timeoutMs, { model: settings.model, endpoint: client.baseURL });
    if (signal.aborted || error instanceof LlmRequestError) throw error;
    throw requestError(client, settings.model, error);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', abort);
  }
}

// 408, 409, 429, 5xx and no answer at all may go better for another episode; 4xx means the key, model or request is wrong.
function requestError(client: OpenAIClient, model: string, error: unknown): LlmRequestError {
  const status = (error as { status?: unknown }).status;
  const code = typeof status === 'number' ? status : undefined;
  const retriable = code === undefined || code === 408 || code === 409 || code === 429 || code >= 500;
  const what = code === undefined ? 'could not be reached' : `answered HTTP ${code}`;
  return new LlmRequestError(`The Chat Completions endpoint ${client.baseURL} ${what} (model ${model}): ${messageOf(error)}`, code, retriable, { model, endpoint: client.baseURL }, { cause: error });
}
