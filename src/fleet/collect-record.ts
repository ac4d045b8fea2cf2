import { isRecord } from '../internal/is-record.js';
import type { EpisodeStep } from '../session/types.js';
import type { EpisodeTranscriber, TokenUsage } from './episode-transcript.js';

/**
 * One line of `results.jsonl`: the keys of OpenEnv's `openenv collect` `EpisodeRecord`, so the
 * file loads where theirs does (`datasets.load_dataset('json', ...)`, TRL's `messages` column).
 */
export interface EpisodeRecord {
  episode_id: string;
  /**
   * The chat transcript: observations as `user` turns, actions as `assistant` turns, tool calls as
   * `tool_calls` + `tool` turns; a conversational policy's own conversation (`chatPolicy`,
   * `scriptedTeacher`: system prompt, model replies, corrections) when it keeps one.
   */
  messages: ChatMessage[];
  /**
   * `reward: 'sum'` (the default): the episode's return, the sum of the non-null step rewards (the
   * reset's reward excluded). `reward: 'final'`: the last step's reward (0 when it gave none), as
   * OpenEnv's `openenv collect` records it. Both are also in `metrics` (`return`, `final_reward`).
   */
  reward: number;
  /** The env said `done` (false when cut by `maxSteps`: then `metrics.truncated`). */
  done: boolean;
  /** One entry per `call_tool` step, shaped as OpenEnv's: `{tool_name, arguments, result: {data, done, metadata, error}}`. */
  tool_trace: ToolTraceEntry[];
  metrics: EpisodeMetrics;
  verify_metrics: Record<string, unknown>;
  artifacts: Record<string, unknown>;
  /** What defines the episode's task here: its reset seed. */
  task: { seed: number };
  extra: EpisodeExtra;
}

/** One message of an `EpisodeRecord`'s `messages`, in the OpenAI chat shape OpenEnv's `collect` writes. */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }> }
  | { role: 'tool'; tool_call_id: string; name: string; content: string };

/** One tool call of an episode, as `EpisodeRecord.tool_trace` lists it. */
export interface ToolTraceEntry {
  tool_name: string;
  arguments: Record<string, unknown>;
  result: { data: unknown; done: boolean; metadata: { step: number; reward: number | null }; error: unknown };
}

/** `EpisodeRecord.metrics`: what the episode measured (OpenEnv's keys plus openenv-rx's timings). */
export interface EpisodeMetrics {
  /** Steps taken (the reset is not a step). */
  steps: number;
  return: number;
  /** The last step's reward (null when the env gave none). */
  final_reward: number | null;
  truncated: boolean;
  /** From the reset being sent to the last result, ms. */
  duration_ms: number;
  reset_ms: number;
  /** Per-step request latency (policy time excluded), ms. */
  step_ms_mean: number | null;
  step_ms_max: number | null;
  /** Time the policy took per decision, ms. */
  policy_ms_mean: number | null;
  /** OpenEnv's harness metrics, with a conversational policy: model turns and tool calls. */
  turns?: number;
  tool_calls?: number;
  /** Token usage of the episode's model calls (a `chatPolicy`), as the endpoint reported it. */
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  model_calls?: number;
}

/** `EpisodeRecord.extra`: where the episode sits in the run (index, seed, session, attempt). */
export interface EpisodeExtra {
  /** Global index in the run (0 .. episodes-1); the id and the seed derive from it. */
  episode_index: number;
  seed: number;
  run_seed: number;
  /** The server's URL (which of the fleet ran it). */
  server: string | undefined;
  /** Wall clock, ISO 8601. */
  started_at: string;
  ended_at: string;
  /** Per step, aligned with the assistant turns: reward, flags and timings. */
  steps: Array<{ reward: number | null; done: boolean; truncated: boolean; latency_ms: number; policy_ms: number }>;
}

/**
 * Episode ids derive from the run seed and the episode index only, so a resumed run plans the
 * same ids and skips those already written: `s<seed>-e<index, 6 digits>`, or with a `prefix`
 * OpenEnv's own scheme `<prefix>-<index, 6 digits>` (its `openenv collect` uses `ep`), so a
 * resume of a directory OpenEnv's collect wrote skips its episodes.
 *
 * @example
 * collectEpisodeId(7, 42); // 's7-e000042'
 * collectEpisodeId(7, 42, 'ep'); // 'ep-000042'
 */
export function collectEpisodeId(runSeed: number, index: number, prefix?: string): string {
  const digits = String(index).padStart(6, '0');
  return prefix === undefined ? `s${runSeed}-e${digits}` : `${prefix}-${digits}`;
}

/** Timings of one request, measured around the session call (see `collect`). */
export interface StepTiming {
  latencyMs: number;
  policyMs: number;
}

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

/** Builds an `EpisodeRecord` step by step as the results arrive (nothing kept but what the record needs). */
export class EpisodeRecordBuilder<A, O> {
  private readonly messages: ChatMessage[] = [];
  private readonly toolTrace: ToolTraceEntry[] = [];
  private readonly steps: EpisodeExtra['steps'] = [];
  private total = 0;
  private lastReward: number | null = null;
  private done = false;
  private truncated = false;
  private resetMs = 0;
  private readonly startedAt = new Date();
  private last: EpisodeStep<A, O> | undefined;
  server: string | undefined;

  constructor(
    readonly episodeId: string,
    readonly index: number,
    readonly seed: number,
    readonly runSeed: number,
    /** What the record's `reward` is (see `EpisodeRecord.reward`). */
    readonly rewardMode: 'sum' | 'final' = 'sum',
    /** The policy's own conversation, when it keeps one: `messages` and `tool_trace` come from it. */
    private readonly transcriber?: EpisodeTranscriber,
  ) {}

  /** The episode failed: the policy may forget its conversation. */
  discard(): void {
    this.transcriber?.discard(this.episodeId);
  }

  /** Steps recorded so far (the reset excluded). */
  get length(): number {
    return this.steps.length;
  }

  add(step: EpisodeStep<A, O>, timing: StepTiming): void {
    this.done = step.done;
    this.truncated = step.truncated;
    this.last = step;
    if (this.transcriber) {
      if (step.kind === 'reset') this.resetMs = round3(timing.latencyMs);
      else this.addStep(step, timing);
      return;
    }
    if (step.kind === 'reset') {
      this.resetMs = round3(timing.latencyMs);
      this.messages.push({ role: 'user', content: json(step.observation) });
      return;
    }
    const action = step.action as unknown;
    const call = toolCall(action);
    if (call) {
      const id = `call_${step.index}`;
      const observation: Record<string, unknown> = isRecord(step.observation) ? step.observation : {};
      this.messages.push({ role: 'assistant', content: '', tool_calls: [{ id, type: 'function', function: { name: call.name, arguments: json(call.args) } }] });
      this.messages.push({ role: 'tool', tool_call_id: id, name: call.name, content: json(observation['error'] ? { error: observation['error'] } : (observation['result'] ?? null)) });
      this.toolTrace.push({
        tool_name: call.name,
        arguments: call.args,
        result: { data: observation['result'] ?? null, done: step.done, metadata: { step: step.index, reward: step.reward }, error: observation['error'] ?? null },
      });
    } else {
      this.messages.push({ role: 'assistant', content: json(action) });
      this.messages.push({ role: 'user', content: json(step.observation) });
    }
    this.addStep(step, timing);
  }

  private addStep(step: EpisodeStep<A, O>, timing: StepTiming): void {
    if (step.reward !== null) this.total += step.reward;
    this.lastReward = step.reward;
    this.steps.push({ reward: step.reward, done: step.done, truncated: step.truncated, latency_ms: round3(timing.latencyMs), policy_ms: round3(timing.policyMs) });
  }

  build(): EpisodeRecord {
    const ended = new Date();
    const n = this.steps.length;
    let latency = 0;
    let max = 0;
    let policy = 0;
    for (const s of this.steps) {
      latency += s.latency_ms;
      max = Math.max(max, s.latency_ms);
      policy += s.policy_ms;
    }
    const transcript = this.transcriber && this.last ? this.transcriber.finish(this.last as EpisodeStep<unknown, unknown>) : undefined;
    const usage: Partial<TokenUsage> = transcript?.usage ?? {};
    return {
      episode_id: this.episodeId,
      messages: transcript?.messages ?? this.messages,
      reward: this.rewardMode === 'final' ? (this.lastReward ?? 0) : this.total,
      done: this.done,
      tool_trace: transcript?.toolTrace ?? this.toolTrace,
      metrics: {
        steps: n,
        return: this.total,
        final_reward: this.lastReward,
        truncated: this.truncated,
        duration_ms: ended.getTime() - this.startedAt.getTime(),
        reset_ms: this.resetMs,
        step_ms_mean: n ? round3(latency / n) : null,
        step_ms_max: n ? max : null,
        policy_ms_mean: n ? round3(policy / n) : null,
        ...(transcript && { turns: transcript.messages.filter((m) => m.role === 'assistant').length, tool_calls: transcript.toolTrace.length, ...usage }),
      },
      verify_metrics: {},
      artifacts: {},
      task: { seed: this.seed },
      extra: {
        episode_index: this.index,
        seed: this.seed,
        run_seed: this.runSeed,
        server: this.server,
        started_at: this.startedAt.toISOString(),
        ended_at: ended.toISOString(),
        steps: this.steps,
      },
    };
  }
}

/** A tool env's step action (`{type: 'call_tool', tool_name, arguments}`), else undefined. */
function toolCall(action: unknown): { name: string; args: Record<string, unknown> } | undefined {
  if (!isRecord(action) || action['type'] !== 'call_tool' || typeof action['tool_name'] !== 'string') return undefined;
  return { name: action['tool_name'], args: isRecord(action['arguments']) ? action['arguments'] : {} };
}

const json = (value: unknown): string => JSON.stringify(value ?? null);
