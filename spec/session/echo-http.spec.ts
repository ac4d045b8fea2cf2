import { catchError, concat, ignoreElements, lastValueFrom, of, switchMap, take, timeout, toArray } from 'rxjs';
import { HttpStatusError } from '../../src/errors/index.js';
import { connectUrl } from '../../src/session/connect-url.js';
import { startReplayServer, type ReplayServer } from '../helpers/replay-server.js';
import { Echo } from '../fixtures/typed-echo.js';


describe('generation A (echo_env@8f12109e) over HTTP against the replay server', () => {
  let server: ReplayServer;

  beforeEach(async () => {
    server = await startReplayServer({ http: 'echo_env@8f12109e.jsonl' });
  });
  afterEach(async () => {
    await server.close();
  });

  it("transport 'auto' picks http (GET /schema is 404) and runs reset + step", async () => {
    const kinds: string[] = [];
    const results = await lastValueFrom(
      Echo.connect(server.url, { transport: 'auto' }).pipe(
        switchMap((env) => {
          kinds.push(env.transport);
          return concat(env.reset(), env.step({ message: 'hello' }));
        }),
        take(2),
        toArray(),
        timeout(5_000),
      ),
    );
    expect(kinds).toEqual(['http']);
    expect(results).toEqual([
      { observation: { echoed_message: 'Echo environment ready!', message_length: 0 }, reward: 0, done: false, truncated: false },
      { observation: { echoed_message: 'hello', message_length: 5 }, reward: 0.5, done: false, truncated: false },
    ]);
    const sent = server.received.map((r) => `${r.method} ${r.path}`);
    expect(sent).toEqual(['GET /schema', 'POST /reset', 'POST /step']);
    expect(JSON.parse(server.received[2]!.body)).toMatchObject({ action: { message: 'hello' } });
    expect(server.mismatches).toEqual([]);
  });

  it('gives an HTTP error the url, transport, stepIndex and episodeId context', async () => {
    // Untyped, so the extra key reaches the server, which answers 500 (as recorded).
    const error = await lastValueFrom(
      connectUrl(server.url).pipe(
        switchMap((env) => concat(env.reset({ seed: 42, episodeId: 'ep-1' }), env.step({ message: 'x', bogus: 1 }))),
        ignoreElements(),
        timeout(5_000),
        catchError((e: unknown) => of(e)),
      ),
    );
    expect(error).toBeInstanceOf(HttpStatusError);
    expect((error as HttpStatusError).status).toBe(500);
    expect((error as HttpStatusError).context).toMatchObject({
      env: 'env',
      url: server.url,
      transport: 'http',
      request: 'step',
      stepIndex: 1,
      episodeId: 'ep-1',
    });
    expect(server.mismatches).toEqual([]);
  });
});
