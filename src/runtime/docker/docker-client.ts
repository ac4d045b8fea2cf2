import Docker from 'dockerode';
import { DockerError, DockerUnavailableError, OpenEnvError, type ErrorContext } from '../../errors/index.js';

/** System error codes that mean "no engine there", as opposed to an engine that said no. */
const UNREACHABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN']);

interface ModemTarget {
  socketPath?: string | (() => Promise<string>);
  getSocketPath?: () => Promise<string> | undefined;
  host?: string;
  port?: string | number;
  protocol?: string;
}

/** Where this client dials, in words: `unix socket /var/run/docker.sock`, `http://127.0.0.1:2375`. */
export async function describeDockerTarget(docker: Docker): Promise<string> {
  const modem = docker.modem as unknown as ModemTarget;
  if (modem.socketPath) {
    const path = (await modem.getSocketPath?.()) ?? (typeof modem.socketPath === 'string' ? modem.socketPath : '?');
    return `unix socket ${path}`;
  }
  return `${modem.protocol ?? 'http'}://${modem.host ?? 'localhost'}:${modem.port ?? '?'}`;
}

/** What was tried, for `DockerUnavailableError.tried`: the target with its failure, and DOCKER_HOST. */
async function triedList(docker: Docker | undefined, reason: string): Promise<string[]> {
  const tried: string[] = [];
  if (docker) tried.push(`${await describeDockerTarget(docker)} (${reason})`);
  const host = process.env['DOCKER_HOST'];
  tried.push(host ? `DOCKER_HOST=${host}` : 'DOCKER_HOST unset (default socket)');
  return tried;
}

/**
 * The injected client, else `new Docker()`, which honours DOCKER_HOST (unix://, tcp://, ssh://)
 * and DOCKER_TLS_VERIFY / DOCKER_CERT_PATH. A malformed DOCKER_HOST becomes DockerUnavailableError.
 */
export async function resolveDocker(injected: Docker | undefined, context: ErrorContext = {}): Promise<Docker> {
  if (injected) return injected;
  try {
    return new Docker();
  } catch (error) {
    throw new DockerUnavailableError(await triedList(undefined, (error as Error).message), context, { cause: error });
  }
}

/** True for a modem error that means the engine could not be reached at all. */
function isDockerUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNREACHABLE_CODES.has(code);
}

/** The HTTP status a Docker API call failed with, if it got that far. */
export function dockerStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Wraps a failed Docker call: DockerUnavailableError when unreachable, else DockerError. */
export async function toDockerError(error: unknown, doing: string, docker: Docker, context: ErrorContext = {}): Promise<OpenEnvError> {
  if (error instanceof OpenEnvError) return error;
  if (isDockerUnreachable(error)) {
    const code = (error as { code: string }).code;
    return new DockerUnavailableError(await triedList(docker, code), context, { cause: error });
  }
  const message = error instanceof Error ? error.message.trim() : String(error);
  return new DockerError(`Docker could not ${doing}: ${message}`, context, { cause: error });
}

/**
 * First call of every start: `GET /_ping`. Turns ENOENT / ECONNREFUSED / EACCES into a
 * DockerUnavailableError that names the socket or host tried and how to fix it.
 */
export async function checkDockerReachable(docker: Docker, context: ErrorContext = {}): Promise<void> {
  try {
    await docker.ping();
  } catch (error) {
    throw await toDockerError(error, 'answer a ping', docker, context);
  }
}
