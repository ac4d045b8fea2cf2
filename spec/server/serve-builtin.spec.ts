import { runServeBuiltin, serveBuiltin, serveOptionsFromEnv } from '../../src/server/serve-builtin.js';
import { ServeError, UnknownEnvError } from '../../src/errors/server-errors.js';
import { Cleanup } from './support.js';

describe('serveBuiltin', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('serves a built-in env by name', async () => {
    const server = cleanup.server(await serveBuiltin('cartpole'));
    expect(await (await fetch(server.url + '/metadata')).json()).toMatchObject({ name: 'CartPoleEnvironment', version: '1.0.0' });
  });

  it('rejects an unknown name with UnknownEnvError listing the valid names', async () => {
    const error = (await serveBuiltin('constructor').catch((e: unknown) => e)) as UnknownEnvError;
    expect(error).toBeInstanceOf(UnknownEnvError);
    expect(error.code).toBe('ERR_UNKNOWN_ENV');
    expect(error.known).toEqual(expect.arrayContaining(['echo', 'grid_world', 'cartpole', 'frozen_lake']));
    expect(error.message).toBe('Unknown env "constructor"; valid names: echo, echo_mcp, grid_world, cartpole, frozen_lake, frozen_lake_deterministic');
  });

  it('reads container-style options from the environment', () => {
    expect(serveOptionsFromEnv({})).toEqual({ host: '127.0.0.1', port: 8000 });
    expect(serveOptionsFromEnv({ HOST: '0.0.0.0', PORT: '9000', MAX_CONCURRENT_ENVS: '4', IDLE_TIMEOUT_MS: '500', MAX_QUEUED_MESSAGES: '64', OPENENV_TOKEN: 't' })).toEqual({
      host: '0.0.0.0',
      port: 9000,
      maxSessions: 4,
      idleTimeoutMs: 500,
      maxQueuedMessages: 64,
      token: 't',
    });
    expect(() => serveOptionsFromEnv({ PORT: 'eighty' })).toThrow(ServeError);
  });

  it('runServeBuiltin serves the named env (PORT=0 here); its close() drops the signal handlers', async () => {
    const lines: string[] = [];
    const output = { info: (l: string) => lines.push(l), error: (l: string) => lines.push(`E ${l}`) };
    const sigterm = process.listenerCount('SIGTERM');
    const server = await runServeBuiltin(['grid_world'], { PORT: '0' }, output);
    expect(server).toBeDefined();
    cleanup.server(server!);
    expect(process.listenerCount('SIGTERM')).toBe(sigterm + 1);
    expect(await (await fetch(server!.url + '/health')).json()).toEqual({ status: 'healthy' });
    expect(lines).toEqual([`openenv-rx: serving grid_world on ${server!.url}`]);
    await server!.close();
    expect(process.listenerCount('SIGTERM')).toBe(sigterm);
  });

  it('runServeBuiltin reports a bad name and sets a failing exit code', async () => {
    const lines: string[] = [];
    const previous = process.exitCode;
    try {
      expect(await runServeBuiltin(['nope'], {}, { info: (l) => lines.push(l), error: (l) => lines.push(l) })).toBeUndefined();
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = previous;
    }
    expect(lines).toEqual(['openenv-rx: Unknown env "nope"; valid names: echo, echo_mcp, grid_world, cartpole, frozen_lake, frozen_lake_deterministic']);
  });
});
