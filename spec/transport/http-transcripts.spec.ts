import got from 'got';
import type { Subscription } from 'rxjs';
import { openHttpTransport } from '../../src/transport/http-transport.js';
import type { Transport } from '../../src/transport/transport.js';
import { startReplayServer, type ReplayServer } from '../helpers/replay-server.js';
import { loadTranscript, type HttpExchange } from '../helpers/transcripts.js';
import { expectRecordedOutcome, routeFor, typedCallFor } from './http-exchanges.js';
import { connect, startCannedHttpServer, type CannedHttpServer } from './support.js';

// Every recorded HTTP exchange of generations A, B and H, driven through the HTTP transport.
const FILES: Array<[string, string]> = [
  ['A', 'echo_env@8f12109e.jsonl'],
  ['B', 'echo_env@30c16b3b.jsonl'],
  ['H', 'echo_env.jsonl'],
  ['H', 'grid_world_env.jsonl'],
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe.each(FILES)('HTTP transcript, generation %s (%s)', (_generation, file) => {
  // The WS-upgrade note row of generation A is covered by the WS handshake specs.
  const rows = loadTranscript<HttpExchange>(file).filter((row) => !row.path.includes(' '));
  const cases = rows.map((row, index) => ({ name: `#${index} ${row.method} ${row.path} → ${row.status}${row.note ? ` (${row.note})` : ''}`, row }));

  let replay: ReplayServer;
  let canned: CannedHttpServer;
  let transport: Transport;
  let cannedTransport: Transport;
  const subscriptions: Subscription[] = [];

  beforeAll(async () => {
    replay = await startReplayServer({ http: file });
    canned = await startCannedHttpServer();
    const opened = await connect(openHttpTransport(replay.url));
    const cannedOpened = await connect(openHttpTransport(canned.url));
    transport = opened.transport;
    cannedTransport = cannedOpened.transport;
    subscriptions.push(opened.subscription, cannedOpened.subscription);
  });

  afterAll(async () => {
    for (const subscription of subscriptions) subscription.unsubscribe();
    await replay.close();
    await canned.close();
  });

  afterEach(() => {
    expect(replay.mismatches).toEqual([]);
  });

  it.each(cases)('$name', async ({ row }) => {
    const typed = typedCallFor(row);
    if (typed) {
      const before = replay.received.length;
      await expectRecordedOutcome(typed.call(transport), row, typed, replay.url);
      const sent = replay.received.slice(before);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ kind: 'http', method: row.method, path: row.path });
      if (row.path === '/step') {
        // A request id on every step: the recorded one when given, a fresh uuid otherwise.
        const body = JSON.parse(sent[0]!.body) as Record<string, unknown>;
        const recorded = (row.request_body as Record<string, unknown>)['request_id'];
        if (recorded === undefined) expect(body['request_id']).toMatch(UUID);
        else expect(body['request_id']).toBe(recorded);
        expect({ ...body, request_id: recorded }).toEqual({ ...(row.request_body as object), request_id: recorded });
      }
      return;
    }

    // The typed API cannot send this request: prove the replay answers it as recorded...
    const raw = row.request_body_raw ? (row.request_body as string) : row.request_body === null ? undefined : JSON.stringify(row.request_body);
    const response = await got(`${replay.url}${row.path}`, {
      method: row.method as 'GET' | 'POST',
      body: raw,
      headers: raw === undefined ? {} : { 'content-type': 'application/json' },
      throwHttpErrors: false,
      retry: { limit: 0 },
    });
    expect(response.statusCode).toBe(row.status);
    expect(response.headers['content-type']).toBe(row.content_type);
    expect(response.body).toBe(typeof row.response_body === 'string' ? row.response_body : JSON.stringify(row.response_body));

    // ...and that the transport maps that recorded answer on the nearest typed route.
    const route = routeFor(row);
    if (!route) return; // /mcp is JSON-RPC, not a typed route: spec/tools/transcript-replay.spec.ts replays it via `mcp`
    canned.respondWith(row);
    await expectRecordedOutcome(route.call(cannedTransport), row, route, canned.url);
  });
});
