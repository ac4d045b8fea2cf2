import { z } from 'zod';
import { cartPoleEnv } from '../../src/envs/cartpole.js';
import { defineServerEnv, type EnvState, type Environment } from '../../src/environment/environment.js';
import { serve } from '../../src/server/serve.js';
import type { ServerErrorInfo } from '../../src/server/server-context.js';
import { Cleanup, openSocket, sleep } from './support.js';
import { pollUntil } from '../support/poll.js';

/** A step the test holds: `entered` resolves when the env got it, `release()` lets it answer. */
interface HeldStep {
  entered: Promise<void>;
  release(): void;
}
function heldStep(): HeldStep & { enter(): void; released: Promise<void> } {
  let enter!: () => void;
  let release!: () => void;
  const entered = new Promise<void>((resolve) => (enter = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  return { entered, released, enter, release };
}

/**
 * An env whose step fails on demand, answers asynchronously, and leaks reward/done/metadata into
 * its observation. `slow` answers on a later tick; `held` waits until the test releases `held`.
 */
function testEnv(log: string[] = [], held = heldStep()) {
  return defineServerEnv({
    name: 'faulty',
    action: z.strictObject({ op: z.enum(['ok', 'throw', 'reject', 'slow', 'held', 'bigint']), n: z.int().optional() }),
    observation: z.object({ n: z.number() }).loose(),
    create: (): Environment<{ op: string; n?: number }, Record<string, unknown>> => {
      let steps = 0;
      return {
        reset: () => ({ observation: { n: 0, reward: 9, done: true, metadata: { secret: 1 } }, reward: 0, done: false }),
        step: ({ op, n = 0 }) => {
          steps++;
          if (op === 'throw') throw new Error('boom: step failed');
          if (op === 'reject') return Promise.reject(new Error('async boom'));
          if (op === 'bigint') return { observation: { n: BigInt(1) }, reward: 0, done: false };
          if (op === 'slow') return sleep(1).then(() => ({ observation: { n }, reward: n, done: false }));
          if (op === 'held') {
            held.enter();
            return held.released.then(() => ({ observation: { n }, reward: n, done: false }));
          }
          return { observation: { n }, reward: n, done: false };
        },
        state: (): EnvState => ({ episode_id: 'x', step_count: steps, extra: 'kept over ws' }),
        close: () => {
          log.push('closed');
        },
      };
    },
  });
}

describe('WS /ws session', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('EXECUTION_ERROR for a throwing or rejecting env keeps the socket open; onError sees the error', async () => {
    const seen: Array<[string, ServerErrorInfo]> = [];
    const server = cleanup.server(await serve(testEnv(), { onError: (e, info) => seen.push([(e as Error).message, info]) }));
    const client = cleanup.socket(await openSocket(server.url));
    client.sendJson({ type: 'step', data: { op: 'throw' } });
    expect(await client.next()).toEqual({ type: 'error', data: { message: 'boom: step failed', code: 'EXECUTION_ERROR' } });
    client.sendJson({ type: 'step', data: { op: 'reject' } });
    expect(await client.next()).toEqual({ type: 'error', data: { message: 'async boom', code: 'EXECUTION_ERROR' } });
    client.sendJson({ type: 'step', data: { op: 'bigint' } });
    expect(await client.next()).toMatchObject({ type: 'error', data: { code: 'EXECUTION_ERROR' } });
    client.sendJson({ type: 'step', data: { op: 'ok', n: 2 } });
    expect(await client.next()).toEqual({ type: 'observation', data: { observation: { n: 2 }, reward: 2, done: false } });
    expect(seen.map(([m, info]) => [m, info.operation, info.transport])).toEqual([
      ['boom: step failed', 'step', 'ws'],
      ['async boom', 'step', 'ws'],
      [expect.stringContaining('BigInt'), 'step', 'ws'],
    ]);
  });

  it("an action schema that throws (refine/transform) is an EXECUTION_ERROR for that frame, not a crash of the server", async () => {
    const seen: ServerErrorInfo[] = [];
    const refined = defineServerEnv({
      ...testEnv(),
      name: 'refined',
      action: z.strictObject({ op: z.enum(['ok']), n: z.int().optional() }).refine((a) => {
        if (a.n === 13) throw new Error('boom in refine');
        return true;
      }),
    });
    const server = cleanup.server(await serve(refined, { onError: (_e, info) => seen.push(info) }));
    const client = cleanup.socket(await openSocket(server.url));
    client.sendJson({ type: 'step', data: { op: 'ok', n: 13 } });
    expect(await client.next()).toEqual({ type: 'error', data: { message: 'boom in refine', code: 'EXECUTION_ERROR' } });
    client.sendJson({ type: 'step', data: { op: 'ok', n: 1 } });
    expect(await client.next()).toEqual({ type: 'observation', data: { observation: { n: 1 }, reward: 1, done: false } });
    expect(seen).toEqual([{ operation: 'step', transport: 'ws' }]);
  });

  it('answers pipelined requests in order, even when the env is asynchronous', async () => {
    const server = cleanup.server(await serve(testEnv()));
    const client = cleanup.socket(await openSocket(server.url));
    client.sendJson({ type: 'step', data: { op: 'slow', n: 1 } });
    client.sendJson({ type: 'step', data: { op: 'ok', n: 2 } });
    client.sendJson({ type: 'bogus' });
    client.sendJson({ type: 'step', data: { op: 'slow', n: 3 } });
    client.sendJson({ type: 'state' });
    const frames = [await client.next(), await client.next(), await client.next(), await client.next(), await client.next()];
    expect(frames).toEqual([
      { type: 'observation', data: { observation: { n: 1 }, reward: 1, done: false } },
      { type: 'observation', data: { observation: { n: 2 }, reward: 2, done: false } },
      { type: 'error', data: { message: 'Unknown message type: bogus', code: 'UNKNOWN_TYPE' } },
      { type: 'observation', data: { observation: { n: 3 }, reward: 3, done: false } },
      { type: 'state', data: { episode_id: 'x', step_count: 3, extra: 'kept over ws' } },
    ]);
  });

  it('drops reward, done and metadata from the observation', async () => {
    const server = cleanup.server(await serve(testEnv()));
    const client = cleanup.socket(await openSocket(server.url));
    client.sendJson({ type: 'reset' });
    expect(await client.next()).toEqual({ type: 'observation', data: { observation: { n: 0 }, reward: 0, done: false } });
    const http = (await (await fetch(server.url + '/reset', { method: 'POST' })).json()) as Record<string, unknown>;
    expect(http).toEqual({ observation: { n: 0 }, reward: 0, done: false });
  });

  it('validates reset data and envelopes with pydantic-shaped errors', async () => {
    const server = cleanup.server(await serve(testEnv()));
    const client = cleanup.socket(await openSocket(server.url));
    client.sendJson({ type: 'reset', data: { seed: -1 } });
    expect(await client.next()).toEqual({
      type: 'error',
      data: {
        message: 'Invalid message',
        code: 'VALIDATION_ERROR',
        errors: [
          {
            type: 'greater_than_equal',
            loc: ['data', 'seed'],
            msg: 'Input should be greater than or equal to 0',
            input: -1,
            ctx: { ge: 0 },
            url: 'https://errors.pydantic.dev/2.14/v/greater_than_equal',
          },
        ],
      },
    });
    client.sendJson({ type: 'state', data: {} });
    expect(await client.next()).toMatchObject({ data: { code: 'VALIDATION_ERROR', errors: [{ type: 'extra_forbidden', loc: ['data'] }] } });
    client.sendJson({ type: 'close', now: true });
    expect(await client.next()).toMatchObject({ data: { code: 'VALIDATION_ERROR', errors: [{ type: 'extra_forbidden', loc: ['now'] }] } });
    client.sendJson([1, 2]);
    expect(await client.next()).toEqual({ type: 'error', data: { message: 'Unknown message type: ', code: 'UNKNOWN_TYPE' } });
    client.sendJson({ type: 'mcp', data: { jsonrpc: '2.0', method: 'tools/call', params: {}, id: 'a' } });
    expect(await client.next()).toEqual({
      type: 'mcp',
      data: { jsonrpc: '2.0', id: 'a', error: { code: -32602, message: "Missing 'name' in params", data: null } },
    });
    client.sendJson({ type: 'step', data: { op: 'ok', n: 1 } });
    expect(await client.next()).toMatchObject({ type: 'observation' });
  });

  it('FACTORY_ERROR (sync throw or rejection) then close 1000, and the slot is released', async () => {
    for (const create of [
      () => {
        throw new Error('no GPU');
      },
      () => Promise.reject(new Error('no GPU')),
    ]) {
      const server = cleanup.server(await serve({ ...testEnv(), create } as never, { maxSessions: 1 }));
      const client = cleanup.socket(await openSocket(server.url));
      expect(await client.next()).toEqual({
        type: 'error',
        data: { message: 'Failed to create environment faulty: no GPU', code: 'FACTORY_ERROR', factory_name: 'faulty' },
      });
      expect(await client.closed()).toEqual({ code: 1000, reason: '' });
      expect(server.activeSessions()).toBe(0);
    }
  });

  it('SESSION_ERROR then close 1000 when the factory returns something that is not an env', async () => {
    const server = cleanup.server(await serve({ ...testEnv(), create: () => ({}) } as never));
    const client = cleanup.socket(await openSocket(server.url));
    expect(await client.next()).toMatchObject({ type: 'error', data: { code: 'SESSION_ERROR' } });
    expect((await client.closed()).code).toBe(1000);
  });

  it('{"type":"close"} closes with 1000 without a reply and closes the env', async () => {
    const log: string[] = [];
    const server = cleanup.server(await serve(testEnv(log)));
    const client = cleanup.socket(await openSocket(server.url));
    client.sendJson({ type: 'close' });
    expect(await client.closed()).toEqual({ code: 1000, reason: '' });
    expect(client.pending()).toBe(0);
    expect(log).toEqual(['closed']);
    expect(server.activeSessions()).toBe(0);
  });

  it('closes the env only after an in-flight async step finished', async () => {
    const log: string[] = [];
    const held = heldStep();
    const server = cleanup.server(await serve(testEnv(log, held)));
    const client = cleanup.socket(await openSocket(server.url));
    client.sendJson({ type: 'step', data: { op: 'held' } });
    await held.entered; // the step is running in the env
    client.socket.close();
    await client.closed();
    await pollUntil(() => server.activeSessions() === 0, 'the server to see the close', { timeoutMs: 10_000 });
    expect(log).toEqual([]); // the socket is gone, the step still runs: the env stays open
    held.release();
    await pollUntil(() => log.length > 0, 'the env to be closed', { timeoutMs: 10_000 });
    expect(log).toEqual(['closed']);
  });
});

describe('state over WS and HTTP (cartpole)', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('keeps env-specific state fields over /ws and strips them over HTTP', async () => {
    const server = cleanup.server(await serve(cartPoleEnv));
    const client = cleanup.socket(await openSocket(server.url));
    client.sendJson({ type: 'reset', data: { seed: 7, episode_id: 'cp-1' } });
    const reset = (await client.next()) as { data: { observation: Record<string, number> } };
    client.sendJson({ type: 'step', data: { action: 1 } });
    expect(await client.next()).toMatchObject({ type: 'observation', data: { reward: 1, done: false } });
    client.sendJson({ type: 'state' });
    const state = (await client.next()) as { data: Record<string, unknown> };
    expect(state.data).toMatchObject({ episode_id: 'cp-1', step_count: 1 });
    expect(Object.keys(state.data).sort()).toEqual(
      ['cart_position', 'cart_velocity', 'episode_id', 'pole_angle', 'pole_angular_velocity', 'step_count'].sort(),
    );
    expect(reset.data.observation['cart_position']).toBeGreaterThanOrEqual(-0.05);
    const http = (await (await fetch(server.url + '/state')).json()) as Record<string, unknown>;
    expect(Object.keys(http).sort()).toEqual(['episode_id', 'step_count']);
    client.sendJson({ type: 'step', data: { action: 2 } });
    expect(await client.next()).toMatchObject({
      data: { code: 'VALIDATION_ERROR', errors: [{ type: 'literal_error', loc: ['action'], msg: 'Input should be 0 or 1', input: 2 }] },
    });
  });
});
