import { ActionRejectedError } from '../errors/action-rejected-error.js';
import { OpenEnvError } from '../errors/openenv-error.js';
import { hasCode } from '../internal/error-context.js';
import { isRecord } from '../internal/is-record.js';
import { resolveRef, type JsonSchema } from './json-schema.js';

const REJECTING_SERVER_CODES = new Set(['VALIDATION_ERROR', 'EXECUTION_ERROR']);
const MAX_JSON = 300;

/** How `explainRejectedAction` words its explanation. */
export interface ExplainRejectionOptions {
  /**
   * Who chose the action, when it is the user's own code (`--policy ./agent.js`): the explanation
   * names it and asks it to send what the server accepts, instead of blaming a schema that allows
   * values the env refuses (what a policy sampling from the schema meets).
   */
  chosenBy?: string;
}

/**
 * Recognises a server's refusal of a step's action (`VALIDATION_ERROR` or `EXECUTION_ERROR` over
 * `/ws`, HTTP 422) and explains it as one `ActionRejectedError` that names the field and its
 * schema: from the pydantic `loc` when the server sent one, else the action field whose value the
 * server's message quotes, else the only field. A field the schema does not describe is said to be
 * missing from it; with no schema (`{}`: not known) nothing is said about one. Returns `undefined`
 * for any other error. What `openenv-rx rollout` and `collect` print for a rejected action, for
 * your own loops.
 *
 * @example
 * const { action: actionSchema } = protocol.SchemaResponse.parse(await fetch('http://127.0.0.1:8000/schema').then((r) => r.json()));
 * const myPolicy = () => ({ action: 'JUMP' });
 * defineEnv({ name: 'grid_world' }) // no zod schemas: the client sends what the policy returns
 *   .connect('http://127.0.0.1:8000')
 *   .pipe(
 *     withSession((env) => env.episode(myPolicy)),
 *     catchError((e) => throwError(() => explainRejectedAction(e, actionSchema, myPolicy(), { chosenBy: 'myPolicy' }) ?? e)),
 *   )
 *   .subscribe({
 *     error: (e) => {
 *       if (!(e instanceof ActionRejectedError)) throw e;
 *       console.log(e.message); // The server rejected the action {"action":"JUMP"} that myPolicy chose (VALIDATION_ERROR: ...). Field "action" has schema {...}. ...
 *     },
 *   });
 */
export function explainRejectedAction(error: unknown, actionSchema: JsonSchema, action: unknown, options: ExplainRejectionOptions = {}): ActionRejectedError | undefined {
  const rejection = rejectionOf(error);
  if (!rejection) return undefined;
  const field = fieldFromIssues(rejection.locs, action) ?? fieldFromMessage(rejection.reason, action) ?? onlyField(action);
  const fieldSchema = field === undefined ? actionSchema : schemaAt(actionSchema, field);
  const schemaKnown = Object.keys(actionSchema).length > 0;
  const where =
    field === undefined
      ? schemaKnown
        ? `The action schema is ${json(actionSchema)}`
        : undefined
      : fieldSchema !== undefined
        ? `Field "${field}" has schema ${json(fieldSchema)}`
        : schemaKnown
          ? `Field "${field}" is not in the action schema ${json(actionSchema)}`
          : `The server objected to field "${field}"`;
  const message = options.chosenBy
    ? `The server rejected the action ${json(action)} that ${options.chosenBy} chose (${rejection.reason}).${where ? ` ${where}.` : ''} The policy must send actions the server accepts.`
    : `The server rejected the action ${json(action)} (${rejection.reason})${where ? `. ${where}: it allows values this env does not accept, so` : ':'} ` +
      'the policy must choose what the env allows (for instance from the legal actions the observation lists).';
  const context = error instanceof OpenEnvError ? error.context : {};
  return new ActionRejectedError(message, action, field, fieldSchema, context, { cause: error });
}

interface Rejection {
  reason: string;
  /** pydantic `loc` lists, when the server sent them. */
  locs: unknown[][];
}

function rejectionOf(error: unknown): Rejection | undefined {
  if (!isRecord(error)) return undefined;
  const context = isRecord(error['context']) ? error['context'] : {};
  if (context['request'] !== undefined && context['request'] !== 'step') return undefined;
  if (hasCode(error, 'ERR_SERVER') && REJECTING_SERVER_CODES.has(String(error['serverCode']))) {
    const data = isRecord(error['data']) ? error['data'] : {};
    return { reason: `${String(error['serverCode'])}: ${String(error['serverMessage'])}`, locs: locsOf(data['errors']) };
  }
  if (hasCode(error, 'ERR_HTTP_STATUS') && error['status'] === 422) {
    const detail = error['detail'];
    const text = Array.isArray(detail)
      ? detail.map((d) => (isRecord(d) ? String(d['msg']) : String(d))).join('; ')
      : typeof detail === 'string'
        ? detail
        : '';
    return { reason: `HTTP 422${text ? `: ${text}` : ''}`, locs: locsOf(detail) };
  }
  return undefined;
}

function locsOf(issues: unknown): unknown[][] {
  return Array.isArray(issues) ? issues.flatMap((i) => (isRecord(i) && Array.isArray(i['loc']) ? [i['loc'] as unknown[]] : [])) : [];
}

/** The first `loc` as a dotted path inside the action (HTTP locs start with `body`, `action`). */
function fieldFromIssues(locs: unknown[][], action: unknown): string | undefined {
  for (const loc of locs) {
    let path = loc.map(String);
    if (path[0] === 'body') path = path.slice(1);
    if (path[0] === 'action' && !(isRecord(action) && 'action' in action)) path = path.slice(1);
    if (path.length) return path.join('.');
  }
  return undefined;
}

/** The one top-level field whose value the server's message quotes ("5 is not a valid Action"). */
function fieldFromMessage(reason: string, action: unknown): string | undefined {
  if (!isRecord(action)) return undefined;
  const quoted = Object.entries(action).filter(([, value]) => {
    if (typeof value !== 'number' && typeof value !== 'string' && typeof value !== 'boolean') return false;
    const text = String(value).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return text !== '' && new RegExp(`(^|[^\\w.])${text}($|[^\\w.])`).test(reason);
  });
  return quoted.length === 1 ? quoted[0]![0] : undefined;
}

function onlyField(action: unknown): string | undefined {
  if (!isRecord(action)) return undefined;
  const keys = Object.keys(action);
  return keys.length === 1 ? keys[0] : undefined;
}

/** The schema of a dotted path (refs resolved at each level), or undefined when the schema does not say. */
function schemaAt(root: JsonSchema, path: string): unknown {
  let node: JsonSchema | undefined = resolveRef(root, root);
  for (const key of path.split('.')) {
    const properties: unknown = node?.['properties'];
    const next: unknown = isRecord(properties) ? properties[key] : undefined;
    node = isRecord(next) ? resolveRef(next, root) : undefined;
    if (!node) return undefined;
  }
  return node;
}

function json(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_JSON ? `${text.slice(0, MAX_JSON)}...` : text;
}
