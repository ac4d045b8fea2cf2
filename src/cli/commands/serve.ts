import type { Command } from 'commander';
import { builtinEnvs } from '../../envs/index.js';
import { serveBuiltin } from '../../server/serve-builtin.js';
import { parseIntArg, type Io } from '../io.js';

/** `openenv-rx serve <env>`: a built-in env on a port until SIGINT/SIGTERM. */
export function registerServe(program: Command, io: Io, signals: NodeJS.EventEmitter = process): void {
  program
    .command('serve')
    .description(`serve a built-in env over the OpenEnv protocol (${Object.keys(builtinEnvs).join(', ')})`)
    .argument('<env>', 'built-in env name')
    .option('--host <host>', 'interface to bind (0.0.0.0 exposes it beyond this machine)', '127.0.0.1')
    .option('-p, --port <port>', 'port (0: any free port)', parseIntArg(0), 8000)
    .option('--max-sessions <n>', 'concurrent /ws sessions', parseIntArg(1), 1)
    .option('--idle-timeout <ms>', 'close idle /ws sessions after this many ms', parseIntArg(1))
    .option('--token <token>', 'require "Authorization: Bearer <token>" (or OPENENV_TOKEN)')
    .action(async (env: string, opts: { host: string; port: number; maxSessions: number; idleTimeout?: number; token?: string }) => {
      const token = opts.token ?? process.env['OPENENV_TOKEN'];
      const server = await serveBuiltin(env, {
        host: opts.host,
        port: opts.port,
        maxSessions: opts.maxSessions,
        ...(opts.idleTimeout ? { idleTimeoutMs: opts.idleTimeout } : {}),
        ...(token ? { token } : {}),
        onError: (error, info) => io.err.write(`openenv-rx: ${info.operation} over ${info.transport} failed: ${error instanceof Error ? error.message : String(error)}\n`),
      });
      io.out.write(`serving ${env} on ${server.url} (${opts.maxSessions} session${opts.maxSessions > 1 ? 's' : ''}${token ? ', token required' : ''})\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          signals.off('SIGINT', stop);
          signals.off('SIGTERM', stop);
          resolve();
        };
        signals.on('SIGINT', stop);
        signals.on('SIGTERM', stop);
      });
      await server.close();
      io.out.write('stopped\n');
    });
}
