import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CollectOutputError } from '../errors/collect-errors.js';
import { messageOf } from '../internal/error-context.js';
import { isRecord } from '../internal/is-record.js';

/** `metadata.json`: what was run, with what, when, and how it went (one entry per run, resumes included). */
export interface CollectMetadata {
  format: 'openenv-rx/collect@1';
  config: Record<string, unknown> & { seed: number; shard_size: number | null; episode_id_scheme: string };
  versions: Record<string, string>;
  started_at: string;
  ended_at: string | null;
  status: CollectRunStatus;
  /** Over every run: planned episodes, those recorded, and those still missing (failed or never run). */
  counts: { planned: number; recorded: number; missing: number; failed_attempts: number };
  files: { results: string[]; failures: string };
  runs: CollectRunInfo[];
}

/** `killed`: a run that never wrote its end (SIGKILL, a crash), found by the next `resume`. */
export type CollectRunStatus = 'running' | 'completed' | 'interrupted' | 'failed' | 'killed';

/** One run of `collect` in a directory, as `metadata.json` records it (a resumed directory lists several). */
export interface CollectRunInfo {
  pid: number;
  started_at: string;
  ended_at: string | null;
  status: CollectRunStatus;
  planned: number;
  already_recorded: number;
  recorded: number;
  failed: number;
  not_run: number;
  steps: number;
  /** Torn last lines cut off before this run appended (`{file, bytes}`). */
  repaired: Array<{ file: string; bytes: number }>;
  error?: string;
  [key: string]: unknown;
}

/** One line of `failures.jsonl`: an attempt that did not produce a record. */
export interface FailureRecord {
  episode_id: string;
  episode_index: number;
  seed: number;
  /** 1 for the first run in the directory, 2 for the first resume, ... */
  run: number;
  at: string;
  /** Steps answered before the failure. */
  steps: number;
  /** A request was on the wire and no answer came: whether the env applied it is unknown (it is never replayed). */
  step_unknown: boolean;
  server: string | undefined;
  error: { code: string | undefined; message: string; cause_code?: string; cause_message?: string };
}

export interface CollectStoreOptions {
  dir: string;
  resume: boolean;
  shardSize: number | undefined;
  seed: number;
  config: Record<string, unknown>;
  versions: Record<string, string>;
}

export const RESULTS_FILE = 'results.jsonl';
export const FAILURES_FILE = 'failures.jsonl';
export const METADATA_FILE = 'metadata.json';
const LOCK_FILE = '.collect.lock';
const RESULTS_PATTERN = /^results(?:-(\d{5,}))?\.jsonl$/;
const ID_SCHEME = 's<seed>-e<index, 6 digits>';

/** The results file of episode `index`: `results.jsonl`, or shard `results-<index / shardSize, 5 digits>.jsonl`. */
export function resultsFileOf(index: number, shardSize: number | undefined): string {
  return shardSize === undefined ? RESULTS_FILE : `results-${String(Math.floor(index / shardSize)).padStart(5, '0')}.jsonl`;
}

/**
 * The output directory of a collection. Everything is written synchronously, a whole line per
 * `write`, to files opened for appending: a record is on disk (in the page cache) when `collect`
 * reports it, and a killed process leaves at worst one torn last line per file, which the next
 * `resume` cuts off (and reports) before appending. A lock file keeps two live collectors apart.
 */
export class CollectStore {
  /** Episode ids present in the results files. */
  readonly recorded = new Set<string>();
  readonly repaired: Array<{ file: string; bytes: number }> = [];
  private readonly fds = new Map<string, number>();
  private readonly metadata: CollectMetadata;
  private readonly run: CollectRunInfo;
  private readonly lockPath: string;
  private previousFailures = 0;
  private closed = false;

  private constructor(private readonly options: CollectStoreOptions) {
    const { dir } = options;
    this.lockPath = join(dir, LOCK_FILE);
    const previous = readMetadata(join(dir, METADATA_FILE));
    const resultFiles = listResultFiles(dir);
    if (!options.resume && (previous || resultFiles.length > 0)) {
      throw new CollectOutputError(`${dir} already holds a collection (${resultFiles.length} results file(s)); resume it, or choose another directory`, { path: dir });
    }
    if (previous) checkSameRun(previous, options, join(dir, METADATA_FILE));
    else if (resultFiles.some((f) => (f === RESULTS_FILE) !== (options.shardSize === undefined))) {
      throw new CollectOutputError(`${dir} holds results files of another shard layout (${resultFiles.join(', ')})`, { path: dir, option: 'shardSize' });
    }
    for (const file of resultFiles) this.scan(file);
    this.previousFailures = previous?.counts.failed_attempts ?? 0;
    const now = new Date().toISOString();
    // A run that never wrote its end was killed; say so instead of leaving it "running".
    const runs = (previous?.runs ?? []).map((r) => (r.status === 'running' ? { ...r, status: 'killed' as const } : r));
    this.run = {
      pid: process.pid,
      started_at: now,
      ended_at: null,
      status: 'running',
      planned: 0,
      already_recorded: 0,
      recorded: 0,
      failed: 0,
      not_run: 0,
      steps: 0,
      repaired: this.repaired,
    };
    this.metadata = {
      format: 'openenv-rx/collect@1',
      config: { ...options.config, seed: options.seed, shard_size: options.shardSize ?? null, episode_id_scheme: ID_SCHEME },
      versions: options.versions,
      started_at: previous?.started_at ?? now,
      ended_at: null,
      status: 'running',
      counts: { planned: 0, recorded: this.recorded.size, missing: 0, failed_attempts: this.previousFailures },
      files: { results: resultFiles, failures: FAILURES_FILE },
      runs: [...runs, this.run],
    };
  }

  /** Opens (creating) `dir`: takes the lock, reads and repairs what a resumed run left, writes `metadata.json` (status `running`). */
  static open(options: CollectStoreOptions): CollectStore {
    try {
      mkdirSync(options.dir, { recursive: true });
    } catch (cause) {
      throw new CollectOutputError(`Cannot create ${options.dir}: ${messageOf(cause)}`, { path: options.dir }, { cause });
    }
    takeLock(join(options.dir, LOCK_FILE));
    try {
      const store = new CollectStore(options);
      store.append(FAILURES_FILE, ''); // exists, empty while nothing failed
      store.writeMetadata();
      return store;
    } catch (error) {
      releaseLock(join(options.dir, LOCK_FILE));
      throw error;
    }
  }

  /** This run's number in the directory (1 for the first). */
  get runNumber(): number {
    return this.metadata.runs.length;
  }

  /** Sets the plan once it is known (counts in `metadata.json`). */
  plan(planned: number, alreadyRecorded: number): void {
    this.run.planned = planned;
    this.run.already_recorded = alreadyRecorded;
    this.metadata.counts.planned = planned;
    this.writeMetadata();
  }

  /** Appends one record (one `write` of one line) to the file of its episode index. */
  appendRecord(index: number, record: { episode_id: string }): string {
    const file = resultsFileOf(index, this.options.shardSize);
    this.append(file, `${JSON.stringify(record)}\n`);
    this.recorded.add(record.episode_id);
    this.run.recorded++;
    if (!this.metadata.files.results.includes(file)) this.metadata.files.results.push(file);
    return file;
  }

  appendFailure(failure: FailureRecord): void {
    this.append(FAILURES_FILE, `${JSON.stringify(failure)}\n`);
    this.run.failed++;
  }

  /** The results files written so far (sorted). */
  files(): string[] {
    return [...this.metadata.files.results].sort();
  }

  countSteps(steps: number): void {
    this.run.steps += steps;
  }

  /**
   * Writes the run's end into `metadata.json`, closes the files and releases the lock. Idempotent:
   * the first call wins (an unsubscribe after the summary changes nothing).
   */
  finish(status: Exclude<CollectRunStatus, 'running' | 'killed'>, extra: Partial<CollectRunInfo> = {}): void {
    if (this.closed) return;
    this.closed = true;
    const now = new Date().toISOString();
    Object.assign(this.run, extra, { status, ended_at: now, not_run: Math.max(0, this.run.planned - this.run.already_recorded - this.run.recorded - this.run.failed) });
    this.metadata.status = status;
    this.metadata.ended_at = now;
    try {
      this.writeMetadata();
    } finally {
      for (const fd of this.fds.values()) closeSync(fd);
      this.fds.clear();
      releaseLock(this.lockPath);
    }
  }

  private writeMetadata(): void {
    const { counts } = this.metadata;
    counts.recorded = this.recorded.size;
    counts.failed_attempts = this.previousFailures + this.run.failed;
    counts.missing = Math.max(0, counts.planned - this.run.already_recorded - this.run.recorded);
    this.metadata.files.results.sort();
    const path = join(this.options.dir, METADATA_FILE);
    // Written beside and renamed over: a reader (or a crash) never sees half a file.
    const temporary = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, `${JSON.stringify(this.metadata, null, 2)}\n`);
      renameSync(temporary, path);
    } catch (cause) {
      throw new CollectOutputError(`Cannot write ${path}: ${messageOf(cause)}`, { path }, { cause });
    }
  }

  private append(file: string, line: string): void {
    const path = join(this.options.dir, file);
    try {
      let fd = this.fds.get(file);
      if (fd === undefined) {
        fd = openSync(path, 'a');
        this.fds.set(file, fd);
      }
      const bytes = Buffer.from(line);
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
    } catch (cause) {
      throw new CollectOutputError(`Cannot append to ${path}: ${messageOf(cause)}`, { path }, { cause });
    }
  }

  /** Reads the episode ids of one results file; a torn last line (no newline) is cut off. */
  private scan(file: string): void {
    const path = join(this.options.dir, file);
    const { complete, tornBytes } = readLines(path);
    if (tornBytes > 0) {
      truncateSync(path, complete.bytes);
      this.repaired.push({ file, bytes: tornBytes });
    }
    complete.lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let id: unknown;
      try {
        const parsed: unknown = JSON.parse(line);
        id = isRecord(parsed) ? parsed['episode_id'] : undefined;
      } catch (cause) {
        throw new CollectOutputError(`${path} line ${i + 1} is not JSON (only a torn LAST line is repaired): ${messageOf(cause)}`, { path, line: i + 1 }, { cause });
      }
      if (typeof id !== 'string') throw new CollectOutputError(`${path} line ${i + 1} has no string episode_id`, { path, line: i + 1 });
      this.recorded.add(id);
    });
  }
}

/** The whole lines of a file (each ended by a newline) and how many bytes follow the last one. */
function readLines(path: string): { complete: { lines: string[]; bytes: number }; tornBytes: number } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const lines: string[] = [];
    const chunk = Buffer.allocUnsafe(1 << 20);
    let carry = Buffer.alloc(0);
    let position = 0;
    let consumed = 0;
    // In chunks: a long run's results need not fit in one string.
    while (position < size) {
      const n = readSync(fd, chunk, 0, chunk.length, position);
      if (n === 0) break;
      position += n;
      let data = Buffer.concat([carry, chunk.subarray(0, n)]);
      let newline = data.indexOf(10);
      while (newline >= 0) {
        lines.push(data.subarray(0, newline).toString('utf8'));
        consumed += newline + 1;
        data = data.subarray(newline + 1);
        newline = data.indexOf(10);
      }
      carry = Buffer.from(data);
    }
    return { complete: { lines, bytes: consumed }, tornBytes: size - consumed };
  } finally {
    closeSync(fd);
  }
}

function listResultFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => RESULTS_PATTERN.test(name))
    .sort();
}

function readMetadata(path: string): CollectMetadata | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new CollectOutputError(`${path} is not JSON: ${messageOf(cause)}`, { path }, { cause });
  }
  if (!isRecord(parsed) || parsed['format'] !== 'openenv-rx/collect@1' || !isRecord(parsed['config']) || !Array.isArray(parsed['runs'])) {
    throw new CollectOutputError(`${path} is not the metadata of an openenv-rx collection`, { path });
  }
  return parsed as unknown as CollectMetadata;
}

/** A resumed run must plan the same ids into the same files: same seed, same shard size. */
function checkSameRun(previous: CollectMetadata, options: CollectStoreOptions, path: string): void {
  if (previous.config.seed !== options.seed) {
    throw new CollectOutputError(`${path} was written with seed ${previous.config.seed}, not ${options.seed}: episode ids would not match`, { path, option: 'seed' });
  }
  const shard = options.shardSize ?? null;
  if (previous.config.shard_size !== shard) {
    throw new CollectOutputError(`${path} was written with shard size ${previous.config.shard_size ?? 'none'}, not ${shard ?? 'none'}`, { path, option: 'shardSize' });
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Creates the lock file (exclusive); one left by a dead process is taken over. */
function takeLock(path: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new CollectOutputError(`Cannot create ${path}: ${messageOf(error)}`, { path }, { cause: error });
      }
    }
    const pid = Number.parseInt(safeRead(path), 10);
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
      throw new CollectOutputError(`Another collector (pid ${pid}) is writing ${path.slice(0, -LOCK_FILE.length - 1)}`, { path, pid });
    }
    releaseLock(path); // stale: its process is gone
  }
  throw new CollectOutputError(`Cannot take the lock ${path}`, { path });
}

function releaseLock(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
