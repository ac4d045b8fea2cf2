// The fault matrix's env, served by the real CLI: `openenv-rx serve ./spec/faults/matrix/support/seq-env.mjs`.
// Plain JS (an env module the CLI loads as is). Every observation says what it answers, so a test
// can prove that no reply is mis-paired and no step replayed:
//   - `echoed_message`: the action's message (the client writes `<episode id>#<step index>` in it);
//   - `step`: this session's steps since its reset, counted by the SERVER (a replayed or foreign
//     step breaks the sequence);
//   - `server`: MATRIX_SERVER_ID (which server answered), `pid`, and `conn`: this process's session number.
// Every step is appended (one synchronous write) to the ledger file MATRIX_LEDGER, if set: a message
// seen twice over all ledgers is a replayed step. MATRIX_LEDGER_STDOUT=1 writes it to stdout as
// `ledger <message>` lines instead (a container the CLI starts has no bind mount: the test follows its logs).
// Gates, chosen by the client's message: `hold…` is never answered (a step a fault leaves unknown);
// `delay<ms>…` is answered after <ms> (a reply delayed past the client's timeout).
import { appendFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';

// Without MATRIX_SERVER_ID (containers the CLI starts, all pid 1): the container's hostname tells them apart.
const serverId = process.env.MATRIX_SERVER_ID ?? `${hostname()}/pid${process.pid}`;
const ledgerToStdout = process.env.MATRIX_LEDGER_STDOUT === '1';
// MATRIX_LEDGER_DIR: one ledger per server there (containers get the directory as a bind mount).
const ledger = process.env.MATRIX_LEDGER ?? (process.env.MATRIX_LEDGER_DIR ? `${process.env.MATRIX_LEDGER_DIR}/${serverId}.ledger` : undefined);
let sessions = 0;

class SeqEnv {
  conn = ++sessions;
  steps = 0;
  episodeId = null;

  reset({ episodeId }) {
    this.steps = 0;
    this.episodeId = episodeId ?? null;
    return { observation: { echoed_message: `reset:${episodeId ?? ''}`, step: 0, server: serverId, pid: process.pid, conn: this.conn }, reward: 0, done: false };
  }

  step({ message }) {
    this.steps++;
    if (ledger) appendFileSync(ledger, `${message}\n`);
    if (ledgerToStdout) writeSync(1, `ledger ${message}\n`);
    const outcome = { observation: { echoed_message: message, step: this.steps, server: serverId, pid: process.pid, conn: this.conn }, reward: 1, done: false };
    if (message.startsWith('hold')) return new Promise(() => undefined);
    const delay = /^delay(\d+)/.exec(message);
    if (delay) return new Promise((resolve) => setTimeout(() => resolve(outcome), Number(delay[1])));
    return outcome;
  }

  state() {
    return { episode_id: this.episodeId, step_count: this.steps };
  }
}

export default {
  name: 'seq',
  action: z.object({ message: z.string().min(1) }),
  observation: z.object({ echoed_message: z.string(), step: z.number(), server: z.string(), pid: z.number(), conn: z.number() }),
  create: () => new SeqEnv(),
};
