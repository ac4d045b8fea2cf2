import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom, toArray } from 'rxjs';
import { TimeoutError } from '../../src/errors/index.js';
import { freePort } from '../../src/runtime/process/free-port.js';
import { waitHealthy } from '../../src/runtime/wait-healthy.js';
import { virtualClock } from '../helpers/virtual-clock.js';
import { pollUntil } from '../support/poll.js';

describe('waitHealthy', () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  /** A /health that answers `unhealthy` (503) `failures` times, then healthy. Returns its URL and hit count. */
  async function flakyHealth(failures: number): Promise<{ url: string; hits: () => number }> {
    let hits = 0;
    server = http.createServer((req, res) => {
      hits++;
      const ok = hits > failures;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: ok ? 'healthy' : 'unhealthy' }));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits };
  }

  it('emits once and completes after the first healthy answer', async () => {
    const { url, hits } = await flakyHealth(2);
    expect(await firstValueFrom(waitHealthy(url, { intervalMs: 20 }).pipe(toArray()))).toEqual([undefined]);
    expect(hits()).toBe(3);
  });

  it("treats a 200 that says 'unhealthy' as not ready", async () => {
    let hits = 0;
    server = http.createServer((_req, res) => {
      hits++;
      res.end(JSON.stringify({ status: hits > 1 ? 'healthy' : 'unhealthy' }));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    await firstValueFrom(waitHealthy(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { intervalMs: 20 }));
    expect(hits).toBe(2);
  });

  it('retries refused connections and times out with the last problem in the message', async () => {
    const url = `http://127.0.0.1:${await freePort()}`; // nothing listens
    // Real time, generous: a refused probe takes a millisecond, the budget is 2 s.
    const error = await firstValueFrom(waitHealthy(url, { intervalMs: 20, timeoutMs: 2_000, context: { image: 'x' } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).phase).toBe('start');
    expect((error as TimeoutError).timeoutMs).toBe(2_000);
    expect((error as TimeoutError).message).toContain('ECONNREFUSED');
    expect((error as TimeoutError).context).toMatchObject({ url, request: 'health', image: 'x' });
  });

  it('probes one at a time and times out at exactly timeoutMs, naming the last answer (virtual time)', async () => {
    const { url, hits } = await flakyHealth(1_000);
    const clock = virtualClock();
    let outcome: unknown;
    // Virtual time costs nothing: room for 500 ticks (5 s of real checks below), most of them skipped.
    // (Not more: rxjs chains each re-scheduled virtual action to the previous one.)
    const subscription = waitHealthy(url, { intervalMs: 100, timeoutMs: 50_000, scheduler: clock.scheduler }).subscribe({ error: (e: unknown) => (outcome = e) });
    clock.advance(0); // the first probe goes out at once
    // A tick while a probe is on the wire is skipped (exhaustMap): probe 3 means probes 1 and 2 were answered.
    await pollUntil(() => (clock.advance(100), hits() >= 3), 'probe 3', { intervalMs: 10 });
    expect(hits()).toBe(3);
    expect(outcome).toBeUndefined();
    clock.advance(50_000 - clock.scheduler.frame - 1);
    expect(outcome).toBeUndefined();
    clock.advance(1);
    expect(outcome).toBeInstanceOf(TimeoutError);
    expect((outcome as TimeoutError).message).toMatch(/not healthy after 50000 ms \(last probe: HTTP 503 unhealthy\) \[/);
    subscription.unsubscribe();
  });

  it('stops probing when unsubscribed: the probe on the wire is cancelled and no tick is left (virtual time)', async () => {
    let hits = 0;
    let cancelled = 0;
    server = http.createServer((req) => {
      hits++; // held: never answered
      req.socket.once('close', () => cancelled++);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const clock = virtualClock();
    const subscription = waitHealthy(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { intervalMs: 20, scheduler: clock.scheduler }).subscribe();
    clock.advance(0);
    await pollUntil(() => hits === 1, 'the first probe', { intervalMs: 10 });
    clock.advance(200); // ticks while the probe is held are skipped
    subscription.unsubscribe();
    await pollUntil(() => cancelled === 1, 'the held probe to be cancelled', { intervalMs: 10 });
    expect(clock.scheduler.actions).toHaveLength(0); // no interval left to fire
    clock.advance(10_000);
    expect(hits).toBe(1);
  });
});
