import { isObservable, tap } from 'rxjs';
import type { ActionRejectedError } from '../errors/action-rejected-error.js';
import { CliUsageError, UserModuleError } from '../errors/cli-errors.js';
import { isPromiseLike } from '../internal/is-promise-like.js';
import { explainRejectedAction } from '../policies/explain-rejected-action.js';
import type { Policy } from '../session/types.js';
import { importUserModule, looksLikeModulePath } from './load-user-module.js';
import { randomRolloutPolicy } from './random-rollout-policy.js';

type CliPolicyFn = Policy<Record<string, unknown>, unknown>;

/** The `--policy` of a run, with the actions it sent (to explain a rejection). */
export interface CliPolicy {
  policy: CliPolicyFn;
  /** The last action sent in an episode (by episode id). */
  lastAction(episodeId: string | undefined): unknown;
  /** Whether the policy needs the action schema from `/schema` (the random one does). */
  needsSchema: boolean;
  /**
   * A step the server refused, explained from its answer (`ActionRejectedError`); undefined for
   * any other error. For a user's module the explanation names it, and its context carries
   * `userPolicy` (the CLI then gives no hint to pass a --policy: one was passed).
   */
  explainRejection(error: unknown, schema: Record<string, unknown> | undefined): ActionRejectedError | undefined;
}

/**
 * `--policy random` or `--policy ./my-policy.js` (an ES module whose default export is a policy:
 * `(observation, last) => action`, a Promise of it or an Observable of it).
 */
export async function loadCliPolicy(spec: string, schema: Promise<Record<string, unknown>>, seed: number): Promise<CliPolicy> {
  let inner: CliPolicyFn;
  if (spec === 'random') inner = randomRolloutPolicy(schema, seed);
  else if (looksLikeModulePath(spec)) {
    const module = await importUserModule(spec, '--policy');
    const exported = module['default'];
    if (typeof exported !== 'function') {
      throw new UserModuleError(
        '--policy',
        spec,
        `--policy ${spec}: the default export must be a policy function (observation, last) => action | Promise<action> | Observable<action>, got ${exported === undefined ? 'no default export' : typeof exported}`,
      );
    }
    inner = exported as CliPolicyFn;
  } else throw new CliUsageError('--policy', `--policy must be "random" or the path of an ES module (e.g. ./my-policy.js), got "${spec}"`);
  return recording(inner, spec);
}

/**
 * Wraps a policy so the CLI can name the last action it sent in an episode (to explain a rejection).
 * `spec` names the policy in messages; `needsSchema` says it chooses from the server's schema.
 */
export function recording(inner: CliPolicyFn, spec: string, needsSchema = spec === 'random'): CliPolicy {
  const sent = new Map<string, unknown>();
  const record = (episodeId: string, action: unknown) => {
    sent.delete(episodeId);
    sent.set(episodeId, action);
    // One entry per running episode is enough: drop the oldest.
    if (sent.size > 256) sent.delete(sent.keys().next().value!);
  };
  const policy: CliPolicyFn = (observation, last) => {
    const answer = inner(observation, last);
    if (isObservable(answer)) return answer.pipe(tap((action) => record(last.episodeId, action)));
    if (isPromiseLike(answer)) {
      return Promise.resolve(answer).then((action) => {
        record(last.episodeId, action);
        return action;
      });
    }
    record(last.episodeId, answer);
    return answer;
  };
  const lastAction = (episodeId: string | undefined) => (episodeId === undefined ? undefined : sent.get(episodeId));
  const explainRejection = (error: unknown, schema: Record<string, unknown> | undefined) => {
    const episodeId = (error as { context?: { episodeId?: string } } | null)?.context?.episodeId;
    const explained = explainRejectedAction(error, schema ?? {}, lastAction(episodeId), needsSchema ? {} : { chosenBy: `--policy ${spec}` });
    return needsSchema ? explained : explained?.addContext({ userPolicy: spec });
  };
  return { policy, needsSchema, lastAction, explainRejection };
}
