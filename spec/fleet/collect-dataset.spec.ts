import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defer, lastValueFrom, toArray } from 'rxjs';
import { z } from 'zod';
import { echoEnv } from '../../src/envs/echo.js';
import { collect, type CollectEvent, type CollectSummary } from '../../src/fleet/collect.js';
import type { CollectOptions } from '../../src/fleet/collect-options.js';
import { perServer } from '../../src/fleet/pool-source.js';
import { inProcessEndpoint } from '../../src/server/in-process-endpoint.js';
import { processEndpoint } from '../../src/runtime/process-endpoint.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { defineEnv } from '../../src/session/define-env.js';
import { repoPath } from '../fixtures/test-image.js';
import { plannedIds, readMetadata, readResults, useTempDirs } from './support/collect-files.js';

const Echo = defineEnv({ name: 'echo', action: z.object({ message: z.string().min(1) }) });
const echoFleet = (sessions: number) => perServer(inProcessEndpoint(echoEnv, { maxSessions: sessions }), (endpoint$) => Echo.fromEndpoint(endpoint$));
const say = () => ({ message: 'hi' });
const summaryOf = (events: CollectEvent[]): CollectSummary => (events.at(-1) as Extract<CollectEvent, { type: 'summary' }>).summary;
const run = (options: CollectOptions, source = echoFleet(2)) =>
  lastValueFrom(collect(source, say, options).pipe(toArray())).then(
    (events) => summaryOf(events),
    (error: unknown) => error as Error & { code?: string; context?: Record<string, unknown> },
  );
/** Servers that exit at start: the pool gives up at once (`startRetries: 0`), before any episode ran. */
const deadFleet = () => perServer(defer(() => processEndpoint(process.execPath, ['-e', 'process.exit(3)'], { cwd: repoPath(), startTimeoutMs: 30_000 })), (e$) => Echo.fromEndpoint(e$));

describe('collect: what defines a dataset, and resuming it', () => {
  const tempDir = useTempDirs();
  afterEach(() => awaitRuntimeTeardowns());

  it('metadata.json records the dataset; a resume that differs is refused naming field, old and new value; forceResume overrides and is recorded', async () => {
    const out = tempDir();
    const base = { out, episodes: 3, sessions: 2, seed: 4, maxSteps: 2, dataset: { env: 'echo', policy: 'say' } };
    expect(await run(base)).toMatchObject({ status: 'completed', recorded: 3 });
    expect(readMetadata(out).dataset).toEqual({ seed: 4, max_steps: 2, shard_size: null, reset_options: null, env: 'echo', policy: 'say' });
    const before = readFileSync(join(out, 'results.jsonl'), 'utf8');

    const refused = [
      [{ dataset: { env: 'grid_world', policy: 'say' } }, 'env', 'echo', 'grid_world'],
      [{ dataset: { env: 'echo', policy: './agent.js' } }, 'policy', 'say', './agent.js'],
      [{ dataset: { env: 'echo', policy: 'say', url: 'http://127.0.0.1:9' } }, 'url', undefined, 'http://127.0.0.1:9'],
      [{ maxSteps: 5 }, 'max_steps', 2, 5],
      [{ seed: 5 }, 'seed', 4, 5],
      [{ resetOptions: { extra: { difficulty: 'hard' } } }, 'reset_options', null, { extra: { difficulty: 'hard' } }],
    ] as const;
    for (const [change, field, previous, current] of refused) {
      const error = (await run({ ...base, episodes: 6, resume: true, ...change })) as Error;
      expect(error).toMatchObject({ code: 'ERR_COLLECT_MISMATCH', context: expect.objectContaining({ field, previous, current, path: join(out, 'metadata.json') }) });
      expect(error.message).toContain(field);
    }
    // Nothing of the refused runs was written.
    expect(readFileSync(join(out, 'results.jsonl'), 'utf8')).toBe(before);
    expect(readMetadata(out).runs).toHaveLength(1);

    // The same dataset resumes; another one only with forceResume, and the run says what differed.
    expect(await run({ ...base, episodes: 4, resume: true })).toMatchObject({ status: 'completed', recorded: 1, alreadyRecorded: 3 });
    expect(await run({ ...base, episodes: 5, forceResume: true, dataset: { env: 'echo', policy: 'other' } })).toMatchObject({ status: 'completed', recorded: 1 });
    const metadata = readMetadata(out);
    expect(metadata.dataset).toMatchObject({ policy: 'say' }); // what the directory was started with
    expect(metadata.runs.map((r) => r['forced'])).toEqual([undefined, undefined, [{ field: 'policy', previous: 'say', current: 'other' }]]);
    expect(readResults(out).map((r) => r.episode_id).sort()).toEqual(plannedIds(4, 5));
    // Episode ids and files depend on the seed and the shard size: those are never forced.
    expect(await run({ ...base, forceResume: true, seed: 9 })).toMatchObject({ code: 'ERR_COLLECT_MISMATCH', context: expect.objectContaining({ field: 'seed' }) });
    expect(await run({ ...base, forceResume: true, shardSize: 2 })).toMatchObject({ code: 'ERR_COLLECT_MISMATCH', context: expect.objectContaining({ field: 'shard_size' }) });
  }, 60_000);

  it('a run that fails before recording anything leaves no collection behind: a plain rerun is accepted', async () => {
    const parent = tempDir();
    const out = join(parent, 'a', 'b');
    const failed = await run({ out, episodes: 2, sessions: 1, maxSteps: 1, pool: { startRetries: 0 } }, deadFleet());
    expect(failed).toMatchObject({ code: 'ERR_POOL_START' });
    expect(existsSync(join(parent, 'a'))).toBe(false); // the directories it created are gone too

    const existing = tempDir(); // a directory the user made: kept, emptied of what the run wrote
    expect(await run({ out: existing, episodes: 2, sessions: 1, maxSteps: 1, pool: { startRetries: 0 } }, deadFleet())).toMatchObject({ code: 'ERR_POOL_START' });
    expect(readdirSync(existing)).toEqual([]);
    expect(await run({ out: existing, episodes: 2, sessions: 1, maxSteps: 1 })).toMatchObject({ status: 'completed', recorded: 2 });
  }, 60_000);

  it('a directory that holds a collection with no record and no failure (an empty run) is accepted without resume', async () => {
    const out = tempDir();
    expect(await run({ out, episodes: 0, sessions: 1 })).toMatchObject({ status: 'completed', recorded: 0 });
    expect(existsSync(join(out, 'metadata.json'))).toBe(true);
    expect(await run({ out, episodes: 2, sessions: 1, maxSteps: 1 })).toMatchObject({ status: 'completed', recorded: 2, run: 1 });
  }, 60_000);
});
