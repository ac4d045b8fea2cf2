import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { agentToolsOf, type AgentTool } from '../src/agents/agent-tools.js';
import { chatPolicy } from '../src/agents/chat-policy.js';
import { collect, type CollectEvent, type CollectSummary } from '../src/fleet/collect.js';
import { withSession } from '../src/operators/with-session.js';
import { defineEnv } from '../src/session/define-env.js';
import { BUILTIN_SERVER, startChildServer } from './child-server.js';
import { onCleanup } from './cleanup.js';
import type { BenchConfig, Row, SectionResult } from './section-result.js';
import { interleave, medianPairedRatio, medianUsPerOp, round } from './stats.js';

/** The scripted OpenAI-compatible server of the tests: every reply after a fixed delay. */
const LLM_SERVER = fileURLToPath(new URL('../../spec/fixtures/llm-server.mjs', import.meta.url));
const MODEL_MS = 200;
const IN_FLIGHT = 8;
const CAPPED = 4;
const MAX_STEPS = 3;
/** Episodes per hour with N in flight ≥ 0.9 × N × the sequential loop's: time per episode ≤ 1 / (0.9 N) of it. */
const TARGET = round(1 / (0.9 * IN_FLIGHT));

const EchoMcp = defineEnv({ name: 'echo_mcp' });

/** Starts spec/fixtures/llm-server.mjs answering every request after `delayMs`; resolves with its /v1 URL. */
function startLlmServer(delayMs: number): Promise<{ baseURL: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [LLM_SERVER], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LLM_SERVER_DELAY_MS: String(delayMs) } });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('llm-server did not listen within 20 s')), 20_000);
    child.once('exit', (code) => reject(new Error(`llm-server exited (${code})`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^\{"port":(\d+)\}\n/.exec(out);
      if (!match) return;
      clearTimeout(timer);
      resolve({ baseURL: `http://127.0.0.1:${match[1]}/v1`, stop });
    });
  });
}

/** One collect of `episodes` agent episodes over `sessions` sessions, model calls capped at `cap`. */
async function runAgents(url: string, baseURL: string, tools: AgentTool[], episodes: number, sessions: number, cap: number): Promise<CollectSummary> {
  const out = mkdtempSync(join(tmpdir(), 'openenv-rx-bench-agents-'));
  try {
    const policy = chatPolicy({ baseURL, apiKey: 'not-needed', model: 'bench', tools, maxConcurrentRequests: cap });
    const events = await lastValueFrom(collect(EchoMcp.connect(url, { transport: 'ws' }), policy, { out, episodes, sessions, maxSteps: MAX_STEPS }).pipe(toArray()));
    const summary = (events.at(-1) as Extract<CollectEvent, { type: 'summary' }>).summary;
    if (summary.recorded !== episodes) throw new Error(`collect recorded ${summary.recorded} of ${episodes} agent episodes (${JSON.stringify(summary.failures)})`);
    return summary;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * Section `agents`: episodes per hour of an LLM agent (`chatPolicy` over the scripted
 * OpenAI-compatible server, every reply after 200 ms, a fast model) on echo_mcp, 3 steps per episode: `collect`
 * with 8 episodes in flight over 8 sessions (model calls capped at 8), against the same agent run
 * one episode after another on one session. Headline: time per episode ÷ the sequential loop's
 * (target ≤ 1/(0.9 × 8): at least 0.9 of the ideal 8-fold). Also: a cap of 4 model calls under
 * the same 8 sessions (ideal 4-fold: the cap, not the sessions, bounds it).
 */
export async function agentsSection(config: BenchConfig): Promise<SectionResult> {
  const [server, llm] = await Promise.all([startChildServer(BUILTIN_SERVER, ['echo_mcp'], { MAX_CONCURRENT_ENVS: String(IN_FLIGHT) }), startLlmServer(MODEL_MS)]);
  try {
    const listed = await firstValueFrom(EchoMcp.connect(server.url, { transport: 'ws' }).pipe(withSession((env) => env.listTools({ via: 'mcp' }))));
    const tools = agentToolsOf(listed.tools);
    const sequentialEpisodes = config.smoke ? 1 : 4;
    const parallelEpisodes = sequentialEpisodes * IN_FLIGHT;
    const rounds = config.smoke ? 1 : 3;
    const samples = await interleave(rounds, {
      parallel: async () => (await runAgents(server.url, llm.baseURL, tools, parallelEpisodes, IN_FLIGHT, IN_FLIGHT)).recorded,
      capped: async () => (await runAgents(server.url, llm.baseURL, tools, sequentialEpisodes * CAPPED, IN_FLIGHT, CAPPED)).recorded,
      sequential: async () => (await runAgents(server.url, llm.baseURL, tools, sequentialEpisodes, 1, 1)).recorded,
    });
    const ratio = medianPairedRatio(samples.parallel, samples.sequential);
    const cappedRatio = medianPairedRatio(samples.capped, samples.sequential);
    const perHour = (us: number) => round(3_600_000_000 / us);
    const row = (what: string, key: 'parallel' | 'capped' | 'sequential', vs: number, ideal: number): Row => {
      const us = medianUsPerOp(samples[key]);
      return { what, 'episodes/hour': perHour(us), 'ms/episode': round(us / 1000), 'vs sequential': round(vs), speedup: round(1 / vs), 'of ideal': round(1 / vs / ideal) };
    };
    return {
      id: 'agents',
      title: `Agents: episodes per hour, ${IN_FLIGHT} in flight vs a sequential loop (model answers in ${MODEL_MS} ms)`,
      status: 'ok',
      baseline: `the same chatPolicy on one session, one episode after another (${MAX_STEPS} steps, a ${MODEL_MS} ms model per step); ratio = time per episode (${round(1 / IN_FLIGHT)} ideal)`,
      ratio: round(ratio),
      target: TARGET,
      met: ratio <= TARGET,
      rows: [
        row(`collect, ${IN_FLIGHT} sessions, model calls capped at ${IN_FLIGHT}`, 'parallel', ratio, IN_FLIGHT),
        row(`collect, ${IN_FLIGHT} sessions, model calls capped at ${CAPPED}`, 'capped', cappedRatio, CAPPED),
        row('sequential loop, 1 session (baseline)', 'sequential', 1, 1),
      ],
      notes: [
        `Headline: time per episode with ${IN_FLIGHT} in flight ÷ the sequential loop's, median of ${rounds} interleaved round(s) (${parallelEpisodes} vs ${sequentialEpisodes} episodes per round); "of ideal" = speedup ÷ the ideal fold (target ≥ 0.9).`,
        'Both sides are collect runs (records written, conversations kept, the openai client over HTTP keep-alive), so the comparison charges nothing to one side only.',
        `Env: serve-builtin echo_mcp in a child process; model: spec/fixtures/llm-server.mjs (the tests' scripted server) in another, answering after ${MODEL_MS} ms.`,
      ],
    };
  } finally {
    await Promise.all([server.stop(), llm.stop()]);
  }
}
