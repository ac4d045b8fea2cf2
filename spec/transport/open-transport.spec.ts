import { firstValueFrom } from 'rxjs';
import { ConnectionError, HttpStatusError } from '../../src/errors/index.js';
import { openTransport, probeTransportKind } from '../../src/transport/open-transport.js';
import { transportRequestOf } from '../../src/transport/transport-request.js';
import type { WireStepResult } from '../../src/transport/transport.js';
import { pollUntil } from '../support/poll.js';
import { connect, startCannedHttpServer, useTestCleanups } from './support.js';

describe('openTransport', () => {
  const { cleanups, replayServer } = useTestCleanups();

  it.each([
    ['A', 'echo_env@8f12109e.jsonl', undefined, 'http'],
    ['B', 'echo_env@30c16b3b.jsonl', 'echo_env@30c16b3b-ws.jsonl', 'ws'],
    ['H', 'echo_env.jsonl', 'echo_env-ws.jsonl', 'ws'],
    ['H', 'grid_world_env.jsonl', 'grid_world_env-ws.jsonl', 'ws'],
  ])('auto-detects generation %s (%s, ws: %s) as %s by probing GET /schema', async (_generation, http, ws, expected) => {
    const replay = await replayServer({ http, ws });
    const { transport, subscription } = await connect(openTransport(replay.url));
    cleanups.push(() => subscription.unsubscribe());
    expect(transport.kind).toBe(expected);
    expect(replay.received[0]).toMatchObject({ kind: 'http', method: 'GET', path: '/schema' });
    // The picked transport works: the reset goes over the detected route.
    await expect(firstValueFrom(transport.reset({}))).resolves.toMatchObject({ done: false });
    expect(replay.received[1]).toMatchObject({ kind: expected, path: expected === 'ws' ? '/ws' : '/reset' });
  });

  it('honours an explicit transport without probing', async () => {
    const replay = await replayServer({ http: 'grid_world_env.jsonl', ws: 'grid_world_env-ws.jsonl' });
    const http = await connect(openTransport(replay.url, { transport: 'http' }));
    const ws = await connect(openTransport(replay.url, { transport: 'ws' }));
    cleanups.push(() => http.subscription.unsubscribe(), () => ws.subscription.unsubscribe());
    expect(http.transport.kind).toBe('http');
    expect(ws.transport.kind).toBe('ws');
    expect(replay.received.filter((r) => r.path === '/schema')).toEqual([]);
  });

  it('a probe that cannot connect → ConnectionError', async () => {
    const canned = await startCannedHttpServer();
    const url = canned.url;
    await canned.close();
    const error = await firstValueFrom(probeTransportKind(url)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).context).toMatchObject({ url, request: 'schema' });
  });

  it('a probe refused with 401 → HttpStatusError, not a silent downgrade to HTTP', async () => {
    const canned = await startCannedHttpServer();
    cleanups.push(() => canned.close());
    canned.respondWith({ status: 401, content_type: 'application/json', response_body: { detail: 'Not authenticated' } });
    const error = await connect(openTransport(canned.url)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpStatusError);
    expect((error as HttpStatusError).status).toBe(401);
  });

  it("a generation-A transport the probe picked (a stateful copy) answers resets and steps through the HTTP transport's request", async () => {
    const replay = await replayServer({ http: 'echo_env@8f12109e.jsonl' });
    const { transport, subscription } = await connect(openTransport(replay.url));
    cleanups.push(() => subscription.unsubscribe());
    expect(transport.stateful).toBe(true);
    const request = transportRequestOf(transport);
    const refuse = (): never => {
      throw new Error('the Observable method was called');
    };
    // A request made of the copy's Observable methods (no registered one) would call these.
    Object.assign(transport, { reset: refuse, step: refuse });
    const seen: unknown[] = [];
    request('reset', {}, { value: (v: WireStepResult) => void seen.push(v), error: (e: unknown) => void seen.push(e) });
    await pollUntil(() => seen.length === 1, 'seen.length === 1');
    expect(seen).toEqual([expect.objectContaining({ done: false })]);
    expect(replay.received[1]).toMatchObject({ kind: 'http', path: '/reset' });
  });
});
