import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom, toArray } from 'rxjs';
import { TimeoutError } from '../../src/errors/index.js';
import { freePort } from '../../src/runtime/process/free-port.js';
import { waitHealthy } from '../../src/runtime/wait-healthy.js';

describe('waitHealthy', () => {
  let server: http.Server | undefined;
  afterEach(async () => {
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
    const error = await firstValueFrom(waitHealthy(url, { intervalMs: 20, timeoutMs: 200, context: { image: 'x' } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).phase).toBe('start');
    expect((error as TimeoutError).timeoutMs).toBe(200);
    expect((error as TimeoutError).message).toContain('ECONNREFUSED');
    expect((error as TimeoutError).context).toMatchObject({ url, request: 'health', image: 'x' });
  });

  it('stops probing when unsubscribed', async () => {
    const { url, hits } = await flakyHealth(1_000);
    const subscription = waitHealthy(url, { intervalMs: 20 }).subscribe();
    await new Promise((r) => setTimeout(r, 100));
    subscription.unsubscribe();
    await new Promise((r) => setTimeout(r, 50)); // a probe already on the wire may still land
    const seen = hits();
    await new Promise((r) => setTimeout(r, 150)); // ~7 more probes if it were still polling
    expect(seen).toBeGreaterThan(0);
    expect(hits()).toBe(seen);
  });
});
