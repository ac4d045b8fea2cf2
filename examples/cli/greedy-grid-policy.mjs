// A policy module for the CLI: `openenv-rx rollout --env grid_world --policy ./examples/cli/greedy-grid-policy.mjs`.
//
// The default export is a Policy: (observation, last) => action, or a Promise or Observable of it.
// `last` is the previous step (`last.index`, `last.episodeIndex`, `last.seed`, `last.reward`, ...).
// This one walks grid_world's 5x5 grid straight to the goal at (4, 4): DOWN to the last row, then
// RIGHT, so every episode takes 8 steps and returns 7 * -0.1 + 1.0 = 0.3.
export default function greedyGridPolicy(observation) {
  return { action: observation.x < 4 ? 'DOWN' : 'RIGHT' };
}
