import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ReportInputError } from '../errors/report-errors.js';
import { checked } from './checked-line.js';
import { jsonLines, parseLine } from './json-lines.js';
import type { RunAccumulator } from './run-accumulator.js';

const RESULTS_FILE = /^results(?:-\d{5,})?\.jsonl$/;

/** The fields of an `EpisodeRecord` (openenv-rx's or OpenEnv's `openenv collect`) the report reads; the rest is ignored. */
const RecordLine = z.looseObject({
  episode_id: z.string(),
  reward: z.number().nullish(),
  done: z.boolean().nullish(),
  metrics: z.looseObject({ steps: z.number().nullish(), return: z.number().nullish(), final_reward: z.number().nullish(), truncated: z.boolean().nullish() }).nullish(),
  extra: z
    .looseObject({
      episode_index: z.number().nullish(),
      server: z.string().nullish(),
      started_at: z.string().nullish(),
      ended_at: z.string().nullish(),
      steps: z.array(z.looseObject({ latency_ms: z.number().nullish() })).nullish(),
    })
    .nullish(),
});

const FailureLine = z.looseObject({
  episode_id: z.string(),
  at: z.string().nullish(),
  steps: z.number().nullish(),
  server: z.string().nullish(),
  error: z.looseObject({ code: z.string().nullish(), message: z.string().nullish() }).nullish(),
});

const Metadata = z.looseObject({
  status: z.string().nullish(),
  config: z.looseObject({ target: z.string().nullish(), policy: z.string().nullish(), seed: z.number().nullish() }).nullish(),
});

const UNKNOWN_SERVER = '(server not recorded)';

/**
 * Streams a `collect` directory into `into`: every results file (`results.jsonl` or shards) in
 * name order, then `failures.jsonl`; `metadata.json` (optional) describes the run in the notes.
 * Groups are the servers (`extra.server`); step latencies come from `extra.steps`.
 */
export async function readCollectDir(dir: string, into: RunAccumulator): Promise<void> {
  const names = readdirSync(dir);
  const results = names.filter((name) => RESULTS_FILE.test(name)).sort();
  if (!results.length && !names.includes('metadata.json')) {
    throw new ReportInputError(`${dir} is not a collect directory: it has no results*.jsonl and no metadata.json`, { path: dir });
  }
  if (names.includes('metadata.json')) describe(join(dir, 'metadata.json'), into);
  let order = 0;
  for (const name of results) {
    const path = join(dir, name);
    for await (const line of jsonLines(path)) {
      const value = parseLine(path, line);
      if (value === undefined) {
        into.notes.push(`${name}: skipped a torn last line (line ${line.line})`);
        continue;
      }
      const record = checked(RecordLine, value, path, line.line, 'an EpisodeRecord');
      const extra = record.extra ?? {};
      const group = extra.server ?? UNKNOWN_SERVER;
      const steps = extra.steps ?? [];
      into.addEpisode({
        index: extra.episode_index ?? order,
        return: record.metrics?.return ?? record.reward ?? 0,
        length: record.metrics?.steps ?? steps.length,
        terminated: record.done ?? false,
        truncated: record.metrics?.truncated ?? false,
        finalReward: record.metrics && 'final_reward' in record.metrics ? record.metrics.final_reward : undefined,
        startMs: epochMs(extra.started_at),
        endMs: epochMs(extra.ended_at),
        group,
      });
      order++;
      for (const step of steps) if (typeof step.latency_ms === 'number') into.addStepLatency(group, step.latency_ms);
    }
  }
  if (names.includes('failures.jsonl')) {
    const path = join(dir, 'failures.jsonl');
    for await (const line of jsonLines(path)) {
      const value = parseLine(path, line);
      if (value === undefined) {
        into.notes.push(`failures.jsonl: skipped a torn last line (line ${line.line})`);
        continue;
      }
      const failure = checked(FailureLine, value, path, line.line, 'a failure record');
      into.addFailure({
        atMs: epochMs(failure.at),
        episodeId: failure.episode_id,
        code: failure.error?.code ?? 'other',
        message: failure.error?.message ?? '',
        group: failure.server ?? UNKNOWN_SERVER,
        steps: failure.steps ?? 0,
      });
    }
  }
}

function describe(path: string, into: RunAccumulator): void {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new ReportInputError(`${path} is not JSON: ${(cause as Error).message}`, { path }, { cause });
  }
  const meta = checked(Metadata, value, path, undefined, 'collect metadata');
  const config = meta.config ?? {};
  const parts = [config.target, config.policy && `policy ${config.policy}`, typeof config.seed === 'number' && `seed ${config.seed}`, meta.status && `status ${meta.status}`];
  const text = parts.filter((p): p is string => typeof p === 'string' && p !== '').join(', ');
  if (text) into.notes.push(`collect: ${text}`);
}

const epochMs = (iso: string | null | undefined): number | undefined => {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
};
