import { firstValueFrom, switchMap } from 'rxjs';
import { openWsTransport } from '../../src/transport/ws-transport.js';
import { startReplayServer } from '../helpers/replay-server.js';
import { realProcess } from '../faults/support/fault-guards.js';
import { pollUntil } from '../support/poll.js';

describe('ws reply timeout beyond the timer range', () => {
  it('replyTimeoutMs: Infinity waits for a slow reply without a timer spinning (no TimeoutOverflowWarning)', async () => {
    const server = await startReplayServer({ ws: 'grid_world_env-ws.jsonl', hold: () => true });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    realProcess.on('warning', onWarning);
    const timeouts: number[] = [];
    const original = globalThis.setTimeout;
    // Count the timers the transport arms while the reply is pending.
    globalThis.setTimeout = ((fn: () => void, ms?: number) => {
      timeouts.push(ms ?? 0);
      return original(fn, ms);
    }) as typeof setTimeout;
    try {
      const reply = firstValueFrom(openWsTransport(server.url, { replyTimeoutMs: Infinity }).pipe(switchMap((t) => t.reset({}))));
      // The reply is held while the transport waits (its timer armed), then released.
      await pollUntil(() => server.held() === 1, 'server.held() === 1');
      server.release();
      const result = await reply;
      expect(result.observation).toEqual({ x: 0, y: 0, message: 'Welcome to Grid World! Goal is at [4, 4].' });
      expect(timeouts.filter((ms) => ms === 2 ** 31 - 1)).toHaveLength(1);
      expect(timeouts.filter((ms) => !Number.isFinite(ms) || ms > 2 ** 31 - 1)).toEqual([]);
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    } finally {
      globalThis.setTimeout = original;
      realProcess.off('warning', onWarning);
      await server.close();
    }
  });
});
