import { echoEnv } from '../../src/envs/echo.js';
import { echoMcpEnv } from '../../src/envs/echo-mcp.js';
import { gridWorldEnv } from '../../src/envs/grid-world.js';
import type { AnyEnvDefinition } from '../../src/environment/environment.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { loadTranscript, type HttpExchange, type WsExchange } from '../helpers/transcripts.js';
import { Cleanup, maskEpisodeIds, openSocket } from './support.js';

/**
 * Every recorded exchange of the legacy echo (OpenEnv 30c16b3b), the MCP tool echo and grid_world
 * (685de411) servers, replayed verbatim against OUR server (the MCP echo is the built-in `echo_mcp`:
 * list_tools/call_tool steps, tool errors in the observation, `/schema` with CallToolAction,
 * JSON-RPC over `POST /mcp` and the WS `mcp` message). The only relaxation: `episode_id` values
 * (random uuids upstream; we also honour a requested episode_id) are compared as "a string".
 *
 * Skipped on purpose: echo_env@8f12109e.jsonl (generation A, stateful HTTP): our server is generation H.
 */

const cases: Array<{ env: AnyEnvDefinition; http: string; ws: string }> = [
  { env: echoEnv, http: 'echo_env@30c16b3b.jsonl', ws: 'echo_env@30c16b3b-ws.jsonl' },
  { env: echoMcpEnv, http: 'echo_env.jsonl', ws: 'echo_env-ws.jsonl' },
  { env: gridWorldEnv, http: 'grid_world_env.jsonl', ws: 'grid_world_env-ws.jsonl' },
];

async function send(server: RunningServer, row: HttpExchange): Promise<Response> {
  const init: RequestInit = { method: row.method };
  if (row.request_body_raw) {
    init.body = row.request_body as string;
    init.headers = { 'content-type': 'application/json' };
  } else if (row.request_body !== null && row.request_body !== undefined) {
    init.body = JSON.stringify(row.request_body);
    init.headers = { 'content-type': 'application/json' };
  }
  return fetch(server.url + row.path, init);
}

describe.each(cases)('$http and $ws replayed against our server', ({ env, http, ws }) => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  const rows = loadTranscript<HttpExchange>(http);
  it.each(rows.map((row, i) => [`${i}: ${row.method} ${row.path} ${row.note ?? ''}`, row] as const))('HTTP %s', async (_name, row) => {
    const server = cleanup.server(await serve(env));
    const res = await send(server, row);
    expect(res.status).toBe(row.status);
    expect(res.headers.get('content-type')).toContain(row.content_type);
    expect(maskEpisodeIds(await res.json())).toEqual(maskEpisodeIds(row.response_body));
  });

  it('WS: the whole recorded session, frame by frame, ending with close 1000', async () => {
    const server = cleanup.server(await serve(env));
    const client = cleanup.socket(await openSocket(server.url));
    const session = loadTranscript<WsExchange>(ws);
    expect(session.length).toBeGreaterThan(10);
    for (const row of session) {
      if (row.send !== undefined) {
        if (row.send_raw) client.sendRaw(row.send as string);
        else client.sendJson(row.send);
      }
      if (row.recv) expect({ note: row.note, frame: maskEpisodeIds(await client.next()) }).toEqual({ note: row.note, frame: maskEpisodeIds(row.recv) });
      if (row.recv_close) expect(await client.closed()).toEqual(row.recv_close);
    }
    expect(client.pending()).toBe(0);
    expect(server.activeSessions()).toBe(0);
  });
});

describe('ws-capacity@685de411.jsonl (grid_world) replayed', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('a second socket gets the recorded CAPACITY_REACHED frame right after the handshake, then close 1000', async () => {
    const row = loadTranscript<WsExchange>('ws-capacity@685de411.jsonl').find((r) => r['env'] === 'grid_world_env')!;
    const server = cleanup.server(await serve(gridWorldEnv, { maxSessions: 1 }));
    const first = cleanup.socket(await openSocket(server.url));
    first.sendJson({ type: 'reset', data: {} });
    await first.next();
    const second = cleanup.socket(await openSocket(server.url));
    expect(await second.next()).toEqual(row['unsolicited_recv']);
    expect(await second.closed()).toEqual(row.recv_close);
    // The first session is untouched.
    first.sendJson({ type: 'step', data: { action: 'DOWN' } });
    expect(await first.next()).toEqual({ type: 'observation', data: { observation: { x: 1, y: 0, message: 'Keep going...' }, reward: -0.1, done: false } });
  });
});
