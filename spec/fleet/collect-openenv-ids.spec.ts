import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { z } from 'zod';
import { echoEnv } from '../../src/envs/echo.js';
import { collect, type CollectEvent, type CollectSummary } from '../../src/fleet/collect.js';
import { perServer } from '../../src/fleet/pool-source.js';
import { InvalidOptionError } from '../../src/errors/index.js';
import { awaitRuntimeTeardowns } from '../../src/runtime/teardown-registry.js';
import { inProcessEndpoint } from '../../src/server/in-process-endpoint.js';
import { defineEnv } from '../../src/session/define-env.js';
import { readMetadata, readResults, useTempDirs } from './support/collect-files.js';

const Echo = defineEnv({ name: 'echo', action: z.object({ message: z.string().min(1) }) });
const echoFleet = () => perServer(inProcessEndpoint(echoEnv, { maxSessions: 2 }), (endpoint$) => Echo.fromEndpoint(endpoint$));
// Two steps of rewards 0.5 and 0.2 (0.1 per character): return 0.7, final reward 0.2.
const say = (_: unknown, last: { index: number }) => ({ message: 'x'.repeat(last.index === 0 ? 5 : 2) });
const run = async (options: Parameters<typeof collect>[2]): Promise<CollectSummary> => {
  const events: CollectEvent[] = await lastValueFrom(collect(echoFleet(), say, options).pipe(toArray()));
  return (events.at(-1) as Extract<CollectEvent, { type: 'summary' }>).summary;
};

/** A directory as OpenEnv's `openenv collect` leaves it (its RolloutSerializer's files). */
function openEnvDirectory(dir: string, ids: string[]): void {
  writeFileSync(join(dir, 'metadata.json'), JSON.stringify({ env: 'echo', env_base_url: 'http://127.0.0.1:8000', provider: 'scripted', num_episodes_requested: ids.length }, null, 2));
  const record = (id: string) => ({ episode_id: id, messages: [], reward: 1.0, done: true, tool_trace: [], metrics: {}, verify_metrics: {}, artifacts: {}, task: null, extra: {} });
  writeFileSync(join(dir, 'results.jsonl'), ids.map((id) => `${JSON.stringify(record(id))}\n`).join(''));
}

describe("collect: OpenEnv's episode ids and reward (episodeIdPrefix, reward)", () => {
  const tempDir = useTempDirs();
  afterEach(() => awaitRuntimeTeardowns());

  it("episodeIdPrefix names episodes <prefix>-<index, 6 digits>; reward: 'final' records the last step's reward", async () => {
    const out = tempDir();
    await run({ out, episodes: 3, sessions: 2, maxSteps: 2, episodeIdPrefix: 'ep', reward: 'final' });
    const records = readResults(out).sort((a, b) => a.episode_id.localeCompare(b.episode_id));
    expect(records.map((r) => [r.episode_id, r.reward, r.metrics.return, r.metrics.final_reward])).toEqual([
      ['ep-000000', 0.2, 0.7, 0.2],
      ['ep-000001', 0.2, 0.7, 0.2],
      ['ep-000002', 0.2, 0.7, 0.2],
    ]);
    expect(readMetadata(out).config).toMatchObject({ episode_id_scheme: 'ep-<index, 6 digits>', reward: 'final' });
  });

  it('the default stays s<seed>-e<index> and the return', async () => {
    const out = tempDir();
    await run({ out, episodes: 1, sessions: 1, maxSteps: 2, seed: 4 });
    expect(readResults(out).map((r) => [r.episode_id, r.reward])).toEqual([['s4-e000000', 0.7]]);
  });

  it("resume continues a directory OpenEnv's collect wrote: its ids are skipped, its metadata kept", async () => {
    const out = tempDir();
    openEnvDirectory(out, ['ep-000000', 'ep-000001']);
    const summary = await run({ out, episodes: 4, sessions: 2, maxSteps: 2, resume: true, episodeIdPrefix: 'ep' });
    expect(summary).toMatchObject({ status: 'completed', alreadyRecorded: 2, recorded: 2 });
    expect(readResults(out).map((r) => r.episode_id).sort()).toEqual(['ep-000000', 'ep-000001', 'ep-000002', 'ep-000003']);
    expect(readMetadata(out)).toMatchObject({ format: 'openenv-rx/collect@1', openenv_metadata: { provider: 'scripted', env: 'echo' } });
  });

  it('a resume with another id scheme than the directory was started with is refused (ids would not match)', async () => {
    const out = tempDir();
    await run({ out, episodes: 1, sessions: 1, maxSteps: 1, episodeIdPrefix: 'ep' });
    await expect(run({ out, episodes: 2, sessions: 1, maxSteps: 1, resume: true })).rejects.toMatchObject({ code: 'ERR_COLLECT_OUTPUT', context: { option: 'episodeIdPrefix' } });
  });

  it('bad values are InvalidOptionError naming the option', () => {
    const errorOf = (options: Partial<Parameters<typeof collect>[2]>): unknown => {
      let error: unknown;
      collect(echoFleet(), say, { out: tempDir(), episodes: 1, sessions: 1, ...options }).subscribe({ error: (e: unknown) => (error = e) });
      return error;
    };
    expect(errorOf({ episodeIdPrefix: 'a b' })).toBeInstanceOf(InvalidOptionError);
    expect(errorOf({ episodeIdPrefix: 'a b' })).toMatchObject({ option: 'episodeIdPrefix' });
    expect(errorOf({ reward: 'mean' as never })).toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'reward' });
  });
});
