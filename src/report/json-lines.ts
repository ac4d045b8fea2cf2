import { createReadStream } from 'node:fs';
import { ReportInputError } from '../errors/report-errors.js';

/** One line of a JSONL file: its text (without the newline) and number; `torn` when the file ends without a newline after it. */
export interface JsonLine {
  text: string;
  line: number;
  torn: boolean;
}

/**
 * The lines of `path`, read as a stream (one chunk and the line being cut are held, whatever the
 * file's size). Blank lines are skipped. A read failure is a `ReportInputError` naming the path.
 *
 * @example
 * for await (const { text, line } of jsonLines('runs/a/results.jsonl')) console.log(line, text.length);
 */
export async function* jsonLines(path: string): AsyncGenerator<JsonLine> {
  let carry = '';
  let line = 0;
  try {
    for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
      const parts = (carry + (chunk as string)).split('\n');
      carry = parts.pop()!;
      for (const text of parts) {
        line++;
        if (text.trim() !== '') yield { text, line, torn: false };
      }
    }
  } catch (cause) {
    throw new ReportInputError(`Cannot read ${path}: ${(cause as Error).message}`, { path }, { cause });
  }
  if (carry.trim() !== '') yield { text: carry, line: line + 1, torn: true };
}

/**
 * Parses a line as JSON; a torn last line that does not parse yields undefined (the caller notes
 * it), any other bad line is a `ReportInputError` naming the file and line.
 */
export function parseLine(path: string, { text, line, torn }: JsonLine): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    if (torn) return undefined;
    throw new ReportInputError(`${path}:${line} is not JSON: ${text.slice(0, 80)}`, { path, line }, { cause });
  }
}
