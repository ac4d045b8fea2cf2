import { closeSync, existsSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CollectMismatchError, CollectOutputError, type DatasetDifference } from '../errors/collect-errors.js';
import { messageOf } from '../internal/error-context.js';
import { isRecord } from '../internal/is-record.js';
import { datasetDifferences, STRUCTURAL_FIELDS, type CollectDataset } from './collect-dataset.js';
import type { EpisodeRecord } from './collect-record.js';
import { scanCollection, type CollectScan } from './collect-scan.js';
import { EpisodeIndexSet } from './episode-index-set.js';
import { episodeRecordJson } from './episode-record-json.js';
import { createDirectory, removeCreatedDirectories } from './output-directory.js';

/** `metadata.json`: what was run, with what, when, and how it went (one entry per run, resumes included). */
export interface CollectMetadata {
  format: 'openenv-rx/collect@1';
  /**
   * What defines the dataset (as the first run wrote it): `seed`, `max_steps`, `shard_size`,
   * `reset_options`, then the caller's `dataset` fields (the CLI: `env`, `url`, `image`, `policy`).
   * A resume that differs is refused (`CollectMismatchError`). Absent in directories written
   * before it existed: those are checked on seed and shard size only.
   */
  dataset?: CollectDataset;
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

export interface CollectRunInfo {
  pid: number;
  started_at: string;
  ended_at: string | null;
  status: CollectRunStatus;
  planned: number;
  already_recorded: number;
  /** Records in the results files when the run started (a killed run's count is the files' growth since). */
  records_before?: number;
  recorded: number;
  failed: number;
  not_run: number;
  steps: number;
  /** Torn last lines cut off before this run appended (`{file, bytes}`). */
  repaired: Array<{ file: string; bytes: number }>;
  error?: string;
  /** What `forceResume` let differ from the directory's dataset. */
  forced?: DatasetDifference[];
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
  /** Resume even where the dataset differs (never for `STRUCTURAL_FIELDS`). */
  forceResume: boolean;
  dataset: CollectDataset;
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
 * What is on disk is read line by line (`scanCollection`): the store keeps a bitset of recorded
 * indices and counters, never the records.
 */
export class CollectStore {
  readonly repaired: Array<{ file: string; bytes: number }>;
  private readonly recorded: EpisodeIndexSet;
  /** Records in the results files when this run started. */
  private readonly recordsBefore: number;
  private readonly failuresBefore: number;
  private readonly fds = new Map<string, number>();
  private readonly metadata: CollectMetadata;
  private readonly run: CollectRunInfo;
  private readonly lockPath: string;
  private closed = false;
  private lastMetadataWrite = 0;

  private constructor(
    private readonly options: CollectStoreOptions,
    private readonly created: readonly string[],
  ) {
    const { dir } = options;
    this.lockPath = join(dir, LOCK_FILE);
    const metadataPath = join(dir, METADATA_FILE);
    let previous = readMetadata(metadataPath);
    const resultFiles = listResultFiles(dir);
    const resume = options.resume || options.forceResume;
    if (!resume && (previous || resultFiles.length > 0)) {
      // A directory whose files hold nothing (a run that failed before its first record) is not a collection to protect.
      if (!isEmptyCollection(dir, resultFiles)) {
        throw new CollectOutputError(`${dir} already holds a collection (${resultFiles.length} results file(s)); resume it, or choose another directory`, { path: dir });
      }
      previous = undefined;
    }
    let forced: DatasetDifference[] = [];
    if (previous) forced = checkSameDataset(previous, options, metadataPath);
    else if (resultFiles.some((f) => (f === RESULTS_FILE) !== (options.shardSize === undefined))) {
      throw new CollectOutputError(`${dir} holds results files of another shard layout (${resultFiles.join(', ')})`, { path: dir, option: 'shardSize' });
    }
    const scan = scanCollection(dir, resultFiles, FAILURES_FILE, options.seed);
    this.recorded = scan.recorded;
    this.repaired = scan.repaired;
    this.recordsBefore = scan.records;
    this.failuresBefore = scan.failures;
    const now = new Date().toISOString();
    // A run that never wrote its end was killed: say so, with its counts taken from the files.
    const runs = (previous?.runs ?? []).map((r, i) => (r.status === 'running' ? killedRun(r, i + 1, scan) : r));
    this.run = {
      pid: process.pid,
      started_at: now,
      ended_at: null,
      status: 'running',
      planned: 0,
      already_recorded: 0,
      records_before: scan.records,
      recorded: 0,
      failed: 0,
      not_run: 0,
      steps: 0,
      repaired: this.repaired,
      ...(forced.length > 0 && { forced }),
    };
    this.metadata = {
      format: 'openenv-rx/collect@1',
      dataset: previous?.dataset ?? options.dataset,
      config: { ...options.config, seed: options.seed, shard_size: options.shardSize ?? null, episode_id_scheme: ID_SCHEME },
      versions: options.versions,
      started_at: previous?.started_at ?? now,
      ended_at: null,
      status: 'running',
      counts: { planned: 0, recorded: scan.records, missing: 0, failed_attempts: scan.failures },
      files: { results: resultFiles, failures: FAILURES_FILE },
      runs: [...runs, this.run],
    };
  }

  /** Opens (creating) `dir`: takes the lock, reads and repairs what a resumed run left, writes `metadata.json` (status `running`). */
  static open(options: CollectStoreOptions): CollectStore {
    const created = createDirectory(options.dir);
    try {
      takeLock(join(options.dir, LOCK_FILE));
    } catch (error) {
      removeCreatedDirectories(created);
      throw error;
    }
    try {
      const store = new CollectStore(options, created);
      store.append(FAILURES_FILE, ''); // exists, empty while nothing failed
      store.writeMetadata();
      return store;
    } catch (error) {
      releaseLock(join(options.dir, LOCK_FILE));
      removeCreatedDirectories(created);
      throw error;
    }
  }

  /** This run's number in the directory (1 for the first). */
  get runNumber(): number {
    return this.metadata.runs.length;
  }

  /** Whether episode `index` (id `s<seed>-e<index>`) is in the results. */
  isRecorded(index: number): boolean {
    return this.recorded.has(index);
  }

  /** Sets the plan once it is known (counts in `metadata.json`). */
  plan(planned: number, alreadyRecorded: number): void {
    this.run.planned = planned;
    this.run.already_recorded = alreadyRecorded;
    this.metadata.counts.planned = planned;
    this.writeMetadata();
  }

  /** Appends one record (one `write` of one line, floats written as floats) to the file of its episode index. */
  appendRecord(index: number, record: EpisodeRecord): string {
    const file = resultsFileOf(index, this.options.shardSize);
    this.append(file, `${episodeRecordJson(record)}\n`);
    this.recorded.add(index);
    this.run.recorded++;
    if (!this.metadata.files.results.includes(file)) this.metadata.files.results.push(file);
    this.writeMetadataNowAndThen();
    return file;
  }

  appendFailure(failure: FailureRecord): void {
    this.append(FAILURES_FILE, `${JSON.stringify(failure)}\n`);
    this.run.failed++;
    this.writeMetadataNowAndThen();
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
   * the first call wins (an unsubscribe after the summary changes nothing). A first run that ends
   * without a record or a failure (it failed or was stopped before) removes what it created
   * instead, so that a plain rerun is not refused; returns true then.
   */
  finish(status: Exclude<CollectRunStatus, 'running' | 'killed'>, extra: Partial<CollectRunInfo> = {}): boolean {
    if (this.closed) return false;
    this.closed = true;
    const now = new Date().toISOString();
    Object.assign(this.run, extra, { status, ended_at: now, not_run: Math.max(0, this.run.planned - this.run.already_recorded - this.run.recorded - this.run.failed) });
    this.metadata.status = status;
    this.metadata.ended_at = now;
    const removable = status !== 'completed' && this.runNumber === 1 && this.recordsBefore + this.run.recorded === 0 && this.failuresBefore + this.run.failed === 0;
    try {
      if (removable) this.remove();
      else this.writeMetadata();
    } finally {
      for (const fd of this.fds.values()) closeSync(fd);
      this.fds.clear();
      releaseLock(this.lockPath);
      if (removable) removeCreatedDirectories(this.created);
    }
    return removable;
  }

  /** What this run wrote in a directory that holds nothing else: `metadata.json`, an empty `failures.jsonl`, empty results files. */
  private remove(): void {
    for (const file of [METADATA_FILE, FAILURES_FILE, ...this.metadata.files.results]) {
      const path = join(this.options.dir, file);
      if (file === METADATA_FILE || (existsSync(path) && statSync(path).size === 0)) rmSync(path, { force: true });
    }
  }

  /** Counts in `metadata.json` kept current about once a second, so a killed run's file is nearly right even before a resume. */
  private writeMetadataNowAndThen(): void {
    if (performance.now() - this.lastMetadataWrite >= METADATA_INTERVAL_MS) this.writeMetadata();
  }

  private writeMetadata(): void {
    const { counts } = this.metadata;
    counts.recorded = this.recordsBefore + this.run.recorded;
    counts.failed_attempts = this.failuresBefore + this.run.failed;
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
    this.lastMetadataWrite = performance.now();
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
}

const METADATA_INTERVAL_MS = 1_000;

/** A killed run's entry completed from the files: records beyond those it started with, failures it logged. */
function killedRun(run: CollectRunInfo, number: number, scan: CollectScan): CollectRunInfo {
  const before = typeof run.records_before === 'number' ? run.records_before : run.already_recorded;
  const recorded = Math.max(0, scan.records - before);
  const failed = scan.failuresByRun.get(number) ?? 0;
  return { ...run, status: 'killed', recorded, failed, not_run: Math.max(0, run.planned - run.already_recorded - recorded - failed), counts_from_files: true };
}

/** No record in any results file and no failure line: what a run that failed before its first episode leaves. */
function isEmptyCollection(dir: string, resultFiles: readonly string[]): boolean {
  const empty = (file: string) => !existsSync(join(dir, file)) || statSync(join(dir, file)).size === 0;
  return resultFiles.every(empty) && empty(FAILURES_FILE);
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

/**
 * A resumed run must add the same dataset: refused with `CollectMismatchError` where it differs,
 * unless `forceResume` (never for the seed or the shard size: ids and files would not line up).
 * Returns the differences a forced resume let through. Metadata older than `dataset` is checked
 * on seed and shard size only (all it recorded).
 */
function checkSameDataset(previous: CollectMetadata, options: CollectStoreOptions, path: string): DatasetDifference[] {
  const recorded: Record<string, unknown> = previous.dataset ?? { seed: previous.config.seed, shard_size: previous.config.shard_size };
  const current: Record<string, unknown> = previous.dataset ? options.dataset : { seed: options.dataset.seed, shard_size: options.dataset.shard_size };
  const differences = datasetDifferences(recorded, current);
  const structural = differences.filter((d) => STRUCTURAL_FIELDS.includes(d.field));
  if (structural.length > 0) throw new CollectMismatchError(structural, false, path);
  if (differences.length > 0 && !options.forceResume) throw new CollectMismatchError(differences, true, path);
  return differences;
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
