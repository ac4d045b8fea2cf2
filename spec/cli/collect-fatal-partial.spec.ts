import { join } from 'node:path';
import { plannedIds, readMetadata, readResults, useTempDirs } from '../fleet/support/collect-files.js';
import { cli } from './cli-support.js';

const throwing = './spec/cli/fixtures/throw-after-k-policy.mjs';

/**
 * `collect` stopped by a fatal error (a policy that throws from episode 3 on, in-process): what was
 * recorded is on disk, the summary says the run failed and how to go on, and `--resume` does.
 */
describe('openenv-rx collect stopped by a fatal error', () => {
  const tempDir = useTempDirs();
  afterEach(() => delete process.env['OPENENV_RX_TEST_THROW_AFTER']);

  it('prints the summary (failed), the error, and the command that resumes; the records are flushed; --resume finishes', async () => {
    const out = join(tempDir(), 'run');
    const args = ['collect', '--env', 'grid_world', '-o', out, '--policy', throwing, '-n', '8', '-s', '1'];
    process.env['OPENENV_RX_TEST_THROW_AFTER'] = '3';
    const failed = await cli(...args);
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/\(run 1, failed\)/);
    expect(failed.out).toMatch(/planned 8: recorded 3 now \+ 0 before, failed 0, not run 5/);
    expect(failed.out).toMatch(/the run failed \(ERR_POLICY, printed below\): once its cause is fixed, the same command with --resume runs the 5 episode\(s\) not run/);
    expect(failed.err).toMatch(/^openenv-rx: ERR_POLICY: .*refusing episode 3/m);
    // On disk before the command returned: the three records, and the run marked failed.
    expect(readResults(out).map((r) => r.episode_id)).toEqual(plannedIds(0, 3));
    expect(readMetadata(out)).toMatchObject({ status: 'failed', counts: { planned: 8, recorded: 3, missing: 5 } });

    process.env['OPENENV_RX_TEST_THROW_AFTER'] = '100';
    const resumed = await cli(...args, '--resume');
    expect(resumed.code).toBe(0);
    expect(resumed.out).toMatch(/planned 8: recorded 5 now \+ 3 before, failed 0, not run 0/);
    expect(readResults(out).map((r) => r.episode_id).sort()).toEqual(plannedIds(0, 8));
  }, 60_000);

  it('--json: the summary with status failed and the error (code, message) that stopped it; exit 1', async () => {
    const out = join(tempDir(), 'run');
    process.env['OPENENV_RX_TEST_THROW_AFTER'] = '2';
    const failed = await cli('collect', '--env', 'grid_world', '-o', out, '--policy', throwing, '-n', '6', '-s', '1', '--json');
    expect(failed.code).toBe(1);
    const summary = JSON.parse(failed.out) as { status: string; recorded: number; notRun: number; error?: { code: string | null; message: string } };
    expect(summary).toMatchObject({ status: 'failed', recorded: 2, notRun: 4, error: { code: 'ERR_POLICY', message: expect.stringMatching(/refusing episode 2/) } });
    expect(failed.err).toMatch(/^openenv-rx: ERR_POLICY: /m);
  }, 60_000);
});
