import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { cli } from './cli-support.js';
import { startServer, sendJson, type TestServer } from '../conformance/broken-server.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** `openenv-rx serve ...` as a real child process (TypeScript sources through the swc loader). */
function serveChild(...args: string[]): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(process.execPath, ['--import', './spec/fixtures/register-ts-loader.mjs', 'src/cli/main.ts', 'serve', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = new Promise<string>((resolveUrl, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${out}`));
    });
  });
  return { child, url };
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

describe('openenv-rx serve + validate', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child) await stop(child);
    child = undefined;
  });

  it('serves a built-in env that passes every conformance check, and stops cleanly on SIGTERM', async () => {
    const started = serveChild('grid_world', '--port', '0');
    child = started.child;
    const url = await started.url;
    const { code, out } = await cli('validate', '--url', url, '--json');
    const report = JSON.parse(out) as { ok: boolean; results: Array<{ id: string; ok: boolean; error?: string }> };
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
    expect(report.results.length).toBeGreaterThanOrEqual(12);
    expect(code).toBe(0);
    expect(await stop(child)).toBe(0);
  });

  it('validate with --token passes against a token-protected server and fails without it', async () => {
    const started = serveChild('echo', '--port', '0', '--token', 's3cret-token');
    child = started.child;
    const url = await started.url;
    expect((await cli('validate', '--url', url, '--token', 's3cret-token')).code).toBe(0);
    const refused = await cli('validate', '--url', url);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/PASS\s+health\n/);
    expect(refused.err).toMatch(/FAIL\s+metadata: GET \/metadata: expected HTTP 200, got 401/);
    expect(refused.out + refused.err).not.toContain('s3cret-token');
  });

  it('serve rejects an unknown env with the list of built-ins', async () => {
    const started = serveChild('pong', '--port', '0');
    child = started.child;
    await expect(started.url).rejects.toThrow(/exited with 1: /);
  });
});

describe('openenv-rx validate against a broken server', () => {
  let server: TestServer | undefined;
  afterEach(async () => server?.close());

  it('reports the failing check and exits non-zero', async () => {
    server = await startServer({ http: { 'GET /state': (_q, r) => sendJson(r, 200, { episode_id: null }) } });
    const { code, out, err } = await cli('validate', '--url', server.url);
    expect(code).toBe(1);
    expect(err).toMatch(/FAIL\s+http-state: GET \/state has the wrong shape: step_count/);
    expect(out).toMatch(/http-state\s+FAIL/);
    expect(out).toMatch(/11 passed, 1 failed/);
  });

  it('requires --url', async () => {
    const { code, err } = await cli('validate');
    expect(code).not.toBe(0);
    expect(err).toMatch(/required option '--url <url>' not specified/);
  });
});
