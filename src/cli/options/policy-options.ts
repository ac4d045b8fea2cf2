import { InvalidArgumentError, Option, type Command } from 'commander';
import type { AgentFlags } from '../agent-policy.js';
import { parseIntArg } from '../io.js';
import { looksLikeModulePath } from '../load-user-module.js';

function parsePolicy(value: string): string {
  if (value === 'random' || looksLikeModulePath(value)) return value;
  throw new InvalidArgumentError('expected "random" or the path of an ES module (e.g. ./my-policy.js)');
}

/** Parsed policy flags (shared by every command that runs episodes). */
export interface PolicyFlags extends AgentFlags {
  policy: string;
  seed: number;
  maxSteps: number;
}

/** Adds `--policy`, `--seed`, `--max-steps`. */
export function addPolicyOptions(command: Command): Command {
  return command
    .option(
      '--policy <random|./policy.js>',
      'the agent: random (uniform over the action schema, or over the legal actions an observation lists) or an ES module whose default export is a policy (observation, last) => action | Promise | Observable',
      parsePolicy,
      'random',
    )
    .option('--seed <n>', 'episode i is reset with seed + i; the random policy is seeded too', parseIntArg(0), 0)
    .option('--max-steps <n>', 'cut episodes at this many steps (truncated; default 200, 9 for an agent as OpenEnv\'s --max-turns)', parseIntArg(1), 200)
    .addOption(new Option('--provider <kind>', "an agent instead of --policy, as OpenEnv's collect teachers: scripted (the first legal action, no key) or openai (a model over the Chat Completions API)").choices(['scripted', 'openai']))
    .option('--llm-endpoint <url>', 'an OpenAI-compatible server (vLLM, llama.cpp, Ollama, TGI): /v1 is appended when the URL has no path; the key comes from OPENAI_API_KEY (or API_KEY), never printed or recorded')
    .option('--model <id>', 'the model (required with --provider openai or --llm-endpoint)')
    .option('--temperature <t>', 'sampling temperature (default 0.2)', parseNumberArg)
    .option('--max-tokens <n>', 'completion tokens per reply (default 200)', parseIntArg(1))
    .option('--system-prompt <text>', "the agent's system prompt (default: OpenEnv collect's)")
    .option('--llm-concurrency <n>', 'model requests in flight at once over all sessions (default: one per session)', parseIntArg(1))
    .option('--llm-timeout <seconds>', 'the longest one model request may take, retries of 429/5xx included (default 120)', parseIntArg(1))
    .option('--llm-stream', 'ask for streamed replies (SSE chunks)');
}

function parseNumberArg(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number >= 0, got "${value}"`);
  return n;
}
