import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanCollection } from '../../src/fleet/collect-scan.js';
import { useTempDirs } from './support/collect-files.js';

describe('scanCollection: what a resume reads of a directory', () => {
  const tempDir = useTempDirs();
  const write = (dir: string, file: string, lines: string[]) => writeFileSync(join(dir, file), lines.join(''));

  it('indices of the run seed, records of any id, failures by run; torn last lines cut and reported', () => {
    const dir = tempDir();
    write(dir, 'results.jsonl', [
      '{"episode_id":"s3-e000001","reward":1.0}\n',
      '{"reward":2,"episode_id":"s3-e000004"}\n', // another writer's key order: parsed whole
      '{"episode_id":"s3-e\\u0030000002"}\n', // an escaped id: parsed whole (s3-e0000002 → index 2)
      '{"episode_id":"s9-e000007"}\n', // another seed: a record, not one of this run's indices
      '\n',
      '{"episode_id":"s3-e0000',
    ]);
    write(dir, 'failures.jsonl', ['{"run":1,"episode_id":"s3-e000000"}\n', '{"run":2}\n', '{"run":2}\n', 'not json\n', '{"run":2']);
    const scan = scanCollection(dir, ['results.jsonl'], 'failures.jsonl', 3);
    expect([0, 1, 2, 3, 4, 7].map((i) => scan.recorded.has(i))).toEqual([false, true, true, false, true, false]);
    expect(scan.recorded.size).toBe(3);
    expect(scan.records).toBe(4);
    expect(scan.failures).toBe(4);
    expect([...scan.failuresByRun]).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(scan.repaired).toEqual([
      { file: 'results.jsonl', bytes: 23 },
      { file: 'failures.jsonl', bytes: 8 },
    ]);
    expect(readFileSync(join(dir, 'results.jsonl'), 'utf8').endsWith('\n\n')).toBe(true);
  });

  it('refuses a line in the middle that a write cut short, or that has no string episode_id', () => {
    const dir = tempDir();
    write(dir, 'results.jsonl', ['{"episode_id":"s0-e000000"}\n', '{"episode_id":"s0-e000001","messages":[{"ro\n', '{"episode_id":"s0-e000002"}\n']);
    expect(() => scanCollection(dir, ['results.jsonl'], 'failures.jsonl', 0)).toThrow(expect.objectContaining({ code: 'ERR_COLLECT_OUTPUT', context: expect.objectContaining({ line: 2 }) }));
    write(dir, 'results.jsonl', ['{"episode_id":7}\n']);
    expect(() => scanCollection(dir, ['results.jsonl'], 'failures.jsonl', 0)).toThrow(/line 1 has no string episode_id/);
  });
});
