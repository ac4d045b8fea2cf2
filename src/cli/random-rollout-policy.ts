import { mulberry32 } from '../internal/mulberry32.js';
import { randomAction } from '../policies/legal-actions.js';
import { randomChooser, type SampleChooser } from '../policies/sample-json-schema.js';
import type { EpisodeStep, Policy } from '../session/types.js';
import { isToolActionSchema, randomToolAction } from './random-tool-policy.js';

/**
 * The CLI's `--policy random`: one of the observation's legal actions when it lists them, else
 * uniform over the action JSON Schema; one generator per episode seeded from `seed + episodeIndex`,
 * so an episode's actions do not depend on how parallel sessions interleave. The schema arrives
 * asynchronously (from the first session's `/schema`). A tool env (its action is
 * `CallToolAction`) gets random tool calls instead: `list_tools`, then listed tools.
 */
export function randomRolloutPolicy(schema: Promise<Record<string, unknown>>, seed: number | undefined): Policy<Record<string, unknown>, unknown> {
  const choosers = new Map<number, SampleChooser>();
  const tools = new Map<number, Array<{ name: string; schema: Record<string, unknown> }>>();
  return async (observation, last: EpisodeStep<Record<string, unknown>, unknown>) => {
    const actionSchema = await schema;
    let chooser = choosers.get(last.episodeIndex);
    if (!chooser) {
      chooser = randomChooser(seed === undefined ? Math.random : mulberry32((seed + last.episodeIndex) * 2654435761));
      choosers.set(last.episodeIndex, chooser);
      // Episodes run one at a time per session: keep only the recent ones.
      if (choosers.size > 256) choosers.delete(choosers.keys().next().value!);
      if (tools.size > 256) tools.delete(tools.keys().next().value!);
    }
    if (isToolActionSchema(actionSchema)) return randomToolAction(last, chooser, tools);
    return randomAction(actionSchema, observation, chooser) as Record<string, unknown>;
  };
}
