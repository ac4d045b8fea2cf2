import { z } from 'zod';
import { defineServerEnv, type Environment } from '../../src/environment/environment.js';
import { serve } from '../../src/server/serve.js';
import { ServeError } from '../../src/errors/server-errors.js';
import { Cleanup, openSocket } from './support.js';

/** An env whose `slow` step waits on a gate the test holds, so the socket's queue fills deterministically. */
function gatedEnv() {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const definition = defineServerEnv({
    name: 'gated',
    action: z.strictObject({ op: z.enum(['slow', 'fast']) }),
    observation: z.object({ op: z.string() }),
    create: (): Environment<{ op: string }, { op: string }> => ({
      reset: () => ({ observation: { op: 'reset' }, reward: 0, done: false }),
      step: ({ op }) => (op === 'slow' ? held.then(() => ({ observation: { op }, reward: 0, done: false })) : { observation: { op }, reward: 0, done: false }),
      state: () => ({ episode_id: null, step_count: 0 }),
    }),
  });
  return { definition, release: () => release() };
}

describe('fault: a client floods /ws faster than the session answers', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('past maxQueuedMessages the server sends SESSION_ERROR (max_queued) and closes with 1008; the server stays usable', async () => {
    const { definition, release } = gatedEnv();
    const server = cleanup.server(await serve(definition, { maxQueuedMessages: 8, maxSessions: 2 }));
    const flooder = cleanup.socket(await openSocket(server.url));
    flooder.sendJson({ type: 'step', data: { op: 'slow' } }); // holds the session busy
    for (let i = 0; i < 500; i++) flooder.sendJson({ type: 'step', data: { op: 'fast' } }); // bounded: 500 frames
    expect(await flooder.next(5000)).toEqual({
      type: 'error',
      data: {
        code: 'SESSION_ERROR',
        message: 'Too many messages waiting (8 >= 8): the client sends faster than the session answers',
        max_queued: 8,
      },
    });
    expect(await flooder.closed(5000)).toEqual({ code: 1008, reason: 'message queue full' });
    expect(flooder.pending()).toBe(0); // the queued steps were dropped unanswered
    expect(server.activeSessions()).toBe(0);
    release(); // the held step finishes after its socket is gone: nothing is sent, nothing throws

    const next = cleanup.socket(await openSocket(server.url));
    next.sendJson({ type: 'step', data: { op: 'fast' } });
    expect(await next.next()).toEqual({ type: 'observation', data: { observation: { op: 'fast' }, reward: 0, done: false } });
  });

  it('a client within the bound is served in full, in order', async () => {
    const { definition, release } = gatedEnv();
    const server = cleanup.server(await serve(definition, { maxQueuedMessages: 8 }));
    const client = cleanup.socket(await openSocket(server.url));
    client.sendJson({ type: 'step', data: { op: 'slow' } });
    for (let i = 0; i < 7; i++) client.sendJson({ type: 'step', data: { op: 'fast' } });
    release();
    const replies = [];
    for (let i = 0; i < 8; i++) replies.push(await client.next());
    expect(replies.map((r) => (r as { data: { observation: { op: string } } }).data.observation.op)).toEqual(['slow', ...Array(7).fill('fast')]);
  });

  it('a client that sends but never reads its replies is cut once its unread replies exceed the bound (nothing grows without limit)', async () => {
    const big = 'x'.repeat(32 * 1024);
    let answered = 0;
    const Big = defineServerEnv({
      name: 'big',
      action: z.strictObject({}),
      observation: z.object({}),
      create: (): Environment<Record<string, never>, Record<string, never>> => ({
        reset: () => ({ observation: {}, reward: 0, done: false }),
        step: () => ({ observation: {}, reward: 0, done: false }),
        state: () => {
          answered++;
          return { episode_id: null, step_count: 0, big };
        },
      }),
    });
    const server = cleanup.server(await serve(Big, { maxQueuedMessages: 64 }));
    const reader = cleanup.socket(await openSocket(server.url));
    reader.socket.pause(); // the client stops reading; the kernel buffers fill, then replies stay unwritten
    for (let i = 0; i < 1000; i++) reader.sendJson({ type: 'state' }); // bounded: 1000 requests, 32 KiB replies
    const deadline = Date.now() + 15_000;
    while (server.activeSessions() !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(server.activeSessions()).toBe(0);
    expect(answered).toBeLessThan(1000); // cut before it answered everything
    reader.socket.resume();
    expect(await reader.closed(15_000)).toEqual({ code: 1008, reason: 'message queue full' });
  });

  it('maxQueuedMessages must be a positive integer', async () => {
    await expect(serve(gatedEnv().definition, { maxQueuedMessages: 0 })).rejects.toThrow(ServeError);
  });
});
