import { OpenEnvError, type ErrorContext } from './openenv-error.js';

/**
 * The server refused an action the policy produced (a `VALIDATION_ERROR` or `EXECUTION_ERROR`
 * frame, an HTTP 422): the action schema allows values the env does not accept, or the policy
 * ignores it. Names the field and its schema; `cause` holds the server's error.
 *
 * @example <caption>doctest: compile-only (no library call raises it today, only the CLI does: explainRejectedAction is internal; spec/cli/action-rejected-policy.spec.ts meets it)</caption>
 * run$.subscribe({ error: (e) => e instanceof ActionRejectedError && console.log(e.field, e.fieldSchema) });
 */
export class ActionRejectedError extends OpenEnvError {
  constructor(
    message: string,
    /** The action that was sent. */
    readonly action: unknown,
    /** Dotted path of the field the server objected to (or the likeliest one), when known. */
    readonly field: string | undefined,
    /** That field's JSON Schema (refs resolved), as `/schema` gave it. */
    readonly fieldSchema: unknown,
    context: ErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(message, 'ERR_ACTION_REJECTED', context, options);
  }
}
