import { spawn } from 'node:child_process';

/** How a child program ended. */
export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when it was still running at the deadline (then SIGTERMed, SIGKILLed 5 s later). */
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly pid: number | undefined;
  readonly ms: number;
}

/**
 * Runs `command args` and waits for it to exit on its own within `timeoutMs`. A program still
 * running then is stopped with SIGTERM (the library's exit hook removes containers and services on
 * it) and SIGKILL 5 s later, and reported as `timedOut`.
 */
export function runBounded(command: string, args: readonly string[], options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout = (stdout + chunk).slice(-64 * 1024)));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-64 * 1024)));
    let timedOut = false;
    let kill: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      clearTimeout(kill);
      resolve({ code, signal, timedOut, stdout, stderr, pid: child.pid, ms: Date.now() - started });
    });
  });
}

/** Runs `work` over `items`, at most `limit` at a time; results in the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
