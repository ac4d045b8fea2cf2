import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, Subject, tap, toArray } from 'rxjs';
import { echoEnv } from '../../src/envs/echo.js';
import { collect, type CollectEvent, type CollectSummary } from '../../src/fleet/collect.js';
import { perServer } from '../../src/fleet/pool-source.js';
import { inProcessEndpoint } from '../../src/server/in-process-endpoint.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { plannedIds, readFailures, readMetadata, readResults, useTempDirs } from './support/collect-files.js';
import { Echo } from '../fixtures/typed-echo.js';

type Obs = { echoed_message: string; message_length: number };

/** One in-process echo server for `sessions` sessions, started by the pool. */
const echoFleet = (sessions: number) => perServer(inProcessEndpoint(echoEnv, { maxSessions: sessions }), (endpoint$) => Echo.fromEndpoint(endpoint$));
const say = (_: Obs, last: { episodeIndex: number; index: number }) => ({ message: `e${last.episodeIndex}s${last.index + 1}` });
const summaryOf = (events: CollectEvent[]): CollectSummary => (events.at(-1) as Extract<CollectEvent, { type: 'summary' }>).summary;

const KEYS = ['episode_id', 'messages', 'reward', 'done', 'tool_trace', 'metrics', 'verify_metrics', 'artifacts', 'task', 'extra'];

describe('collect (library) against in-process servers', () => {
  const tempDir = useTempDirs();
  afterEach(() => awaitRuntimeTeardowns());

  it('writes one OpenEnv EpisodeRecord per planned episode, ids from seed and index, metadata and phase latencies', async () => {
    const out = tempDir();
    const events = await lastValueFrom(collect(echoFleet(4), say, { out, episodes: 20, sessions: 4, seed: 7, maxSteps: 3, config: { target: 'echo' } }).pipe(toArray()));

    const records = readResults(out);
    expect(records.map((r) => r.episode_id).sort()).toEqual(plannedIds(7, 20));
    const first = records.find((r) => r.episode_id === 's7-e000003')!;
    expect(Object.keys(first).filter((k) => k !== 'file')).toEqual(KEYS);
    // Reset observation, then (action, observation) per step: the echo of what the policy said.
    expect(first.messages).toEqual([
      { role: 'user', content: JSON.stringify({ echoed_message: 'Echo environment ready!', message_length: 0 }) },
      { role: 'assistant', content: JSON.stringify({ message: 'e3s1' }) },
      { role: 'user', content: JSON.stringify({ echoed_message: 'e3s1', message_length: 4 }) },
      { role: 'assistant', content: JSON.stringify({ message: 'e3s2' }) },
      { role: 'user', content: JSON.stringify({ echoed_message: 'e3s2', message_length: 4 }) },
      { role: 'assistant', content: JSON.stringify({ message: 'e3s3' }) },
      { role: 'user', content: JSON.stringify({ echoed_message: 'e3s3', message_length: 4 }) },
    ]);
    expect(first.reward).toBeCloseTo(1.2); // 0.1 × 4 characters × 3 steps
    expect(first).toMatchObject({ done: false, tool_trace: [], verify_metrics: {}, artifacts: {}, task: { seed: 10 } });
    expect(first.metrics).toMatchObject({ steps: 3, truncated: true, final_reward: expect.closeTo(0.4) });
    expect(first.extra).toMatchObject({ episode_index: 3, seed: 10, run_seed: 7, server: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    expect(first.extra.steps).toHaveLength(3);

    const summary = summaryOf(events);
    expect(events[0]).toMatchObject({ type: 'started', planned: 20, alreadyRecorded: 0, toRun: 20, run: 1 });
    expect(events.filter((e) => e.type === 'recorded')).toHaveLength(20);
    expect(summary).toMatchObject({ status: 'completed', planned: 20, recorded: 20, failed: 0, notRun: 0, steps: 60, files: ['results.jsonl'] });
    // One server started for the four sessions; every phase was measured.
    expect(summary.latency.server?.count).toBe(1);
    expect(summary.latency.connect?.count).toBe(4);
    expect(summary.latency.first_reset?.count).toBe(4);
    expect(summary.latency.reset?.count).toBe(20);
    expect(summary.latency.step?.count).toBe(60);
    expect(summary.latency.step!.p50).toBeLessThanOrEqual(summary.latency.step!.p99);

    const metadata = readMetadata(out);
    expect(metadata).toMatchObject({
      format: 'openenv-rx/collect@1',
      status: 'completed',
      config: { target: 'echo', episodes: 20, sessions: 4, seed: 7, max_steps: 3, shard_size: null },
      counts: { planned: 20, recorded: 20, missing: 0, failed_attempts: 0 },
      files: { results: ['results.jsonl'], failures: 'failures.jsonl' },
    });
    expect(metadata.versions).toMatchObject({ openenv_rx: expect.stringMatching(/^\d+\.\d+\.\d+/), node: process.version });
    expect(metadata.runs).toHaveLength(1);
    expect(metadata.runs[0]).toMatchObject({ status: 'completed', pid: process.pid, recorded: 20, failed: 0, steps: 60, latency_ms: { step: { count: 60 } } });
    expect(Date.parse(metadata.runs[0]!.ended_at!)).toBeGreaterThanOrEqual(Date.parse(metadata.runs[0]!.started_at));
  }, 30_000);

  it('shards: episode i goes to results-<floor(i / shardSize)>.jsonl', async () => {
    const out = tempDir();
    const events = await lastValueFrom(collect(echoFleet(3), say, { out, episodes: 12, sessions: 3, maxSteps: 1, shardSize: 5 }).pipe(toArray()));
    const records = readResults(out);
    expect(summaryOf(events).files).toEqual(['results-00000.jsonl', 'results-00001.jsonl', 'results-00002.jsonl']);
    for (const record of records) expect(record.file).toBe(`results-${String(Math.floor(record.extra.episode_index / 5)).padStart(5, '0')}.jsonl`);
    expect(records.map((r) => r.episode_id).sort()).toEqual(plannedIds(0, 12));
    expect(readMetadata(out).files.results).toEqual(['results-00000.jsonl', 'results-00001.jsonl', 'results-00002.jsonl']);
  }, 30_000);

  it('stop$ then resume: the second run runs exactly the missing ids, cuts a torn last line, and counts both runs', async () => {
    const out = tempDir();
    const stop$ = new Subject<void>();
    let calls = 0;
    // Stops the run from inside the policy once 4 episodes are on disk: the episodes in flight are abandoned.
    const stopping = (obs: Obs, last: { episodeIndex: number; index: number }) => {
      if (++calls > 1 && readResults(out).length >= 4) stop$.next();
      return say(obs, last);
    };
    const first = await lastValueFrom(collect(echoFleet(2), stopping, { out, episodes: 10, sessions: 2, maxSteps: 2, stop$ }).pipe(toArray()));
    const stopped = summaryOf(first);
    expect(stopped.status).toBe('interrupted');
    const before = readResults(out).map((r) => r.episode_id);
    expect(before.length).toBeGreaterThanOrEqual(4);
    expect(before.length).toBeLessThan(10);
    expect(stopped.notRun).toBe(10 - before.length);
    expect(readMetadata(out).status).toBe('interrupted');

    // A torn line, as a killed write leaves it.
    appendFileSync(join(out, 'results.jsonl'), '{"episode_id":"s0-e0000');
    const events = await lastValueFrom(collect(echoFleet(2), say, { out, episodes: 10, sessions: 2, maxSteps: 2, resume: true }).pipe(toArray()));
    const summary = summaryOf(events);
    expect(events[0]).toMatchObject({ type: 'started', run: 2, alreadyRecorded: before.length, toRun: 10 - before.length, repaired: [{ file: 'results.jsonl', bytes: 23 }] });
    expect(summary).toMatchObject({ status: 'completed', recorded: 10 - before.length, alreadyRecorded: before.length });
    const ids = readResults(out).map((r) => r.episode_id);
    expect(ids).toHaveLength(10); // no duplicate
    expect([...ids].sort()).toEqual(plannedIds(0, 10));
    expect(readFileSync(join(out, 'results.jsonl'), 'utf8').endsWith('}\n')).toBe(true);
    const metadata = readMetadata(out);
    expect(metadata.runs.map((r) => r.status)).toEqual(['interrupted', 'completed']);
    expect(metadata.runs[1]!.repaired).toEqual([{ file: 'results.jsonl', bytes: 23 }]);
    expect(metadata.counts).toMatchObject({ planned: 10, recorded: 10, missing: 0 });
  }, 30_000);

  it('refuses a directory that holds a collection without resume, another seed or shard size on resume (ERR_COLLECT_MISMATCH), and a corrupt middle line', async () => {
    const out = tempDir();
    await lastValueFrom(collect(echoFleet(1), say, { out, episodes: 2, sessions: 1, maxSteps: 1 }).pipe(toArray()));
    const attempt = (options: Partial<Parameters<typeof collect>[2]>) =>
      lastValueFrom(collect(echoFleet(1), say, { out, episodes: 3, sessions: 1, maxSteps: 1, ...options }).pipe(toArray())).then(
        () => 'completed',
        (error: unknown) => error,
      );
    expect(await attempt({})).toMatchObject({ code: 'ERR_COLLECT_OUTPUT', message: expect.stringContaining('already holds a collection') });
    expect(await attempt({ resume: true, seed: 1 })).toMatchObject({ code: 'ERR_COLLECT_MISMATCH', context: expect.objectContaining({ field: 'seed', previous: 0, current: 1 }) });
    expect(await attempt({ resume: true, shardSize: 2 })).toMatchObject({ code: 'ERR_COLLECT_MISMATCH', context: expect.objectContaining({ field: 'shard_size', previous: null, current: 2 }) });
    const path = join(out, 'results.jsonl');
    const lines = readFileSync(path, 'utf8').split('\n');
    writeFileSync(path, [lines[0], '{not json', lines[1], ''].join('\n'));
    expect(await attempt({ resume: true })).toMatchObject({ code: 'ERR_COLLECT_OUTPUT', context: expect.objectContaining({ path, line: 2 }) });
    // Nothing of the refused runs was written, and the lock was released each time.
    expect(readMetadata(out).runs).toHaveLength(1);
    expect(await attempt({ resume: true, out: tempDir() })).toBe('completed');
  }, 30_000);

  it('a policy error stops the run: the summary is emitted, then the PolicyError; metadata says failed', async () => {
    const out = tempDir();
    const events: CollectEvent[] = [];
    const error = await lastValueFrom(
      collect(
        echoFleet(2),
        (obs: Obs, last) => {
          if (last.episodeIndex === 3) throw new Error('bad policy');
          return say(obs, last);
        },
        { out, episodes: 8, sessions: 2, maxSteps: 2 },
      ).pipe(tap((event) => events.push(event))),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(events.at(-1)).toMatchObject({ type: 'summary', summary: { status: 'failed', planned: 8 } });
    const { summary } = events.at(-1) as Extract<CollectEvent, { type: 'summary' }>;
    expect(summary.recorded + summary.failed + summary.notRun).toBe(8);
    expect(error).toMatchObject({ code: 'ERR_POLICY', context: expect.objectContaining({ episodeIndex: 3 }) });
    expect(readMetadata(out)).toMatchObject({ status: 'failed', runs: [{ status: 'failed', error: expect.stringContaining('bad policy') }] });
    expect(readFailures(out)).toEqual([]);
  }, 30_000);

  it('checks its options, naming the field', async () => {
    const run = (options: object) =>
      lastValueFrom(collect(echoFleet(1), say, { out: tempDir(), episodes: 1, sessions: 1, ...options } as Parameters<typeof collect>[2])).catch((e: unknown) => e);
    expect(await run({ sessions: 0 })).toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('sessions') });
    expect(await run({ shardSize: 1.5 })).toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('shardSize') });
    expect(await run({ out: '' })).toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('out') });
  });
});
