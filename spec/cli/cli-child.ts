import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The CLI as users run it: the build's entry. `npm test` builds first, and jest's globalSetup
 * (spec/support/global-setup.js) rebuilds a stale dist/ for a spec run alone. Not the sources
 * through the TypeScript loader: that doubled each child's start-up CPU (0.8 s against 0.4 s
 * here), over some hundreds of children per `npm test`.
 */
export const CLI_ENTRY = `${root}/dist/cli/main.js`;

/** A real `openenv-rx` process (the built CLI), its output captured. */
export interface CliChild {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout+stderr match (rejects when the process exits first or after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code (null when killed by a signal it did not handle). */
  exited: Promise<number | null>;
  /** SIGTERM (or `signal`) unless already exited; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliChild {
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
    cwd: options.cwd ?? root,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    notify();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    notify();
  });
  const exited = new Promise<number | null>((res) => {
    child.once('close', (code) => {
      notify();
      res(code);
    });
  });
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const waitFor = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<RegExpExecArray>((res, rej) => {
      const check = () => {
        const match = pattern.exec(out + err);
        if (match) {
          done();
          res(match);
        } else if (hasExited || child.exitCode !== null) {
          done();
          rej(new Error(`openenv-rx ${args.join(' ')} exited (${child.exitCode}) before printing ${pattern}:\n${out}\n${err}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        rej(new Error(`openenv-rx ${args.join(' ')} did not print ${pattern} within ${timeoutMs} ms:\n${out}\n${err}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (!hasExited && child.exitCode === null) child.kill(signal);
    return exited;
  };
  return { child, stdout: () => out, stderr: () => err, waitFor, exited, stop };
}

/** Runs the CLI to completion (bounded by `timeoutMs`, then SIGKILL). */
export async function runCliChild(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ code: number | null; out: string; err: string }> {
  const cli = spawnCli(args, options);
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
  const code = await cli.exited;
  clearTimeout(timer);
  return { code, out: cli.stdout(), err: cli.stderr() };
}

/** `openenv-rx serve ...` as a child process; resolves with its URL once it listens. */
export async function serveCli(args: string[]): Promise<{ cli: CliChild; url: string }> {
  const cli = spawnCli(['serve', ...args]);
  try {
    const match = await cli.waitFor(/on (http:\/\/127\.0\.0\.1:\d+)/, 30_000);
    return { cli, url: match[1]! };
  } catch (error) {
    await cli.stop('SIGKILL');
    throw error;
  }
}

/** `serveCli` for a describe block: every server it started is stopped after each test. */
export function useCliServers(): (args: string[]) => Promise<{ cli: CliChild; url: string }> {
  const running: CliChild[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((cli) => cli.stop()));
  });
  return async (args) => {
    const started = await serveCli(args);
    running.push(started.cli);
    return started;
  };
}
