import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containersOwnedBy } from '../fixtures/docker-test-support.js';
import { ensureTestImage } from '../fixtures/test-image.js';
import { spawnCli } from './cli-child.js';
import { dockerSuite } from '../support/engine-suite.js';

// Start failures that can never succeed end a CLI run at once, with their cause on stderr: the
// pool's message counts its attempts, and rollout's progress never shows a replaced ("lost") session.

const engine = await dockerSuite();
const { docker } = engine;
const tmp = mkdtempSync(join(tmpdir(), 'openenv-rx-permanent-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

engine.describe('the CLI on start failures that can never succeed (real engine)', () => {
  let image: string;
  beforeAll(async () => {
    image = await ensureTestImage();
  }, 180_000);

  async function run(args: string[]): Promise<{ code: number | null; err: string; pid: number }> {
    const cli = spawnCli(args);
    const timer = setTimeout(() => cli.child.kill('SIGKILL'), 90_000);
    const code = await cli.exited;
    clearTimeout(timer);
    return { code, err: cli.stderr(), pid: cli.child.pid! };
  }

  it('collect --image <no such image>: fails after 1 attempt with the cause', async () => {
    const { code, err } = await run(['collect', '--image', 'openenv-rx-no-such-image:never', '-o', join(tmp, 'missing'), '-n', '2']);
    expect(code).toBe(1);
    expect(err).toContain('openenv-rx: ERR_POOL_START: The pool could not start a session after 1 attempt(s): Image openenv-rx-no-such-image:never is not present locally');
  }, 120_000);

  it('rollout --image <a server that exits at start>: fails with its exit code and output, no session replaced, no container left', async () => {
    const { code, err, pid } = await run(['rollout', '--image', image, '-e', 'ECHO_CRASH_AT_START=3', '-n', '2', '-s', '1']);
    expect(code).toBe(1);
    expect(err).toMatch(/openenv-rx: ERR_CONTAINER_EXITED: .*exited with code 3/);
    expect(err).toContain('boot line 60');
    expect(err).not.toMatch(/\d+ lost/);
    expect(await containersOwnedBy(docker, [pid])).toEqual([]);
  }, 120_000);
});
