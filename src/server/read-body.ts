import type { IncomingMessage } from 'node:http';
import { PayloadTooLargeError } from '../errors/server-errors.js';

/**
 * Reads a request body into one Buffer, refusing more than `limitBytes`: a declared
 * `Content-Length` above the limit fails before reading, a streamed body fails as soon as it
 * crosses it (the rest is drained and discarded, so the 413 reaches the client).
 *
 * @example
 * const body = await readBody(req, 1024 * 1024); // rejects with PayloadTooLargeError past 1 MiB
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.resume();
    return Promise.reject(new PayloadTooLargeError(limitBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const onData = (chunk: Buffer): void => {
      if (failed) return;
      size += chunk.length;
      if (size > limitBytes) {
        failed = true;
        chunks.length = 0;
        reject(new PayloadTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.once('error', (err) => {
      if (!failed) {
        failed = true;
        reject(err);
      }
    });
  });
}
