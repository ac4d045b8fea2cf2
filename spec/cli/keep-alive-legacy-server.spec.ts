import type { RolloutReport } from '../../src/cli/commands/rollout.js';
import { useFaultServer, type FaultScript, type HttpRequest } from '../faults/support/fault-server.js';
import { runCliChild } from './cli-child.js';

/** What a generation-A server (echo_env@8f12109e) answers where it differs from later ones. */
const NOT_FOUND = { status: 404, body: { detail: 'Not Found' } };
const INTERNAL_ERROR = { status: 500, contentType: 'text/plain; charset=utf-8', body: 'Internal Server Error' };

/**
 * A generation-A-like echo server (HTTP keeps the env, no /schema, /metadata or /ws) that closes
 * a keep-alive socket the way uvicorn does, in its deterministic form: `dropsAfter(request)` says
 * the connection is closed after answering it, and the next request that comes over that
 * connection anyway is dropped unread (a TCP reset, before any response byte): the race a client
 * loses when it reuses a socket the server was closing.
 */
function legacyServer(dropsAfter: (request: HttpRequest) => boolean): FaultScript & { dropped: HttpRequest[] } {
  const closing = new Set<number>();
  const dropped: HttpRequest[] = [];
  return {
    dropped,
    upgradeStatus: 403,
    onHttp: (request) => {
      if (closing.has(request.remotePort)) {
        dropped.push(request);
        return 'reset';
      }
      if (dropsAfter(request)) closing.add(request.remotePort);
      if (request.path === '/schema' || request.path === '/metadata' || request.path === '/openapi.json' || request.path === '/mcp') return NOT_FOUND;
      // The echo env raises on a step without an action: FastAPI answers 500.
      if (request.path === '/step' && !('action' in (JSON.parse(request.body || '{}') as object))) return INTERNAL_ERROR;
      return undefined; // the fault server's echo routes
    },
  };
}

describe('openenv-rx against a generation-A server that closes keep-alive sockets (real processes)', () => {
  const start = useFaultServer();

  it('validate: the check after a 500 is not a false failure (the request dropped on the closed socket is sent once more, on a fresh one)', async () => {
    const script = legacyServer((r) => r.path === '/step' && !r.body.includes('action'));
    const server = await start(script);
    const { out, err } = await runCliChild(['validate', '--url', server.url, '--action', '{"message":"hi"}', '--json']);
    expect(err).not.toMatch(/openenv-rx: /);
    const results = (JSON.parse(out) as { results: Array<{ id: string; ok: boolean; error?: string }> }).results;
    const verdict = Object.fromEntries(results.map((r) => [r.id, r.ok ? 'pass' : r.error]));
    // http-422 meets the 500 (a true finding on generation A); http-404 comes next on that socket.
    expect(verdict['http-422']).toMatch(/^POST \/step \{\}: expected HTTP 422, got 500/);
    expect(verdict['http-404']).toBe('pass');
    expect(verdict).toMatchObject({ health: 'pass', 'http-reset': 'pass', 'http-step': 'pass', 'http-state': 'pass' });
    expect(JSON.stringify(results)).not.toMatch(/socket hang up|ECONNRESET/);
    // The race really happened: one request was dropped, then answered on a fresh connection.
    expect(script.dropped.map((r) => r.path)).toEqual(['/no-such-route-openenv-rx']);
    const resent = server.requests.filter((r) => r.path === '/no-such-route-openenv-rx');
    expect(resent).toHaveLength(2);
    expect(resent[1]).toMatchObject({ onConnection: 1 });
    expect(resent[1]!.remotePort).not.toBe(resent[0]!.remotePort);
  }, 60_000);

  it('rollout --transport http: episodes run on although the server keeps closing its sockets; no step is sent twice', async () => {
    // Every connection is closed after its 3rd request (an idle or per-connection limit).
    const script = legacyServer((r) => r.onConnection === 3);
    const server = await start(script);
    const { code, out, err } = await runCliChild([
      'rollout',
      '--url',
      server.url,
      '--transport',
      'http',
      '--policy',
      './spec/cli/fixtures/echo-policy.mjs',
      '-n',
      '3',
      '-s',
      '1',
      '--max-steps',
      '4',
      '--json',
    ]);
    expect(err).not.toMatch(/openenv-rx: /);
    expect(code).toBe(0);
    const report = JSON.parse(out) as RolloutReport;
    expect(report.perEpisode.map((e) => [e.length, e.truncated])).toEqual([
      [4, true],
      [4, true],
      [4, true],
    ]);
    expect(script.dropped.length).toBeGreaterThanOrEqual(3);
    // Each dropped request came once more on a fresh connection; every step reached the env once.
    for (const drop of script.dropped) {
      const again = server.requests.filter((r) => r.body === drop.body && r.path === drop.path && r !== drop && r.onConnection === 1);
      expect(again.length).toBeGreaterThanOrEqual(1);
    }
    const answeredSteps = server.requests.filter((r) => r.path === '/step' && !script.dropped.includes(r));
    expect(answeredSteps).toHaveLength(12);
    expect(new Set(answeredSteps.map((r) => r.body)).size).toBe(12);
  }, 60_000);
});
