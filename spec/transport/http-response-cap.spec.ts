import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { firstValueFrom } from 'rxjs';
import { HttpStatusError, ProtocolError } from '../../src/errors/index.js';
import { openHttpTransport } from '../../src/transport/http-transport.js';
import { connect } from './support.js';

/**
 * `maxMessageBytes` caps HTTP replies as it caps `/ws` messages: a server (a hostile or broken
 * one) cannot make the client buffer a body of any size. Declared, streamed (chunked, endless
 * until the client leaves) and compressed (counted after decompression) bodies, on 2xx and error
 * statuses alike, each fail with a ProtocolError naming the limit; the server sees the client
 * go long before it has sent its body.
 */
const LIMIT = 64 * 1024;
const CHUNK = Buffer.alloc(16 * 1024, 0x20); // spaces: valid JSON padding
const STREAM_CAP = 64 * 1024 * 1024; // a bound for the endless body, never reached by a capped client

type Mode = 'small' | 'declared' | 'chunked' | 'gzip' | 'error-status';
let mode: Mode = 'small';
let streamed = 0;
let streamEnded: Promise<void> = Promise.resolve();

function endless(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"observation":{},"reward":0,"done":false');
  streamEnded = new Promise((resolve) => {
    const pump = (): void => {
      while (streamed < STREAM_CAP && !res.destroyed) {
        streamed += CHUNK.length;
        if (!res.write(CHUNK)) return void res.once('drain', pump);
      }
      res.end('}');
      resolve();
    };
    res.once('close', () => resolve());
    pump();
  });
}

describe('HTTP replies are capped at maxMessageBytes', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      const body = (text: string) => res.end(text);
      switch (mode) {
        case 'small':
          res.writeHead(200, { 'content-type': 'application/json' });
          return body('{"observation":{"n":1},"reward":0,"done":false}');
        case 'declared': {
          const big = `{"observation":{"pad":"${'x'.repeat(LIMIT * 4)}"},"reward":0,"done":false}`;
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(big) });
          return body(big);
        }
        case 'chunked':
          return endless(res);
        case 'gzip': {
          // ~4 MiB of JSON that compresses to a few KiB: small on the wire, large in memory.
          const zipped = gzipSync(`{"observation":{"pad":"${' '.repeat(4 * 1024 * 1024)}"},"reward":0,"done":false}`);
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': zipped.length });
          return body(zipped as unknown as string);
        }
        case 'error-status': {
          const page = `<html>${'x'.repeat(LIMIT * 4)}</html>`;
          res.writeHead(500, { 'content-type': 'text/html' });
          return body(page);
        }
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function stepError(m: Mode): Promise<unknown> {
    mode = m;
    const { transport, subscription } = await connect(openHttpTransport(url, { maxMessageBytes: LIMIT, replyTimeoutMs: 20_000 }));
    try {
      return await firstValueFrom(transport.step({ a: 1 })).then(
        (value) => ({ value }),
        (error: unknown) => error,
      );
    } finally {
      subscription.unsubscribe();
    }
  }

  it('a reply within the limit is read as usual', async () => {
    expect(await stepError('small')).toEqual({ value: { observation: { n: 1 }, reward: 0, done: false } });
  });

  it.each(['declared', 'gzip', 'error-status'] as const)('%s body over the limit: ProtocolError naming maxMessageBytes', async (m) => {
    const error = await stepError(m);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).not.toBeInstanceOf(HttpStatusError);
    expect(error).toMatchObject({ code: 'ERR_PROTOCOL', message: expect.stringContaining(`maxMessageBytes (${LIMIT} bytes)`), context: { request: 'step' } });
  });

  it('an endless chunked body: the client fails and leaves; the server sent only a little of it', async () => {
    streamed = 0;
    const error = await stepError('chunked');
    expect(error).toMatchObject({ code: 'ERR_PROTOCOL', message: expect.stringContaining(`maxMessageBytes (${LIMIT} bytes)`) });
    await streamEnded;
    // Socket buffers on both sides hold a few MiB at most; without the cap all 64 MiB go through.
    expect(streamed).toBeLessThan(STREAM_CAP / 4);
  });
});
