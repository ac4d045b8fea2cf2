import { OpenEnvError } from '../errors/openenv-error.js';

/**
 * Library wording that names an option of the TypeScript API, and what a CLI user types instead.
 * The library's messages stay right for library users; the CLI translates them.
 */
const OPTION_TO_FLAG: Array<[RegExp, string]> = [
  [/pass \{ pull: '([\w-]+)' \}/g, 'pass --pull $1'],
  [/\(pull: '([\w-]+)'\)/g, '(--pull $1)'],
  [/\(pull: '([\w-]+)' runs/g, '(--pull $1 runs'],
  [/talk to a manager \(option docker\)/g, 'talk to a manager (DOCKER_HOST=tcp://manager:2376 or ssh://user@manager)'],
  [/,? or pass \{ docker: new Docker\(\.\.\.\) \}/g, ''],
  // StatelessHttpError: the CLI has no opt-out (an HTTP "episode" there is a run of fresh envs).
  [/Use transport 'ws' or 'auto' \(the default\) for episodes; pass \{ allowStatelessEpisodes: true \} to send single stateless requests anyway/g, 'Use --transport ws or --transport auto (the default) for episodes'],
  // InvalidUrlError: credentials or a token in the URL.
  [/pass \{ headers: \{ authorization: \.\.\. \} \}/g, 'pass --token <token> (or $OPENENV_TOKEN) or -H "name: value" instead'],
];

/** What the CLI says when a server answers 401. */
export const TOKEN_HINT = 'The server wants a bearer token: pass --token <token> (or set OPENENV_TOKEN), or -H "authorization: ..."';

/** What the CLI adds to some errors: the flags that fix them. */
const HINTS: Record<string, string> = {
  ERR_ACTION_REJECTED: 'Pass --policy ./my-policy.js to choose actions yourself (see docs/cli.md).',
  ERR_STATELESS_HTTP: '--transport http is for servers without /ws (OpenEnv generation A), which keep one env across HTTP requests.',
  ERR_CAPACITY: 'The server is at its session limit: lower --sessions, raise --capacity-wait, or give the server more sessions (serve --max-sessions, MAX_CONCURRENT_ENVS).',
  ERR_UNKNOWN_ENV: 'A path to an ES module exporting an env definition (./my-env.js) works too.',
};

/** An error as the CLI reports it: its `ERR_` code (null for an error of no openenv-rx kind), message with CLI flag names, and hint. */
export interface CliErrorParts {
  code: string | null;
  message: string;
  hint?: string;
}

/** `error` split into what `cliErrorMessage` prints (and `rollout --json` reports as `error`). */
export function cliErrorParts(error: unknown): CliErrorParts {
  if (!(error instanceof OpenEnvError)) return { code: null, message: error instanceof Error ? error.message : String(error) };
  let message = error.message;
  for (const [pattern, replacement] of OPTION_TO_FLAG) message = message.replace(pattern, replacement);
  // A rejected action the user's own --policy chose: the hint to pass a --policy does not apply.
  const hint = (error as { status?: unknown }).status === 401 ? TOKEN_HINT : error.context['userPolicy'] ? undefined : HINTS[error.code];
  return { code: error.code, message, ...(hint && { hint }) };
}

/**
 * One line (or a few) for the terminal: `code: message`, never a stack, with library option names
 * translated into CLI flags and a hint for errors a flag can fix.
 */
export function cliErrorMessage(error: unknown): string {
  const { code, message, hint } = cliErrorParts(error);
  return `${code ? `${code}: ` : ''}${message}${hint ? `\n  ${hint}` : ''}`;
}
