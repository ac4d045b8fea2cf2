import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { recorderEnv } from '../fixtures/recorder-env.js';

/**
 * A real browser (Debian's chromium, headless, driven by playwright-core) loads a page from
 * another origin (a second loopback port) that tries `fetch` (a JSON POST with preflight and a
 * `text/plain` simple request that has none) and `WebSocket` against `serve` on loopback: all
 * refused, and the tool never runs. The same page served from an allowed origin works.
 */
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function describeWithChromium(): jest.Describe {
  if (existsSync(CHROMIUM) || process.env['CI']) return describe;
  console.warn(`${CHROMIUM} missing: skipping the browser Origin test (apt-get install -y chromium; with CI=true it fails instead)`);
  return describe.skip;
}

const { Recorder, calls } = recorderEnv();

/** What the page does; it reports each attempt's outcome in `window.outcomes`. */
const PAGE_SCRIPT = (target: string) => `
const target = ${JSON.stringify(target)};
const call = (cmd) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'run', arguments: { cmd } } });
const attempt = (p) => p.then((v) => 'ok: ' + v, (e) => 'refused: ' + (e && e.message || e));
window.outcomes = (async () => ({
  json: await attempt(fetch(target + '/mcp', { method: 'POST', headers: { 'content-type': 'application/json' }, body: call('json') }).then(async (r) => r.status + ' ' + (await r.text()))),
  simple: await attempt(fetch(target + '/mcp', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: call('simple') }).then((r) => String(r.status))),
  ws: await attempt(new Promise((resolve, reject) => {
    const ws = new WebSocket(target.replace('http', 'ws') + '/ws');
    ws.onopen = () => ws.send(JSON.stringify({ type: 'step', data: { type: 'call_tool', tool_name: 'run', arguments: { cmd: 'ws' } } }));
    ws.onmessage = (m) => { resolve(String(m.data)); ws.close(); };
    ws.onerror = () => reject(new Error('websocket error'));
    ws.onclose = (e) => reject(new Error('closed ' + e.code));
  })),
}))();
`;

/** A page server on its own loopback port: its origin is `http://127.0.0.1:<port>`. */
async function pageServer(target: () => string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return res.end(PAGE_SCRIPT(target()));
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>page</title><script src="/app.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describeWithChromium()('a web page in headless Chromium against serve on loopback', () => {
  let env: RunningServer;
  let foreign: { server: Server; origin: string };
  let allowed: { server: Server; origin: string };
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`CI=true and ${CHROMIUM} is missing: .ci/run installs it`);
    foreign = await pageServer(() => env.url);
    allowed = await pageServer(() => env.url);
    env = await serve(Recorder, { maxSessions: 4, allowedOrigins: [allowed.origin] });
    profile = mkdtempSync(join(tmpdir(), 'openenv-rx-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await env?.close();
    for (const s of [foreign?.server, allowed?.server]) if (s) await new Promise((resolve) => s.close(resolve));
  });

  async function outcomesOf(origin: string): Promise<Record<string, string>> {
    const page = await context.newPage();
    try {
      await page.goto(`${origin}/`, { timeout: 20_000 });
      return (await page.evaluate('window.outcomes')) as Record<string, string>;
    } finally {
      await page.close();
    }
  }

  it('from a foreign origin: fetch (preflighted and simple) and WebSocket are refused; the tool never runs', async () => {
    calls.length = 0;
    const outcomes = await outcomesOf(foreign.origin);
    expect(outcomes).toEqual({
      json: expect.stringMatching(/^refused: /),
      simple: expect.stringMatching(/^refused: /),
      ws: expect.stringMatching(/^refused: /),
    });
    expect(calls).toEqual([]);
    expect(env.activeSessions()).toBe(0);
  }, 60_000);

  it('from an allowed origin: the same page works (CORS answers, the socket opens)', async () => {
    calls.length = 0;
    const outcomes = await outcomesOf(allowed.origin);
    expect(outcomes['json']).toMatch(/^ok: 200 .*ran json/);
    expect(outcomes['simple']).toBe('ok: 200');
    expect(outcomes['ws']).toMatch(/^ok: .*"type":"observation".*ran ws/);
    expect(calls.sort()).toEqual(['json', 'simple', 'ws']);
  }, 60_000);
});
