import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpStatusError, ProtocolError } from '../../src/errors/index.js';
import { defineEnv } from '../../src/session/define-env.js';
import { openHttpTransport } from '../../src/transport/http-transport.js';
import { openTransport } from '../../src/transport/open-transport.js';
import { connect, errorOf } from './support.js';

const Env = defineEnv({ name: 'env' });
/** A whole page whose end must never show up in a message. */
const page = (title: string) =>
  `<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>${title}</title></head>\n<body>\n${'<p>filler paragraph</p>\n'.repeat(400)}<p>DEEP-IN-THE-PAGE</p></body></html>\n`;

/** A server that is not an OpenEnv server: every request (and every WS upgrade) gets `status`, `type`, `body`. */
async function notOpenEnv(status: number, type: string, body: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => res.writeHead(status, { 'content-type': type }).end(body));
  server.on('upgrade', (_req, socket) => {
    socket.end(`HTTP/1.1 ${status} Nope\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('a server that answers HTML (or any non-JSON) gets a short message: status, content type, first line', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
  const start = async (status: number, type: string, body: string) => {
    const started = await notOpenEnv(status, type, body);
    servers.push(started.server);
    return started.url;
  };
  /** The message is short and holds nothing past the first line (`firstLineOnly: false` for a one-line page). */
  const expectShort = (error: unknown, firstLineOnly = true) => {
    const message = (error as Error).message;
    expect(message.length).toBeLessThan(320);
    expect(message).not.toContain('DEEP-IN-THE-PAGE');
    if (firstLineOnly) expect(message).not.toContain('filler paragraph');
    return message;
  };

  it("connect (transport 'auto') to an HTML 404 site: HttpStatusError naming the page; an HTML 404 is not generation A", async () => {
    const url = await start(404, 'text/html; charset=utf-8', page('404 Not Found'));
    const error = await errorOf(Env.connect(url));
    expect(error).toBeInstanceOf(HttpStatusError);
    expect(expectShort(error)).toBe(
      `HTTP 404, text/html: <!DOCTYPE html> (an HTML page titled "404 Not Found": is this the URL of an OpenEnv server?) [env env, ${url}, over http, during schema]`,
    );
    expect(((error as HttpStatusError).body as string).length).toBeLessThanOrEqual(2_000);
  });

  it("connect (transport 'auto') to a site answering 200 HTML everywhere: ProtocolError on GET /schema, short", async () => {
    const url = await start(200, 'text/html', page('My App'));
    const error = await errorOf(Env.connect(url));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(expectShort(error)).toMatch(
      /^GET \/schema body is not JSON: HTTP 200, text\/html: <!DOCTYPE html> \(an HTML page titled "My App": is this the URL of an OpenEnv server\?\) \[/,
    );
  });

  it("transport 'ws' through a proxy answering 502 HTML to the upgrade: HttpStatusError, short", async () => {
    const url = await start(502, 'text/html', page('502 Bad Gateway'));
    const error = await errorOf(Env.connect(url, { transport: 'ws' }));
    expect(error).toBeInstanceOf(HttpStatusError);
    expect(expectShort(error)).toMatch(/^HTTP 502, text\/html: <!DOCTYPE html> \(an HTML page titled "502 Bad Gateway": .*\) \[env env, .*, over ws, during connect\]$/);
  });

  it("transport 'http': a reset answered with a 200 HTML page is a short ProtocolError", async () => {
    const url = await start(200, 'text/html', page('Login'));
    const { transport, subscription } = await connect(openHttpTransport(url));
    try {
      const error = await errorOf(transport.reset({}));
      expect(error).toBeInstanceOf(ProtocolError);
      expect(expectShort(error)).toMatch(/^POST \/reset body is not JSON: HTTP 200, text\/html: <!DOCTYPE html> \(an HTML page titled "Login"/);
      expect((error as ProtocolError).raw!.length).toBeLessThanOrEqual(2_000);
    } finally {
      subscription.unsubscribe();
    }
  });

  it('plain text over several lines: only the first line; minified HTML on one line: capped', async () => {
    const text = await start(503, 'text/plain', `Service Unavailable\n${'details '.repeat(500)}DEEP-IN-THE-PAGE`);
    expect(expectShort(await errorOf(openTransport(text)))).toMatch(/^HTTP 503, text\/plain: Service Unavailable \[/);
    const minified = await start(500, 'text/html', page('Oops').replaceAll('\n', ''));
    const message = expectShort(await errorOf(openTransport(minified)), false);
    expect(message).toMatch(/^HTTP 500, text\/html: <!DOCTYPE html><html lang="en">.{60,}\.\.\. \(an HTML page titled "Oops"/);
  });

  it('a JSON error of an OpenEnv server keeps its FastAPI detail', async () => {
    const url = await start(401, 'application/json', JSON.stringify({ detail: 'Not authenticated' }));
    const error = await errorOf(openTransport(url));
    expect((error as Error).message).toMatch(/^HTTP 401: Not authenticated \[/);
  });
});
