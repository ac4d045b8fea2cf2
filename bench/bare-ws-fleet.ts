import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { wsUrlOf } from './bare-ws-client.js';
import { onCleanup } from './cleanup.js';

/** N bare `ws` sockets: the baseline of the vector section, in both of its shapes. */
export interface BareFleet {
  /** `rounds` rounds in lockstep: every socket sends one step; the next round starts when all answered. Resolves with N × rounds. */
  lockstep(rounds: number): Promise<number>;
  /** Every socket steps `each` times on its own, as fast as it is answered. Resolves with N × each. */
  free(each: number): Promise<number>;
  /**
   * Every socket runs `count` episodes on its own: a reset (with a fresh `episode_id`, as
   * `runEpisode` sends) then `steps` steps, each frame sent on the previous answer. Resolves with
   * the frames answered, N × count × (steps + 1): what `rollouts` counts as emitted steps.
   */
  episodes(count: number, steps: number): Promise<number>;
  close(): Promise<void>;
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrlOf(url), { perMessageDeflate: false });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Opens `urls.length` sockets (socket i to `urls[i]`) and drives them with nothing but callbacks:
 * the same frames openenv-rx sends (serialised per send), one JSON.parse per reply, no validation,
 * no Observables.
 */
export async function openBareFleet(urls: readonly string[], action: Record<string, unknown>): Promise<BareFleet> {
  const sockets: WebSocket[] = [];
  const close = onCleanup(async () => {
    await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((done) => {
            if (socket.readyState === WebSocket.CLOSED) return done();
            socket.once('close', () => done());
            socket.send('{"type":"close"}');
            socket.close(1000);
            setTimeout(() => socket.terminate(), 1000).unref();
          }),
      ),
    );
  });
  try {
    for (const url of urls) sockets.push(await open(url));
  } catch (error) {
    await close();
    throw error;
  }
  // Serialised per send, as any client whose actions vary must (and as bare-ws-client does).
  const frame = (): string => JSON.stringify({ type: 'step', data: action });
  const n = sockets.length;
  /** Runs until `onReply(i)` returns false for every socket; rejects on a bad reply or a closed socket. */
  const drive = (start: () => void, onReply: (i: number) => boolean | 'done'): Promise<void> =>
    new Promise((resolve, reject) => {
      let finished = false;
      const end = (error?: Error) => {
        if (finished) return;
        finished = true;
        sockets.forEach((s) => {
          s.removeAllListeners('message');
          s.removeAllListeners('close');
        });
        if (error) reject(error);
        else resolve();
      };
      sockets.forEach((socket, i) => {
        socket.on('message', (data) => {
          const reply = JSON.parse(data.toString()) as { type?: unknown };
          if (reply.type !== 'observation') return end(new Error(`bare fleet: unexpected reply ${data.toString().slice(0, 200)}`));
          if (onReply(i) === 'done') end();
        });
        socket.on('close', (code) => end(new Error(`bare fleet: socket ${i} closed (${code})`)));
      });
      start();
    });
  return {
    close,
    lockstep: async (rounds) => {
      let left = rounds;
      let pending = n;
      const round = () => {
        pending = n;
        for (const socket of sockets) socket.send(frame());
      };
      await drive(round, () => {
        if (--pending > 0) return true;
        if (--left === 0) return 'done';
        round();
        return true;
      });
      return n * rounds;
    },
    free: async (each) => {
      const left = new Array<number>(n).fill(each);
      let running = n;
      await drive(
        () => sockets.forEach((s) => s.send(frame())),
        (i) => {
          if (--left[i]! > 0) {
            sockets[i]!.send(frame());
            return true;
          }
          return --running === 0 ? 'done' : true;
        },
      );
      return n * each;
    },
    episodes: async (count, steps) => {
      const per = count * (steps + 1);
      const sent = new Array<number>(n).fill(0);
      let running = n;
      const next = (i: number): void => {
        const out = sent[i]! % (steps + 1) === 0 ? JSON.stringify({ type: 'reset', data: { episode_id: randomUUID() } }) : frame();
        sent[i]!++;
        sockets[i]!.send(out);
      };
      await drive(
        () => sockets.forEach((_, i) => next(i)),
        (i) => {
          if (sent[i]! < per) {
            next(i);
            return true;
          }
          return --running === 0 ? 'done' : true;
        },
      );
      return n * per;
    },
  };
}
