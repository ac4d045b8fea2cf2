import { existsSync } from 'node:fs';
import { lastValueFrom, toArray } from 'rxjs';
import WebSocket from 'ws';
import { echoEnv } from '../../src/envs/echo.js';
import { collect, type CollectEvent } from '../../src/fleet/collect.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { connectUrl } from '../../src/session/connect-url.js';
import { cli } from '../cli/cli-support.js';
import { useTempDirs } from './support/collect-files.js';

// `collect`'s `pool.reprobeMs`: a capacity learnt while another client held a slot is tried again
// that long after the lesson, so the run takes the slot back once that client left (the default,
// 60 s, would leave this run at width 1).
describe('collect with pool.reprobeMs over a server another client shared at first', () => {
  let server: RunningServer | undefined;
  const tempDir = useTempDirs();
  afterEach(async () => {
    await server?.close();
    await awaitRuntimeTeardowns();
  });

  it('learns limit 1 while the other client holds a slot, re-probes after reprobeMs once it left, and runs at width 2', async () => {
    server = await serve(echoEnv, { maxSessions: 2 });
    const running = server;
    const holder = new WebSocket(`${running.url.replace('http', 'ws')}/ws`);
    await new Promise((resolve, reject) => holder.once('open', resolve).once('error', reject));
    let peak = 0;
    // The first step lets the other client go; each step then waits (bounded) until both slots are
    // ours: the run cannot end before the re-probe had its chance.
    const policy = async () => {
      holder.terminate();
      for (let i = 0; i < 200 && running.activeSessions() < 2; i++) await new Promise((resolve) => setTimeout(resolve, 25));
      peak = Math.max(peak, running.activeSessions());
      return { message: 'hi' };
    };
    const events = await lastValueFrom(
      collect(connectUrl(running.url), policy, { out: `${tempDir()}/data`, episodes: 6, sessions: 2, maxSteps: 2, pool: { reprobeMs: 200 } }).pipe(toArray()),
    );
    const summary = events.find((e): e is Extract<CollectEvent, { type: 'summary' }> => e.type === 'summary')!.summary;
    expect(summary).toMatchObject({ status: 'completed', recorded: 6, failed: 0 });
    expect(summary.pool).toMatchObject({ refusals: 1, servers: [{ sessions: 2, limit: 2 }] });
    expect(peak).toBe(2);
  }, 30_000);

  it('the CLI: collect --url --reprobe-ms takes the slot back once the other client left', async () => {
    server = await serve(echoEnv, { maxSessions: 2 });
    const running = server;
    const holder = new WebSocket(`${running.url.replace('http', 'ws')}/ws`);
    await new Promise((resolve, reject) => holder.once('open', resolve).once('error', reject));
    const out = `${tempDir()}/data`;
    // The other client leaves once the run recorded its first episode (a gate on the file); the run
    // goes on long after (a loaded machine only makes it longer).
    const leave = (async () => {
      for (let i = 0; i < 600 && !existsSync(`${out}/results.jsonl`); i++) await new Promise((resolve) => setTimeout(resolve, 25));
      holder.terminate();
    })();
    const run = await cli('collect', '--url', running.url, '-o', out, '-n', '300', '-s', '2', '--max-steps', '10', '--reprobe-ms', '100', '--json');
    await leave;
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.out) as { recorded: number; pool: { refusals: number; servers: Array<{ limit: number }> } };
    expect(summary).toMatchObject({ recorded: 300, pool: { servers: [{ limit: 2 }] } });
    expect(summary.pool.refusals).toBeGreaterThanOrEqual(1);
    expect((await cli('collect', '--url', running.url, '-o', `${out}2`, '--reprobe-ms', '-1')).err).toMatch(/--reprobe-ms.*expected an integer >= 0/);
  }, 60_000);
});
