import { spawnSync } from 'node:child_process';
import os from 'node:os';
import Docker from 'dockerode';
import { LABEL } from '../../src/runtime/docker/container-labels.js';
import { checkDockerReachable } from '../../src/runtime/docker/docker-client.js';
import { containerExists, describeWithDocker, dockerReachable } from '../fixtures/docker-test-support.js';
import { ensureTestImage } from '../fixtures/test-image.js';
import { cli } from './cli-support.js';

const docker = new Docker();
const available = await dockerReachable(docker);

describeWithDocker(available)('openenv-rx reap (real engine)', () => {
  const created: string[] = [];
  let image: string;
  beforeAll(async () => {
    await checkDockerReachable(docker);
    image = await ensureTestImage();
  }, 120_000);
  afterAll(async () => {
    await Promise.all(created.map((id) => docker.getContainer(id).remove({ force: true }).catch(() => undefined)));
  });

  const labelled = async (ownerPid: number) => {
    const container = await docker.createContainer({
      Image: image,
      Labels: { [LABEL.managed]: '1', [LABEL.session]: `cli-reap-${ownerPid}`, [LABEL.ownerPid]: String(ownerPid), [LABEL.ownerHost]: os.hostname(), [LABEL.created]: new Date().toISOString() },
    });
    created.push(container.id);
    return container.id;
  };

  it('removes a container whose owner process is gone and keeps one whose owner lives', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // exited: its pid is gone
    const orphan = await labelled(dead);
    const owned = await labelled(process.pid);

    const { code, out } = await cli('reap', '--json');
    expect(code).toBe(0);
    const result = JSON.parse(out) as { removed: string[]; kept: number };
    expect(result.removed).toContain(orphan);
    expect(result.removed).not.toContain(owned);
    expect(await containerExists(docker, orphan)).toBe(false);
    expect(await containerExists(docker, owned)).toBe(true);
  }, 30_000);

  it('prints a human summary', async () => {
    const orphan = await labelled(spawnSync(process.execPath, ['-e', '0']).pid!);
    const { code, out } = await cli('reap');
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`removed \\d+ container\\(s\\): .*${orphan.slice(0, 12)}`));
  }, 30_000);
});
