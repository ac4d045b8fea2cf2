import { firstValueFrom, lastValueFrom, toArray, type Subscription } from 'rxjs';
import { StatefulServerBusyError } from '../../src/errors/index.js';
import { rollouts } from '../../src/operators/rollouts.js';
import { withSession } from '../../src/operators/with-session.js';
import { connect } from '../../src/session/connect.js';
import type { EnvSession } from '../../src/session/types.js';
import { startLegacyServer, type LegacyServerProcess } from '../fixtures/legacy-server-process.js';

// A generation-A server keeps ONE env behind its HTTP routes: two sessions of one process would
// step each other's episodes. A real server process (spec/fixtures/legacy-echo-server.mjs) logs
// every env request, so "nothing was sent" is checked on the server's side.

type Session = EnvSession<Record<string, unknown>, Record<string, unknown>, Record<string, unknown>>;
const say = () => ({ message: 'hi' });

describe('sessions to a generation-A server (a real legacy server process)', () => {
  let server: LegacyServerProcess;
  beforeAll(async () => {
    server = await startLegacyServer();
  }, 40_000);
  afterAll(async () => {
    await server?.stop();
  });

  /** Opens a session and holds it (subscribed) until the returned `close` is called. */
  function hold(options: Parameters<typeof connect>[1] = {}): Promise<{ session: Session; close: () => void }> {
    return new Promise((resolve, reject) => {
      const subscription: Subscription = connect(server.url, options).subscribe({
        next: (session) => resolve({ session, close: () => subscription.unsubscribe() }),
        error: reject,
      });
    });
  }

  it('refuses a second concurrent session to the same base URL with ERR_STATEFUL_SERVER_BUSY, sending nothing; the URL is free again once the first closes', async () => {
    const first = await hold();
    const before = server.log().length;
    try {
      // The same server spelled differently (a pasted route, a trailing slash) is the same env.
      const second = firstValueFrom(connect(`${server.url}/reset/`));
      await expect(second).rejects.toBeInstanceOf(StatefulServerBusyError);
      await expect(second).rejects.toMatchObject({ code: 'ERR_STATEFUL_SERVER_BUSY', context: { url: server.url } });
      expect(server.log().slice(before)).toEqual([]); // not even a reset reached the shared env
      // The first session is untouched by the refusal.
      const steps = await lastValueFrom(first.session.episode(say, { maxSteps: 2 }).pipe(toArray()));
      expect(steps).toHaveLength(3); // the reset and two steps
      expect((await server.logged(before + 3)).slice(before)).toEqual(['reset', 'step 1', 'step 2']);
    } finally {
      first.close();
    }
    const episode = await lastValueFrom(connect(server.url).pipe(withSession((env) => env.episode(say, { maxSteps: 2 })), toArray()));
    expect(episode).toHaveLength(3);
  }, 30_000);

  it('rollouts with parallel sessions fail with the typed error instead of mixing episodes', async () => {
    const run = lastValueFrom(rollouts(connect(server.url), say, { sessions: 3, episodes: 6, maxSteps: 2 }));
    await expect(run).rejects.toMatchObject({ code: 'ERR_STATEFUL_SERVER_BUSY' });
  }, 30_000);

  it('shareStatefulServer: true opts in: both sessions open and step the one env', async () => {
    const a = await hold({ shareStatefulServer: true });
    const b = await hold({ shareStatefulServer: true });
    try {
      await firstValueFrom(a.session.reset());
      await firstValueFrom(a.session.step({ message: 'a' }));
      await firstValueFrom(b.session.step({ message: 'b' }));
      // One env: b's step is the env's second step of a's episode.
      expect(await firstValueFrom(a.session.state())).toMatchObject({ step_count: 2 });
    } finally {
      a.close();
      b.close();
    }
  }, 30_000);
});
