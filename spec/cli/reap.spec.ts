import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABEL } from '../../src/runtime/docker/container-labels.js';
import { readProcStat } from '../../src/runtime/reaper/proc-stat.js';
import { containerExists } from '../fixtures/docker-test-support.js';
import { killed, startRuntimeOwner } from '../fixtures/runtime-owner.js';
import { ensureTestImage } from '../fixtures/test-image.js';
import { cli } from './cli-support.js';
import { pollUntil } from '../support/poll.js';
import { dockerSuite } from '../support/engine-suite.js';

const engine = await dockerSuite();
const { docker } = engine;

engine.describe('openenv-rx reap (real engine)', () => {
  const created: string[] = [];
  let image: string;
  beforeAll(async () => {
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

  describe('with a private process registry', () => {
    const saved = process.env['OPENENV_RX_STATE_DIR'];
    const children: ChildProcess[] = [];
    let stateDir: string;
    beforeAll(() => {
      stateDir = mkdtempSync(join(tmpdir(), 'openenv-rx-cli-reap-'));
      process.env['OPENENV_RX_STATE_DIR'] = stateDir;
    });
    afterAll(async () => {
      if (saved === undefined) delete process.env['OPENENV_RX_STATE_DIR'];
      else process.env['OPENENV_RX_STATE_DIR'] = saved;
      await Promise.all(children.map(killed));
      rmSync(stateDir, { recursive: true, force: true });
    });

    it('stops the server process of an owner that was SIGKILLed', async () => {
      const { child, held } = await startRuntimeOwner(['--process', '--then', 'hold'], { OPENENV_RX_STATE_DIR: stateDir }, children);
      await killed(child);
      const running = () => readProcStat(held.serverPid!)?.state !== undefined && readProcStat(held.serverPid!)?.state !== 'Z';
      expect(running()).toBe(true);
      const { code, out } = await cli('reap', '--json');
      expect(code).toBe(0);
      expect((JSON.parse(out) as { processes: { removed: string[] } }).processes.removed).toEqual([String(held.serverPid)]);
      await pollUntil(() => !running(), '!running()', { timeoutMs: 5_000, intervalMs: 50 });
    }, 60_000);

    it('prints the process groups in the human summary', async () => {
      const { child, held } = await startRuntimeOwner(['--process', '--then', 'hold'], { OPENENV_RX_STATE_DIR: stateDir }, children);
      await killed(child);
      const { code, out } = await cli('reap');
      expect(code).toBe(0);
      expect(out).toContain(`stopped 1 process group(s): ${held.serverPid}; kept 0`);
    }, 60_000);
  });
});
