// The fault matrix's policy for the CLI (`--policy ./spec/faults/matrix/support/seq-policy.mjs`):
// each action names its episode and step, so the test can pair every recorded reply with its request.
export default (_observation, last) => ({ message: `${last.episodeId}#${last.index + 1}` });
