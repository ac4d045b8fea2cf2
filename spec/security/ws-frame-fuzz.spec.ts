import { echoMcpEnv } from '../../src/envs/echo-mcp.js';
import { mulberry32, type Random } from '../../src/internal/mulberry32.js';
import { WS_ERROR_CODES } from '../../src/protocol/ws-messages.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { installFaultGuards } from '../faults/support/fault-guards.js';
import { openSocket, type TestSocket } from '../server/support.js';

/**
 * A seeded WebSocket frame fuzzer against `/ws` of the tool env: malformed JSON, wrong types,
 * huge frames, deep nesting, binary frames, out-of-order messages and floods. Every answer is a
 * well-formed frame (a typed error frame, or a normal answer) or a close with a known code; a
 * witness session on the side keeps being served throughout; the heap stays bounded.
 */
const SEED = Number(process.env['OPENENV_RX_FUZZ_SEED'] ?? 20261207);
const FRAMES = Number(process.env['OPENENV_RX_FUZZ_FRAMES'] ?? 400);
const MAX_MESSAGE = 64 * 1024;
const MAX_QUEUED = 32;
const REPLY_MS = 10_000;
const KNOWN_CLOSE = new Set([1000, 1008, 1009]);
const REPLY_TYPES = new Set(['observation', 'state', 'error', 'mcp']);

const pick = <T>(rand: Random, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const int = (rand: Random, max: number): number => Math.floor(rand() * max);

/** Valid-looking messages the generator mutates. */
const VALID = [
  { type: 'reset' },
  { type: 'reset', data: { seed: 3 } },
  { type: 'step', data: { type: 'call_tool', tool_name: 'echo_message', arguments: { message: 'hi' } } },
  { type: 'step', data: { type: 'list_tools' } },
  { type: 'state' },
  { type: 'mcp', data: { jsonrpc: '2.0', id: 1, method: 'tools/list' } },
  { type: 'mcp', data: { jsonrpc: '2.0', id: 'x', method: 'tools/call', params: { name: 'echo_message', arguments: { message: 'm' } } } },
  { type: 'mcp', data: { jsonrpc: '2.0', method: 'notifications/initialized' } },
];
const ODD_VALUES: unknown[] = [null, true, 0, -1, 1e308, '', 'x'.repeat(300), [], {}, [[[]]], { __proto__: { polluted: 1 } }, '\u0000', '\ud800'];

type Fuzz = { kind: string; payload: string | Buffer; binary?: boolean; flood?: number };

/** One fuzz case, drawn from the seeded generator. */
function generate(rand: Random): Fuzz {
  const base = JSON.stringify(pick(rand, VALID));
  switch (int(rand, 9)) {
    case 0: // malformed JSON: truncated, or a random byte flipped
      return rand() < 0.5
        ? { kind: 'truncated', payload: base.slice(0, int(rand, base.length)) }
        : { kind: 'flipped', payload: base.slice(0, int(rand, base.length)) + String.fromCharCode(int(rand, 128)) + base.slice(1 + int(rand, base.length)) };
    case 1: { // wrong types in the envelope or the data
      const message = JSON.parse(base) as Record<string, unknown>;
      const key = pick(rand, ['type', 'data', 'extra', 'jsonrpc']);
      message[key] = pick(rand, ODD_VALUES);
      return { kind: `wrong-${key}`, payload: JSON.stringify(message) };
    }
    case 2: // not an object at all
      return { kind: 'not-object', payload: JSON.stringify(pick(rand, ODD_VALUES)) };
    case 3: // huge: just over the limit, or a valid step with a huge message
      return { kind: 'huge', payload: JSON.stringify({ type: 'step', data: { type: 'call_tool', tool_name: 'echo_message', arguments: { message: 'y'.repeat(MAX_MESSAGE + int(rand, 1024)) } } }) };
    case 4: { // deep nesting, inside otherwise valid envelopes
      const depth = pick(rand, [300, 5_000, 100_000]);
      return { kind: `deep-${depth}`, payload: `{"type":"step","data":{"type":"list_tools","x":${'['.repeat(depth)}${']'.repeat(depth)}}}` };
    }
    case 5: // binary frames: valid JSON as bytes, or noise
      return rand() < 0.5
        ? { kind: 'binary-json', payload: Buffer.from(base), binary: true }
        : { kind: 'binary-noise', payload: Buffer.from(Array.from({ length: 1 + int(rand, 64) }, () => int(rand, 256))), binary: true };
    case 6: // out of order: close first, state/step before any reset, mcp responses the server never asked for
      return { kind: 'out-of-order', payload: JSON.stringify(pick(rand, [{ type: 'close' }, { type: 'state' }, { type: 'mcp', data: { jsonrpc: '2.0', id: 9, result: {} } }, { type: 'step', data: {} }])) };
    case 7: // a flood: tool calls (answered asynchronously) faster than the server answers them
      return {
        kind: 'flood',
        payload: JSON.stringify({ type: 'mcp', data: { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'echo_message', arguments: { message: 'f' } } } }),
        flood: MAX_QUEUED * 4 + int(rand, 200),
      };
    default:
      return { kind: 'valid', payload: base };
  }
}

/** Every frame the server sends must be one of its reply shapes, errors with a known code. */
function checkFrame(frame: unknown, kind: string): void {
  const f = frame as { type?: unknown; data?: { code?: unknown; message?: unknown } };
  if (!REPLY_TYPES.has(f.type as string)) throw new Error(`${kind}: unexpected frame ${JSON.stringify(frame).slice(0, 200)}`);
  if (f.type === 'error') {
    if (!(WS_ERROR_CODES as readonly string[]).includes(f.data?.code as string)) throw new Error(`${kind}: unknown error code ${String(f.data?.code)}`);
    if (typeof f.data?.message !== 'string' || /call stack|Internal/i.test(f.data.message)) throw new Error(`${kind}: error message ${String(f.data?.message)}`);
  }
}

describe('WS frame fuzzer (seeded)', () => {
  installFaultGuards();
  let server: RunningServer;
  const reported: string[] = [];

  beforeAll(async () => {
    server = await serve(echoMcpEnv, {
      maxSessions: 3,
      maxMessageBytes: MAX_MESSAGE,
      maxQueuedMessages: MAX_QUEUED,
      pingIntervalMs: 0,
      onError: (error, info) => reported.push(`${info.operation}/${info.transport}: ${String(error)}`),
    });
  });
  afterAll(() => server.close());

  it(`${FRAMES} fuzz frames (seed ${SEED}): typed answers or known closes, the witness keeps being served, the heap stays bounded`, async () => {
    const rand = mulberry32(SEED);
    const witness = await openSocket(server.url);
    witness.sendJson({ type: 'reset' });
    expect(await witness.next(REPLY_MS)).toMatchObject({ type: 'observation' });
    const heapBefore = process.memoryUsage().heapUsed;
    const kinds = new Map<string, number>();
    const closes = new Map<number, number>();
    let socket: TestSocket | undefined;
    let sentinel = 0;
    try {
      for (let i = 0; i < FRAMES; i++) {
        const fuzz = generate(rand);
        kinds.set(fuzz.kind, (kinds.get(fuzz.kind) ?? 0) + 1);
        socket ??= await openRaw(server.url);
        const current = socket;
        const frames: unknown[] = [];
        const id = `sentinel-${++sentinel}`;
        let onMessage: (data: Buffer) => void = () => undefined;
        let onClose: (code: number) => void = () => undefined;
        // Answered: the sentinel came back; closed: the server ended the socket (with which code).
        const outcome = new Promise<'answered' | number>((resolve) => {
          onMessage = (data) => {
            const frame: unknown = JSON.parse(String(data));
            frames.push(frame);
            if ((frame as { data?: { id?: unknown } }).data?.id === id) resolve('answered');
          };
          onClose = (code) => resolve(code);
        });
        current.socket.on('message', onMessage);
        current.socket.once('close', onClose);
        for (let k = 0; k < (fuzz.flood ?? 1); k++) current.socket.send(fuzz.payload, { binary: fuzz.binary ?? false });
        // A sentinel the server answers after everything sent before it (tools/list is synchronous).
        current.socket.send(JSON.stringify({ type: 'mcp', data: { jsonrpc: '2.0', id, method: 'tools/list' } }));
        const result = await Promise.race([outcome, timeoutAfter(REPLY_MS, `${fuzz.kind}: neither answered nor closed`)]);
        current.socket.off('message', onMessage);
        current.socket.off('close', onClose);
        for (const frame of frames) checkFrame(frame, fuzz.kind);
        if (typeof result === 'number') {
          if (!KNOWN_CLOSE.has(result)) throw new Error(`${fuzz.kind}: close code ${result}`);
          closes.set(result, (closes.get(result) ?? 0) + 1);
          socket = undefined;
        }
        if (i % 25 === 0) {
          // The witness session is served all along, its state intact.
          witness.sendJson({ type: 'step', data: { type: 'call_tool', tool_name: 'echo_message', arguments: { message: `w${i}` } } });
          expect(await witness.next(REPLY_MS)).toMatchObject({ type: 'observation', data: { observation: { result: expect.anything() } } });
        }
      }
    } finally {
      socket?.socket.terminate();
    }
    witness.sendJson({ type: 'state' });
    expect(await witness.next(REPLY_MS)).toMatchObject({ type: 'state', data: { step_count: expect.any(Number) } });
    witness.socket.close();
    await witness.closed();
    // Every kind of case was drawn, and the hard ones did what they must.
    expect([...kinds.keys()].sort()).toEqual(expect.arrayContaining(['binary-json', 'binary-noise', 'deep-100000', 'flood', 'huge', 'not-object', 'out-of-order', 'truncated', 'valid']));
    expect(closes.get(1009)).toBeGreaterThan(0);
    expect(closes.get(1008)).toBeGreaterThan(0);
    // Nothing the fuzzer sent is an env failure (a stack overflow or a 500-like error would be).
    expect(reported.filter((r) => /call stack|TypeError|RangeError/.test(r))).toEqual([]);
    // Bounded: sessions end and their queues go; what is left is noise, not the floods' bytes.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    await waitUntilIdle(server);
  }, Math.max(120_000, FRAMES * 200));
});

function openRaw(url: string): Promise<TestSocket> {
  return openSocket(url, { maxPayload: 1024 * 1024 });
}

function timeoutAfter(ms: number, what: string): Promise<never> {
  return new Promise((_resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(what)), ms);
    timer.unref();
  });
}

async function waitUntilIdle(server: RunningServer): Promise<void> {
  for (let i = 0; i < 100 && server.activeSessions() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(server.activeSessions()).toBe(0);
}
