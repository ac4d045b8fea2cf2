import { OpenEnvError, type ErrorContext } from './openenv-error.js';

/**
 * The server refused an action the policy produced (a `VALIDATION_ERROR` or `EXECUTION_ERROR`
 * frame, an HTTP 422): the action schema allows values the env does not accept, or the policy
 * ignores it. Names the field and its schema; `cause` holds the server's error. The CLI raises it;
 * in your own loop `explainRejectedAction` turns the server's `ServerError` into one.
 *
 * @example
 * const { action: actionSchema } = protocol.SchemaResponse.parse(await fetch('http://127.0.0.1:8000/schema').then((r) => r.json()));
 * const action = { action: 'JUMP' }; // not a move grid_world knows
 * defineEnv({ name: 'grid_world' }) // no zod schemas: the client sends the action as it is
 *   .connect('http://127.0.0.1:8000')
 *   .pipe(
 *     withSession((env) => env.reset().pipe(concatMap(() => env.step(action)))),
 *     catchError((e) => throwError(() => explainRejectedAction(e, actionSchema, action) ?? e)),
 *   )
 *   .subscribe({
 *     error: (e) => {
 *       if (!(e instanceof ActionRejectedError)) throw e;
 *       console.log(e.field, e.fieldSchema); // action { type: 'string', enum: [ 'UP', 'DOWN', 'LEFT', 'RIGHT' ], ... }
 *     },
 *   });
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
