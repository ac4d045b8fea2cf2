import { concatMap, lastValueFrom, map, toArray } from 'rxjs';
import { echoEnv } from '../../src/envs/index.js';
import { timeLimit } from '../../src/operators/time-limit.js';
import { withSession } from '../../src/operators/with-session.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { defineEnv } from '../../src/session/define-env.js';

/** timeLimit against a real server: the cut episode sends no step past the limit, and the session stays usable. */
describe('timeLimit on a real echo server (never done)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve(echoEnv);
  });
  afterAll(() => server.close());

  it('ends the episode at the limit, marked truncated, with exactly that many steps sent; the session then steps on', async () => {
    const Echo = defineEnv({ name: 'echo' });
    const { steps, countAtCut, countAfter } = await lastValueFrom(
      Echo.connect(server.url).pipe(
        withSession((env) =>
          env.episode(() => ({ message: 'hi' }), { seed: 1 }).pipe(
            timeLimit(3),
            toArray(),
            concatMap((steps) =>
              env.state().pipe(
                concatMap((cut) => env.step({ message: 'again' }).pipe(concatMap(() => env.state()), map((after) => ({ steps, countAtCut: cut['step_count'], countAfter: after['step_count'] })))),
              ),
            ),
          ),
        ),
      ),
    );
    expect(steps.map((s) => [s.kind, s.index, s.done, s.truncated])).toEqual([
      ['reset', 0, false, false],
      ['step', 1, false, false],
      ['step', 2, false, false],
      ['step', 3, false, true],
    ]);
    expect(countAtCut).toBe(3); // the server saw 3 steps: none sent after the cut
    expect(countAfter).toBe(4); // and the socket is in sync for the next request
  });
});
