import { spawn } from 'node:child_process';
import { readResults } from '../../../fleet/support/collect-files.js';
import { repoPath } from '../../../fixtures/test-image.js';
import type { SeqAct, SeqObs, TrailStep } from './trail.js';

/** The matrix's policy module for the CLI (`--policy`): actions name their episode and step. */
export const SEQ_POLICY = repoPath('spec/faults/matrix/support/seq-policy.mjs');

export interface CliRun {
  pid: number;
  done: Promise<{ code: number | null; out: string; err: string }>;
}

/** The built CLI as a child process, run to its end (bounded: SIGKILLed after `timeoutMs`). */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 90_000): CliRun {
  const child = spawn(process.execPath, [repoPath('dist/cli/main.js'), ...args], { cwd: repoPath(), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    }),
  );
  return { pid: child.pid!, done };
}

/** The steps `collect` recorded in `out` (its records' messages: reset observation, then action/observation pairs). */
export function trailOf(out: string): TrailStep[] {
  return trailOfRecords(readResults(out));
}

/** The steps these `collect` records hold (as `trailOf`, for records already read). */
export function trailOfRecords(records: ReturnType<typeof readResults>): TrailStep[] {
  return records.flatMap((record) => {
    const turns = record.messages.map((m) => JSON.parse(m.content as string) as Record<string, unknown>);
    return turns.flatMap((turn, k) =>
      k === 0
        ? [{ episode: record.episode_id, index: 0, observation: turn as unknown as SeqObs }]
        : k % 2 === 0
          ? [{ episode: record.episode_id, index: k / 2, message: (turns[k - 1] as unknown as SeqAct).message, observation: turn as unknown as SeqObs }]
          : [],
    );
  });
}
