/**
 * OpenEnv rewards arrive as a number, a boolean (some envs over `/ws` send `true`) or null.
 * openenv-rx always hands users `number | null`: `true` → 1, `false` → 0, null stays null
 * (a step that carries no reward, e.g. an MCP `list_tools`).
 *
 * @example
 * normalizeReward(true)  // 1
 * normalizeReward(0.5)   // 0.5
 * normalizeReward(null)  // null
 */
export function normalizeReward(reward: number | boolean | null | undefined): number | null {
  if (reward === null || reward === undefined) return null;
  if (typeof reward === 'boolean') return reward ? 1 : 0;
  return reward;
}
