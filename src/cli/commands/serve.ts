import type { Command } from 'commander';
import { DEFAULT_IDLE_TIMEOUT_MS } from '../../server/idle-default.js';
import { BUILTIN_ENV_NAMES } from '../builtin-env-names.js';
import { parseIntArg, type Io } from '../io.js';

/** Sessions a local dev server accepts by default: enough for `rollout`'s 3 parallel sessions and a notebook. */
const DEFAULT_MAX_SESSIONS = 8;

interface ServeFlags {
  host: string;
  port: number;
  maxSessions?: number;
  idleTimeout?: number;
  maxQueued?: number;
  maxStateless?: number;
  allowedOrigin?: string[];
  token?: string;
}

/** Binds only this machine can reach (no token needed there). */
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `openenv-rx serve <env>`: a built-in env or an env module on a port until SIGINT/SIGTERM. */
export function registerServe(program: Command, io: Io, signals: NodeJS.EventEmitter = process): void {
  program
    .command('serve')
    .description('serve an env over the OpenEnv protocol: a built-in or your own env module')
    .argument('<env>', `a built-in env (${BUILTIN_ENV_NAMES.join(', ')}) or the path of an ES module exporting an env definition (./my-env.js)`)
    .option('--host <host>', 'interface to bind (0.0.0.0 exposes it beyond this machine)', '127.0.0.1')
    .option('-p, --port <port>', 'port (0: any free port)', parseIntArg(0), 8000)
    .option(
      '--max-sessions <n>',
      `concurrent /ws sessions; one more is refused with CAPACITY_REACHED. Default ${DEFAULT_MAX_SESSIONS}: plenty for local rollouts (real OpenEnv servers usually allow 1)`,
      parseIntArg(1),
    )
    .option(
      '--idle-timeout <ms>',
      `close a session (/ws or MCP) after this many ms without a message, freeing its slot; 0 never (default ${DEFAULT_IDLE_TIMEOUT_MS}: 10 minutes)`,
      parseIntArg(0),
    )
    .option('--max-stateless <n>', 'stateless requests (/reset, /step, /state, session-less /mcp tool calls) served at once; one more gets 503 (default 16)', parseIntArg(1))
    .option(
      '--allowed-origin <origin>',
      'a browser origin allowed to call the server, with CORS (repeatable; e.g. https://ui.example.com). Any other Origin is refused with 403',
      collect,
    )
    .option(
      '--max-queued <n>',
      'messages one /ws client may have waiting for answers; one more gets a SESSION_ERROR frame and close 1008 (default 1024)',
      parseIntArg(1),
    )
    .option('--token <token>', 'require "Authorization: Bearer <token>" (default: $OPENENV_TOKEN); without --token a --host beyond loopback warns')
    .addHelpText(
      'after',
      `
Examples:
  openenv-rx serve grid_world                       # http://127.0.0.1:8000
  openenv-rx serve ./my-env.js --port 0 --max-sessions 1
An env module's default export is an env definition: see examples/cli/coin-env.mjs.`,
    )
    .action(async (env: string, flags: ServeFlags) => {
      const token = flags.token ?? process.env['OPENENV_TOKEN'];
      const maxSessions = flags.maxSessions ?? DEFAULT_MAX_SESSIONS;
      // Loaded here, not at startup: --help and every other command start without the envs and the server.
      const [{ loadEnvDefinition }, { serve }] = await Promise.all([import('../load-env-definition.js'), import('../../server/serve.js')]);
      const definition = await loadEnvDefinition(env, 'serve');
      if (!token && !LOOPBACK.test(flags.host)) {
        io.err.write(
          `openenv-rx: warning: serving on ${flags.host} without a token: anyone who can reach this machine can drive the env ` +
            `(and run its tools). Set one with --token <secret> or OPENENV_TOKEN=<secret>; clients send "Authorization: Bearer <secret>".\n`,
        );
      }
      const server = await serve(definition, {
        host: flags.host,
        port: flags.port,
        maxSessions,
        ...(flags.idleTimeout !== undefined && { idleTimeoutMs: flags.idleTimeout }),
        ...(flags.maxStateless !== undefined && { maxStatelessRequests: flags.maxStateless }),
        ...(flags.allowedOrigin && { allowedOrigins: flags.allowedOrigin }),
        ...(flags.maxQueued ? { maxQueuedMessages: flags.maxQueued } : {}),
        ...(token ? { token } : {}),
        onError: (error, info) => io.err.write(`openenv-rx: ${info.operation} over ${info.transport} failed: ${error instanceof Error ? error.message : String(error)}\n`),
      });
      io.out.write(`serving ${definition.name} on ${server.url} (${maxSessions} session${maxSessions > 1 ? 's' : ''}${token ? ', token required' : ''})\n`);
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
