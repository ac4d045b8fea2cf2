import { concat, defer, lastValueFrom, timeout, toArray } from 'rxjs';
import { z } from 'zod';
import { StatelessHttpError } from '../../src/errors/index.js';
import { rollouts } from '../../src/operators/rollouts.js';
import { withSession } from '../../src/operators/with-session.js';
import { defineEnv } from '../../src/session/define-env.js';
import { useTestCleanups } from '../transport/support.js';

const Echo = defineEnv({ name: 'echo', action: z.object({ message: z.string() }) });
const GridWorld = defineEnv({ name: 'grid_world', action: z.object({ action: z.enum(['UP', 'DOWN', 'LEFT', 'RIGHT']) }) });
const say = () => ({ message: 'hello' });
const down = () => ({ action: 'DOWN' as const });
const recorded = { seed: 42, episodeId: 'ep-1' }; // the reset the transcripts recorded

const outcome = <T>(source: Parameters<typeof lastValueFrom<T>>[0]) =>
  lastValueFrom(source.pipe(toArray(), timeout(10_000))).then(
    (values) => ({ values }),
    (error: unknown) => ({ error }),
  );

describe("episodes over transport 'http' are refused on a server that keeps no state between HTTP requests", () => {
  const { replayServer } = useTestCleanups();

  it.each([
    ['B', 'echo_env@30c16b3b.jsonl', 'echo_env@30c16b3b-ws.jsonl'],
    ['H', 'echo_env.jsonl', 'echo_env-ws.jsonl'],
  ])('generation %s: episode() errors with StatelessHttpError before any reset; it says why and what to do', async (_generation, http, ws) => {
    const replay = await replayServer({ http, ws });
    const result = await outcome(Echo.connect(replay.url, { transport: 'http' }).pipe(withSession((env) => env.episode(say, recorded))));
    expect('error' in result && result.error).toBeInstanceOf(StatelessHttpError);
    const error = (result as { error: StatelessHttpError }).error;
    expect(error).toMatchObject({
      code: 'ERR_STATELESS_HTTP',
      context: { env: 'echo', url: replay.url, transport: 'http', episodeId: 'ep-1', episodeIndex: 0, stepIndex: 0 },
    });
    expect(error.message).toMatch(/keeps no state between HTTP requests/);
    expect(error.message).toMatch(/GET \/schema answers 200/);
    expect(error.message).toMatch(/Use transport 'ws' or 'auto'/);
    expect(error.message).toMatch(/allowStatelessEpisodes: true/);
    expect(replay.received.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /schema']);
  });

  it('generation H: episodes(), episodesFlat() and rollouts are refused too; the verdict is asked once per session', async () => {
    const replay = await replayServer({ http: 'grid_world_env.jsonl', ws: 'grid_world_env-ws.jsonl' });
    const session$ = GridWorld.connect(replay.url, { transport: 'http' });
    const results = await outcome(
      session$.pipe(
        withSession((env) =>
          concat(
            defer(() => outcome(env.episodesFlat(down, { count: 2 }))),
            defer(() => outcome(env.episode(down))),
          ),
        ),
      ),
    );
    const [flat, single] = (results as { values: Array<{ error?: unknown }> }).values;
    expect(flat?.error).toBeInstanceOf(StatelessHttpError);
    expect(single?.error).toBeInstanceOf(StatelessHttpError);
    const viaRollouts = await outcome(rollouts(session$, down, { sessions: 1, episodes: 2 }));
    expect('error' in viaRollouts && viaRollouts.error).toBeInstanceOf(StatelessHttpError);
    expect(replay.received.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /schema', 'GET /schema']); // one per session
  });

  it('single requests still work over http: reset, step and state are sent as asked', async () => {
    const replay = await replayServer({ http: 'grid_world_env.jsonl', ws: 'grid_world_env-ws.jsonl' });
    const result = await outcome(
      GridWorld.connect(replay.url, { transport: 'http' }).pipe(withSession((env) => concat(env.reset({ seed: 42 }), env.step(down())))),
    );
    expect(result).toMatchObject({ values: [{ observation: { x: 0, y: 0 } }, { observation: { x: 1, y: 0 } }] });
    expect(replay.received.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /reset', 'POST /step']);
  });

  it('allowStatelessEpisodes: true opts out: the episode runs, each request on a fresh env', async () => {
    const replay = await replayServer({ http: 'grid_world_env.jsonl', ws: 'grid_world_env-ws.jsonl' });
    const result = await outcome(
      GridWorld.connect(replay.url, { transport: 'http', allowStatelessEpisodes: true }).pipe(
        withSession((env) => env.episode(down, { ...recorded, maxSteps: 3 })),
      ),
    );
    const steps = (result as unknown as { values: Array<{ observation: { x: number }; truncated: boolean }> }).values;
    // Every step starts from a fresh env: x never gets past 1, the episode ends on maxSteps.
    expect(steps.map((s) => s.observation.x)).toEqual([0, 1, 1, 1]);
    expect(steps.at(-1)?.truncated).toBe(true);
    expect(replay.received.map((r) => r.path)).toEqual(['/reset', '/step', '/step', '/step']);
  });
});

describe('generation A (legacy stateful HTTP, echo_env@8f12109e) keeps working over http', () => {
  const { replayServer } = useTestCleanups();

  it("transport 'http': one GET /schema (404) tells the generation, then the episode runs", async () => {
    const replay = await replayServer({ http: 'echo_env@8f12109e.jsonl' });
    const result = await outcome(
      Echo.connect(replay.url, { transport: 'http' }).pipe(withSession((env) => concat(env.episode(say, { ...recorded, maxSteps: 2 }), env.episode(say, { ...recorded, maxSteps: 1 })))),
    );
    const steps = (result as { values: Array<{ kind: string; reward: number | null }> }).values;
    expect(steps.map((s) => s.kind)).toEqual(['reset', 'step', 'step', 'reset', 'step']);
    expect(replay.received.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /schema',
      'POST /reset',
      'POST /step',
      'POST /step',
      'POST /reset',
      'POST /step',
    ]);
  });

  it("transport 'auto': the probe already told the generation, no second GET /schema", async () => {
    const replay = await replayServer({ http: 'echo_env@8f12109e.jsonl' });
    const result = await outcome(Echo.connect(replay.url).pipe(withSession((env) => env.episode(say, { ...recorded, maxSteps: 1 }))));
    expect(result).toMatchObject({ values: [{ kind: 'reset' }, { kind: 'step', truncated: true }] });
    expect(replay.received.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /schema', 'POST /reset', 'POST /step']);
  });
});
