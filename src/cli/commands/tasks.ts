import type { Command } from 'commander';
import { collectHeader, parseIntArg, requestHeaders, type Io } from '../io.js';

interface TasksOptions {
  url: string;
  env?: string;
  split?: string;
  index?: number;
  token?: string;
  header?: string[];
}

/**
 * `openenv-rx tasks --url URL [--split S [--index N]]`: OpenEnv 0.10's task API as JSON. Without
 * --split: the server's envs and their splits; with it: that split's tasks; with --index: one task.
 */
export function registerTasks(program: Command, io: Io): void {
  program
    .command('tasks')
    .description("list an OpenEnv server's tasks (the task API of OpenEnv 0.10+): envs and splits, a split's tasks, or one task; prints JSON")
    .requiredOption('--url <url>', 'base URL of the server, e.g. http://127.0.0.1:8000')
    .option('--env <name>', 'env name (default: the first of GET /list_environments)')
    .option('--split <name>', "print this split's tasks")
    .option('--index <n>', 'print only the task at this index of --split', parseIntArg(0))
    .option('--token <token>', 'bearer token (or OPENENV_TOKEN)')
    .option('-H, --header <name: value>', 'extra request header, repeatable', collectHeader)
    .action(async (opts: TasksOptions) => {
      // Loaded when the command runs: --help and the other commands start without rxjs and the transports.
      const [{ firstValueFrom }, { taskApi }] = await Promise.all([import('rxjs'), import('../../transport/task-api.js')]);
      const api = taskApi(opts.url, { headers: requestHeaders(opts.header, opts.token ?? process.env['OPENENV_TOKEN']) });
      const envs = opts.env ? [opts.env] : await firstValueFrom(api.environments());
      const env = envs[0] ?? '';
      let answer: unknown;
      if (opts.split === undefined) {
        answer = { environments: await Promise.all(envs.map(async (name) => ({ name, splits: await firstValueFrom(api.splits(name)) }))) };
      } else if (opts.index === undefined) answer = { env, split: opts.split, tasks: await firstValueFrom(api.tasks(env, opts.split)) };
      else answer = { env, split: opts.split, index: opts.index, task: await firstValueFrom(api.task(env, opts.split, opts.index)) };
      io.out.write(`${JSON.stringify(answer, null, 2)}\n`);
    });
}
