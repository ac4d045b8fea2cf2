import { Command, CommanderError } from 'commander';
import { cliErrorMessage } from './cli-error-message.js';
import { registerCollect } from './commands/collect.js';
import { registerReap } from './commands/reap.js';
import { registerReport } from './commands/report.js';
import { registerRollout } from './commands/rollout.js';
import { registerServe } from './commands/serve.js';
import { registerTasks } from './commands/tasks.js';
import { registerTypes } from './commands/types.js';
import { registerValidate } from './commands/validate.js';
import { packageVersion } from '../internal/package-version.js';
import { processIo, type Io } from './io.js';

/** Builds the `openenv-rx` command. `io` is injected so tests run commands in-process. */
export function createProgram(io: Io = processIo): Command {
  const program = new Command('openenv-rx')
    .description('Drive OpenEnv environments as RxJS streams: rollouts, servers, conformance checks')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) })
    .version(packageVersion(), '-v, --version', 'print the openenv-rx version')
    .exitOverride();
  registerRollout(program, io);
  registerCollect(program, io);
  registerServe(program, io);
  registerValidate(program, io);
  registerReap(program, io);
  registerTasks(program, io);
  registerTypes(program, io);
  registerReport(program, io);
  return program;
}

/**
 * Runs the CLI with `argv` (without `node` and the script). Resolves with the exit code; usage
 * errors print the message and usage, library errors print their code and message, never a stack.
 */
export async function runCli(argv: readonly string[], io: Io = processIo): Promise<number> {
  let exitCode = 0;
  const program = createProgram({ ...io, setExitCode: (code) => (exitCode = code) });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    io.err.write(`openenv-rx: ${cliErrorMessage(error)}\n`);
    return 1;
  }
}

