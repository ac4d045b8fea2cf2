import { firstValueFrom, Subscription } from 'rxjs';
import { echoEnv } from '../../src/envs/echo.js';
import { gridWorldEnv } from '../../src/envs/grid-world.js';
import type { Endpoint } from '../../src/runtime/endpoint.js';
import { inProcessEndpoint } from '../../src/server/in-process-endpoint.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { ServeError } from '../../src/errors/server-errors.js';
import { openSocket, sleep } from './support.js';

describe('inProcessEndpoint', () => {
  const subscriptions = new Subscription();
  afterEach(async () => {
    subscriptions.unsubscribe();
    await awaitRuntimeTeardowns();
  });

  it('subscribing serves on 127.0.0.1; the endpoint speaks /ws; unsubscribing closes the server and its sessions', async () => {
    const endpoint = await new Promise<Endpoint>((resolve, reject) => {
      subscriptions.add(inProcessEndpoint(gridWorldEnv, { maxSessions: 2 }).subscribe({ next: resolve, error: reject }));
    });
    expect(endpoint).toEqual({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), kind: 'in-process', id: expect.stringMatching(/^in-process:grid_world:\d+$/) });
    const client = await openSocket(endpoint.url);
    client.sendJson({ type: 'step', data: { action: 'RIGHT' } });
    expect(await client.next()).toEqual({ type: 'observation', data: { observation: { x: 0, y: 1, message: 'Keep going...' }, reward: -0.1, done: false } });

    subscriptions.unsubscribe();
    expect((await client.closed()).code).toBe(1001);
    await awaitRuntimeTeardowns();
    await expect(fetch(endpoint.url + '/health')).rejects.toThrow();
  });

  it('unsubscribing while the server is still starting closes it once it is up', async () => {
    const listening = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    // A closed server's handle is released a tick after close() resolves: wait for a clean baseline.
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 1000 && listening() > 0; i++) await sleep(10); // bounded: 10 s
    };
    await settle();
    expect(listening()).toBe(0);
    const seen: Endpoint[] = [];
    const subscription = inProcessEndpoint(echoEnv).subscribe((e) => seen.push(e));
    subscription.unsubscribe();
    await awaitRuntimeTeardowns();
    expect(seen).toEqual([]);
    await settle();
    expect(listening()).toBe(0);
  });

  it('a failure to start is the Observable error (ServeError)', async () => {
    await expect(firstValueFrom(inProcessEndpoint(echoEnv, { maxSessions: -1 }))).rejects.toBeInstanceOf(ServeError);
  });
});
