import { firstValueFrom } from 'rxjs';
import { actionAsTool, agentToolsOf, type AgentTool } from '../agents/agent-tools.js';
import { chatPolicy, DEFAULT_SYSTEM_PROMPT } from '../agents/chat-policy.js';
import { openaiBaseUrl } from '../agents/openai-base-url.js';
import { scriptedTeacher } from '../agents/scripted-teacher.js';
import { EPISODE_TRANSCRIPT } from '../fleet/episode-transcript.js';
import { hasCode } from '../internal/error-context.js';
import type { Policy } from '../session/types.js';
import type { EnvSession } from '../session/types.js';
import type { ToolInfo } from '../tools/tool-types.js';
import { recording, type CliPolicy } from './cli-policy.js';
import { isToolActionSchema } from './random-tool-policy.js';

/** The agent flags (`--provider`, `--llm-endpoint`, `--model`, ...), shared by `rollout` and `collect`. */
export interface AgentFlags {
  provider?: 'scripted' | 'openai';
  llmEndpoint?: string;
  model?: string;
  temperature?: number;
  maxTokens?: number;
  systemPrompt?: string;
  llmConcurrency?: number;
  llmTimeout?: number;
  llmStream?: boolean;
}

/** OpenEnv's `collect --max-turns` default: an agent's episodes end after 9 steps unless `--max-steps` says otherwise. */
export const AGENT_MAX_STEPS = 9;

/** The environment variables OpenEnv's `collect` reads the OpenAI key from, in order. */
export const OPENAI_KEY_VARIABLES = ['OPENAI_API_KEY', 'API_KEY'] as const;

/** True when the flags ask for an agent (`--provider` or `--llm-endpoint`) rather than `--policy`. */
export const usesAgent = (flags: AgentFlags): boolean => flags.provider !== undefined || flags.llmEndpoint !== undefined;

/** An agent of the CLI: the policy, what to ask each new session for, and how metadata names it (never with the key). */
export interface CliAgent extends CliPolicy {
  /** Every session opened: the first that answers gives a tool env's tool list. */
  onSession(session: EnvSession): void;
  label: string;
  /** What defines the dataset, for `metadata.json` (and `--resume`'s comparison). */
  dataset: Record<string, unknown>;
}

/**
 * The agent the flags describe, as OpenEnv's `collect` builds its teacher: `--provider scripted`
 * (the default with no endpoint) plays the first legal action and needs no key; `--provider
 * openai` or `--llm-endpoint URL` asks a model (`--model` required) with the key from
 * `OPENAI_API_KEY` (or `API_KEY`; `not-needed` for an endpoint without one). A tool env's tools
 * come from the first session's `tools/list`; a game env's action is offered as one tool, `act`.
 */
export function loadAgentPolicy(flags: AgentFlags & { policy?: string }, schema: Promise<Record<string, unknown>>, env: NodeJS.ProcessEnv = process.env): CliAgent {
  if (flags.policy !== undefined && flags.policy !== 'random') throw new Error(`--policy ${flags.policy} and an agent (--provider, --llm-endpoint) both choose the actions: pass one`);
  const llm = flags.llmEndpoint !== undefined || flags.provider === 'openai';
  if (llm && !flags.model) throw new Error('--model is required with --provider openai or --llm-endpoint');
  let resolveListed!: (tools: ToolInfo[]) => void;
  let rejectListed!: (error: unknown) => void;
  const listed = new Promise<ToolInfo[]>((resolve, reject) => {
    resolveListed = resolve;
    rejectListed = reject;
  });
  listed.catch(() => undefined); // surfaced through the policy
  let asking = false;
  let known = false;
  const tools: Promise<readonly AgentTool[]> = schema.then((action) => (isToolActionSchema(action) ? listed.then(agentToolsOf) : [actionAsTool(action)]));
  tools.catch(() => undefined);
  const onSession = (session: EnvSession) => {
    if (asking || known) return;
    asking = true;
    schema.then(
      (action) => {
        if (!isToolActionSchema(action)) return;
        firstValueFrom(session.listTools({ via: 'mcp' })).then(
          (list) => {
            known = true;
            resolveListed(list.tools);
          },
          (error: unknown) => {
            asking = false;
            // The server's own answer decides; a lost or refused session leaves it to the next one.
            if (hasCode(error, 'ERR_JSON_RPC') || hasCode(error, 'ERR_HTTP_STATUS') || hasCode(error, 'ERR_PROTOCOL')) rejectListed(error);
          },
        );
      },
      () => undefined,
    );
  };
  let policy: Policy<Record<string, unknown>, unknown>;
  let label: string;
  let dataset: Record<string, unknown>;
  if (llm) {
    const baseURL = flags.llmEndpoint !== undefined ? openaiBaseUrl(flags.llmEndpoint) : undefined;
    const apiKey = OPENAI_KEY_VARIABLES.map((name) => env[name]).find((value) => value) ?? (baseURL ? 'not-needed' : undefined);
    if (!apiKey) throw new Error(`--provider openai needs an API key in ${OPENAI_KEY_VARIABLES.join(' or ')} (or --llm-endpoint for a server without one)`);
    policy = chatPolicy({
      model: flags.model!,
      tools,
      apiKey,
      ...(baseURL !== undefined && { baseURL }),
      systemPrompt: flags.systemPrompt ?? DEFAULT_SYSTEM_PROMPT,
      // OpenEnv's collect defaults: temperature 0.2, 200 completion tokens.
      temperature: flags.temperature ?? 0.2,
      maxTokens: flags.maxTokens ?? 200,
      stream: flags.llmStream ?? false,
      ...(flags.llmConcurrency !== undefined && { maxConcurrentRequests: flags.llmConcurrency }),
      ...(flags.llmTimeout !== undefined && { stepTimeoutMs: flags.llmTimeout * 1000 }),
    }) as unknown as Policy<Record<string, unknown>, unknown>;
    label = baseURL ? `openai-compatible:${flags.model}` : `openai:${flags.model}`;
    dataset = { provider: baseURL ? 'openai-compatible' : 'openai', model: flags.model, llm_endpoint: baseURL ?? null, temperature: flags.temperature ?? 0.2, max_tokens: flags.maxTokens ?? 200 };
  } else {
    policy = scriptedTeacher({ tools, ...(flags.systemPrompt !== undefined && { systemPrompt: flags.systemPrompt }) }) as unknown as Policy<Record<string, unknown>, unknown>;
    label = 'scripted';
    dataset = { provider: 'scripted', model: null, llm_endpoint: null };
  }
  const recorded = recording(policy, label, true);
  // The wrapper must still hand the conversations to the recorder.
  Object.assign(recorded.policy, { [EPISODE_TRANSCRIPT]: (policy as unknown as Record<symbol, unknown>)[EPISODE_TRANSCRIPT] });
  return { ...recorded, onSession, label, dataset };
}
