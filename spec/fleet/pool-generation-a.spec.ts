import { lastValueFrom, tap, toArray } from 'rxjs';
import { collect, type CollectEvent } from '../../src/fleet/collect.js';
import { envPool, type PoolStats } from '../../src/fleet/env-pool.js';
import { rollouts } from '../../src/operators/rollouts.js';
import { withSession } from '../../src/operators/with-session.js';
import { connectUrl } from '../../src/session/connect-url.js';
import { startLegacyServer, type LegacyServerProcess } from '../fixtures/legacy-server-process.js';
import { readResults, useTempDirs } from './support/collect-files.js';

// A pool asked for several sessions on ONE generation-A server (stateful HTTP: one env) gets the
// second refused by this process with ERR_STATEFUL_SERVER_BUSY before anything is sent. That is a
// capacity of 1, learnt like a CAPACITY_REACHED refusal: the run goes on at width 1, never mixing
// two sessions' episodes in the one env, and never ends in ERR_POOL_START. A real legacy server
// process logs every env request it serves.
describe('envPool and collect over one generation-A server', () => {
  let server: LegacyServerProcess;
  const tempDir = useTempDirs();
  beforeAll(async () => {
    server = await startLegacyServer();
  }, 40_000);
  afterAll(() => server?.stop());

  const say = () => ({ message: 'hi' });

  it('rollouts with 2 sessions over a pool of 2: the busy refusal teaches limit 1, every episode runs on the one session', async () => {
    const stats: PoolStats[] = [];
    const steps = await lastValueFrom(
      envPool(connectUrl(server.url), { size: 2, unplaceableTimeoutMs: 5_000 }).pipe(
        withSession((pool) =>
          rollouts(pool.session(), say, { sessions: 2, episodes: 4, maxSteps: 2 }).pipe(tap({ complete: () => stats.push(pool.stats()) })),
        ),
        toArray(),
      ),
    );
    expect(steps.filter((s) => s.error)).toEqual([]);
    expect(steps.filter((s) => s.truncated)).toHaveLength(4);
    expect(stats[0]).toMatchObject({ refusals: 1, startFailures: 0, servers: [{ label: server.url, sessions: 1, limit: 1, state: 'up' }] });
  }, 30_000);

  it('collect with 3 sessions records every episode over the one session', async () => {
    const out = tempDir();
    const events = await lastValueFrom(collect(connectUrl(server.url), say, { out: `${out}/data`, episodes: 4, sessions: 3, maxSteps: 2 }).pipe(toArray()));
    const summary = events.find((e): e is Extract<CollectEvent, { type: 'summary' }> => e.type === 'summary')!.summary;
    expect(summary).toMatchObject({ status: 'completed', recorded: 4, failed: 0, pool: { startFailures: 0 } });
    expect(readResults(`${out}/data`)).toHaveLength(4);
  }, 30_000);
});
