import { jest } from '@jest/globals';
import WebSocket from 'ws';
import { ReplyPhaseWrites } from '../../src/transport/reply-phase-writes.js';

/** Handlers of a phase that write at once, in these tests (each test has its own policy object). */
const IMMEDIATE_HANDLERS = 4;
let writes = new ReplyPhaseWrites(IMMEDIATE_HANDLERS);
const sendFrame = (socket: WebSocket, frame: string): void => writes.send(socket, frame);
const connectionOpened = (): void => writes.connectionOpened();
const connectionClosed = (): void => writes.connectionClosed();

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
  writes.enter();
  try {
    body();
  } finally {
    writes.leave();
  }
}

/** Opens a phase with the handlers that write at once, each sending one frame on `socket`. */
function useImmediateHandlers(socket: WebSocket): void {
  for (let i = 0; i < IMMEDIATE_HANDLERS; i++) inReplyHandler(() => sendFrame(socket, `immediate${i}`));
}

/** A fresh policy with `count` open connections (what WsConnection registers) for each test. */
function withConnections(count: number): void {
  beforeEach(() => {
    writes = new ReplyPhaseWrites(IMMEDIATE_HANDLERS);
    for (let i = 0; i < count; i++) connectionOpened();
  });
}

describe('sendFrame: requests sent from reply handlers leave together after the I/O phase', () => {
  // More connections than handlers that write at once: the phase policy applies.
  withConnections(IMMEDIATE_HANDLERS + 1);

  it('outside a reply handler every frame leaves at once', () => {
    const { socket, writes } = sockets(2);
    sendFrame(socket[0]!, 'a');
    sendFrame(socket[1]!, 'b');
    expect(writes).toEqual(['0:a', '1:b']);
  });

  it('in reply handlers the frames of the first handlers of the phase leave at once, the others after the phase', async () => {
    expect(IMMEDIATE_HANDLERS).toBeGreaterThanOrEqual(1);
    const count = IMMEDIATE_HANDLERS + 2;
    const { socket, writes } = sockets(count);
    for (const [i, s] of socket.entries()) inReplyHandler(() => sendFrame(s, `step${i}`));
    const immediate = socket.slice(0, IMMEDIATE_HANDLERS).map((_, i) => `${i}:step${i}`);
    expect(writes).toEqual(immediate);
    await endOfPhase();
    expect(writes).toEqual(socket.map((_, i) => `${i}:step${i}`));
    // A new phase: again the first handlers' frames at once.
    inReplyHandler(() => sendFrame(socket[count - 1]!, 'next'));
    expect(writes.at(-1)).toBe(`${count - 1}:next`);
    await endOfPhase();
  });

  it('lets every frame of the handler that opened the phase leave at once (one reply answered with N requests, as vector.step does)', async () => {
    const { socket, writes } = sockets(4);
    inReplyHandler(() => {
      for (const [i, s] of socket.entries()) sendFrame(s, `lockstep${i}`);
    });
    expect(writes).toEqual(['0:lockstep0', '1:lockstep1', '2:lockstep2', '3:lockstep3']);
    // Up to IMMEDIATE_HANDLERS handlers write at once; the next handler of the same phase waits.
    for (let i = 1; i < IMMEDIATE_HANDLERS; i++) inReplyHandler(() => sendFrame(socket[1]!, `more${i}`));
    inReplyHandler(() => sendFrame(socket[0]!, 'later'));
    expect(writes).toHaveLength(4 + IMMEDIATE_HANDLERS - 1);
    await endOfPhase();
    expect(writes.at(-1)).toBe('0:later');
  });

  it('keeps the order of one socket: a frame sent after one that waits waits behind it, even outside a handler', async () => {
    const { socket, writes } = sockets(2);
    useImmediateHandlers(socket[0]!);
    inReplyHandler(() => {
      sendFrame(socket[1]!, 'mcp-1');
      sendFrame(socket[1]!, 'mcp-2');
    });
    sendFrame(socket[1]!, 'mcp-3'); // e.g. from a timer before the phase ended
    expect(writes.filter((w) => w.startsWith('1:'))).toEqual([]);
    await endOfPhase();
    expect(writes.filter((w) => w.startsWith('1:'))).toEqual(['1:mcp-1', '1:mcp-2', '1:mcp-3']);
  });

  it('drops the waiting frames of a socket that closed meanwhile (its requests failed with the close)', async () => {
    const { socket, writes } = sockets(2);
    useImmediateHandlers(socket[0]!);
    inReplyHandler(() => sendFrame(socket[1]!, 'dropped'));
    (socket[1] as unknown as { readyState: number }).readyState = WebSocket.CLOSING;
    await endOfPhase();
    expect(writes).toHaveLength(IMMEDIATE_HANDLERS);
    expect(writes.every((w) => w.startsWith('0:'))).toBe(true);
  });
});

describe('sendFrame with no more connections than IMMEDIATE_HANDLERS', () => {
  withConnections(IMMEDIATE_HANDLERS);

  it('writes every frame at once, however many handlers of one phase send, and schedules nothing', async () => {
    const { socket, writes } = sockets(1);
    const count = IMMEDIATE_HANDLERS + 3;
    const immediates = jest.spyOn(globalThis, 'setImmediate');
    try {
      for (let i = 0; i < count; i++) inReplyHandler(() => sendFrame(socket[0]!, `step${i}`));
      expect(writes).toEqual(Array.from({ length: count }, (_, i) => `0:step${i}`));
      expect(immediates).not.toHaveBeenCalled();
    } finally {
      immediates.mockRestore();
    }
    await endOfPhase();
    expect(writes).toHaveLength(count);
  });

  it('switches to the phase policy once a connection more opens', async () => {
    connectionOpened();
    try {
      const { socket, writes } = sockets(IMMEDIATE_HANDLERS + 1);
      for (const [i, s] of socket.entries()) inReplyHandler(() => sendFrame(s, `step${i}`));
      expect(writes).toHaveLength(IMMEDIATE_HANDLERS);
      await endOfPhase();
      expect(writes).toHaveLength(IMMEDIATE_HANDLERS + 1);
    } finally {
      connectionClosed();
    }
  });
});

describe('ReplyPhaseWrites instances', () => {
  it('are independent: one policy\'s phase never holds back the frames of a connection on another', async () => {
    const busy = new ReplyPhaseWrites(1);
    const other = new ReplyPhaseWrites(1);
    for (let i = 0; i < 3; i++) busy.connectionOpened();
    other.connectionOpened();
    const { socket, writes: written } = sockets(2);
    busy.enter();
    busy.send(socket[0]!, 'first');
    busy.leave();
    busy.enter();
    busy.send(socket[0]!, 'held');
    other.enter();
    other.send(socket[1]!, 'own');
    other.leave();
    busy.leave();
    expect(written).toEqual(['0:first', '1:own']);
    await endOfPhase();
    expect(written).toEqual(['0:first', '1:own', '0:held']);
  });

  it('by default let twice the cores of this machine write at once (no constant tuned to one machine)', async () => {
    const { availableParallelism } = await import('node:os');
    expect(new ReplyPhaseWrites().immediateHandlers).toBe(2 * availableParallelism());
  });
});
