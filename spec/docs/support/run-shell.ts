import { spawn } from 'node:child_process';
import { runBounded, type RunResult } from './run-bounded.js';
import { PLACEHOLDER_URL } from './snippet-context.js';

/** One command line of a shell block, continuation lines joined and the trailing comment removed. */
export function shellCommands(code: string): string[] {
  return code
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.replace(/(^|\s)#(?![^"']*["'][^"']*$).*$/, '').trim())
    .filter((line) => line !== '');
}

/** The command runs the CLI (`openenv-rx ...` or `npx openenv-rx ...`, maybe after `VAR=value`s); its arguments. */
export function cliArguments(command: string): string | undefined {
  return /^(?:[A-Z_]+=\S+\s+)*(?:npx\s+)?openenv-rx(?:\s+(.*))?$/.exec(command)?.[1] ?? (/^(?:npx\s+)?openenv-rx$/.test(command) ? '' : undefined);
}

/** The outcome of a shell block: each command's run, the servers it started included. */
export interface ShellOutcome {
  readonly failures: string[];
  readonly runs: RunResult[];
}

/**
 * Runs a shell block's CLI commands one after another with bash, `openenv-rx` (and `npx
 * openenv-rx`) being the built CLI. A `serve` command runs in the background until the block's
 * other commands are done: its printed URL replaces the placeholder URL in the commands after it,
 * and it must exit cleanly on SIGTERM. Without one the placeholder is `url`. `--port 8000` becomes
 * `--port 0` (a free port). `replace` maps other placeholders (the LLM endpoint's) to what stands for them.
 */
export async function runShellBlock(
  code: string,
  options: { cli: string; cwd: string; url: string; timeoutMs: number; replace?: Readonly<Record<string, string>> },
): Promise<ShellOutcome> {
  const prelude = `openenv-rx() { exec node ${JSON.stringify(options.cli)} "$@"; }; npx() { if [ "$1" = openenv-rx ]; then shift; openenv-rx "$@"; else command npx "$@"; fi; };`;
  const env = { ...process.env, NODE_OPTIONS: '' };
  const failures: string[] = [];
  const runs: RunResult[] = [];
  const servers: Array<{ command: string; exited: Promise<RunResult>; stop: () => void }> = [];
  let url = options.url;
  try {
    for (const raw of shellCommands(code)) {
      const command = Object.entries(options.replace ?? {})
        .reduce((line, [from, to]) => line.replaceAll(from, to), raw.replaceAll(PLACEHOLDER_URL, url))
        .replace(/(--port|-p) 8000\b/g, '$1 0');
      if (/^serve\b/.test(cliArguments(command) ?? '')) {
        const server = startServer(`${prelude} ${command}`, options.cwd, env, options.timeoutMs);
        servers.push({ command, ...server });
        const served = await server.url;
        if (!served) {
          failures.push(`${command}: printed no "serving ... on URL" line`);
          break;
        }
        url = served;
        continue;
      }
      const run = await runBounded('bash', ['-c', `${prelude} ${command}`], { cwd: options.cwd, timeoutMs: options.timeoutMs, env });
      runs.push(run);
      if (run.timedOut || run.code !== 0) {
        failures.push(`${command}: ${run.timedOut ? `still running after ${options.timeoutMs / 1000} s` : `exit ${run.code ?? run.signal}`}\n${run.stderr.slice(-1500)}`);
        break;
      }
    }
  } finally {
    for (const server of servers) {
      server.stop();
      const run = await server.exited;
      runs.push(run);
      if (run.timedOut || run.code !== 0) failures.push(`${server.command}: after SIGTERM, ${run.timedOut ? 'still running' : `exit ${run.code ?? run.signal}`}\n${run.stderr.slice(-1500)}`);
    }
  }
  return { failures, runs };
}

function startServer(script: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): { url: Promise<string | undefined>; exited: Promise<RunResult>; stop: () => void } {
  const started = Date.now();
  const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let found: (url: string | undefined) => void = () => {};
  const url = new Promise<string | undefined>((resolve) => (found = resolve));
  const noUrl = setTimeout(() => found(undefined), timeoutMs);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const match = /serving \S+ on (http:\/\/\S+)/.exec(stdout);
    if (match) {
      clearTimeout(noUrl);
      found(match[1]);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let timedOut = false;
  let deadline: NodeJS.Timeout | undefined;
  const exited = new Promise<RunResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(noUrl);
      clearTimeout(deadline);
      found(undefined);
      resolve({ code, signal, timedOut, stdout, stderr, pid: child.pid, ms: Date.now() - started });
    });
  });
  const stop = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    deadline = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, 10_000);
  };
  return { url, exited, stop };
}
