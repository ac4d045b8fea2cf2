import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RolloutReport } from '../../src/cli/commands/rollout.js';
import { startLegacyServer, type LegacyServerProcess } from '../fixtures/legacy-server-process.js';
import { runCliChild } from './cli-child.js';

// `rollout --url` (3 sessions by default) and `collect` (4) against a generation-A server (a real
// process, spec/fixtures/legacy-echo-server.mjs, one env behind its HTTP routes): the CLI runs one
// session there and says so. The server's own request log proves no episode was interleaved.

const policy = './spec/cli/fixtures/echo-policy.mjs';
const episodeLog = (steps: number): string[] => ['reset', ...Array.from({ length: steps }, (_, i) => `step ${i + 1}`)];

describe('the CLI against a generation-A server (real CLI and server processes)', () => {
  let server: LegacyServerProcess;
  const tmp = mkdtempSync(join(tmpdir(), 'openenv-rx-gen-a-'));
  beforeAll(async () => {
    server = await startLegacyServer();
  }, 40_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('rollout runs one session instead of the default 3, with a note on stderr; episodes never interleave', async () => {
    const before = await server.settled();
    const { code, out, err } = await runCliChild(['rollout', '--url', server.url, '--policy', policy, '-n', '4', '--max-steps', '3', '--json']);
    expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
    expect(err).toContain(`rollout: ${server.url} is an OpenEnv generation-A server (no /schema, no /ws): its HTTP routes step one shared env`);
    expect(err).toContain('running 1 session instead of 3');
    const report = JSON.parse(out) as RolloutReport;
    expect(report).toMatchObject({ sessions: 1, overall: { episodes: 4 } });
    expect(report.perEpisode.map((e) => e.length)).toEqual([3, 3, 3, 3]);
    await server.logged(before + 4 * 4);
    expect(server.log().slice(before).filter((l) => l !== 'state')).toEqual(Array.from({ length: 4 }, () => episodeLog(3)).flat());
  }, 60_000);

  it('collect runs one session instead of the default 4, with a note on stderr; every episode recorded, none interleaved', async () => {
    const before = await server.settled();
    const dir = join(tmp, 'collect');
    const { code, out, err } = await runCliChild(['collect', '--url', server.url, '--policy', policy, '-o', dir, '-n', '5', '--max-steps', '2', '--json']);
    expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
    expect(err).toContain('running 1 session instead of 4');
    expect(err).toContain(`collect: 5 episodes of ${server.url} over 1 session,`);
    expect(JSON.parse(out)).toMatchObject({ status: 'completed', recorded: 5, failed: 0 });
    expect(readFileSync(join(dir, 'results.jsonl'), 'utf8').trim().split('\n')).toHaveLength(5);
    // The pool confirms its one session with a reset first.
    await server.logged(before + 1 + 5 * 3);
    expect(server.log().slice(before).filter((l) => l !== 'state')).toEqual(['reset', ...Array.from({ length: 5 }, () => episodeLog(2)).flat()]);
  }, 60_000);

  it('-s 1 prints no note', async () => {
    const { code, err } = await runCliChild(['rollout', '--url', server.url, '--policy', policy, '-n', '1', '-s', '1', '--max-steps', '1']);
    expect(code).toBe(0);
    expect(err).not.toContain('generation-A');
  }, 60_000);
});
