import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { z } from 'zod';
import { echoEnv } from '../../src/envs/echo.js';
import { collect, type CollectSummary } from '../../src/fleet/collect.js';
import { serve, type RunningServer } from '../../src/server/serve.js';
import { defineEnv } from '../../src/session/define-env.js';
import { describeWithOpenEnv, FIXTURES, RELEASES, requireVenv, type OpenEnvRelease } from './support/openenv-venvs.js';

const Echo = defineEnv({ name: 'echo', action: z.object({ message: z.string() }) });
const Corridor = defineEnv({ name: 'corridor', action: z.object({ move: z.number() }) });

interface ReadReport {
  shards: string[];
  records: Array<{ episode_id?: string; reward?: number; reward_type?: string; error?: string }>;
  reader_ids: string[];
  reader_error?: string;
  datasets: { rows?: number; reward_dtype?: string; error?: string; cause?: string };
}

/** Runs `files_probe.py read DIR...`: one report per directory. */
function read(release: OpenEnvRelease, dirs: string[]): Promise<ReadReport[]> {
  const venv = requireVenv(release);
  return new Promise((resolve, reject) => {
    execFile(venv.python, ['files_probe.py', 'read', ...dirs], { cwd: FIXTURES, timeout: 120_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`files_probe.py read (${release}) failed: ${error.message}\n${stderr.slice(-3000)}`));
      resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as ReadReport[]);
    });
  });
}

interface Written {
  url: string;
  collected: number;
  episode_ids: string[];
  avg_reward: number;
}

/**
 * Runs `files_probe.py write DIR N`: OpenEnv's own collect into `dir` from a corridor env served by
 * OpenEnv in that process, which keeps serving (for our resume) until `stop()` closes its stdin.
 */
function writeTheirs(release: OpenEnvRelease, dir: string, episodes: number): Promise<Written & { stop(): void }> {
  const venv = requireVenv(release);
  return new Promise((resolve, reject) => {
    const child = spawn(venv.python, ['files_probe.py', 'write', dir, String(episodes)], { cwd: FIXTURES, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`files_probe.py write printed nothing in 120 s:\n${stderr.slice(-3000)}`))), 120_000);
    const stop = () => {
      clearTimeout(timer);
      child.stdin.end();
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    };
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve({ ...(JSON.parse(line) as Written), stop });
      }
    });
    child.on('exit', (code) => (clearTimeout(timer), reject(new Error(`files_probe.py write exited ${code}:\n${stderr.slice(-3000)}`))));
  });
}

const summaryOf = async (run$: ReturnType<typeof collect>): Promise<CollectSummary> => {
  const events = await lastValueFrom(run$.pipe(toArray()));
  const last = events.at(-1)!;
  if (last.type !== 'summary') throw new Error(`no summary: ${JSON.stringify(last)}`);
  return last.summary;
};

describe.each(RELEASES)("collect files and OpenEnv %s's own record model, reader and collect", (release) => {
  describeWithOpenEnv(release)('', () => {
    let echo: RunningServer;
    const dirs: string[] = [];
    const tempDir = () => {
      const dir = mkdtempSync(join(tmpdir(), 'openenv-rx-interop-files-'));
      dirs.push(dir);
      return dir;
    };
    // Ours: episodes 0-1 (shard 0) have integral returns (1), episodes 2-3 (shard 1) fractional ones (0.5).
    let ours: string;
    let report: ReadReport;
    // OpenEnv's collect, then our resume of its directory (openenv 0.10 only).
    let theirs: string;
    let written: Written | undefined;
    let resumed: CollectSummary | undefined;
    let back: ReadReport | undefined;

    beforeAll(async () => {
      requireVenv(release);
      ours = tempDir();
      theirs = tempDir();
      echo = await serve(echoEnv, { maxSessions: 4 });
      // One Python process writes OpenEnv's collection (and serves its env) while ours is collected.
      const writing = release === 'openenv' ? writeTheirs(release, theirs, 3) : undefined;
      writing?.catch(() => undefined); // awaited below
      await summaryOf(collect(Echo.connect(echo.url, { transport: 'ws' }), (_obs, last) => ({ message: 'x'.repeat(last.seed! < 2 ? 10 : 5) }), { out: ours, episodes: 4, sessions: 2, shardSize: 2, maxSteps: 1 }));
      if (writing) {
        const server = await writing;
        try {
          written = server;
          resumed = await summaryOf(
            collect(Corridor.connect(server.url, { transport: 'ws' }), () => ({ move: 1 }), { out: theirs, episodes: 5, sessions: 1, resume: true, episodeIdPrefix: 'ep', reward: 'final' }),
          );
        } finally {
          server.stop();
        }
      }
      // One Python process reads both directories back.
      [report, back] = (await read(release, writing ? [ours, theirs] : [ours])) as [ReadReport, ReadReport | undefined];
    }, 150_000);
    afterAll(async () => {
      await echo?.close();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it("every line of our shard files loads into OpenEnv's EpisodeRecord, and its reader reads every id", () => {
      expect(report.shards).toEqual(['results-00000.jsonl', 'results-00001.jsonl']);
      expect(report.records.map((r) => r.error ?? r.episode_id)).toEqual(['s0-e000000', 's0-e000001', 's0-e000002', 's0-e000003']);
      expect(report.records.map((r) => r.reward)).toEqual([1, 1, 0.5, 0.5]);
      expect(report.reader_error).toBeUndefined();
      expect(report.reader_ids).toEqual(['s0-e000000', 's0-e000001', 's0-e000002', 's0-e000003']);
    });

    if (release !== 'openenv') return; // `datasets` and OpenEnv's collect runner are pinned with openenv 0.10 only

    // Integral returns are written as floats (`1.0`): otherwise one shard is an int64 column, another
    // double, and datasets refuses to mix them (ArrowInvalid).
    it('the datasets library loads all shards as one table, reward a float64 column', () => {
      expect(report.datasets).toMatchObject({ rows: 4, reward_dtype: 'float64' });
    });

    it("a directory OpenEnv's own collect wrote (its scripted teacher) is resumed by our collect: its episodes skipped by id, ours appended in its format", async () => {
      expect(written).toMatchObject({ collected: 3, episode_ids: ['ep-000000', 'ep-000001', 'ep-000002'], avg_reward: 1 });
      expect(resumed).toMatchObject({ status: 'completed', alreadyRecorded: 3, recorded: 2, failed: 0 });
      expect(resumed!.meanReturn).toBe(1); // the mean of the records' reward: here the final one (the return is 0.7)

      const dir = theirs;
      const lines = readFileSync(join(dir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { episode_id: string; reward: number; done: boolean });
      expect(lines.map((l) => [l.episode_id, l.reward, l.done]).sort()).toEqual([
        ['ep-000000', 1, true],
        ['ep-000001', 1, true],
        ['ep-000002', 1, true],
        ['ep-000003', 1, true], // reward: 'final' records what OpenEnv's collect records
        ['ep-000004', 1, true],
      ]);
      const metadata = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')) as Record<string, unknown>;
      expect(metadata).toMatchObject({ format: 'openenv-rx/collect@1', openenv_metadata: { provider: 'scripted', env: 'corridor' }, config: { episode_id_scheme: 'ep-<index, 6 digits>', reward: 'final' } });

      // And OpenEnv reads the whole directory back: both implementations' records, one file.
      expect(back!.records.every((r) => r.error === undefined)).toBe(true);
      expect(back!.reader_ids).toEqual(['ep-000000', 'ep-000001', 'ep-000002', 'ep-000003', 'ep-000004']);
      expect(back!.datasets).toMatchObject({ rows: 5 });
    });
  });
});
