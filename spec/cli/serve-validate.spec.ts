import { cli } from './cli-support.js';
import { serveCli, useCliServers } from './cli-child.js';
import { startServer, sendJson, type TestServer } from '../conformance/broken-server.js';

describe('openenv-rx serve + validate', () => {
  const served = useCliServers();

  it('serves a built-in env that passes every conformance check, and stops cleanly on SIGTERM', async () => {
    const started = await served(['grid_world', '--port', '0']);
    const url = started.url;
    const { code, out } = await cli('validate', '--url', url, '--json');
    const report = JSON.parse(out) as { ok: boolean; results: Array<{ id: string; ok: boolean; error?: string }> };
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
    expect(report.results.length).toBeGreaterThanOrEqual(12);
    expect(code).toBe(0);
    expect(await started.cli.stop()).toBe(0);
  });

  it('validate with --token passes against a token-protected server and fails without it', async () => {
    const started = await served(['echo', '--port', '0', '--token', 's3cret-token']);
    const url = started.url;
    expect((await cli('validate', '--url', url, '--token', 's3cret-token')).code).toBe(0);
    const refused = await cli('validate', '--url', url);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/PASS\s+health\n/);
    expect(refused.err).toMatch(/FAIL\s+metadata: ERR_HTTP_STATUS: HTTP 401/);
    expect(refused.out + refused.err).not.toContain('s3cret-token');
  });

  it('serve rejects an unknown env with the list of built-ins', async () => {
    await expect(serveCli(['pong', '--port', '0'])).rejects.toThrow(/exited \(1\) before printing[\s\S]*Unknown env "pong"; valid names: echo, echo_mcp, grid_world/);
  });
});

describe('openenv-rx validate against a broken server', () => {
  let server: TestServer | undefined;
  afterEach(async () => server?.close());

  it('reports the failing check and exits non-zero', async () => {
    server = await startServer({ http: { 'GET /state': (_q, r) => sendJson(r, 200, { episode_id: null }) } });
    const { code, out, err } = await cli('validate', '--url', server.url);
    expect(code).toBe(1);
    expect(err).toMatch(/FAIL\s+http-state: ERR_CONFORMANCE: GET \/state has the wrong shape: step_count/);
    expect(out).toMatch(/http-state\s+FAIL/);
    expect(out).toMatch(/11 passed, 1 failed/);
  });

  it('requires --url', async () => {
    const { code, err } = await cli('validate');
    expect(code).not.toBe(0);
    expect(err).toMatch(/required option '--url <url>' not specified/);
  });
});
