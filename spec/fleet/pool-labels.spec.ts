import { firstValueFrom, map } from 'rxjs';
import { echoEnv } from '../../src/envs/echo.js';
import { envPool } from '../../src/fleet/env-pool.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { connectUrl } from '../../src/session/connect-url.js';

// A fixed list of servers is named by URL in `pool.stats()` (and so in errors and progress) from
// the start, not `source #i` until a session happens to open there.
describe('envPool over a fixed list of URLs: server labels', () => {
  const servers: RunningServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await awaitRuntimeTeardowns();
  });

  it('labels every server by its URL before any session opened on it', async () => {
    servers.push(await serve(echoEnv), await serve(echoEnv));
    const urls = servers.map((s) => s.url);
    // size 1: the pool is warm with one session on the first server; nothing was placed on the second.
    const labels = await firstValueFrom(envPool(urls.map((url) => connectUrl(url)), { size: 1 }).pipe(map((pool) => pool.stats().servers)));
    expect(labels).toEqual([expect.objectContaining({ label: urls[0], sessions: 1 }), expect.objectContaining({ label: urls[1], sessions: 0 })]);
  }, 30_000);
});
