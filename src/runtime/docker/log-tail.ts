import { Readable, Writable } from 'node:stream';
import type Docker from 'dockerode';

/** Splits log text into lines, dropping the empty piece after a final newline; keeps the last `max`. */
export function lastLines(text: string, max: number): string[] {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-max);
}

/**
 * The last `lines` lines the container wrote (stdout and stderr interleaved in order). Never
 * rejects: a tail is a diagnostic, so a failure to read it yields `[]`.
 */
export async function containerLogTail(docker: Docker, container: Docker.Container, lines = 50, tty = false): Promise<string[]> {
  try {
    return await demuxedLogTail(docker, await container.logs({ stdout: true, stderr: true, follow: false, tail: lines }), lines, tty);
  } catch {
    return [];
  }
}

/**
 * The last `lines` lines of a non-following logs answer (`container.logs`, `service.logs`). The
 * engine multiplexes stdout and stderr with 8-byte frame headers unless the container has a TTY
 * (`tty`: the output is taken as is); `modem.demuxStream` strips them.
 */
export async function demuxedLogTail(docker: Docker, raw: unknown, lines: number, tty: boolean): Promise<string[]> {
  // docker-modem parses a body that happens to be valid JSON: turn it back into bytes.
  const buffer = Buffer.isBuffer(raw) ? raw : Buffer.from(typeof raw === 'string' ? raw : JSON.stringify(raw));
  if (tty) return lastLines(buffer.toString('utf8'), lines);
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  const source = Readable.from([buffer]);
  const ended = new Promise<void>((resolve, reject) => {
    source.once('end', resolve);
    source.once('error', reject);
  });
  docker.modem.demuxStream(source, sink, sink);
  await ended;
  return lastLines(Buffer.concat(chunks).toString('utf8'), lines);
}
