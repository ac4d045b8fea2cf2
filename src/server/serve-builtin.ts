import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { builtinEnvs } from '../envs/index.js';
import { serve, type RunningServer, type ServeOptions } from './serve.js';
import { ServeError, UnknownEnvError } from '../errors/server-errors.js';

/**
 * Serves a built-in env by name. Throws `UnknownEnvError` (listing the valid names) for any other.
 *
 * @example
 * const server = await serveBuiltin('grid_world', { port: 8000 });
 * await server.close();
 */
export async function serveBuiltin(name: string, options: ServeOptions = {}): Promise<RunningServer> {
  const definition = Object.prototype.hasOwnProperty.call(builtinEnvs, name) ? builtinEnvs[name] : undefined;
  if (!definition) throw new UnknownEnvError(name, Object.keys(builtinEnvs));
  return serve(definition, options);
}

/**
 * Options from the environment, as OpenEnv containers take them: `HOST` (default 127.0.0.1; a
 * container sets 0.0.0.0), `PORT` (default 8000), `MAX_CONCURRENT_ENVS`, `IDLE_TIMEOUT_MS`,
 * `MAX_QUEUED_MESSAGES`, `OPENENV_TOKEN`. Throws `ServeError` naming a malformed variable.
 *
 * @example
 * serveOptionsFromEnv({ PORT: '9000', MAX_CONCURRENT_ENVS: '4' }) // { host: '127.0.0.1', port: 9000, maxSessions: 4 }
 */
export function serveOptionsFromEnv(env: NodeJS.ProcessEnv): ServeOptions {
  const int = (key: string): number | undefined => {
    const raw = env[key];
    if (raw === undefined || raw === '') return undefined;
    if (!/^\d+$/.test(raw)) throw new ServeError(`${key} must be a non-negative integer, got ${JSON.stringify(raw)}`);
    return Number(raw);
  };
  const options: ServeOptions = { host: env['HOST'] || '127.0.0.1', port: int('PORT') ?? 8000 };
  const maxSessions = int('MAX_CONCURRENT_ENVS');
  if (maxSessions !== undefined) options.maxSessions = maxSessions;
  const idle = int('IDLE_TIMEOUT_MS');
  if (idle !== undefined) options.idleTimeoutMs = idle;
  const queued = int('MAX_QUEUED_MESSAGES');
  if (queued !== undefined) options.maxQueuedMessages = queued;
  if (env['OPENENV_TOKEN']) options.token = env['OPENENV_TOKEN'];
  return options;
}

/** Where `runServeBuiltin` writes its one-line messages. */
export interface ServeBuiltinOutput {
  /** An informational line (stdout by default). */
  info(line: string): void;
  /** An error line (stderr by default). */
  error(line: string): void;
}

const processOutput: ServeBuiltinOutput = {
  info: (line) => process.stdout.write(`${line}\n`),
  error: (line) => process.stderr.write(`${line}\n`),
};

/**
 * `node dist/server/serve-builtin.js <env-name>` (or `OPENENV_ENV`): serves until SIGINT/SIGTERM,
 * then closes cleanly. Resolves with the running server, whose `close()` also drops the signal
 * handlers; on error prints it, sets `process.exitCode = 1` and resolves undefined.
 *
 * @example
 * // HOST=0.0.0.0 PORT=8000 node dist/server/serve-builtin.js grid_world
 * const server = await runServeBuiltin(['grid_world'], { PORT: '0' });
 * await server?.close(); // undefined when it could not serve
 */
export async function runServeBuiltin(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  output: ServeBuiltinOutput = processOutput,
): Promise<RunningServer | undefined> {
  const name = argv[0] ?? env['OPENENV_ENV'];
  try {
    if (!name) throw new UnknownEnvError('', Object.keys(builtinEnvs));
    const server = await serveBuiltin(name, serveOptionsFromEnv(env));
    output.info(`openenv-rx: serving ${name} on ${server.url}`);
    const onSignal = (): void => {
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    const close = (): Promise<void> => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      return server.close();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    return { ...server, close };
  } catch (error) {
    output.error(`openenv-rx: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
    return undefined;
  }
}

const entry = process.argv[1];
if (entry && safeRealpath(entry) === safeRealpath(fileURLToPath(import.meta.url))) {
  void runServeBuiltin(process.argv.slice(2), process.env);
}

function safeRealpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
