import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CollectMetadata, FailureRecord } from '../../../src/fleet/collect-store.js';
import type { EpisodeRecord } from '../../../src/fleet/collect-record.js';

/** A fresh temporary directory per test (removed after it). */
export function useTempDirs(): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'openenv-rx-collect-'));
    dirs.push(dir);
    return dir;
  };
}

const jsonLines = <T>(path: string): T[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as T)
    : [];

/** Every record of every results file in `dir`, with the file it is in. */
export function readResults(dir: string): Array<EpisodeRecord & { file: string }> {
  return readdirSync(dir)
    .filter((name) => /^results(-\d+)?\.jsonl$/.test(name))
    .sort()
    .flatMap((file) => jsonLines<EpisodeRecord>(join(dir, file)).map((record) => ({ ...record, file })));
}

export const readFailures = (dir: string): FailureRecord[] => jsonLines<FailureRecord>(join(dir, 'failures.jsonl'));

export const readMetadata = (dir: string): CollectMetadata => JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')) as CollectMetadata;

/** `s<seed>-e<index>` for 0 .. n-1. */
export const plannedIds = (seed: number, n: number): string[] => Array.from({ length: n }, (_, i) => `s${seed}-e${String(i).padStart(6, '0')}`);
