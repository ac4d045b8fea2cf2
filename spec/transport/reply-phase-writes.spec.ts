import WebSocket from 'ws';
import { enterReplyHandler, leaveReplyHandler, sendFrame } from '../../src/transport/reply-phase-writes.js';

/** Records what each socket wrote, in the order of the writes across all sockets. */
function sockets(count: number): { socket: WebSocket[]; writes: string[] } {
  const writes: string[] = [];
  const socket = Array.from(
    { length: count },
    (_, i) => ({ readyState: WebSocket.OPEN, send: (frame: string) => writes.push(`${i}:${frame}`) }) as unknown as WebSocket,
  );
  return { socket, writes };
}

const endOfPhase = () => new Promise<void>((resolve) => setImmediate(resolve));

function inReplyHandler(body: () => void): void {
  enterReplyHandler();
  try {
    body();
  } finally {
    leaveReplyHandler();
  }
}

describe('sendFrame: requests sent from reply handlers leave together after the I/O phase', () => {
  it('outside a reply handler every frame leaves at once', () => {
    const { socket, writes } = sockets(2);
    sendFrame(socket[0]!, 'a');
    sendFrame(socket[1]!, 'b');
    expect(writes).toEqual(['0:a', '1:b']);
  });

  it('in reply handlers the first frame of the phase leaves at once, the others after the phase', async () => {
    const { socket, writes } = sockets(3);
    for (const [i, s] of socket.entries()) inReplyHandler(() => sendFrame(s, `step${i}`));
    expect(writes).toEqual(['0:step0']);
    await endOfPhase();
    expect(writes).toEqual(['0:step0', '1:step1', '2:step2']);
    // A new phase: again the first frame at once.
    inReplyHandler(() => sendFrame(socket[2]!, 'next'));
    expect(writes.at(-1)).toBe('2:next');
    await endOfPhase();
  });

  it('lets every frame of the handler that opened the phase leave at once (one reply answered with N requests, as vector.step does)', async () => {
    const { socket, writes } = sockets(4);
    inReplyHandler(() => {
      for (const [i, s] of socket.entries()) sendFrame(s, `lockstep${i}`);
    });
    expect(writes).toEqual(['0:lockstep0', '1:lockstep1', '2:lockstep2', '3:lockstep3']);
    // The next handler of the same phase waits.
    inReplyHandler(() => sendFrame(socket[0]!, 'later'));
    expect(writes).toHaveLength(4);
    await endOfPhase();
    expect(writes.at(-1)).toBe('0:later');
  });

  it('keeps the order of one socket: a frame sent after one that waits waits behind it, even outside a handler', async () => {
    const { socket, writes } = sockets(2);
    inReplyHandler(() => sendFrame(socket[0]!, 'first'));
    inReplyHandler(() => {
      sendFrame(socket[1]!, 'mcp-1');
      sendFrame(socket[1]!, 'mcp-2');
    });
    sendFrame(socket[1]!, 'mcp-3'); // e.g. from a timer before the phase ended
    expect(writes).toEqual(['0:first']);
    await endOfPhase();
    expect(writes).toEqual(['0:first', '1:mcp-1', '1:mcp-2', '1:mcp-3']);
  });

  it('drops the waiting frames of a socket that closed meanwhile (its requests failed with the close)', async () => {
    const { socket, writes } = sockets(2);
    inReplyHandler(() => sendFrame(socket[0]!, 'sent'));
    inReplyHandler(() => sendFrame(socket[1]!, 'dropped'));
    (socket[1] as unknown as { readyState: number }).readyState = WebSocket.CLOSING;
    await endOfPhase();
    expect(writes).toEqual(['0:sent']);
  });
});
