import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GridWorldEnvironment, gridWorldEnv } from '../../../src/envs/grid-world.js';
import { defineServerEnv, type EnvResetOptions } from '../../../src/environment/environment.js';
import { serve, type RunningServer } from '../../../src/server/serve.js';
import { cli } from '../../cli/cli-support.js';

/** The collect runs' reply timeout: the held episode fails after it; 3 s, so that no other step of a loaded machine comes near it. */
export const REPLY_TIMEOUT_S = 3;

/** The reset seed whose second step the server holds until the test ends: the client's reply timeout fails that episode. */
export const HELD_SEED = 10;

/** A gate: steps held on it resolve when it opens. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** grid_world, except that an episode reset with `HELD_SEED` gets no answer to its second step while the gate is shut. */
function heldGridWorld(held: Promise<void>) {
  return defineServerEnv({
    ...gridWorldEnv,
    create: () => {
      const env = new GridWorldEnvironment();
      let seed: number | undefined;
      let steps = 0;
      return {
        reset: (options: EnvResetOptions) => {
          seed = options.seed;
          steps = 0;
          return env.reset(options);
        },
        step: (action: Parameters<GridWorldEnvironment['step']>[0]) => (++steps === 2 && seed === HELD_SEED ? held.then(() => env.step(action)) : env.step(action)),
        state: () => env.state(),
      };
    },
  });
}

/** Files written by real `collect` and `rollout` runs (the CLI, in this process) against an in-process `serve` on loopback. */
export interface ReportRuns {
  dir: string;
  url: string;
  /** The collect directory: 24 episodes (seeds 0..23) over 3 sessions, max 30 steps; seed `HELD_SEED` fails with ERR_TIMEOUT. */
  collect: string;
  collectOutput: string;
  /** The rollout --out file: 12 episodes (seeds 40..51) over 2 sessions, max 30 steps. */
  rollout: string;
  rolloutOutput: string;
}

/**
 * Runs both commands once for a spec file (beforeAll) and cleans up after it (afterAll): the
 * server is closed, the held step released, the temporary directory removed.
 */
export function useReportRuns(): () => ReportRuns {
  let runs: ReportRuns | undefined;
  let server: RunningServer | undefined;
  const held = gate();
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openenv-rx-report-'));
    server = await serve(heldGridWorld(held.wait), { maxSessions: 3 });
    const collect = join(dir, 'grid-collect');
    const rollout = join(dir, 'grid-rollout.jsonl');
    const c = await cli('collect', '--url', server.url, '-o', collect, '-n', '24', '-s', '3', '--sessions-per-server', '3', '--max-steps', '30', '--seed', '0', '--reply-timeout', String(REPLY_TIMEOUT_S));
    if (c.code !== 0) throw new Error(`collect failed: ${c.err}`);
    const r = await cli('rollout', '--url', server.url, '-n', '12', '-s', '2', '--max-steps', '30', '--seed', '40', '-o', rollout);
    if (r.code !== 0) throw new Error(`rollout failed: ${r.err}`);
    runs = { dir, url: server.url, collect, collectOutput: c.out, rollout, rolloutOutput: r.out };
  }, 60_000);
  afterAll(async () => {
    held.open();
    await server?.close();
    if (runs) rmSync(runs.dir, { recursive: true, force: true });
  });
  return () => {
    if (!runs) throw new Error('the report runs were not made (see beforeAll)');
    return runs;
  };
}
