import { firstValueFrom, type Subscription } from 'rxjs';
import { ConnectionClosedError } from '../../src/errors/index.js';
import type { Transport } from '../../src/transport/transport.js';
import { openWsTransport } from '../../src/transport/ws-transport.js';
import { startReplayServer, type ReplayServer } from '../helpers/replay-server.js';
import { loadTranscript, type WsExchange } from '../helpers/transcripts.js';
import { bareWsExchange, connect, errorOf, startScriptedWsServer } from './support.js';
import { expectRecordedWsOutcome, isCloseRow, wsTypedCallFor } from './ws-exchanges.js';
import { pollUntil } from '../support/poll.js';

// Every recorded /ws exchange of generations B and H, in recorded order, on ONE socket per file:
// the non-fatal error frames must leave the socket usable for the rows that follow.
const FILES: Array<[string, string, string]> = [
  ['B', 'echo_env@30c16b3b-ws.jsonl', 'echo_env@30c16b3b.jsonl'],
  ['H', 'echo_env-ws.jsonl', 'echo_env.jsonl'],
  ['H', 'grid_world_env-ws.jsonl', 'grid_world_env.jsonl'],
];

const FOLLOW_UP = { type: 'observation', data: { observation: { still: 'alive' }, reward: null, done: false } };

describe.each(FILES)('WS transcript, generation %s (%s)', (_generation, wsFile, httpFile) => {
  const rows = loadTranscript<WsExchange>(wsFile).filter((row) => 'send' in row);
  const cases = rows.map((row, index) => ({ name: `#${index} ${row.note ?? ''}`, row }));

  let replay: ReplayServer;
  let transport: Transport;
  let subscription: Subscription;
  const failures: unknown[] = [];

  beforeAll(async () => {
    replay = await startReplayServer({ http: httpFile, ws: wsFile });
    ({ transport, subscription } = await connect(openWsTransport(replay.url)));
    subscription.add(transport.failure$.subscribe({ error: (error: unknown) => failures.push(error) }));
  });

  afterAll(async () => {
    subscription.unsubscribe();
    await replay.close();
  });

  afterEach(() => {
    expect(replay.mismatches).toEqual([]);
    expect(failures).toEqual([]);
  });

  it.each(cases)('$name', async ({ row }) => {
    const typed = wsTypedCallFor(row);
    if (typed) {
      const before = replay.received.length;
      await expectRecordedWsOutcome(typed.call(transport), row.recv, typed.request, replay.url);
      // Exactly the recorded frame went out (the replay matched it deep-equal; here: one frame, once).
      expect(replay.received.slice(before).map((r) => JSON.parse(r.body) as unknown)).toEqual([row.send]);
      return;
    }

    if (isCloseRow(row)) {
      transport.close();
      await pollUntil(() => replay.openSockets() === 0, 'replay.openSockets() === 0');
      expect(replay.received.at(-1)?.body).toBe('{"type":"close"}');
      const error = await errorOf(transport.state());
      expect(error).toBeInstanceOf(ConnectionClosedError);
      return;
    }

    // Not producible through the typed API (raw, bogus type, missing data, mcp): prove the replay...
    const frame = row.send_raw ? (row.send as string) : JSON.stringify(row.send);
    const { reply } = await bareWsExchange(replay.url, frame);
    expect(JSON.parse(reply!)).toEqual(row.recv);

    // ...and check the transport's mapping of that recorded reply. `mcp` rows are JSON-RPC (matched
    // by id, not a step): spec/tools/transcript-replay.spec.ts replays them through `env.mcp`.
    if ((row.recv as { type: string }).type === 'mcp') return;
    const scripted = await startScriptedWsServer({
      onMessage: (ws) => ws.send(JSON.stringify(scripted.received.length === 1 ? row.recv : FOLLOW_UP)),
    });
    const opened = await connect(openWsTransport(scripted.url));
    try {
      await expectRecordedWsOutcome(opened.transport.step({ any: 1 }), row.recv, 'step', scripted.url);
      // A non-fatal error frame keeps the socket usable.
      await expect(firstValueFrom(opened.transport.step({ any: 2 }))).resolves.toEqual({ observation: { still: 'alive' }, reward: null, done: false });
    } finally {
      opened.subscription.unsubscribe();
      await scripted.close();
    }
  });
});

describe('WS grid_world replay', () => {
  let replay: ReplayServer;
  afterEach(() => replay.close());

  it('reset, DOWN×4, RIGHT×4 reaches the goal with the recorded rewards', async () => {
    replay = await startReplayServer({ ws: 'grid_world_env-ws.jsonl' });
    const { transport, subscription } = await connect(openWsTransport(replay.url));
    try {
      const first = await firstValueFrom(transport.reset({}));
      expect(first.observation).toEqual({ x: 0, y: 0, message: 'Welcome to Grid World! Goal is at [4, 4].' });
      const results = [];
      for (const action of ['DOWN', 'DOWN', 'DOWN', 'DOWN', 'RIGHT', 'RIGHT', 'RIGHT', 'RIGHT']) {
        results.push(await firstValueFrom(transport.step({ action })));
      }
      expect(results.map((r) => r.reward)).toEqual([-0.1, -0.1, -0.1, -0.1, -0.1, -0.1, -0.1, 1.0]);
      expect(results.map((r) => r.done)).toEqual([false, false, false, false, false, false, false, true]);
      expect(results.at(-1)!.observation).toEqual({ x: 4, y: 4, message: 'You found the goal!' });
      expect(replay.mismatches).toEqual([]);
    } finally {
      subscription.unsubscribe();
    }
  });
});
