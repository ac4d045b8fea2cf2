// The fault matrix's policy for the CLI (`--policy ./spec/faults/matrix/support/seq-policy.mjs`):
// each action names its episode and step, so the test can pair every recorded reply with its request.
// MATRIX_DELAY_EPISODE=<episode id>: that episode's second step asks the env to answer only after
// MATRIX_DELAY_MS (a reply delayed past the client's timeout).
const delayEpisode = process.env.MATRIX_DELAY_EPISODE;
const delayMs = process.env.MATRIX_DELAY_MS ?? '3000';
export default (_observation, last) => {
  const prefix = last.episodeId === delayEpisode && last.index + 1 === 2 ? `delay${delayMs}` : '';
  return { message: `${prefix}${last.episodeId}#${last.index + 1}` };
};
