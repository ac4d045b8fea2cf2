import { existsSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { CollectOutputError } from '../errors/collect-errors.js';
import { messageOf } from '../internal/error-context.js';
import { isRecord } from '../internal/is-record.js';
import { EpisodeIndexSet } from './episode-index-set.js';
import { forEachLine } from './jsonl-lines.js';

/** What a directory's files hold, read line by line (nothing of the records is kept but their indices). */
export interface CollectScan {
  /** Episode indices of the run seed's ids (`s<seed>-e<index>`) in the results files. */
  recorded: EpisodeIndexSet;
  /** Result lines in every results file (ids of another seed or scheme included). */
  records: number;
  /** Lines of `failures.jsonl`, in all and by the `run` that wrote them. */
  failures: number;
  failuresByRun: Map<number, number>;
  /** Torn last lines cut off (`{file, bytes}`). */
  repaired: Array<{ file: string; bytes: number }>;
}

const ID = /^s(\d+)-e(\d+)$/;

/**
 * Reads the results files and `failures.jsonl` of `dir`: cuts a torn last line off each (what a
 * killed write leaves), and refuses a results line in the middle that is cut short, is not JSON
 * or has no string `episode_id` (never skipped). Memory stays flat in the number of records: one line at a
 * time, and a bitset of indices.
 *
 * @example
 * const scan = scanCollection('runs/a', ['results.jsonl'], 'failures.jsonl', 0); // scan.recorded.has(41)
 */
export function scanCollection(dir: string, resultFiles: readonly string[], failuresFile: string, seed: number): CollectScan {
  const scan: CollectScan = { recorded: new EpisodeIndexSet(), records: 0, failures: 0, failuresByRun: new Map(), repaired: [] };
  for (const file of resultFiles) {
    const path = join(dir, file);
    const read = forEachLine(path, (line, n) => {
      if (isBlank(line)) return;
      const id = episodeIdOf(line, path, n);
      scan.records++;
      const match = ID.exec(id);
      if (match && Number(match[1]) === seed && match[2]!.length <= 9) scan.recorded.add(Number(match[2]));
    });
    repair(path, file, read, scan);
  }
  const path = join(dir, failuresFile);
  if (existsSync(path) && statSync(path).size > 0) {
    const read = forEachLine(path, (line) => {
      if (isBlank(line)) return;
      scan.failures++;
      const run = runOf(line.toString('utf8'));
      if (run !== undefined) scan.failuresByRun.set(run, (scan.failuresByRun.get(run) ?? 0) + 1);
    });
    repair(path, failuresFile, read, scan);
  }
  return scan;
}

function repair(path: string, file: string, read: { completeBytes: number; tornBytes: number }, scan: CollectScan): void {
  if (read.tornBytes === 0) return;
  truncateSync(path, read.completeBytes);
  scan.repaired.push({ file, bytes: read.tornBytes });
}

const PREFIX = Buffer.from('{"episode_id":"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSE = 0x7d;

const isBlank = (line: Buffer): boolean => line.every((byte) => byte === 0x20 || byte === 0x09 || byte === 0x0d);

/**
 * The line's `episode_id`. Lines as `collect` writes them (`{"episode_id":"<id>", ... }`, an id
 * without escapes) are read without parsing the whole record: a resume over millions of records
 * would otherwise spend most of its time, and its garbage, in `JSON.parse`. A write cut short
 * leaves a line that does not end in `}`: refused. Any other line (another writer's key order, an
 * escaped id) is parsed whole.
 */
function episodeIdOf(line: Buffer, path: string, n: number): string {
  let end = line.length;
  while (end > 0 && (line[end - 1] === 0x20 || line[end - 1] === 0x0d)) end--;
  if (end > PREFIX.length && line[end - 1] === CLOSE && line.subarray(0, PREFIX.length).equals(PREFIX)) {
    const quote = line.indexOf(QUOTE, PREFIX.length);
    if (quote > 0 && !line.subarray(PREFIX.length, quote).includes(BACKSLASH)) return line.toString('utf8', PREFIX.length, quote);
  }
  return parsedEpisodeId(line.toString('utf8'), path, n);
}

function parsedEpisodeId(line: string, path: string, n: number): string {
  let id: unknown;
  try {
    const parsed: unknown = JSON.parse(line);
    id = isRecord(parsed) ? parsed['episode_id'] : undefined;
  } catch (cause) {
    throw new CollectOutputError(`${path} line ${n} is not JSON (only a torn LAST line is repaired): ${messageOf(cause)}`, { path, line: n }, { cause });
  }
  if (typeof id !== 'string') throw new CollectOutputError(`${path} line ${n} has no string episode_id`, { path, line: n });
  return id;
}

/** The `run` of a failure line (failures are a log, not the dataset: a line that does not parse is counted, not refused). */
function runOf(line: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(line);
    return isRecord(parsed) && typeof parsed['run'] === 'number' ? parsed['run'] : undefined;
  } catch {
    return undefined;
  }
}
