/** What the seq env (seq-env.mjs) answers: the echo, the server's own per-session step count, which server and session. */
export interface SeqObs {
  echoed_message: string;
  step: number;
  server: string;
  pid: number;
  conn: number;
}
export interface SeqAct {
  message: string;
}

/** One answered request of one episode, as a driver recorded it. */
export interface TrailStep {
  /** The episode (or, for a vector, the sub-env's episode) it belongs to. */
  episode: string;
  /** 0: the reset; n: the n-th step. */
  index: number;
  /** The action sent (absent on a reset). */
  message?: string;
  observation: SeqObs;
}

/** The message a step carries: which episode and step it is, after an optional gate prefix (hold, delay<ms>). */
export const stepMessage = (prefix: string, episode: string, index: number): string => `${prefix}${episode}#${index}`;

/**
 * Every answer belongs to its request and every step follows the one before on the same server
 * session: the echo is the message sent, the server's step count is the step index, and all the
 * steps of one episode come from one server session. Returns the violations (empty: none).
 */
export function trailViolations(trail: readonly TrailStep[]): string[] {
  const problems: string[] = [];
  const byEpisode = new Map<string, TrailStep[]>();
  for (const step of trail) byEpisode.set(step.episode, [...(byEpisode.get(step.episode) ?? []), step]);
  for (const [episode, steps] of byEpisode) {
    steps.forEach((step, i) => {
      const o = step.observation;
      if (step.index !== i) problems.push(`${episode}: answer ${i} has index ${step.index}`);
      if (step.index === 0 ? !o.echoed_message.startsWith('reset:') : o.echoed_message !== step.message) {
        problems.push(`${episode}#${step.index}: sent ${step.message ?? 'reset'}, answered ${o.echoed_message}`);
      }
      if (step.message !== undefined && !step.message.endsWith(`${episode}#${step.index}`)) problems.push(`${episode}#${step.index}: the policy sent ${step.message}`);
      if (o.step !== step.index) problems.push(`${episode}#${step.index}: the server counted step ${o.step}`);
      const first = steps[0]!.observation;
      if (sessionKey(o) !== sessionKey(first)) problems.push(`${episode}#${step.index}: answered by ${sessionKey(o)}, the reset by ${sessionKey(first)}`);
    });
  }
  return problems;
}

/** Messages the servers' ledgers hold more than once: replayed steps (empty: none). */
export function replayed(ledger: readonly string[]): string[] {
  const seen = new Set<string>();
  return ledger.filter((line) => (seen.has(line) ? true : (seen.add(line), false)));
}

/** One server session: server, process, session number. */
export const sessionKey = (o: SeqObs): string => `${o.server}/${o.pid}/${o.conn}`;
