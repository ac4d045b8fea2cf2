// The fault matrix's policy for the CLI (`--policy ./spec/faults/matrix/support/seq-policy.mjs`):
// each action names its episode and step, so the test can pair every recorded reply with its request.
// MATRIX_DELAY_EPISODE=<episode id>: that episode's second step asks the env to answer only after
// MATRIX_DELAY_MS (a reply delayed past the client's timeout).
// MATRIX_HOLD_EPISODE=<episode id>: that episode's second step is never answered (a step a fault
// leaves unknown: the test kills its server once the server's ledger shows it).
// MATRIX_GATE_FILE=<path>: while that file exists and lists (one a line) the host part of the
// observation's `server`, the policy waits (at most 30 s): the test holds the old servers back so
// that the run cannot end before a server started after the fault was used.
import { readFileSync } from 'node:fs';

const delayEpisode = process.env.MATRIX_DELAY_EPISODE;
const delayMs = process.env.MATRIX_DELAY_MS ?? '3000';
const holdEpisode = process.env.MATRIX_HOLD_EPISODE;
const gateFile = process.env.MATRIX_GATE_FILE;

const gated = (server) => {
  try {
    return readFileSync(gateFile, 'utf8').split('\n').includes(String(server).split('/')[0]);
  } catch {
    return false; // no gate file: nothing held
  }
};

export default async (observation, last) => {
  for (let i = 0; gateFile && i < 600 && gated(observation.server); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  const second = last.index + 1 === 2;
  const prefix = second && last.episodeId === delayEpisode ? `delay${delayMs}` : second && last.episodeId === holdEpisode ? 'hold' : '';
  return { message: `${prefix}${last.episodeId}#${last.index + 1}` };
};
