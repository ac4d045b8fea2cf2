import { InvalidArgumentError, type Command } from 'commander';
import { parseIntArg } from '../io.js';
import { looksLikeModulePath } from '../load-user-module.js';

function parsePolicy(value: string): string {
  if (value === 'random' || looksLikeModulePath(value)) return value;
  throw new InvalidArgumentError('expected "random" or the path of an ES module (e.g. ./my-policy.js)');
}

/** Parsed policy flags (shared by every command that runs episodes). */
export interface PolicyFlags {
  policy: string;
  seed: number;
  maxSteps: number;
}

/** Adds `--policy`, `--seed`, `--max-steps`. */
export function addPolicyOptions(command: Command): Command {
  return command
    .option(
      '--policy <random|./policy.js>',
      'the agent: random (uniform over the action schema, or over the legal actions an observation lists) or an ES module whose default export is a policy (observation, last) => action | Promise | Observable',
      parsePolicy,
      'random',
    )
    .option('--seed <n>', 'episode i is reset with seed + i; the random policy is seeded too', parseIntArg(0), 0)
    .option('--max-steps <n>', 'cut episodes at this many steps (truncated)', parseIntArg(1), 200);
}
