import { defer, firstValueFrom, from, lastValueFrom, tap, timeout, toArray, type Observable } from 'rxjs';
import { z } from 'zod';
import { collect, type CollectEvent, type CollectSummary } from '../../../../src/fleet/collect.js';
import { envPool } from '../../../../src/fleet/env-pool.js';
import type { PoolSource } from '../../../../src/fleet/pool-source.js';
import { vectorEnv } from '../../../../src/fleet/vector-env.js';
import type { VectorEnv } from '../../../../src/fleet/vector-types.js';
import { rollouts } from '../../../../src/operators/rollouts.js';
import { withSession } from '../../../../src/operators/with-session.js';
import { defineEnv } from '../../../../src/session/define-env.js';
import type { EpisodeStep } from '../../../../src/session/types.js';
import { readFailures, readResults } from '../../../fleet/support/collect-files.js';
import type { FaultPlan } from './fault-plan.js';
import { stepMessage, type SeqAct, type SeqObs, type TrailStep } from './trail.js';

/** The client side of seq-env.mjs. */
export const Seq = defineEnv({
  name: 'seq',
  action: z.object({ message: z.string().min(1) }),
  observation: z.object({ echoed_message: z.string(), step: z.number(), server: z.string(), pid: z.number(), conn: z.number() }),
});

/** A reported failure of one episode, whichever driver reported it. */
export interface MatrixFailure {
  episode: string;
  code: string;
  causeCode: string | undefined;
  stepUnknown: boolean | undefined;
  message: string;
}

/** What one driver run produced, in one shape for every driver. */
export interface DriverRun {
  trail: TrailStep[];
  failures: MatrixFailure[];
  /** Episodes that ended normally (cut at maxSteps). */
  ended: number;
  /** Planned episodes (a vector: those it started). */
  planned: number;
  /** `collect`: its summary. */
  summary?: CollectSummary;
}

export interface DriverOptions {
  sessions: number;
  episodes: number;
  maxSteps: number;
  /** Prefix of every episode name (cells sharing servers never reuse one). */
  tag: string;
  /** The longest a run may take before the test fails (bounded). */
  withinMs: number;
  /** `collect`: the output directory. */
  out?: string;
  seed?: number;
}

/** The pool's own retry budget and backoff (the library's defaults): a cell proves what a user gets. */
const POOL = {} as const;
const REPLACE_BACKOFF = { initialMs: 50, maxMs: 500 } as const;
/**
 * A server that refused a replacement while it still held the lost session's slot (a timed-out or
 * half-open socket it had not seen close yet) is tried again after this long, not the default minute.
 */
const REPROBE_MS = 500;

/** The policy every driver uses: each action names its episode and step, after the plan's gate prefix. */
const planPolicy = (plan: FaultPlan, episodeOf: (last: EpisodeStep<SeqAct, SeqObs>) => string) => async (obs: SeqObs, last: EpisodeStep<SeqAct, SeqObs>): Promise<SeqAct> => {
  const episode = episodeOf(last);
  const index = last.index + 1;
  const prefix = await plan.before(obs, (p) => stepMessage(p, episode, index));
  return { message: stepMessage(prefix, episode, index) };
};

const causeOf = (error: { cause?: unknown } | undefined): string | undefined => (error?.cause as { code?: string } | undefined)?.code;

/** `rollouts` over a pool of `source` (a lost session is replaced through the pool). */
export async function runRollouts(source: PoolSource<never>, plan: FaultPlan, o: DriverOptions): Promise<DriverRun> {
  const ids = new Map<string, string>();
  const episodeOf = (last: { episodeId: string; episodeIndex: number }) => {
    if (!ids.has(last.episodeId)) ids.set(last.episodeId, `${o.tag}e${last.episodeIndex}`);
    return ids.get(last.episodeId)!;
  };
  const steps = await lastValueFrom(
    envPool(source as PoolSource<ReturnType<typeof Seq.connect> extends Observable<infer S> ? S : never>, { size: o.sessions, ...POOL, reprobeMs: REPROBE_MS }).pipe(
      withSession((pool) => {
        return rollouts(defer(() => pool.session()), planPolicy(plan, episodeOf), {
          sessions: o.sessions,
          episodes: o.episodes,
          maxSteps: o.maxSteps,
          replaceFailedSessions: { maxRetries: 20, backoff: REPLACE_BACKOFF },
        });
      }),
      tap((step) => step.error && plan.noteFailure()),
      toArray(),
      timeout(o.withinMs),
    ),
  );
  const run: DriverRun = { trail: [], failures: [], ended: 0, planned: o.episodes };
  for (const step of steps) {
    const episode = episodeOf(step);
    if (step.error) {
      run.failures.push({ episode, code: step.error.code, causeCode: causeOf(step.error), stepUnknown: step.error.stepUnknown, message: step.error.message });
      continue;
    }
    run.trail.push({ episode, index: step.index, ...(step.action ? { message: step.action.message } : {}), observation: step.observation as SeqObs });
    if (step.truncated || step.done) run.ended++;
  }
  return run;
}

/** `collect` into `o.out`; the trail is read back from the records it wrote. */
export async function runCollect(source: PoolSource<never>, plan: FaultPlan, o: DriverOptions): Promise<DriverRun> {
  const seed = o.seed ?? 0;
  const events = await lastValueFrom(
    collect(source as PoolSource<never>, planPolicy(plan, (last) => last.episodeId) as never, {
      out: o.out!,
      episodes: o.episodes,
      sessions: o.sessions,
      seed,
      maxSteps: o.maxSteps,
      // As the rollouts and vector drivers: a recovered server is probed again within the cell's wait.
      pool: { ...POOL, reprobeMs: REPROBE_MS },
    }).pipe(
      tap((event) => event.type === 'failed' && plan.noteFailure()),
      toArray(),
      timeout(o.withinMs),
    ),
  );
  const summary = (events.at(-1) as Extract<CollectEvent, { type: 'summary' }>).summary;
  const run: DriverRun = { trail: [], failures: [], ended: 0, planned: o.episodes, summary };
  for (const record of readResults(o.out!)) {
    const turns = record.messages.map((m) => JSON.parse(m.content as string) as Record<string, unknown>);
    run.trail.push({ episode: record.episode_id, index: 0, observation: turns[0] as unknown as SeqObs });
    for (let k = 1; k + 1 < turns.length; k += 2) {
      run.trail.push({ episode: record.episode_id, index: (k + 1) / 2, message: (turns[k] as unknown as SeqAct).message, observation: turns[k + 1] as unknown as SeqObs });
    }
    run.ended++;
  }
  for (const f of readFailures(o.out!)) {
    run.failures.push({ episode: f.episode_id, code: f.error.code ?? 'none', causeCode: f.error.cause_code, stepUnknown: f.step_unknown, message: f.error.message });
  }
  return run;
}

/**
 * `vectorEnv` with `o.sessions` sub-envs, stepped in batches until `o.episodes` sub-env episodes
 * have started. The plan's recovery is started right after the batch the fault hit (a vector
 * waits for every sub-env, so it cannot step on while one waits for a session).
 */
export async function runVector(source: PoolSource<never>, plan: FaultPlan, o: DriverOptions): Promise<DriverRun> {
  const run: DriverRun = { trail: [], failures: [], ended: 0, planned: 0 };
  const script = async (v: VectorEnv<SeqAct, SeqObs>) => {
    const subs = Array.from({ length: o.sessions }, (_, i) => ({ episode: `${o.tag}v${i}.0`, count: 0, index: 0, ended: false, obs: undefined as SeqObs | undefined }));
    run.planned = o.sessions;
    const reset = await firstValueFrom(v.reset());
    reset.observations.forEach((obs, i) => {
      subs[i]!.obs = obs;
      run.trail.push({ episode: subs[i]!.episode, index: 0, observation: obs });
    });
    if (plan.phase === 'outage') void plan.recover();
    for (let batch = 0; batch < 200 && run.planned < o.episodes + o.sessions; batch++) {
      const before = plan.phase;
      const messages = await Promise.all(
        subs.map(async (s) => {
          if (s.ended) return 'autoreset'; // next-step autoreset: this action is not sent
          const prefix = await plan.before(s.obs!, (p) => stepMessage(p, s.episode, s.index + 1));
          return stepMessage(prefix, s.episode, s.index + 1);
        }),
      );
      const r = await firstValueFrom(v.step(messages.map((message) => ({ message }))));
      if (before === 'before' && plan.phase === 'outage') void plan.recover();
      subs.forEach((s, i) => {
        const obs = r.observations[i]!;
        if (s.ended) {
          s.episode = `${o.tag}v${i}.${++s.count}`;
          s.index = 0;
          s.ended = false;
          s.obs = obs;
          run.planned++;
          run.trail.push({ episode: s.episode, index: 0, observation: obs });
          return;
        }
        const error = r.infos.error?.[i] as (Error & { code: string; stepUnknown?: boolean; cause?: unknown }) | undefined;
        if (error) {
          run.failures.push({ episode: s.episode, code: error.code, causeCode: causeOf(error), stepUnknown: error.stepUnknown, message: error.message });
          plan.noteFailure();
          s.ended = true;
          return;
        }
        s.index++;
        s.obs = obs;
        run.trail.push({ episode: s.episode, index: s.index, message: messages[i]!, observation: obs });
        if (r.truncations[i] || r.terminations[i]) {
          s.ended = true;
          run.ended++;
        }
      });
    }
  };
  await lastValueFrom(
    vectorEnv(source as PoolSource<never>, { num: o.sessions, maxEpisodeSteps: o.maxSteps, pool: { ...POOL, reprobeMs: REPROBE_MS } }).pipe(
      withSession((v) => from(script(v as unknown as VectorEnv<SeqAct, SeqObs>))),
      timeout(o.withinMs),
    ),
    { defaultValue: undefined },
  );
  return run;
}
