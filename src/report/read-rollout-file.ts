import { z } from 'zod';
import { ReportInputError } from '../errors/report-errors.js';
import { jsonLines, parseLine } from './json-lines.js';
import { checked } from './checked-line.js';
import type { RunAccumulator } from './run-accumulator.js';

/** A step line of `rollout --out` (what `recordTrajectory` writes); the action and observation are not read. */
const StepLine = z.looseObject({
  kind: z.enum(['reset', 'step']),
  sessionIndex: z.number().nullish(),
  episodeId: z.string(),
  episodeIndex: z.number(),
  index: z.number(),
  reward: z.number().nullish(),
  done: z.boolean(),
  truncated: z.boolean(),
  latencyMs: z.number(),
  timestamp: z.number(),
  error: z.looseObject({ code: z.string().nullish(), message: z.string().nullish() }).nullish(),
});

/** The `"kind":"episode"` row `rollout --out` writes after each episode's last step. */
const EpisodeLine = z.looseObject({
  kind: z.literal('episode'),
  sessionIndex: z.number().nullish(),
  episodeIndex: z.number(),
  episodeId: z.string(),
  return: z.number(),
  length: z.number(),
  terminated: z.boolean(),
  truncated: z.boolean(),
  failed: z.boolean().nullish(),
  error: z.string().nullish(),
});

type Step = z.infer<typeof StepLine>;

/** What the step lines told of an episode still running. */
interface Running {
  session: number | null;
  episodeIndex: number;
  episodeId: string;
  startMs: number;
  lastMs: number;
  steps: number;
  return: number;
  error?: { code: string; message: string };
  /** The last step's `done`. */
  done?: boolean;
  /** The last step's reward. */
  finalReward?: number | null;
}

/**
 * Streams a `rollout --out` file (or any `recordTrajectory` JSONL) into `into`. Step lines give
 * the timing (each session is a group); an episode's `"kind":"episode"` row, written right after
 * its last step, is what counts. A file of step lines only (a library `recordTrajectory`) counts
 * each episode when its last step (done, truncated or failed) is followed by anything but its row.
 * Only episodes in flight are held (one per session).
 */
export async function readRolloutFile(path: string, into: RunAccumulator): Promise<void> {
  const running = new Map<string, Running>();
  let ended: Running | undefined; // its last step read; its row, if any, is the next line
  let lines = 0;
  const endFromSteps = (episode: Running) => {
    if (episode.error) {
      into.addFailure({ atMs: episode.lastMs, episodeId: episode.episodeId, code: episode.error.code, message: episode.error.message, group: group(episode.session), steps: episode.steps });
    } else {
      into.addEpisode({
        index: episode.episodeIndex,
        return: episode.return,
        length: episode.steps,
        terminated: episode.done ?? false,
        truncated: !(episode.done ?? false),
        finalReward: episode.finalReward ?? null,
        startMs: episode.startMs,
        endMs: episode.lastMs,
        group: group(episode.session),
      });
    }
  };
  for await (const line of jsonLines(path)) {
    const value = parseLine(path, line);
    if (value === undefined) {
      into.notes.push(`skipped a torn last line (line ${line.line})`);
      continue;
    }
    lines++;
    const kind = (value as { kind?: unknown } | null)?.kind;
    if (kind === 'episode') {
      const row = checked(EpisodeLine, value, path, line.line, 'an episode row');
      const key = keyOf(row.sessionIndex, row.episodeId);
      const episode = ended && keyOf(ended.session, ended.episodeId) === key ? ended : running.get(key);
      ended = undefined;
      running.delete(key);
      if (row.failed) {
        into.addFailure({
          atMs: episode?.lastMs,
          episodeId: row.episodeId,
          code: episode?.error?.code ?? 'ERR_EPISODE_FAILED',
          message: row.error ?? episode?.error?.message ?? '',
          group: group(row.sessionIndex ?? null),
          steps: row.length,
        });
      } else {
        into.addEpisode({
          index: row.episodeIndex,
          return: row.return,
          length: row.length,
          terminated: row.terminated,
          truncated: row.truncated,
          finalReward: episode ? (episode.finalReward ?? null) : undefined,
          startMs: episode?.startMs,
          endMs: episode?.lastMs,
          group: group(row.sessionIndex ?? null),
        });
      }
      continue;
    }
    if (ended) {
      endFromSteps(ended);
      ended = undefined;
    }
    const step = checked(StepLine, value, path, line.line, 'a trajectory step or episode row');
    const episode = track(running, step);
    if (step.kind === 'step' && !step.error) into.addStepLatency(group(episode.session), step.latencyMs);
    if (step.error || step.done || step.truncated) {
      running.delete(keyOf(episode.session, episode.episodeId));
      ended = episode;
    }
  }
  if (ended) endFromSteps(ended);
  if (lines === 0) throw new ReportInputError(`${path} holds no trajectory lines (rollout --out writes one per step and per episode)`, { path });
  if (running.size) into.notes.push(`${running.size} episode(s) unfinished at the end of the file (left out)`);
}

function track(running: Map<string, Running>, step: Step): Running {
  const session = step.sessionIndex ?? null;
  const key = keyOf(session, step.episodeId);
  let episode = running.get(key);
  if (!episode || step.kind === 'reset') {
    episode = { session, episodeIndex: step.episodeIndex, episodeId: step.episodeId, startMs: step.timestamp - step.latencyMs, lastMs: step.timestamp, steps: 0, return: 0 };
    running.set(key, episode);
  }
  episode.lastMs = step.timestamp;
  if (step.kind === 'step') {
    if (step.error) episode.error = { code: step.error.code ?? 'ERR_EPISODE_FAILED', message: step.error.message ?? '' };
    else {
      episode.steps++;
      episode.return += step.reward ?? 0;
      episode.finalReward = step.reward ?? null;
    }
  }
  episode.done = step.done;
  return episode;
}

const keyOf = (session: number | null | undefined, episodeId: string): string => `${session ?? '-'}/${episodeId}`;
const group = (session: number | null): string => (session === null ? 'session ?' : `session ${session}`);
