import { vectorEnv } from '../src/fleet/vector-env.js';
import type { VectorEnv } from '../src/fleet/vector-types.js';
import { holdFirst } from './hold-first.js';
import { ECHO_ACTION, Echo } from './echo-env.js';

type EchoVector = VectorEnv<typeof ECHO_ACTION, { echoed_message: string; message_length: number }>;

/** A vector of `num` typed echo sessions over servers that already run, packed `perServer` to a server. */
export interface OpenVector {
  vector: EchoVector;
  close(): Promise<void>;
}

export async function openVector(urls: readonly string[], num: number, perServer: number): Promise<OpenVector> {
  const sources = urls.map((url) => Echo.connect(url, { transport: 'ws' }));
  const { value, close } = await holdFirst(vectorEnv(sources, { num, pool: { sessionsPerServer: perServer } }));
  return { vector: value, close };
}

/** `rounds` sequential `vector.step(actions)` batches, each subscribed when the last completed. Resolves with num × rounds. */
export function vectorRounds(vector: EchoVector, rounds: number): Promise<number> {
  const actions = Array.from({ length: vector.num }, () => ECHO_ACTION);
  return new Promise((resolve, reject) => {
    let left = rounds;
    const observer = {
      next: () => undefined,
      error: reject,
      complete: () => {
        if (--left === 0) resolve(vector.num * rounds);
        else vector.step(actions).subscribe(observer);
      },
    };
    vector.step(actions).subscribe(observer);
  });
}

/** The as-completed mode: every sub-env steps `each` times, each re-sent as soon as it answers. Resolves with num × each. */
export function asCompleted(vector: EchoVector, each: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const left = new Array<number>(vector.num).fill(each);
    let running = vector.num;
    const subscription = vector.results$.subscribe({
      next: (result) => {
        if (result.info.error) return reject(result.info.error);
        if (--left[result.index]! > 0) vector.send(result.index, ECHO_ACTION);
        else if (--running === 0) {
          subscription.unsubscribe();
          resolve(vector.num * each);
        }
      },
      error: reject,
    });
    for (let i = 0; i < vector.num; i++) vector.send(i, ECHO_ACTION);
  });
}
