import Docker from 'dockerode';
import type { RolloutReport } from '../../src/cli/commands/rollout.js';
import { containersOwnedBy } from '../fixtures/docker-test-support.js';
import { ensureServerImage } from '../fixtures/test-image.js';
import { cli } from './cli-support.js';
import { dockerSuite } from '../support/engine-suite.js';

/** Container `create`/`destroy` events of the engine matching `label`, from now on (ids per action). */
async function containerEvents(docker: Docker, label: string) {
  const seen = { create: new Set<string>(), destroy: new Set<string>() };
  const abort = new AbortController();
  const stream = (await docker.getEvents({ filters: { type: ['container'], event: ['create', 'destroy'], label: [label] }, abortSignal: abort.signal })) as NodeJS.ReadableStream;
  const listeners = new Set<() => void>();
  let buffered = '';
  stream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (!line) continue;
      const event = JSON.parse(line) as { Action?: string; id?: string };
      if ((event.Action === 'create' || event.Action === 'destroy') && event.id) seen[event.Action].add(event.id);
    }
    listeners.forEach((listener) => listener());
  });
  stream.on('error', () => undefined); // the abort on close
  return {
    seen,
    until: (condition: (s: typeof seen) => boolean, timeoutMs: number) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!condition(seen)) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`engine events: ${JSON.stringify({ create: [...seen.create], destroy: [...seen.destroy] })}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    close: () => abort.abort(),
  };
}

const engine = await dockerSuite();
const { docker } = engine;

engine.describe('openenv-rx rollout --image (real engine)', () => {
  let image: string;
  beforeAll(async () => {
    image = await ensureServerImage();
  }, 180_000);

  it('runs one container per session and removes every one before returning', async () => {
    // The engine's own event stream (opened before the run) sees every container we create and
    // destroy, however short-lived: no sampling race.
    const events = await containerEvents(docker, `openenv-rx.owner-pid=${process.pid}`);
    let result: Awaited<ReturnType<typeof cli>>;
    try {
      result = await cli('rollout', '--image', image, '--env', 'grid_world', '-n', '4', '-s', '2', '--seed', '1', '--max-steps', '20', '--json');
      // Both containers were created and destroyed before the command returned; wait for those events to arrive.
      await events.until((seen) => seen.destroy.size >= 2 && [...seen.create].every((id) => seen.destroy.has(id)), 30_000);
    } finally {
      events.close();
    }
    const { code, out, err } = result;
    const seen = events.seen.create;
    expect(err).not.toMatch(/ERR_/);
    expect(code).toBe(0);
    const report = JSON.parse(out) as RolloutReport;
    expect(report.target).toBe(`${image} (docker)`);
    expect(report.overall.episodes).toBe(4);
    // Episodes come from a shared queue: a session that is up first may run them all, but every
    // session got its own container.
    expect(report.perSession.reduce((n, p) => n + p.episodes, 0)).toBe(4);
    expect(seen.size).toBe(2);
    // The command awaited the teardowns: nothing is left when it returns.
    expect(await containersOwnedBy(docker, [process.pid])).toEqual([]);
  }, 60_000);
});
