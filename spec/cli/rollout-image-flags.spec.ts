import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RolloutReport } from '../../src/cli/commands/rollout.js';
import { ensureServerImage } from '../fixtures/test-image.js';
import { runCliChild } from './cli-child.js';
import { dockerSuite } from '../support/engine-suite.js';

const engine = await dockerSuite();
const tmp = mkdtempSync(join(tmpdir(), 'openenv-rx-image-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('openenv-rx rollout image flags (no engine needed)', () => {
  it.each([
    [['-e', 'FOO=1'], /-e\/--env-var sets variables of containers started with --image; there is no --image/],
    [['--image', 'x', '-e', 'TOKEN'], /each -e must look like KEY=VALUE/],
    [['--image', 'x', '--pull', 'sometimes'], /Allowed choices are never, if-missing, always/],
  ])('rejects %j clearly', async (flags, message) => {
    const { code, err } = await runCliChild(['rollout', ...flags]);
    expect(code).not.toBe(0);
    expect(err).toMatch(message);
  }, 30_000);

  it('never echoes the value of a malformed -e pair', async () => {
    const { err } = await runCliChild(['rollout', '--image', 'x', '-e', '=s3cret-value']);
    expect(err).toMatch(/each -e must look like KEY=VALUE/);
    expect(err).not.toContain('s3cret-value');
  }, 30_000);

  it('--help says what --env does with --image', async () => {
    const { out } = await runCliChild(['rollout', '--help']);
    expect(out.replace(/\s+/g, ' ')).toMatch(/With --image it is passed to the container as OPENENV_ENV/);
    expect(out).toMatch(/--pull <policy>/);
    expect(out).toMatch(/-e, --env-var <KEY=VALUE>/);
  }, 30_000);
});

engine.describe('openenv-rx rollout --image with --pull and -e (real engine)', () => {
  let image: string;
  beforeAll(async () => {
    image = await ensureServerImage();
  }, 180_000);

  it('a missing image fails with an error that names the CLI flag, not the library option', async () => {
    const { code, err } = await runCliChild(['rollout', '--image', 'openenv-rx-cli-test/absent:never', '-n', '1', '-s', '1']);
    expect(code).toBe(1);
    expect(err).toMatch(/openenv-rx: ERR_DOCKER: Image openenv-rx-cli-test\/absent:never is not present locally/);
    expect(err).toMatch(/pass --pull if-missing/);
    expect(err).not.toMatch(/\{ pull:/);
  }, 60_000);

  it('-e sets container variables (here OPENENV_ENV, overriding --env)', async () => {
    const out = join(tmp, 'cartpole.jsonl');
    const { code, out: stdout, err } = await runCliChild(['rollout', '--image', image, '--env', 'grid_world', '-e', 'OPENENV_ENV=cartpole', '-n', '2', '-s', '1', '--max-steps', '20', '--out', out, '--json']);
    expect(err).not.toMatch(/ERR_/);
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as RolloutReport).target).toBe(`${image} (docker)`);
    const first = JSON.parse(readFileSync(out, 'utf8').split('\n')[0]!) as { observation: Record<string, unknown> };
    expect(Object.keys(first.observation)).toEqual(expect.arrayContaining(['cart_position', 'pole_angle']));
  }, 120_000);
});
