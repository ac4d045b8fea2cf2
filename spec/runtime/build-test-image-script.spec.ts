import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoPath } from '../fixtures/test-image.js';
import { dockerSuite } from '../support/engine-suite.js';

// scripts/build-test-image.sh run from two checkouts (two copies of what the --fixture variant
// reads, at two paths) that share one engine and one repository name: a rebuild in one checkout
// removes only that checkout's older image. A throwaway repository name keeps the real test
// images out of reach even if the script were broken.
const engine = await dockerSuite();
const { docker, available } = engine;
const run = promisify(execFile);

function makeCheckout(): string {
  const root = mkdtempSync(join(tmpdir(), 'openenv-rx-checkout-'));
  for (const path of ['scripts/build-test-image.sh', 'spec/fixtures/echo-server.mjs', 'node_modules/ws']) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    cpSync(repoPath(path), join(root, path), { recursive: true });
  }
  return root;
}

engine.describe('build-test-image.sh: two checkouts on one engine (real engine)', () => {
  const repo = `openenv-rx-script-test-${randomUUID().slice(0, 8)}`;
  const checkouts: string[] = [];
  const build = async (root: string): Promise<string> => {
    const { stdout } = await run('bash', [join(root, 'scripts/build-test-image.sh'), '--fixture'], {
      cwd: root,
      env: { ...process.env, OPENENV_RX_TEST_IMAGE_REPO: repo },
      timeout: 170_000,
      maxBuffer: 10 * 1024 * 1024,
    });
    return stdout.trim().split('\n').at(-1)!;
  };
  const exists = (tag: string): Promise<boolean> =>
    docker
      .getImage(tag)
      .inspect()
      .then(
        () => true,
        () => false,
      );
  afterAll(async () => {
    for (const root of checkouts) rmSync(root, { recursive: true, force: true });
    if (!available) return;
    const images = await docker.listImages({ filters: { reference: [repo] } });
    await Promise.all(images.map((image) => docker.getImage(image.Id).remove({ force: true }).catch(() => undefined)));
  });

  it("a rebuild removes this checkout's older image and keeps the other checkout's", async () => {
    const mine = makeCheckout();
    const theirs = makeCheckout();
    checkouts.push(mine, theirs);

    const mineFirst = await build(mine);
    const theirsFirst = await build(theirs);
    expect(mineFirst.startsWith(`${repo}:`)).toBe(true);
    expect(theirsFirst.startsWith(`${repo}:`)).toBe(true);
    expect((await docker.getImage(mineFirst).inspect()).Config.Labels?.['openenv-rx.checkout']).not.toBe(
      (await docker.getImage(theirsFirst).inspect()).Config.Labels?.['openenv-rx.checkout'],
    );

    // A change in my checkout: a new content hash, so a new image.
    appendFileSync(join(mine, 'spec/fixtures/echo-server.mjs'), '\n// changed\n');
    const mineSecond = await build(mine);
    expect(mineSecond).not.toBe(mineFirst);

    expect(await exists(mineSecond)).toBe(true);
    expect(await exists(mineFirst)).toBe(false); // my older build is gone
    expect(await exists(theirsFirst)).toBe(true); // same repository, other checkout: kept
  }, 600_000);
});
