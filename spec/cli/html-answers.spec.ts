import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runCliChild } from './cli-child.js';

/** A whole page whose body must never reach the terminal. */
const page = `<!DOCTYPE html>\n<html lang="en">\n<head><title>Acme Login</title></head>\n<body>\n${'<p>filler paragraph</p>\n'.repeat(400)}<p>DEEP-IN-THE-PAGE</p></body></html>\n`;

/** Not an OpenEnv server: every request, and every WS upgrade, gets `status` and the HTML page. */
async function htmlSite(status: number): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(page));
  server.on('upgrade', (_req, socket) => {
    socket.end(`HTTP/1.1 ${status} Nope\r\nContent-Type: text/html\r\nContent-Length: ${Buffer.byteLength(page)}\r\nConnection: close\r\n\r\n${page}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Every line is short, and nothing past the page's first line shows. */
const expectShortLines = (text: string) => {
  expect(text).not.toMatch(/filler paragraph|DEEP-IN-THE-PAGE|<head>/);
  for (const line of text.split('\n')) expect(line.length).toBeLessThan(320);
};

describe('openenv-rx against a server that answers HTML (real processes)', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
  const site = async (status: number) => {
    const started = await htmlSite(status);
    servers.push(started.server);
    return started.url;
  };

  it.each([[200], [404]])('rollout (auto, http and ws) against HTML %s: one short error with status, content type and first line', async (status) => {
    const url = await site(status);
    const runs = await Promise.all(['auto', 'http', 'ws'].map((transport) => runCliChild(['rollout', '--url', url, '--transport', transport, '-n', '1', '-s', '1'])));
    for (const { code, out, err } of runs) {
      expect(code).toBe(1);
      expectShortLines(out + err);
      const errors = err.split('\n').filter((line) => line.startsWith('openenv-rx:'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`HTTP ${status}, text/html: <!DOCTYPE html> (an HTML page titled "Acme Login": is this the URL of an OpenEnv server?)`);
    }
  }, 90_000);

  it.each([[200], [404]])('validate against HTML %s: every check fails once, each with a short line naming status, content type and first line', async (status) => {
    const url = await site(status);
    const { code, out, err } = await runCliChild(['validate', '--url', url]);
    expect(code).toBe(1);
    expectShortLines(out + err);
    const failures = err.split('\n').filter((line) => line.startsWith('FAIL'));
    expect(failures.length).toBeGreaterThanOrEqual(11);
    expect(failures[0]).toMatch(new RegExp(`^FAIL  health: ERR_CONFORMANCE: GET /health: .*(HTTP |got )${status},? text/html: <!DOCTYPE html> \\(an HTML page titled "Acme Login"`));
    // Where the page shows at all, it shows as the short description.
    for (const line of failures.filter((l) => l.includes('DOCTYPE'))) expect(line).toMatch(/text\/html: <!DOCTYPE html> \(an HTML page titled "Acme Login": is this the URL of an OpenEnv server\?\)/);
    expect(out).toMatch(/\d+ passed, \d+ failed/);
  }, 90_000);
});
