import { openSocket, type TestSocket } from '../server/support.js';
import { runCliChild, useCliServers } from './cli-child.js';

const heldEnv = './spec/cli/fixtures/held-step-env.mjs';
/** A step the env never answers, then `count` more that wait behind it in the session's queue. */
const floodBehindHeldStep = (socket: TestSocket, count: number) => {
  socket.sendJson({ type: 'step', data: { op: 'hold' } });
  for (let i = 0; i < count; i++) socket.sendJson({ type: 'step', data: { op: 'go' } }); // bounded
};

describe('openenv-rx serve --max-queued (real processes)', () => {
  const served = useCliServers();
  const sockets: TestSocket[] = [];
  afterEach(() => sockets.splice(0).forEach((s) => s.socket.terminate()));

  it('past --max-queued waiting messages the client gets SESSION_ERROR (max_queued) and close 1008', async () => {
    const { url } = await served([heldEnv, '--port', '0', '--max-queued', '4']);
    const socket = await openSocket(url);
    sockets.push(socket);
    floodBehindHeldStep(socket, 20);
    expect(await socket.next(20_000)).toEqual({
      type: 'error',
      data: { code: 'SESSION_ERROR', message: 'Too many messages waiting (4 >= 4): the client sends faster than the session answers', max_queued: 4 },
    });
    expect(await socket.closed(20_000)).toEqual({ code: 1008, reason: 'message queue full' });
  }, 60_000);

  it('without the flag the default bound (1024) holds the same 20 messages: nothing is refused', async () => {
    const { url } = await served([heldEnv, '--port', '0']);
    const socket = await openSocket(url);
    sockets.push(socket);
    floodBehindHeldStep(socket, 20);
    // A second session answers at once; the first got no error frame and is still open.
    const probe = await openSocket(url);
    sockets.push(probe);
    probe.sendJson({ type: 'step', data: { op: 'go' } });
    expect(await probe.next(20_000)).toEqual({ type: 'observation', data: { observation: { op: 'go' }, reward: 0, done: false } });
    expect(socket.pending()).toBe(0);
    expect(socket.socket.readyState).toBe(socket.socket.OPEN);
  }, 60_000);

  it('--help names the flag, its default and what happens past it', async () => {
    const { code, out } = await runCliChild(['serve', '--help']);
    expect(code).toBe(0);
    expect(out.replace(/\s+/g, ' ')).toContain(
      '--max-queued <n> messages one /ws client may have waiting for answers; one more gets a SESSION_ERROR frame and close 1008 (default 1024)',
    );
  }, 60_000);
});
