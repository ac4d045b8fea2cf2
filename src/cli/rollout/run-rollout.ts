import { createWriteStream, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { catchError, identity, tap, throwError, type Observable } from 'rxjs';
import { episodeStats, type EpisodeStats } from '../../operators/episode-stats.js';
import { recordTrajectory } from '../../operators/record-trajectory.js';
import { rollouts, type CapacityRetryOptions, type RolloutSessionEvent } from '../../operators/rollouts.js';
import { awaitRuntimeTeardowns } from '../../runtime/teardown-registry.js';
import { transcriberOf, type EpisodeTranscript } from '../../fleet/episode-transcript.js';
import type { EpisodeStep } from '../../session/types.js';
import { requestSchema, type DeferredSchema } from '../action-schema.js';
import { cliErrorParts } from '../cli-error-message.js';
import type { CliPolicy } from '../cli-policy.js';
import { ProgressBar } from '../format/progress-bar.js';
import type { Io } from '../io.js';
import type { StopSignal } from '../interrupt-exit-code.js';
import type { RolloutTarget } from '../rollout-target.js';
import { buildReport, episodeRow, type CapacityReport, type RolloutReport } from './rollout-report.js';
import { SessionLosses, type SessionLossCounts } from './session-losses.js';

export interface RunRolloutOptions {
  target: RolloutTarget;
  policyName: string;
  /** The `--policy`, recording the actions it sent (to explain a rejection). */
  policy: CliPolicy;
  /** Resolved by the run with the first session's action schema (`/schema`). */
  schema: Pick<DeferredSchema, 'resolve' | 'reject' | 'current' | 'retryLater'>;
  episodes: number;
  sessions: number;
  seed: number;
  maxSteps: number;
  out?: string;
  /** Undefined: a refusal errors the run (`--no-retry-capacity`). */
  retryOnCapacity?: CapacityRetryOptions;
  io: Io;
  signals: NodeJS.EventEmitter;
}

/** How a rollout ended: its report, and the fatal error that stopped it (then `report.error` describes it). */
export interface RolloutOutcome {
  report: RolloutReport;
  error?: unknown;
}

/**
 * Runs the episodes with progress on stderr. Resolves with the report, also when SIGINT/SIGTERM
 * stopped the run (then `interrupted`) or a fatal error did (then `error`, the error itself beside
 * the report): the report covers the episodes that ended. Every session is closed, every
 * container removed and the `--out` file flushed before it resolves.
 */
export async function runRollout(options: RunRolloutOptions): Promise<RolloutOutcome> {
  const { target, policy, io, episodes, sessions, seed, maxSteps } = options;
  const progress = new ProgressBar(io.err);
  const started = Date.now();
  const stats: EpisodeStats[] = [];
  const losses = new SessionLosses();
  const capacity: Omit<CapacityReport, keyof SessionLossCounts> = { refusals: 0, gaveUp: 0, maxRunning: 0 };
  let running = 0;
  let steps = 0;
  const tick = (force = false) =>
    progress.update({ done: stats.length, total: episodes, steps, elapsedMs: Date.now() - started, running, sessions: Math.min(sessions, episodes), refused: capacity.refusals, lost: losses.counts.lost }, force);
  const onSessionEvent = (event: RolloutSessionEvent) => {
    running = event.running;
    capacity.maxRunning = Math.max(capacity.maxRunning, running);
    if (event.type === 'refused') capacity.refusals++;
    // Each loss said as it happens, above the progress line: what was lost and why.
    const line = losses.see(event);
    if (line) progress.note(line);
    if (event.type === 'gave-up' && event.reason === 'capacity') {
      capacity.refusals++;
      capacity.gaveUp++;
    }
    tick();
  };

  let trajectory: WriteStream | undefined;
  if (options.out) trajectory = createWriteStream(options.out);
  const conversations = episodeConversations(policy.policy, trajectory !== undefined);
  const session$ = target.session$.pipe(tap({ next: (session) => requestSchema(session, options.schema) }));
  const run$ = rollouts(session$, policy.policy, {
    sessions,
    episodes,
    seed,
    maxSteps,
    ...(options.retryOnCapacity ? { retryOnCapacity: options.retryOnCapacity } : {}),
    onSessionEvent,
  }).pipe(
    tap((step) => {
      if (step.kind === 'step') steps++;
      conversations.onStep(step as EpisodeStep<unknown, unknown>);
    }),
    trajectory ? recordTrajectory(trajectory, { end: false }) : identity,
    episodeStats(),
    tap((s) => {
      stats.push(s);
      trajectory?.write(`${JSON.stringify({ kind: 'episode', ...episodeRow(s), ...conversations.take(s.episodeId) })}\n`);
      tick();
    }),
    catchError((error: unknown) =>
      throwError(() => policy.explainRejection(error, options.schema.current()) ?? error),
    ),
  );

  const { outcome, failure } = await settle(run$, options.signals);
  progress.finish();
  // Containers and servers stop asynchronously after unsubscribe: wait, so nothing outlives the command.
  await awaitRuntimeTeardowns();
  if (trajectory) {
    trajectory.end();
    await finished(trajectory).catch(() => undefined);
  }
  const report = buildReport({
    target: target.label,
    policy: options.policyName,
    episodes,
    sessions,
    seed,
    steps,
    elapsedMs: Date.now() - started,
    interrupted: outcome !== 'completed',
    ...(outcome !== 'completed' && { signal: outcome }),
    ...(failure && { error: (({ code, message }) => ({ code, message }))(cliErrorParts(failure.error)) }),
    capacity: { ...capacity, ...losses.counts },
    stats,
    ...(options.out ? { trajectories: options.out } : {}),
  });
  return failure ? { report, error: failure.error } : { report };
}

/**
 * An agent's conversation per episode, for its episode row (as collect's records have it): kept
 * from the episode's last step until its row is written; without `-o` (`keep` false) let go.
 */
function episodeConversations(policy: unknown, keep: boolean) {
  const transcriber = transcriberOf(policy);
  const transcripts = new Map<string, EpisodeTranscript>();
  return {
    onStep(step: EpisodeStep<unknown, unknown>): void {
      if (!transcriber) return;
      if (step.error) transcriber.discard(step.episodeId);
      else if (step.done || step.truncated) {
        const transcript = transcriber.finish(step);
        if (transcript && keep) transcripts.set(step.episodeId, transcript);
      }
    },
    take(episodeId: string): { messages: unknown; tool_trace: unknown; usage?: unknown } | undefined {
      const transcript = transcripts.get(episodeId);
      transcripts.delete(episodeId);
      return transcript && { messages: transcript.messages, tool_trace: transcript.toolTrace, ...(transcript.usage && { usage: transcript.usage }) };
    },
  };
}

/** How `run$` ended: completed, stopped by a signal, or failed (its error kept for the report, never thrown here). */
async function settle(run$: Observable<unknown>, signals: NodeJS.EventEmitter): Promise<{ outcome: 'completed' | StopSignal; failure?: { error: unknown } }> {
  try {
    return { outcome: await runInterruptibly(run$, signals) };
  } catch (error) {
    return { outcome: 'completed', failure: { error } };
  }
}

/** Subscribes `run$`; SIGINT/SIGTERM unsubscribes it (closing sessions and containers) instead of killing the process. */
function runInterruptibly(run$: Observable<unknown>, signals: NodeJS.EventEmitter): Promise<'completed' | StopSignal> {
  return new Promise((resolve, reject) => {
    const stop = (signal: StopSignal) => {
      subscription.unsubscribe();
      cleanup();
      resolve(signal);
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    const cleanup = () => {
      signals.off('SIGINT', onInt);
      signals.off('SIGTERM', onTerm);
    };
    signals.on('SIGINT', onInt);
    signals.on('SIGTERM', onTerm);
    const subscription = run$.subscribe({
      complete: () => {
        cleanup();
        resolve('completed');
      },
      error: (error: unknown) => {
        cleanup();
        reject(error);
      },
    });
  });
}
