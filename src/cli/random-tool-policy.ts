import { isRecord } from '../internal/is-record.js';
import { sampleJsonSchema, type SampleChooser } from '../policies/sample-json-schema.js';
import type { EpisodeStep } from '../session/types.js';

/** True for a tool env's `/schema` action (OpenEnv generation H: `CallToolAction`). */
export const isToolActionSchema = (schema: Record<string, unknown>): boolean => schema['title'] === 'CallToolAction';

/**
 * One random tool-calling turn: `list_tools` first in every episode, then a uniformly chosen listed
 * tool with arguments sampled from its input schema. `tools` remembers each episode's listing.
 *
 * @example
 * randomToolAction(last, chooser, new Map()) // { type: 'list_tools' } on the first turn
 */
export function randomToolAction(
  last: EpisodeStep<Record<string, unknown>, unknown>,
  chooser: SampleChooser,
  tools: Map<number, Array<{ name: string; schema: Record<string, unknown> }>>,
): Record<string, unknown> {
  const observation = last.observation;
  if (isRecord(observation) && Array.isArray(observation['tools'])) {
    tools.set(
      last.episodeIndex,
      observation['tools'].filter(isRecord).map((t) => ({ name: String(t['name']), schema: isRecord(t['input_schema']) ? t['input_schema'] : { type: 'object' } })),
    );
  }
  const listed = tools.get(last.episodeIndex);
  if (last.kind === 'reset' || !listed?.length) return { type: 'list_tools' };
  const tool = listed[chooser.index(listed.length)]!;
  return { type: 'call_tool', tool_name: tool.name, arguments: sampleJsonSchema(tool.schema, chooser) };
}
