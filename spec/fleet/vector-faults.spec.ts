import { defer, firstValueFrom, from, switchMap, tap } from 'rxjs';
import type { EpisodeFailedError } from '../../src/errors/fleet-errors.js';
import { perServer } from '../../src/fleet/pool-source.js';
import { vectorEnv } from '../../src/fleet/vector-env.js';
import type { VectorEnv, VectorStep } from '../../src/fleet/vector-types.js';
import type { Endpoint } from '../../src/runtime/endpoint.js';
import { processEndpoint } from '../../src/runtime/process-endpoint.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { repoPath } from '../fixtures/test-image.js';
import { pollUntil } from '../support/poll.js';
import { Echo } from '../fixtures/typed-echo.js';

type Act = { message: string };
type Obs = { echoed_message: string; message_length: number };
const READY = 'Echo environment ready!';
const all = (message: string, n: number): Act[] => Array.from({ length: n }, () => ({ message }));
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Child-process servers for `perServer`, two sessions each; records what starts and stops. */
function servers(script: string[], env: (k: number) => Record<string, string>) {
  const endpoints: Endpoint[] = [];
  const stopped: number[] = [];
  let next = 0;
  const server$ = defer(() => {
    const k = next++;
    return processEndpoint(process.execPath, ['--import', './spec/fixtures/register-ts-loader.mjs', ...script], {
      cwd: repoPath(),
      env: { MAX_CONCURRENT_ENVS: '2', ...env(k) },
      startTimeoutMs: 30_000,
      stopGraceMs: 1_000,
      onStopped: ({ pid }) => pid && stopped.push(pid),
    }).pipe(tap((endpoint) => (endpoints[k] = endpoint))); // by start order: servers get healthy in any order
  });
  const source = perServer(server$, (endpoint$) => Echo.fromEndpoint(endpoint$, { transport: 'ws' }));
  const pids = () => endpoints.map((e) => Number(e.id));
  return { source, endpoints, stopped, pids };
}

const failedIndices = (step: VectorStep<Obs>) => step.truncations.flatMap((t, i) => (t ? [i] : []));

describe('vectorEnv over child-process servers: a killed server is replaced and its episodes reported, never replayed', () => {
  afterEach(() => awaitRuntimeTeardowns());

  it('SIGKILL while a step is in flight: those sub-envs fail with stepUnknown, the others answer, the next step resets them on a new server', async () => {
    // Server 0 never answers a "hold" step; later servers answer everything.
    const fleet = servers(['spec/fleet/support/hold-server.ts'], (k) => ({ HOLD: k === 0 ? '1' : '0' }));
    const script = async (v: VectorEnv<Act, Obs>) => {
      const reset = await firstValueFrom(v.reset({ seed: 1 }));
      const first = await firstValueFrom(v.step(all('a', 4)));
      const held = firstValueFrom(v.step(all('hold', 4))); // sent now: server 0 will never answer its two
      process.kill(fleet.pids()[0]!, 'SIGKILL');
      const killed = await held;
      const after = await firstValueFrom(v.step(all('b', 4)));
      const next = await firstValueFrom(v.step(all('c', 4)));
      return { reset, first, killed, after, next, stats: v.stats() };
    };
    const r = await firstValueFrom(vectorEnv(fleet.source, { num: 4, pool: { sessionsPerServer: 2 } }).pipe(switchMap((v) => from(script(v)))));

    expect(r.reset.observations.map((o) => o.echoed_message)).toEqual(all(READY, 4).map((a) => a.message));
    expect(r.first.observations.map((o) => o.echoed_message)).toEqual(['a', 'a', 'a', 'a']);
    // Exactly the two sub-envs on the killed server failed; the other two echoed "hold".
    const lost = failedIndices(r.killed);
    expect(lost).toHaveLength(2);
    for (let i = 0; i < 4; i++) {
      if (lost.includes(i)) {
        const error = r.killed.infos.error![i] as EpisodeFailedError;
        expect(error).toMatchObject({ code: 'ERR_EPISODE_FAILED', stepUnknown: true, context: expect.objectContaining({ envIndex: i }) });
        expect(['ERR_PROCESS_EXITED', 'ERR_CONNECTION_CLOSED']).toContain((error.cause as { code?: string }).code);
        expect(r.killed.observations[i]!.echoed_message).toBe('a'); // the last known observation
        // next-step autoreset on a replacement session: reset observation, reward 0, flags false
        expect([r.after.observations[i]!.echoed_message, r.after.rewards[i], r.after.terminations[i], r.after.truncations[i]]).toEqual([READY, 0, false, false]);
      } else {
        expect([r.killed.observations[i]!.echoed_message, r.killed.truncations[i], r.killed.infos._error?.[i] ?? false]).toEqual(['hold', false, false]);
        expect(r.after.observations[i]!.echoed_message).toBe('b');
      }
    }
    expect(r.next.observations.map((o) => o.echoed_message)).toEqual(['c', 'c', 'c', 'c']);
    expect(r.next.truncations).toEqual([false, false, false, false]);
    expect(r.stats).toMatchObject({ failures: 2, unknownSteps: 2 });
    // A third server process was started for the replacements; all are gone after unsubscribe.
    expect(fleet.endpoints).toHaveLength(3);
    await awaitRuntimeTeardowns();
    await pollUntil(() => fleet.stopped.length === 3, 'fleet.stopped.length === 3', { timeoutMs: 10_000, intervalMs: 50 });
    expect(fleet.pids().filter(alive)).toEqual([]);
  }, 90_000);

  it('our serve-builtin killed between steps: the episodes are reported lost (stepUnknown false) and continue on a new process', async () => {
    const fleet = servers(['src/server/serve-builtin.ts', 'echo'], () => ({}));
    const script = async (v: VectorEnv<Act, Obs>) => {
      await firstValueFrom(v.reset());
      await firstValueFrom(v.step(all('a', 2)));
      process.kill(fleet.pids()[0]!, 'SIGKILL');
      // The pool learns of the death from the process exit and the closed sockets.
      const noticed = await pollUntil(() => v.stats().pool.failed === 2, 'v.stats().pool.failed === 2', { timeoutMs: 15_000, intervalMs: 50 }).then(() => true, () => false);
      const lost = await firstValueFrom(v.step(all('b', 2)));
      const after = await firstValueFrom(v.step(all('c', 2)));
      const next = await firstValueFrom(v.step(all('d', 2)));
      return { noticed, lost, after, next, stats: v.stats() };
    };
    const r = await firstValueFrom(vectorEnv(fleet.source, { num: 2, pool: { sessionsPerServer: 2 } }).pipe(switchMap((v) => from(script(v)))));

    expect(r.noticed).toBe(true);
    expect(r.lost.truncations).toEqual([true, true]);
    expect(r.lost.observations.map((o) => o.echoed_message)).toEqual(['a', 'a']);
    for (const error of r.lost.infos.error!) expect(error).toMatchObject({ stepUnknown: false, context: expect.objectContaining({ stepIndex: 2 }) });
    expect(r.after.observations.map((o) => o.echoed_message)).toEqual([READY, READY]);
    expect(r.next.observations.map((o) => o.echoed_message)).toEqual(['d', 'd']);
    expect(r.stats).toMatchObject({ failures: 2, unknownSteps: 0 });
    expect(fleet.endpoints).toHaveLength(2);
    await awaitRuntimeTeardowns();
    await pollUntil(() => fleet.stopped.length === 2, 'fleet.stopped.length === 2', { timeoutMs: 10_000, intervalMs: 50 });
    expect(fleet.pids().filter(alive)).toEqual([]);
  }, 90_000);
});
