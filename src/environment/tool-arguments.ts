import type { z } from 'zod';
import { formatValidationErrorText } from '../internal/pydantic-error-text.js';
import { toPydanticIssues } from '../internal/pydantic-issues.js';

const DOCS = 'https://errors.pydantic.dev/2.14/v/';

/**
 * The `invalid_args` message of a tool call whose arguments failed the tool's input schema, worded
 * as pydantic's `validate_call` words it (FastMCP validates tool arguments that way): top-level
 * `missing` becomes `missing_argument`, `extra_forbidden` becomes `unexpected_keyword_argument`.
 *
 * @example
 * invalidArgumentsText('echo_message', schema, { msg: 1 }, issues)
 * // "2 validation errors for call[echo_message]\nmessage\n  Missing required argument [type=missing_argument, ..."
 */
export function invalidArgumentsText(tool: string, schema: z.ZodType, args: unknown, issues: readonly z.core.$ZodIssue[]): string {
  const translated = toPydanticIssues(issues, args, { withUrl: true, schema }).map((issue) => {
    if (issue.loc.length !== 1) return issue;
    if (issue.type === 'missing') return { ...issue, type: 'missing_argument', msg: 'Missing required argument', url: `${DOCS}missing_argument` };
    if (issue.type === 'extra_forbidden') {
      return { ...issue, type: 'unexpected_keyword_argument', msg: 'Unexpected keyword argument', url: `${DOCS}unexpected_keyword_argument` };
    }
    return issue;
  });
  return formatValidationErrorText(`call[${tool}]`, translated);
}
