import type { Command } from 'commander';
import { collectHeader, parseIntArg, requestHeaders, type Io } from '../io.js';

interface TypesOptions {
  name?: string;
  token?: string;
  header?: string[];
  timeout: number;
}

/**
 * `openenv-rx types URL`: prints a TypeScript module with zod schemas and a `defineEnv` generated
 * from a live server's `GET /schema` (the env's name from `GET /metadata`, or `--name`).
 */
export function registerTypes(program: Command, io: Io): void {
  program
    .command('types')
    .description("print a TypeScript module (zod schemas + defineEnv) generated from a server's GET /schema")
    .argument('<url>', 'base URL of the server, e.g. http://127.0.0.1:8000')
    .option('--name <name>', "env name for defineEnv and the exports (default: GET /metadata's name)")
    .option('--token <token>', 'bearer token (or OPENENV_TOKEN)')
    .option('-H, --header <name: value>', 'extra request header, repeatable', collectHeader)
    .option('--timeout <ms>', 'connect and reply timeout in ms', parseIntArg(1), 10_000)
    .action(async (url: string, opts: TypesOptions) => {
      const headers = requestHeaders(opts.header, opts.token ?? process.env['OPENENV_TOKEN']);
      // Loaded here, not at startup: the HTTP client and the generator are only this command's.
      const { generateEnvModule } = await import('../types/generate-env-module.js');
      io.out.write(await generateEnvModule(url, { headers, timeoutMs: opts.timeout, ...(opts.name !== undefined && { name: opts.name }) }));
    });
}
