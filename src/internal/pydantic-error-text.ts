import type { ValidationIssue } from '../protocol/http-messages.js';
import { pythonRepr } from './pydantic-issues.js';

/**
 * `str(ValidationError)` as pydantic prints it: OpenEnv puts this text into JSON-RPC `-32600`
 * messages (`"Invalid request: 3 validation errors for JsonRpcRequest\njsonrpc\n  Field required ..."`).
 *
 * @example
 * formatValidationErrorText('JsonRpcRequest', [{ type: 'missing', loc: ['method'], msg: 'Field required', input: {} }]);
 * // "1 validation error for JsonRpcRequest\nmethod\n  Field required [type=missing, input_value={}, input_type=dict]"
 */
export function formatValidationErrorText(model: string, issues: readonly ValidationIssue[]): string {
  const head = `${issues.length} validation error${issues.length === 1 ? '' : 's'} for ${model}`;
  const body = issues.map((issue) => {
    const lines = [
      issue.loc.map(String).join('.'),
      `  ${issue.msg} [type=${issue.type}, input_value=${pythonRepr(issue.input)}, input_type=${pythonTypeName(issue.input)}]`,
    ];
    if (issue.url) lines.push(`    For further information visit ${issue.url}`);
    return lines.join('\n');
  });
  return [head, ...body].join('\n');
}

function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  if (Array.isArray(value)) return 'list';
  return 'dict';
}
