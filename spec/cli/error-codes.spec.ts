import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './cli-support.js';

/**
 * Every error the CLI prints is one line `openenv-rx: ERR_CODE: message`, as docs/cli.md says,
 * also for what the CLI itself refuses (flags, user modules), never a stack trace; nothing runs.
 * In-process (`runCli` with captured output): each case fails before any server or container.
 */
const dir = mkdtempSync(join(tmpdir(), 'openenv-rx-codes-'));
const throwingModule = join(dir, 'throws.mjs');
const twoEnvs = join(dir, 'two-envs.mjs');
const tsModule = join(dir, 'policy.ts');
writeFileSync(throwingModule, "throw new Error('boom at import');\n");
writeFileSync(tsModule, 'export default () => ({});\n');
writeFileSync(
  twoEnvs,
  "const env = (name) => ({ name, action: {}, observation: {}, create: () => ({}) });\nexport const a = env('a');\nexport const b = env('b');\n",
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The one line the CLI printed for an error, and what it ran (nothing: no summary on stdout). */
async function refused(...argv: string[]): Promise<string> {
  const { code, out, err } = await cli(...argv);
  expect(code).toBe(1);
  expect(out).toBe('');
  expect(err).not.toMatch(/\n\s+at /);
  return err;
}

describe('every CLI error carries its ERR_ code', () => {
  it.each([
    [['rollout', '--env', './nowhere/env.js'], /^openenv-rx: ERR_USER_MODULE: --env \.\/nowhere\/env\.js: no such file/],
    [['collect', '-o', join(dir, 'out'), '--env', './nowhere/env.js'], /^openenv-rx: ERR_USER_MODULE: --env \.\/nowhere\/env\.js: no such file/],
    [['rollout', '--env', twoEnvs], /^openenv-rx: ERR_USER_MODULE: --env .*two-envs\.mjs: the module exports 2 env definitions/],
    [['rollout', '--policy', './nowhere/policy.js'], /^openenv-rx: ERR_USER_MODULE: --policy \.\/nowhere\/policy\.js: no such file/],
    [['rollout', '--policy', './spec/cli/fixtures/not-a-policy.mjs'], /^openenv-rx: ERR_USER_MODULE: --policy \.\/spec\/cli\/fixtures\/not-a-policy\.mjs: the default export must be a policy function/],
    [['rollout', '--policy', throwingModule], /^openenv-rx: ERR_USER_MODULE: --policy .*throws\.mjs: the module failed to load: boom at import/],
    [['rollout', '--policy', tsModule], /^openenv-rx: ERR_USER_MODULE: --policy .*policy\.ts: Node cannot import TypeScript directly/],
    [['serve', './nowhere/env.js'], /^openenv-rx: ERR_USER_MODULE: serve \.\/nowhere\/env\.js: no such file/],
  ])('a module that cannot be used: %j', async (argv, line) => {
    expect(await refused(...argv, ...(argv[0] === 'serve' ? ['--port', '0'] : ['-n', '1']))).toMatch(line);
  });

  it.each([
    [['rollout', '-H', 'no-colon-s3cret'], /^openenv-rx: ERR_CLI_USAGE: each header must look like "name: value"/],
    [['validate', '--url', 'http://127.0.0.1:9', '-H', 'no-colon-s3cret'], /^openenv-rx: ERR_CLI_USAGE: each header must look like "name: value"/],
    [['tasks', '--url', 'http://127.0.0.1:9', '-H', 'no-colon-s3cret'], /^openenv-rx: ERR_CLI_USAGE: each header must look like "name: value"/],
    [['rollout', '--image', 'openenv-rx-never/pulled:1', '-e', 'no-equals-s3cret'], /^openenv-rx: ERR_CLI_USAGE: each -e must look like KEY=VALUE/],
    [['rollout', '-e', 'KEY=s3cret'], /^openenv-rx: ERR_CLI_USAGE: -e\/--env-var sets variables of containers started with --image; there is no --image/],
    [['rollout', '--swarm'], /^openenv-rx: ERR_CLI_USAGE: --swarm runs the --image as swarm services; there is no --image/],
    [['rollout', '--limit-cpu', '1'], /^openenv-rx: ERR_CLI_USAGE: --limit-cpu place swarm services; add --swarm/],
    [['rollout', '--swarm', '--image', 'openenv-rx-never/pulled:1', '--pull', 'always'], /^openenv-rx: ERR_CLI_USAGE: --pull always is not available with --swarm/],
  ])('a flag the command cannot use: %j (its value never echoed)', async (argv, line) => {
    const err = await refused(...argv, ...(argv[0] === 'rollout' ? ['-n', '1'] : []));
    expect(err).toMatch(line);
    expect(err).not.toMatch(/s3cret/);
  });

  it.each([['rollout'], ['collect']])('%s: --pull without --image is refused like the other orphan flags, before anything runs', async (command) => {
    const args = command === 'collect' ? ['-o', join(dir, 'pulled')] : [];
    expect(await refused(command, ...args, '--pull', 'always', '-n', '1')).toMatch(/^openenv-rx: ERR_CLI_USAGE: --pull pulls the --image before it starts; there is no --image/);
  });
});
