import { gridWorldEnv } from '../../src/envs/grid-world.js';
import { originGuard } from '../../src/server/origin-guard.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { Cleanup, openSocket } from './support.js';
import { recorderEnv } from '../fixtures/recorder-env.js';

/**
 * A web page the user visits must not drive a local server: a request or WebSocket upgrade that
 * carries a foreign `Origin` is refused on every route, whatever its dialect or content type.
 * Clients that are not browsers send no `Origin` and keep working.
 */
const { Recorder, calls } = recorderEnv();

const EVIL = 'http://evil.example';
const toolCall = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'run', arguments: { cmd: 'rm -rf ~' } } });

/** A CORS "simple request": a browser sends it cross-origin without any preflight. */
const simplePost = (server: RunningServer, path: string, body: string, origin?: string) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'text/plain', ...(origin && { origin }) }, body });

/** Resolves with the HTTP status an upgrade was refused with, or 101 when it was accepted. */
async function upgradeStatus(server: RunningServer, origin: string | undefined): Promise<number> {
  try {
    const socket = await openSocket(server.url, origin ? { origin } : {});
    socket.socket.terminate();
    return 101;
  } catch (err) {
    const match = /upgrade refused: (\d+)/.exec(String(err));
    if (!match) throw err;
    return Number(match[1]);
  }
}

describe('Origin guard (every route, every dialect)', () => {
  const cleanup = new Cleanup();
  afterEach(async () => {
    calls.length = 0;
    await cleanup.run();
  });

  it('a text/plain POST /mcp tools/call from a foreign page is refused and the tool never runs', async () => {
    const server = cleanup.server(await serve(Recorder));
    const res = await simplePost(server, '/mcp', toolCall, EVIL);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ detail: 'Origin not allowed' });
    expect(calls).toEqual([]);
    // The same request without an Origin (curl, OpenEnv's client) runs.
    const plain = await simplePost(server, '/mcp', toolCall);
    expect(plain.status).toBe(200);
    expect(calls).toEqual(['rm -rf ~']);
  });

  it('every route refuses a foreign Origin: static GETs, stateless reset/step, preflights', async () => {
    const server = cleanup.server(await serve(gridWorldEnv));
    for (const path of ['/health', '/metadata', '/schema', '/openapi.json', '/state']) {
      expect([path, (await fetch(`${server.url}${path}`, { headers: { origin: EVIL } })).status]).toEqual([path, 403]);
    }
    expect((await simplePost(server, '/reset', '{}', EVIL)).status).toBe(403);
    expect((await simplePost(server, '/step', '{"action":{"action":"UP"}}', EVIL)).status).toBe(403);
    expect((await fetch(`${server.url}/step`, { method: 'OPTIONS', headers: { origin: EVIL, 'access-control-request-method': 'POST' } })).status).toBe(403);
    // Another port on loopback is another origin (another local app, or a page it serves).
    expect((await simplePost(server, '/reset', '{}', 'http://127.0.0.1:1')).status).toBe(403);
    expect((await fetch(`${server.url}/health`, { headers: { origin: 'null' } })).status).toBe(403);
    expect((await simplePost(server, '/reset', '{}')).status).toBe(200);
  });

  it('a WebSocket upgrade with a foreign Origin is refused with 403; without one it opens', async () => {
    const server = cleanup.server(await serve(gridWorldEnv));
    expect(await upgradeStatus(server, EVIL)).toBe(403);
    expect(await upgradeStatus(server, 'http://127.0.0.1:1')).toBe(403);
    expect(server.activeSessions()).toBe(0);
    expect(await upgradeStatus(server, undefined)).toBe(101);
    // The server's own origin on loopback is same-origin.
    expect(await upgradeStatus(server, server.url)).toBe(101);
  });

  it('allowedOrigins lets a hosted UI in, with CORS headers and an answered preflight; others stay out', async () => {
    const ui = 'http://127.0.0.1:5173';
    const server = cleanup.server(await serve(Recorder, { allowedOrigins: [`${ui}/`] }));
    const preflight = await fetch(`${server.url}/mcp`, {
      method: 'OPTIONS',
      headers: { origin: ui, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ui);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
    const res = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { origin: ui, 'content-type': 'application/json' }, body: toolCall });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ui);
    expect(res.headers.get('vary')).toContain('Origin');
    expect(calls).toEqual(['rm -rf ~']);
    expect(await upgradeStatus(server, ui)).toBe(101);
    expect(await upgradeStatus(server, EVIL)).toBe(403);
    expect((await simplePost(server, '/mcp', toolCall, EVIL)).status).toBe(403);
  });

  it('the Origin check comes before the token check (a foreign page learns nothing from a 401)', async () => {
    const server = cleanup.server(await serve(gridWorldEnv, { token: 't0k' }));
    expect((await fetch(`${server.url}/schema`, { headers: { origin: EVIL, authorization: 'Bearer t0k' } })).status).toBe(403);
    expect((await fetch(`${server.url}/schema`, { headers: { authorization: 'Bearer t0k' } })).status).toBe(200);
  });

  it('serve() refuses an allowedOrigins entry that is not an origin', async () => {
    await expect(serve(gridWorldEnv, { allowedOrigins: ['not an origin'] })).rejects.toMatchObject({ code: 'ERR_SERVE', message: expect.stringContaining('allowedOrigins') });
  });
});

describe('originGuard', () => {
  const guard = originGuard(['https://ui.example.com']);
  it.each([
    [{ host: '127.0.0.1:8000' }, 'none'],
    [{ origin: 'http://127.0.0.1:8000', host: '127.0.0.1:8000' }, 'same'],
    [{ origin: 'http://localhost:8000', host: 'localhost:8000' }, 'same'],
    [{ origin: 'http://[::1]:8000', host: '[::1]:8000' }, 'same'],
    // DNS rebinding: the attacker's name is in both headers; equal, but not loopback.
    [{ origin: 'http://rebind.evil:8000', host: 'rebind.evil:8000' }, 'refused'],
    [{ origin: 'http://localhost:3000', host: '127.0.0.1:8000' }, 'refused'],
    [{ origin: 'https://ui.example.com', host: '127.0.0.1:8000' }, 'listed'],
    [{ origin: 'https://UI.example.com:443', host: '127.0.0.1:8000' }, 'listed'],
    [{ origin: 'null', host: '127.0.0.1:8000' }, 'refused'],
    [{ origin: '%%%', host: '127.0.0.1:8000' }, 'refused'],
  ])('%j → %s', (headers, verdict) => {
    expect(guard(headers)).toBe(verdict);
  });
});
