import { Readable, Writable } from 'node:stream';
import type Docker from 'dockerode';

/** Splits log text into lines, dropping the empty piece after a final newline; keeps the last `max`. */
export function lastLines(text: string, max: number): string[] {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-max);
}

/**
 * The last `lines` lines the container wrote (stdout and stderr interleaved in order). The
 * engine multiplexes both streams with 8-byte frame headers unless the container has a TTY
 * (`tty`: its output is taken as is); `modem.demuxStream` strips them. Never rejects: a tail is
 * a diagnostic, so a failure to read it yields `[]`.
 */
export async function containerLogTail(docker: Docker, container: Docker.Container, lines = 50, tty = false): Promise<string[]> {
  try {
    const raw: unknown = await container.logs({ stdout: true, stderr: true, follow: false, tail: lines });
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
  } catch {
    return [];
  }
}
