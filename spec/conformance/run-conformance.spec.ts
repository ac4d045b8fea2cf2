import { runConformance } from '../../src/conformance/run-conformance.js';
import { CONFORMANCE_CHECKS } from '../../src/conformance/conformance-checks.js';
import { startServer, sendJson, conformantWs, type Breakage, type TestServer } from './broken-server.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const failedIds = async (breakage: Breakage) => {
  server = await startServer(breakage);
  const results = await runConformance(server.url, { timeoutMs: 1000 });
  expect(results.map((r) => r.id)).toEqual(CONFORMANCE_CHECKS.map((c) => c.id));
  return results.filter((r) => !r.ok).map((r) => r.id);
};

describe('runConformance', () => {
  it('passes every check against a conformant server', async () => {
    expect(await failedIds({})).toEqual([]);
  });

  const cases: Array<[string, Breakage, string[]]> = [
    ['health answers 500', { http: { 'GET /health': (_q, r) => sendJson(r, 500, { status: 'healthy' }) } }, ['health']],
    ['health says degraded', { http: { 'GET /health': (_q, r) => sendJson(r, 200, { status: 'degraded' }) } }, ['health']],
    ['metadata lacks description', { http: { 'GET /metadata': (_q, r) => sendJson(r, 200, { name: 'x' }) } }, ['metadata']],
    ['openapi version is a number', { http: { 'GET /openapi.json': (_q, r) => sendJson(r, 200, { info: { version: 1 } }) } }, ['openapi']],
    ['mcp is missing', { http: { 'POST /mcp': (_q, r) => sendJson(r, 404, { detail: 'Not Found' }) } }, ['mcp']],
    ['step reward is a string', { http: { 'POST /step': (_q, r) => sendJson(r, 200, { observation: {}, reward: 'high', done: false }) } }, ['http-step', 'http-422']],
    ['state lacks step_count', { http: { 'GET /state': (_q, r) => sendJson(r, 200, { episode_id: null }) } }, ['http-state']],
    [
      'ws session is not stateful',
      { ws: (ws, frame) => conformantWs(ws, frame, { steps: 0 }) },
      ['ws-session'],
    ],
    [
      'ws never answers malformed JSON',
      { ws: (ws, frame, state) => (frame.startsWith('{not') ? undefined : conformantWs(ws, frame, state)) },
      ['ws-errors'],
    ],
    [
      'ws accepts envelopes with extra keys',
      { ws: (ws, frame, state) => conformantWs(ws, frame.replace(/,"extra":1/, ''), state) },
      ['ws-errors'],
    ],
  ];

  it.each(cases)('reports the failing check when %s', async (_name, breakage, expected) => {
    expect(await failedIds(breakage)).toEqual(expected);
  });

  it('fails schema, metadata, openapi, mcp and ws checks against a generation-A-like server', async () => {
    const gone = (_q: unknown, r: Parameters<typeof sendJson>[0]) => sendJson(r, 404, { detail: 'Not Found' });
    const failed = await failedIds({
      http: { 'GET /schema': gone, 'GET /metadata': gone, 'GET /openapi.json': gone, 'POST /mcp': gone },
      ws: (ws) => ws.close(1011),
    });
    expect(failed).toEqual(['metadata', 'schema', 'openapi', 'mcp', 'http-step', 'ws-session', 'ws-errors']);
  });

  it('uses the given action instead of sampling /schema', async () => {
    const gone = (_q: unknown, r: Parameters<typeof sendJson>[0]) => sendJson(r, 404, { detail: 'Not Found' });
    server = await startServer({ http: { 'GET /schema': gone } });
    const results = await runConformance(server.url, { action: { inc: 2 }, timeoutMs: 1000 });
    expect(results.filter((r) => !r.ok).map((r) => r.id)).toEqual(['schema']);
  });
});
