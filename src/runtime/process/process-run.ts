import { spawn, type ChildProcess } from 'node:child_process';
import { NEVER, from, mergeMap, throwError, type Observable } from 'rxjs';
import { markPermanent, ServerExitedError, type ErrorContext, type OpenEnvError } from '../../errors/index.js';
import type { Endpoint } from '../endpoint.js';
import { reportTeardownError } from '../report-teardown-error.js';
import { trackTeardown } from '../teardown-registry.js';
import { normalizeServerUrl } from '../url-endpoint.js';
import { freePort } from './free-port.js';
import { LineTail } from './line-tail.js';
import type { ProcessEndpointOptions } from './process-endpoint-options.js';
import { stopProcessGroup } from './stop-process-group.js';
import { trackProcessGroup } from './track-process-group.js';

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: Error;
}

/** What a spawned server is: its endpoint, and its exit as an error (never while stopping). */
export interface SpawnedServer {
  readonly endpoint: Endpoint;
  readonly exit$: Observable<never>;
}

/**
 * One server process of `processEndpoint`, from spawn to its group's stop: the port pick, the
 * spawn in its own process group (recorded for the reaper), the output tail, the exit watch and
 * the SIGTERM-then-SIGKILL teardown. `processEndpoint` ties it to a subscription.
 *
 * @example
 * const run = new ProcessRun('node', ['server.js'], {});
 * const spawned = await run.spawn(); // { endpoint: { url: 'http://127.0.0.1:<port>', ... }, exit$ }
 * await run.stop();
 */
export class ProcessRun {
  /** `{ command, url, pid }` as known so far: every error of this run carries it. */
  readonly context: ErrorContext;
  private child: ChildProcess | undefined;
  private release: (() => void) | undefined;
  private stopRequested = false;
  private healthy = false;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly command: string,
    private readonly args: readonly string[],
    private readonly options: ProcessEndpointOptions,
  ) {
    this.context = { command };
  }

  /** Picks the port and spawns the server; undefined when `stop()` came first. */
  async spawn(): Promise<SpawnedServer | undefined> {
    const { command, options, context } = this;
    const port = options.port || (await freePort());
    if (this.stopRequested) return undefined;
    const url = normalizeServerUrl((options.url ?? 'http://127.0.0.1:{port}').replaceAll('{port}', String(port)));
    context.url = url;
    const output = new LineTail(options.logTailLines ?? 50);
    const spawned = spawn(
      command,
      this.args.map((a) => a.replaceAll('{port}', String(port))),
      {
        cwd: options.cwd,
        env: { ...process.env, ...options.env, PORT: String(port) },
        detached: true, // own process group: kill(-pid) reaches its children too
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = spawned;
    if (spawned.pid !== undefined) {
      context.pid = spawned.pid;
      this.release = trackProcessGroup(spawned.pid, command, options.stateDir);
    }
    spawned.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
    spawned.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
    const exit$ = from(this.exitError(spawned, output)).pipe(mergeMap((error) => (this.stopRequested ? NEVER : throwError(() => error))));
    return { endpoint: { url, kind: 'process', id: String(spawned.pid ?? ''), failure$: exit$ }, exit$ };
  }

  /** The server answered /health: an exit from now on is a crash, not a failed start. */
  markHealthy(): void {
    this.healthy = true;
  }

  /** Stops the process group (SIGTERM, SIGKILL after `stopGraceMs`); idempotent, never rejects. */
  stop(): Promise<void> {
    this.stopRequested = true;
    this.stopping ??= trackTeardown(this.stopGroup());
    return this.stopping;
  }

  private async stopGroup(): Promise<void> {
    const { child, options, context } = this;
    if (child) {
      try {
        await stopProcessGroup(child, options.stopGraceMs ?? 2_000);
      } catch (error) {
        reportTeardownError(options.onTeardownError, error, context);
      }
      child.stdout?.destroy();
      child.stderr?.destroy();
    }
    this.release?.();
    try {
      options.onStopped?.({ pid: child?.pid });
    } catch (error) {
      reportTeardownError(options.onTeardownError, error, context);
    }
  }

  /** Resolves with the error that describes the process's exit (exit code, signal, output tail). */
  private async exitError(spawned: ChildProcess, output: LineTail): Promise<OpenEnvError> {
    const exit = await onceExited(spawned);
    // A command that cannot be spawned, or a server that exits with a code before it answered
    // /health, does that again on every start: permanent (pools and rollouts do not retry it).
    if (exit.spawnError) {
      return markPermanent(new ServerExitedError('process', null, [`spawn ${this.command}: ${exit.spawnError.message}`], this.context));
    }
    const atStart = !this.healthy && exit.code !== null;
    await drained(spawned, 200);
    const error = new ServerExitedError('process', exit.code, output.snapshot(), this.context, exit.signal);
    return atStart ? markPermanent(error) : error;
  }
}

function onceExited(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (error) => {
      // 'error' without a pid is a failed spawn (ENOENT, EACCES): no 'exit' follows.
      if (child.pid === undefined) resolve({ code: null, signal: null, spawnError: error });
    });
  });
}

/** Waits for the stdio pipes to drain after exit, but not for grandchildren that still hold them. */
function drained(child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    child.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
