import { defer, lastValueFrom, tap, toArray } from 'rxjs';
import type { EpisodeFailedError } from '../../src/errors/fleet-errors.js';
import { episodeStats } from '../../src/operators/episode-stats.js';
import { rollouts, type RolloutSessionEvent, type RolloutStep } from '../../src/operators/rollouts.js';
import { summarize } from '../../src/operators/summarize.js';
import type { Endpoint } from '../../src/runtime/endpoint.js';
import { processEndpoint } from '../../src/runtime/process-endpoint.js';
import { isPidAlive } from '../../src/runtime/reaper/process-identity.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import type { EpisodeStep } from '../../src/session/types.js';
import { repoPath } from '../fixtures/test-image.js';
import { Echo } from '../fixtures/typed-echo.js';

type Act = { message: string };
type Obs = { echoed_message: string; message_length: number };

describe('rollouts against child-process servers: a killed server is replaced, its episode reported failed and never replayed', () => {
  afterEach(() => awaitRuntimeTeardowns());

  it('SIGKILL under a step in flight: one failure step (step unknown), the other episodes all run, a replacement server takes over', async () => {
    // One server per session; the first never answers a "hold" step (the step a killed server leaves unknown).
    const endpoints: Endpoint[] = [];
    const stopped: number[] = [];
    let next = 0;
    const session$ = defer(() => {
      const k = next++;
      return Echo.fromEndpoint(
        processEndpoint(process.execPath, ['--import', './spec/fixtures/register-ts-loader.mjs', 'spec/fleet/support/hold-server.ts'], {
          cwd: repoPath(),
          env: { MAX_CONCURRENT_ENVS: '1', HOLD: k === 0 ? '1' : '0' },
          startTimeoutMs: 30_000,
          stopGraceMs: 1_000,
          onStopped: ({ pid }) => pid && stopped.push(pid),
        }).pipe(tap((endpoint) => (endpoints[k] = endpoint))),
        { transport: 'ws' },
      );
    });

    // Gates, not timers: session 1 waits (in its policy) until session 0 has sent the held step (so it
    // cannot run every episode while session 0's server is still starting), then until the
    // replacement of session 0 ran a reset.
    let killedPid: number | undefined;
    let held!: () => void;
    const holdSent = new Promise<void>((resolve) => (held = resolve));
    let replaced!: () => void;
    const replacement = new Promise<void>((resolve) => (replaced = resolve));
    const events: RolloutSessionEvent[] = [];
    const onSessionEvent = (event: RolloutSessionEvent) => {
      events.push(event);
      if (event.type === 'started' && event.sessionIndex === 0 && events.some((e) => e.type === 'lost')) replaced();
    };
    const policy = (_obs: Obs, last: EpisodeStep<Act, Obs>): Act | Promise<Act> => {
      const { sessionIndex } = last as RolloutStep<Act, Obs>;
      if (killedPid === undefined && sessionIndex === 0 && last.index === 2) {
        killedPid = Number(endpoints[0]!.id);
        // Sent now (the loop sends right after this returns), never answered, then the server dies.
        queueMicrotask(() => process.kill(killedPid!, 'SIGKILL'));
        held();
        return { message: 'hold' };
      }
      if (sessionIndex === 1) return (killedPid === undefined ? holdSent : replacement).then(() => ({ message: 'go' }));
      return { message: 'go' };
    };

    const steps = await lastValueFrom(
      rollouts(session$, policy, { sessions: 2, episodes: 6, seed: 10, maxSteps: 4, onSessionEvent, replaceFailedSessions: { backoff: { initialMs: 50 } } }).pipe(toArray()),
    );
    await awaitRuntimeTeardowns();

    // Exactly one failure step: the held step on the killed server, outcome unknown, never sent again.
    const failures = steps.filter((s) => s.error);
    expect(failures).toHaveLength(1);
    const failure = failures[0]!;
    expect(failure).toMatchObject({ sessionIndex: 0, kind: 'step', index: 3, truncated: true, done: false, reward: null, action: { message: 'hold' } });
    expect(failure.error as EpisodeFailedError).toMatchObject({
      code: 'ERR_EPISODE_FAILED',
      stepUnknown: true,
      context: expect.objectContaining({ sessionIndex: 0, episodeIndex: failure.episodeIndex, stepIndex: 3, request: 'step' }),
    });
    // The runtime explains the lost socket: the server process died.
    expect((failure.error as EpisodeFailedError).cause).toMatchObject({ code: 'ERR_PROCESS_EXITED' });
    expect(steps.filter((s) => s.kind === 'step' && (s.action as Act).message === 'hold')).toEqual([failure]);

    // Every planned episode was either run to its end or reported failed, each exactly once.
    const stats = await lastValueFrom(
      defer(() => steps).pipe(episodeStats(), toArray()),
    );
    expect(stats.map((s) => s.episodeIndex).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(summarize(stats)).toMatchObject({ episodes: 6, failed: 1, truncated: 5, done: 0, length: { min: 4, max: 4 } });
    expect(new Set(stats.map((s) => s.episodeId)).size).toBe(6);
    expect(stats.filter((s) => s.error).map((s) => s.episodeIndex)).toEqual([failure.episodeIndex]);

    // Session 0 was replaced by a third server, which ran episodes after the kill.
    expect(endpoints).toHaveLength(3);
    expect(events.filter((e) => e.type === 'lost')).toEqual([
      expect.objectContaining({ sessionIndex: 0, attempt: 1, delayMs: 50, error: expect.objectContaining({ code: 'ERR_PROCESS_EXITED' }) }),
    ]);
    const afterKill = steps.slice(steps.indexOf(failure) + 1);
    expect(afterKill.some((s) => s.sessionIndex === 0 && s.kind === 'reset')).toBe(true);
    // Nothing outlives the run.
    expect(endpoints.map((e) => isPidAlive(Number(e.id)))).toEqual([false, false, false]);
    expect(stopped.sort()).toEqual(endpoints.map((e) => Number(e.id)).sort());
  });
});
