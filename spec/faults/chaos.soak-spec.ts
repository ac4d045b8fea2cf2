import { lastValueFrom, timeout, toArray } from 'rxjs';
import { collect, type CollectEvent, type CollectSummary } from '../../src/fleet/collect.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import type { EpisodeStep } from '../../src/session/types.js';
import { plannedIds, readFailures, readResults, useTempDirs } from '../fleet/support/collect-files.js';
import { chaosFleet, type NonceObs } from './support/chaos-fleet.js';
import { activeHandles, grownHandles } from './support/active-handles.js';
import { installFaultGuards } from './support/fault-guards.js';
import { pollUntil } from '../support/poll.js';

const SEED = 1_2024;
const EPISODES = 420;
const MAX_STEPS = 30;

describe('faults: seeded chaos soak of collect over a fleet', () => {
  installFaultGuards();
  const tempDir = useTempDirs();
  afterEach(() => awaitRuntimeTeardowns());

  it('10,000+ steps through delays past the reply timeout, killed servers, half-open sockets and refused sessions: no mis-paired reply, no replayed step, nothing leaked, every episode recorded or failed', async () => {
    const started = performance.now();
    const handlesBefore = activeHandles();
    const fleet = chaosFleet({
      seed: SEED,
      maxSessions: 2, // six sessions need three servers: the first refusals teach the pool
      replyTimeoutMs: 250,
      delay: { probability: 0.002, ms: 700 },
      proxy: { stallProbability: 0.3, stallAfterChunks: [2, 200], holdServerSideMs: 400 },
    });

    // Every reply is checked against the request it answers: the env echoes each step's nonce.
    const check = { replies: 0, mispaired: [] as string[], steps: 0 };
    let nonces = 0;
    let nextKill = 900;
    const policy = (observation: NonceObs, last: EpisodeStep<{ nonce: string }, NonceObs>) => {
      check.replies++;
      const expected = last.kind === 'reset' ? `reset:${last.episodeId}` : last.action!.nonce;
      if (observation.nonce !== expected) check.mispaired.push(`${expected} answered by ${observation.nonce}`);
      if (++check.steps >= nextKill) {
        nextKill += 600 + Math.floor(fleet.killRandom() * 1200);
        setImmediate(() => fleet.kill()); // outside the pipeline's call stack, as a real death is
      }
      return { nonce: `${last.episodeId}/${last.index + 1}/${nonces++}` };
    };

    const out = tempDir();
    const events = await lastValueFrom(
      collect(fleet.source, policy, {
        out,
        episodes: EPISODES,
        sessions: 6,
        seed: SEED,
        maxSteps: MAX_STEPS,
        pool: { startRetries: 200, backoff: { initialMs: 10, maxMs: 100 } },
      }).pipe(toArray(), timeout(100_000)),
    );
    const summary = (events.at(-1) as Extract<CollectEvent, { type: 'summary' }>).summary as CollectSummary;

    // The final reply of each recorded episode never reached the policy: check it in the record.
    const records = readResults(out);
    for (const record of records) {
      const said = record.messages.filter((m) => m.role === 'assistant').map((m) => (JSON.parse(m.content) as { nonce: string }).nonce);
      const heard = record.messages.filter((m) => m.role === 'user').map((m) => (JSON.parse(m.content) as NonceObs).nonce);
      expect(heard[0]).toBe(`reset:${record.episode_id}`);
      said.forEach((nonce, i) => {
        check.replies++;
        if (heard[i + 1] !== nonce) check.mispaired.push(`${nonce} answered by ${heard[i + 1]} (record)`);
      });
    }
    const failures = readFailures(out);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `chaos soak (seed ${SEED}): ${summary.steps} steps, ${check.replies} replies checked in ${seconds.toFixed(1)} s; ` +
        `${summary.recorded} recorded, ${summary.failed} failed ${JSON.stringify(summary.failures)}; ` +
        `${fleet.counters.started} servers started, ${fleet.counters.kills} killed, ${fleet.stalls()} half-open sockets, ` +
        `${fleet.ledger.delayed} replies delayed past the timeout, ${summary.pool?.refusals} refusals absorbed`,
    );

    // Zero mis-paired replies, zero replayed steps.
    expect(check.mispaired).toEqual([]);
    expect(fleet.ledger.replays).toBe(0);
    expect(summary.steps).toBeGreaterThanOrEqual(10_000);
    // Every planned episode is either recorded or reported failed (never both, never twice).
    const recordedIds = records.map((r) => r.episode_id);
    const failedIds = failures.map((f) => f.episode_id);
    expect(new Set(recordedIds).size).toBe(recordedIds.length);
    expect([...recordedIds, ...failedIds].sort()).toEqual(plannedIds(SEED, EPISODES));
    expect(summary).toMatchObject({ status: 'completed', planned: EPISODES, recorded: recordedIds.length, failed: failedIds.length, notRun: 0 });
    // Each fault really happened (a soak that injects nothing proves nothing).
    expect(fleet.counters.kills).toBeGreaterThanOrEqual(3);
    expect(fleet.stalls()).toBeGreaterThanOrEqual(2);
    expect(fleet.ledger.delayed).toBeGreaterThanOrEqual(3);
    expect(summary.pool!.refusals).toBeGreaterThanOrEqual(1);
    expect(summary.failures['ERR_TIMEOUT']).toBeGreaterThanOrEqual(1);
    expect(failures.every((f) => typeof f.error.code === 'string')).toBe(true);

    // Nothing leaked: every server and proxy stopped, every socket and timer released.
    await awaitRuntimeTeardowns();
    await pollUntil(() => fleet.leftovers().servers === 0 && fleet.leftovers().delayedReplies === 0, 'the servers to stop and delayed replies to fire', { timeoutMs: 10_000 });
    await pollUntil(() => grownHandles(handlesBefore).length === 0, `handles back to the baseline (${grownHandles(handlesBefore).join(', ')})`, { timeoutMs: 10_000 });
    expect(grownHandles(handlesBefore)).toEqual([]);
    expect(seconds).toBeLessThan(100);
  }, 150_000);
});
