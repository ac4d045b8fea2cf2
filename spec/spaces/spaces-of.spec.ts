import { concatMap, lastValueFrom, toArray } from 'rxjs';
import { cartPoleEnv, frozenLakeEnv, gridWorldEnv } from '../../src/envs/index.js';
import { withSession } from '../../src/operators/with-session.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { defineEnv } from '../../src/session/define-env.js';
import { spacesOf } from '../../src/spaces/spaces-of.js';
import { startLegacyServer, type LegacyServerProcess } from '../fixtures/legacy-server-process.js';

/** spacesOf against live servers: the spaces come from GET /schema and drive real episodes. */
describe('spacesOf(session) on a live server', () => {
  const servers: RunningServer[] = [];
  let legacy: LegacyServerProcess | undefined;
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await legacy?.stop();
  });

  it.each([gridWorldEnv, cartPoleEnv, frozenLakeEnv])('$name: action.sample() drives an episode, every observation is in the observation space, the state in the state space', async (definition) => {
    const server = await serve(definition);
    servers.push(server);
    const Env = defineEnv({ name: definition.name });
    const { steps, inSpace } = await lastValueFrom(
      Env.connect(server.url).pipe(
        withSession((env) =>
          spacesOf(env, { seed: 3 }).pipe(
            concatMap(async (spaces) => {
              const steps = await lastValueFrom(env.episode(() => spaces.action.sample(), { seed: 1, maxSteps: 30 }).pipe(toArray()));
              const state = await lastValueFrom(env.state());
              return { steps, inSpace: [...steps.map((s) => spaces.observation.contains(s.observation)), spaces.state.contains(state)] };
            }),
          ),
        ),
      ),
    );
    expect(steps.length).toBeGreaterThan(1);
    expect(inSpace.every(Boolean)).toBe(true);
    // The sampled actions were accepted by the server (a rejected one errors the episode) and vary.
    expect(new Set(steps.slice(1).map((s) => JSON.stringify(s.action))).size).toBeGreaterThan(1);
  });

  it('errors with the 404 of a generation-A server, which has no /schema', async () => {
    legacy = await startLegacyServer();
    const Env = defineEnv({ name: 'echo' });
    await expect(lastValueFrom(Env.connect(legacy.url).pipe(withSession((env) => spacesOf(env))))).rejects.toMatchObject({ code: 'ERR_HTTP_STATUS' });
  });
});
