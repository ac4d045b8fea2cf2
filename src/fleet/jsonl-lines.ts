import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** What `forEachLine` read: bytes of whole lines, and the bytes of a last line without its newline. */
export interface LinesRead {
  lines: number;
  completeBytes: number;
  tornBytes: number;
}

const CHUNK_BYTES = 1 << 20;

/**
 * Calls `onLine(bytes, lineNumber)` for each newline-terminated line of `path` (without the
 * newline), reading 1 MiB at a time: only the current chunk and the line being cut are held,
 * whatever the file's size (a resume scans results files of many GB). `bytes` is a view valid
 * during the call only (copy what you keep). A last line without its newline is not passed on:
 * its length is returned as `tornBytes`.
 *
 * @example
 * const { lines } = forEachLine('runs/a/results.jsonl', (line) => ids.push(JSON.parse(line.toString()).episode_id));
 */
export function forEachLine(path: string, onLine: (line: Buffer, lineNumber: number) => void): LinesRead {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let carry: Buffer | undefined; // the start of a line cut by the chunk's end
    let position = 0;
    let consumed = 0;
    let lines = 0;
    while (position < size) {
      const n = readSync(fd, chunk, 0, chunk.length, position);
      if (n === 0) break;
      position += n;
      let start = 0;
      let newline = chunk.indexOf(10, 0);
      while (newline >= 0 && newline < n) {
        const piece = chunk.subarray(start, newline);
        const line = carry ? Buffer.concat([carry, piece]) : piece;
        consumed += line.length + 1;
        carry = undefined;
        onLine(line, ++lines);
        start = newline + 1;
        newline = chunk.indexOf(10, start);
      }
      if (start < n) {
        const rest = chunk.subarray(start, n);
        carry = carry ? Buffer.concat([carry, rest]) : Buffer.from(rest);
      }
    }
    return { lines, completeBytes: consumed, tornBytes: size - consumed };
  } finally {
    closeSync(fd);
  }
}
