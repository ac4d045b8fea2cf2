import { echoEnv } from '../../src/envs/echo.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { startServer, sendJson, type TestServer } from '../conformance/broken-server.js';
import { cli } from './cli-support.js';
import { freePort } from '../../src/runtime/process/free-port.js'; // bound then released: nothing listens there

/**
 * `openenv-rx validate` when checks fail: each FAIL line carries its ERR_ code; a server that
 * cannot be reached gets one failure (the other checks would only repeat it), a 401 one failure
 * and a hint to pass --token. Real servers on 127.0.0.1, the CLI in-process.
 */
const failLines = (err: string): string[] => err.split('\n').filter((l) => l.startsWith('FAIL'));

describe('openenv-rx validate: failures', () => {
  let tokenServer: RunningServer;
  let broken: TestServer;
  beforeAll(async () => {
    tokenServer = await serve(echoEnv, { port: 0, token: 'validate-s3cret' });
    broken = await startServer({ http: { 'GET /state': (_q, r) => sendJson(r, 200, { episode_id: null }) } });
  });
  afterAll(async () => {
    await tokenServer.close();
    await broken.close();
  });

  it('a dead server: one failure with ERR_CONNECTION, the other checks said not run, exit 1', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { code, out, err } = await cli('validate', '--url', url, '--timeout', '3000');
    expect(code).toBe(1);
    expect(failLines(err)).toEqual([expect.stringMatching(/^FAIL {2}health: ERR_CONNECTION: .*ECONNREFUSED/)]);
    expect(err).toMatch(/^ {2}11 other checks not run: the server cannot be reached$/m);
    expect(out).toMatch(/0 passed, 1 failed, 11 not run/);
  });

  it('--json of a dead server: the failure has its code, the rest are marked not run', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { code, out } = await cli('validate', '--url', url, '--timeout', '3000', '--json');
    expect(code).toBe(1);
    const report = JSON.parse(out) as { ok: boolean; results: Array<{ id: string; ok: boolean; code?: string; notRun?: boolean }> };
    expect(report.ok).toBe(false);
    expect(report.results[0]).toMatchObject({ id: 'health', ok: false, code: 'ERR_CONNECTION' });
    expect(report.results.slice(1).every((r) => r.notRun === true && !r.ok)).toBe(true);
    expect(report.results).toHaveLength(12);
  });

  it('a 401: one failure with ERR_HTTP_STATUS and a hint to pass --token; the token is never printed', async () => {
    const { code, out, err } = await cli('validate', '--url', tokenServer.url);
    expect(code).toBe(1);
    expect(err).toMatch(/^PASS {2}health$/m);
    expect(failLines(err)).toEqual([expect.stringMatching(/^FAIL {2}metadata: ERR_HTTP_STATUS: HTTP 401/)]);
    expect(err).toMatch(/^ {2}10 other checks not run: the server wants a token$/m);
    expect(err).toMatch(/pass --token <token> \(or set OPENENV_TOKEN\)/);
    expect(out + err).not.toContain('validate-s3cret');
  });

  it('with the token every check passes', async () => {
    const { code, out } = await cli('validate', '--url', tokenServer.url, '--token', 'validate-s3cret');
    expect(code).toBe(0);
    expect(out).toMatch(/12 passed, 0 failed/);
  });

  it('a check the server breaks: ERR_CONFORMANCE on its line, the other checks still run', async () => {
    const { code, out, err } = await cli('validate', '--url', broken.url);
    expect(code).toBe(1);
    expect(failLines(err)).toEqual(['FAIL  http-state: ERR_CONFORMANCE: GET /state has the wrong shape: step_count: Invalid input: expected number, received undefined']);
    expect(out).toMatch(/11 passed, 1 failed/);
  });
});

describe('a 401 hints at --token in every command', () => {
  let tokenServer: RunningServer;
  beforeAll(async () => {
    tokenServer = await serve(echoEnv, { port: 0, token: 'rollout-s3cret' });
  });
  afterAll(async () => tokenServer.close());

  it.each([['rollout'], ['tasks']])('%s', async (command) => {
    const { code, err } = await cli(command, '--url', tokenServer.url, ...(command === 'rollout' ? ['-n', '1', '-s', '1'] : []));
    expect(code).toBe(1);
    expect(err).toMatch(/^openenv-rx: ERR_HTTP_STATUS: HTTP 401/m);
    expect(err).toMatch(/^ {2}The server wants a bearer token: pass --token <token>/m);
    expect(err).not.toContain('rollout-s3cret');
  });
});
