import { from, type Observable } from 'rxjs';
import { InvalidOptionError } from '../errors/usage-errors.js';
import { EPISODE_TRANSCRIPT } from '../fleet/episode-transcript.js';
import { actionFromLegal, legalActionsOf } from '../policies/legal-actions.js';
import { firstChoice, sampleJsonSchema } from '../policies/sample-json-schema.js';
import type { EpisodeStep } from '../session/types.js';
import type { AgentTool } from './agent-tools.js';
import type { AgentPolicy } from './chat-policy.js';
import { ConversationBook, EpisodeConversation, jsonObservation, type ObservationFormatter } from './episode-conversation.js';
import { pythonJsonDumps } from './python-json.js';
import { toolAction, type AgentAction } from './tool-action.js';

/** Options of `scriptedTeacher`. */
export interface ScriptedTeacherOptions {
  /** As `chatPolicy`'s: the first tool is the one called. */
  tools: readonly AgentTool[] | Promise<readonly AgentTool[]>;
  /** Default none (OpenEnv's scripted teacher sends none either). */
  systemPrompt?: string;
  formatObservation?: ObservationFormatter;
}

/**
 * OpenEnv's default `collect` teacher (`--provider scripted`), with no model and no key: each turn
 * it calls the first tool with the first legal action of the observation (`legal_actions`, ...).
 * A tool env's tool gets `{action_id: <first legal>}` as OpenEnv's does; an action tool gets the
 * action the legal value maps to; with no legal actions listed, the first valid arguments of the
 * tool's schema. The conversation is recorded as a model's would be (`Playing action_id=3 (first
 * legal).`, tool call id `scripted-3`), so datasets and tests need no endpoint.
 *
 * @example
 * const Grid = defineEnv({ name: 'grid_world' });
 * const source = perServer(inProcessEndpoint(gridWorldEnv, { maxSessions: 2 }), Grid.fromEndpoint);
 * const { action } = await firstValueFrom(Grid.connect('http://127.0.0.1:8000').pipe(withSession((env) => env.schema())));
 * collect(source, scriptedTeacher({ tools: [actionAsTool(action)] }), { out: 'runs/s', episodes: 10, sessions: 2, maxSteps: 20 }).subscribe();
 */
export function scriptedTeacher(options: ScriptedTeacherOptions): AgentPolicy {
  if (options === null || typeof options !== 'object' || options.tools === undefined) throw new InvalidOptionError('tools', options?.tools, 'an array of AgentTool or a Promise of one');
  const book = new ConversationBook(() => new EpisodeConversation(options.formatObservation ?? jsonObservation, options.systemPrompt || undefined));
  const policy = (observation: unknown, last: EpisodeStep<AgentAction, unknown>): Observable<AgentAction> => {
    const step = last as EpisodeStep<unknown, unknown>;
    const conversation = book.of(step.episodeId);
    conversation.observe(step);
    return from(
      Promise.resolve(options.tools).then((tools) => {
        const tool = tools[0];
        if (!tool) throw new InvalidOptionError('tools', tools, 'at least one tool');
        const legal = legalActionsOf(observation)?.[0];
        let args: Record<string, unknown>;
        if (tool.kind === 'action') args = (legal === undefined ? sampleJsonSchema(tool.parameters, firstChoice) : actionFromLegal(tool.parameters, legal, firstChoice)) as Record<string, unknown>;
        else args = legal === undefined ? (sampleJsonSchema(tool.parameters, firstChoice) as Record<string, unknown>) : { action_id: legal };
        // Python's f-string: a string legal action unquoted, anything else as JSON.
        const label = legal === undefined ? tool.name : typeof legal === 'string' ? legal : pythonJsonDumps(legal);
        const id = `scripted-${label}`;
        conversation.addReply(legal === undefined ? `Calling ${tool.name} (no legal actions listed).` : `Playing action_id=${label} (first legal).`, [{ id, name: tool.name, arguments: JSON.stringify(args) }]);
        conversation.queued = [];
        conversation.run(id, tool, args);
        return toolAction(tool, args);
      }),
    );
  };
  return Object.assign(policy, { [EPISODE_TRANSCRIPT]: book }) as AgentPolicy;
}
